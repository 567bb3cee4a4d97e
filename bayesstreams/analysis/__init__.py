"""Causal queries on posterior draws (NumPy), their tables, scoring of new cases, contraction."""
