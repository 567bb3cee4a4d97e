"""The model: model files, priors, the exact likelihood and one object per model kind."""
