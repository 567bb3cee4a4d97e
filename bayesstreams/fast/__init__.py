"""Hand-written numba kernels of the streams model: log-density, gradient, pointwise log-likelihood."""
