"""Load and validate: the data contract (codebook, tables, datasets, profiles); the QDA import in `qda/`."""
