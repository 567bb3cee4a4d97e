"""Load and validate: the data contract (codebook, tables, datasets, profiles) and simulation."""
