"""Which numba kernel serves a model kind and evidence mode: the density's problem, the pointwise
log-likelihood, the queries' ``qt``; the NumPy reference of :mod:`bayesstreams.model` where none does.

The accelerator depends on the reference, never the other way round: the model kinds only say
whether a fast density exists (``has_fast_density``), and the layers that run them (the nutpie
sampler, ``fit``, the queries) ask this module for it.  The v1 model (:func:`~bayesstreams.model.modes.is_v1`)
has its own tables and kernels (:mod:`bayesstreams.fast.kernels`, :mod:`bayesstreams.fast.pointwise`);
every evidence mode shares :mod:`bayesstreams.fast.modes`.

The kernel modules are imported when first used, not with this module: loading numba and the
cached callbacks takes about a second, which ``bayesstreams score`` and the queries of a ``zero``
run never need.
"""

from __future__ import annotations

import sys

import numpy as np

from bayesstreams.model.evidence import expected_q as reference_expected_q
from bayesstreams.model.likelihood import cell_sums as reference_cell_sums
from bayesstreams.model.likelihood import logistic_into
from bayesstreams.model.modes import is_v1, options_of_draws


def fast_problem(dataset, config):
    """The packed tables of the hand-written density of ``config`` on ``dataset``, or ``None`` (no fast path).

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> from bayesstreams.model.config import load_config
    >>> study = load_dataset("data/trafficking_nl_2020")
    >>> type(fast_problem(study, load_config("models/streams-salience.toml"))).__name__
    'EvidenceProblem'
    >>> fast_problem(study, load_config("models/additive.toml")) is None
    True
    """
    if not config.model_kind.has_fast_density:
        return None
    from bayesstreams.fast import problem  # lazy: compiles numba kernels; the registry is read by light paths

    if is_v1(config.evidence_options):
        return problem.streams_problem(dataset, config)
    return problem.evidence_problem(dataset, config)


def pointwise_loglik(dataset, kind, draws: dict) -> np.ndarray:
    """Log-likelihood (sample, case) of saved draws of ``kind``: numba where the kind has a fast density.

    Equal to ``kind.reference_loglik`` (tests/test_fastpointwise.py, tests/test_fastlogp_modes.py);
    the evidence mode is read from the draws.
    """
    if not kind.has_fast_density:
        return kind.reference_loglik(dataset, draws)
    if is_v1(options_of_draws(draws)):
        from bayesstreams.fast.pointwise import pointwise_loglik as v1_loglik  # lazy: compiles numba kernels; the registry is read by light paths

        return v1_loglik(dataset, draws)
    from bayesstreams.fast.modes import pointwise_loglik as evidence_loglik  # lazy: compiles numba kernels; the registry is read by light paths

    return evidence_loglik(dataset, draws)


def expected_q(weights, eta, beta, x, support, factors, options) -> np.ndarray:
    """``qt`` (draw, case) of one stream in numba, with the arguments of the NumPy reference
    :func:`bayesstreams.model.evidence.expected_q` (what the queries hand the kinds as ``qt``).

    Falls back to the reference where numba cannot be imported.
    """
    try:
        from bayesstreams.fast.modes import expected_q as kernel  # lazy: compiles numba kernels; the registry is read by light paths
    except ImportError:
        return reference_expected_q(weights, eta, beta, x, support, factors, options)
    return kernel(weights, eta, beta, x, factors)


def weighted_interval_kernel():
    """The kernel of many weighted 90% intervals at once (:mod:`bayesstreams.fast.intervals`), loaded on first use."""
    from bayesstreams.fast import intervals  # lazy: loads numba; the registry is read by light paths

    return intervals.weighted_interval_ends


def counterfactual_kernel():
    """The kernel of a case's counterfactual per intervention and draw (:mod:`bayesstreams.fast.counterfactual`)."""
    from bayesstreams.fast import counterfactual  # lazy: loads numba; the registry is read by light paths

    return counterfactual.counterfactual_target


def batch_kernels():
    """The kernels of batch scoring's advice (:mod:`bayesstreams.fast.batch`: rows' quantiles, sets' chances), loaded on first use."""
    from bayesstreams.fast import batch  # lazy: loads numba; the registry is read by light paths

    return batch


def loaded_batch_kernels():
    """:func:`batch_kernels` if this process has loaded them already (a batch is being scored), else None.

    For code that may run faster with them but is not worth loading numba for (the quantiles of a few
    summaries): it never loads numba itself.
    """
    return sys.modules.get("bayesstreams.fast.batch")


