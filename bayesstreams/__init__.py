"""bayesstreams: Bayesian causal analysis of Kingdon's multiple streams in two phases.

The package import is light: it never imports PyMC, PyTensor or ArviZ, so that
``bayesstreams validate`` and ``--help`` start fast.  Heavy modules are imported
where they are used.
"""

__version__ = "0.1.0"

from bayesstreams.errors import BayesStreamsError, InputError, Violation  # noqa: E402

__all__ = ["__version__", "BayesStreamsError", "InputError", "Violation", "load_dataset"]


def load_dataset(path, codebook=None):
    """Load and validate a dataset (see :func:`bayesstreams.data.dataset.load_dataset`)."""
    from bayesstreams.data.dataset import load_dataset as _load

    return _load(path, codebook=codebook)
