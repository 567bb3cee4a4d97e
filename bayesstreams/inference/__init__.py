"""Inference: samplers, fitting, diagnostics and the run on disk."""