def bound_windows():
    """The ``windows`` hook of the streams kind's ``not_discussed_bounds`` by the batch kernels, where a batch being
    scored has loaded them (:func:`loaded_batch_kernels`), else None (the kind computes the windows in NumPy).

    :func:`bayesstreams.fast.batch.bound_windows` writes each side's ``P(W1)`` and ``P(W2)`` (case, draw) in one
    pass, without the copy of ``q`` and the window temporaries: the kind's operations, so the same bits.  Each
    array is handed back as the transposed view, (sample, case), so that a case's draws are a contiguous row.
    """
    kernels = loaded_batch_kernels()
    if kernels is None:
        return None

    def windows(q, moved, values, draws):
        n_draws = q.shape[0]
        p1, p2 = np.empty((2, q.shape[1], n_draws))
        # C order, the layout the set-up compiled (a gather may come out in F order)
        kernels.bound_windows(np.ascontiguousarray(q).reshape(n_draws, -1), np.asarray(moved, dtype=np.int64),
                              np.ascontiguousarray(values), *(np.ascontiguousarray(draws[name], dtype=float)
                                                               for name in ("lambda", "kappa", "rho")), p1, p2)
        return p1.T, p2.T

    return windows


BATCH_FROM = 16  # cases from which cell_sums loads numba (importing it costs about 0.3 s; analyze's 8 cases never do)


def cell_sums(x, beta, onehot) -> np.ndarray:
    """The per-cell sums of ``beta x`` (draw, case, cell) the kinds' baselines read (the ``sums`` argument):
    :func:`bayesstreams.fast.batch.cell_sums` from :data:`BATCH_FROM` cases on, bit for bit NumPy's
    ``einsum`` (:func:`bayesstreams.model.likelihood.cell_sums`), which serves fewer cases."""
    x, beta, onehot = (np.require(a, dtype=float, requirements=["C", "W"]) for a in (x, beta, onehot))
    if x.shape[0] < BATCH_FROM or not beta.size:
        return reference_cell_sums(x, beta, onehot)
    out = np.empty((beta.shape[0], x.shape[0], onehot.shape[1]))
    cell = _one_cell_each(onehot)
    if cell is not None and np.isfinite(x).all() and np.isfinite(beta).all():  # each factor in one cell: its sums alone
        batch_kernels().cell_sums_onehot(x, beta, cell, out)
    else:
        batch_kernels().cell_sums(x, beta, onehot, out)
    return out


def _one_cell_each(onehot: np.ndarray) -> np.ndarray | None:
    """The cell of each factor (row) of ``onehot`` when every row is one 1.0 among 0.0s, else None."""
    if not ((onehot == 0.0) | (onehot == 1.0)).all() or not (onehot.sum(axis=1) == 1.0).all():
        return None
    return np.ascontiguousarray(onehot.argmax(axis=1), dtype=np.int64)


ACE_KERNEL_FROM = 200_000  # (draw, factor, case) elements from which do_factors_windows loads numba (one profile stays NumPy)


def do_factors_windows(base, value: float, ks) -> tuple[np.ndarray, np.ndarray] | None:
    """``(P(W1), P(W2))`` (sample, factor, case) under ``do(x[:, k] = value)`` for the factors ``ks``, by the numba
    kernels of :mod:`bayesstreams.fast.ace`: bit for bit ``kind.do_factors(base, value, ks)``'s ``p1`` and ``p2``.

    None where the reference serves: a baseline under an evidence mode or without streams, fewer than
    :data:`ACE_KERNEL_FROM` elements (importing numba would cost more than it wins), or no numba.
    """
    ks = np.asarray(ks, dtype=np.int64)
    if base.q is None or "evidence" in base.cache or base.eta.ndim != 4:
        return None
    n_draws, n_cases = base.eta.shape[:2]
    if n_draws * len(ks) * n_cases < ACE_KERNEL_FROM:
        return None
    try:
        from bayesstreams.fast import ace  # lazy: loads numba; the registry is read by light paths
    except ImportError:
        return None
    phase = np.asarray(base.factor_phase, dtype=np.int64)[ks]
    stream = np.asarray(base.factor_stream, dtype=np.int64)[ks]
    if "others" not in base.cache:  # (draw, case, phase, stream): the product of each stream's others, as q_others gives it
        base.cache["others"] = np.ascontiguousarray(
            np.stack([np.stack([base.q_others(p, s) for s in range(3)], axis=-1) for p in range(2)], axis=-2))
    draws = base.draws
    z = np.empty((n_draws, len(ks), n_cases))
    ace.shifted_log_odds(np.ascontiguousarray(base.eta), np.ascontiguousarray(draws["beta"], dtype=float),
                         np.ascontiguousarray(base.x, dtype=float), ks, phase, stream, float(value), z)
    logistic_into(z)
    p1, p2 = np.empty_like(z), np.empty_like(z)
    ace.windows_under(z, base.cache["others"], np.ascontiguousarray(draws["lambda"], dtype=float),
                      np.ascontiguousarray(draws["kappa"], dtype=float), np.ascontiguousarray(base.pibar),
                      np.ascontiguousarray(draws["rho"], dtype=float), phase, stream, p1, p2)
    return p1, p2
