"""The registry of model kinds: one object per kind, looked up by name or by the draws it made.

Adding a model kind is one new module with a ``KIND`` object (see
:mod:`bayesstreams.model.streams`) and one line in :data:`KINDS`; nothing else in the package
branches on the kind.  A kind object offers:

``name``, ``title``, ``parameters`` (:class:`~bayesstreams.model.priors.Parameter` records with
dims and default priors), ``dependency_parameter``, ``has_streams``, ``has_fast_density`` (numba
kernels exist; :mod:`bayesstreams.fast.registry` picks them, the reference never imports them),
``has_evidence_modes`` (MODEL.md §7 options in the model file, :mod:`bayesstreams.model.modes`);
``matches(draws)``; ``data(dataset, held_out)`` and ``build(dataset, config, loglik_weight)``
(the PyMC model with ``pm.Data``); ``draw_prior(...)``; ``reference_loglik(dataset, draws)``
(NumPy); ``baseline(draws, x, phase, stream, group, records, qt)``, ``windows(base)``,
``do_factor(base, k, value)``; ``not_discussed_bounds(draws, x, phase, stream, group, records, qt, eta, q, sums, windows)``
(per draw the lowest and highest window chances over every completion of the not-discussed cells,
:mod:`bayesstreams.analysis.mode_comparison`).  ``qt`` is the kernel that sums a stream's uncertain
codes out (:func:`bayesstreams.model.evidence.stream_q`): NumPy unless the caller hands in the numba one.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.errors import RunError
from bayesstreams.model import additive, streams
from bayesstreams.model.hierarchy import model_coords  # noqa: F401  (re-exported: the kinds' shared coords)

KINDS = {kind.name: kind for kind in (streams.KIND, additive.KIND)}


def get_kind(name: str):
    """The model kind called ``name`` (``"streams"`` or ``"additive"``)."""
    try:
        return KINDS[name]
    except KeyError:
        raise RunError(f"unknown model kind {name!r} (known: {', '.join(KINDS)})") from None


def kind_of_draws(draws: dict):
    """The model kind whose parameters ``draws`` hold."""
    for kind in KINDS.values():
        if kind.matches(draws):
            return kind
    raise RunError("the draws hold the parameters of no known model kind "
                   f"({', '.join(KINDS)}); found: {', '.join(sorted(draws))}")


def parameter_names(kind, has_groups: bool, features=frozenset()) -> list[str]:
    """The parameters a run of ``kind`` stores, in the kind's order; ``features``: the evidence ones in use."""
    return [p.name for p in kind.parameters
            if (has_groups or not p.groups_only) and (not p.evidence or p.evidence in features)]


def var_dims(name: str, kind_name: str) -> tuple[str, ...]:
    """Named dims of a parameter of a model kind."""
    for parameter in get_kind(kind_name).parameters:
        if parameter.name == name:
            return parameter.dims
    raise KeyError(name)


def build_model(dataset, config, loglik_weight: float = 1.0):
    """The PyMC model of ``dataset`` under ``config`` (its kind and priors); no sampling.

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> from bayesstreams.model.config import load_config
    >>> model = build_model(load_dataset("data/trafficking_nl_2020"), load_config())  # doctest: +SKIP
    """
    return config.model_kind.build(dataset, config, loglik_weight)


def pointwise_loglik(dataset, kind_name: str, draws: dict) -> np.ndarray:
    """Log-likelihood (sample, case) of saved draws in NumPy (the reference the fast kernels are held to)."""
    return get_kind(kind_name).reference_loglik(dataset, draws)
