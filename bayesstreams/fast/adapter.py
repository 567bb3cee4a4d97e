"""The nutpie adapter of the fast path: the hand-written streams density as a nutpie model.

:func:`fast_nutpie_model` hands nutpie the numba kernels of :mod:`bayesstreams.fast.kernels`
as two C callbacks, with PyMC's variable names, dims and coords, so the trace looks exactly
like a PyMC model's.  numba compiles the callbacks once per machine and keeps the machine
code on disk (``NUMBA_CACHE_DIR`` moves it), so a new process loads them in milliseconds;
:func:`warm` fills that cache (``scripts/setup.sh`` runs ``python -m bayesstreams.fast.adapter``).
The dataset and priors are passed at run time in one buffer, never compiled in.
"""

from __future__ import annotations

import math
import tempfile

import numpy as np

from bayesstreams.data.dataset import load_dataset
from bayesstreams.model.simulate import simulate_to_folder
from bayesstreams.fast import ace, batch, kernels, modes
from bayesstreams.fast.pointwise import pointwise_loglik
from bayesstreams.fast.problem import EvidenceProblem
from bayesstreams.fast.problem import initial_point as start_point
from bayesstreams.model.config import config_from_text, load_config
from bayesstreams.model.kinds import var_dims
from bayesstreams.model.priors import draw_prior


def fast_nutpie_model(problem, use_callbacks: bool = True):
    """A nutpie model of a :class:`~bayesstreams.fast.problem.StreamsProblem`, with PyMC's variable names and dims.

    With ``use_callbacks`` nutpie calls the cached C callbacks directly from its sampler
    threads (no GIL, about 1 µs per gradient on the shipped study).  The container for
    them is nutpie's own ``CompiledPyMCModel``; should a nutpie release change it, this
    falls back to the public ``from_pyfunc`` interface, which calls the same kernel through
    Python (correct, but ~30 µs per gradient on small data).
    """
    import pandas as pd

    shapes = problem.posterior_shapes()
    coords = {name: pd.Index(values) for name, values in problem.coords.items() if name != "case"}
    dims = {name: var_dims(name, "streams") for name in shapes}

    def initial_point(seed):
        return start_point(problem, seed)

    if use_callbacks:
        try:
            return _callback_model(problem, shapes, coords, dims, initial_point)
        except (ImportError, AttributeError, TypeError):
            pass
    return _pyfunc_model(problem, shapes, coords, dims, initial_point)


def _blocks(shapes: dict) -> list[slice]:
    """Where each posterior variable of :data:`~bayesstreams.fast.problem.EXPANDED` sits in one flat draw."""
    slices, start = [], 0
    for shape in shapes.values():
        slices.append(slice(start, start + math.prod(shape)))
        start += math.prod(shape)
    return slices


def _kernels(problem):
    """The kernel module of a problem: the v1 density, or the evidence modes' (:mod:`bayesstreams.fast.modes`)."""
    return modes if isinstance(problem, EvidenceProblem) else kernels


def _callback_model(problem, shapes, coords, dims, initial_point):
    from nutpie.compile_pymc import CompiledPyMCModel

    kernels = _kernels(problem)
    slices = _blocks(shapes)
    return CompiledPyMCModel(
        _n_dim=problem.n_dim, dims=dims, _coords=coords, _shapes=dict(shapes),
        compiled_logp_func=kernels.logp_cfunc, compiled_expand_func=kernels.expand_cfunc,
        initial_point_func=initial_point, shared_data={}, shared_var_keys={},
        user_data=problem.user_data(),  # kept alive by the model; the callbacks read it
        n_expanded=slices[-1].stop, shape_info=(list(shapes), slices, list(shapes.values())), logp_func=None, expand_func=None,
        reparameterized_names=[])


def _pyfunc_model(problem, shapes, coords, dims, initial_point):
    from nutpie.compiled_pyfunc import from_pyfunc

    kernels = _kernels(problem)
    extra = (problem.flags,) if isinstance(problem, EvidenceProblem) else ()
    data, cell, n_groups, centred = problem.arrays(), problem.cell, problem.n_groups, problem.centred
    slices = _blocks(shapes)

    def make_logp_fn():
        def logp(theta, **_):
            grad = np.empty(problem.n_dim)
            return kernels.logp_grad(theta, grad, *data), grad

        return logp

    def make_expand_fn(*_seeds):
        def expand(theta, **_):
            flat = np.empty(slices[-1].stop)
            kernels.expand(theta, flat, cell, n_groups, centred, problem.guide, problem.hyper, *extra)
            return {name: flat[block].reshape(shape) for (name, shape), block in zip(shapes.items(), slices)}

        return expand

    return from_pyfunc(ndim=problem.n_dim, make_logp_fn=make_logp_fn, make_expand_fn=make_expand_fn,
                       expanded_dtypes=[np.dtype("float64")] * len(shapes), expanded_shapes=list(shapes.values()),
                       expanded_names=list(shapes), coords=coords, dims=dims, make_initial_point_fn=initial_point)


def warm() -> None:
    """Fill numba's on-disk cache (what ``scripts/setup.sh`` runs once after installing).

    Importing :mod:`bayesstreams.fast.kernels` compiles its C callbacks (about 8 s the first
    time); the pointwise log-likelihood and the queries' expected ``q`` under an evidence mode
    compile on their first call, here on prior draws, a tiny simulated data set and a one-case
    stream, so that no user data is needed.  Array types are the same with
    and without groups (no groups passes zero offsets), so one call covers both.  Batch scoring's
    kernels (:mod:`bayesstreams.fast.batch`) compile for the argument types ``score`` passes, the
    average causal effects' (:mod:`bayesstreams.fast.ace`) for those of the queries.
    """
    config = load_config(None)
    with tempfile.TemporaryDirectory(prefix="bayesstreams-warm-") as tmp:
        dataset = load_dataset(simulate_to_folder(f"{tmp}/sim", 4, seed=0))
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 2,
                       np.random.default_rng(0))
    pointwise_loglik(dataset, draws)
    # the evidence modes' pointwise kernel: one compilation serves every mode (the same array types)
    modes_config = config_from_text('kind = "streams"\n[evidence]\nnot_discussed = "salience"\n')
    draws = draw_prior(modes_config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 2,
                       np.random.default_rng(0))
    modes.pointwise_loglik(dataset, draws)
    # the queries' expected q of a stream under an evidence mode (the not-discussed comparison's companions):
    # compiled on its first call, which was the first analyze's (about 10 s of a fresh clone's 30)
    modes.expected_q(np.full((1, 1, 2, 3), 1.0 / 3.0), np.zeros((1, 1)), np.zeros((1, 2)), np.zeros((1, 2)),
                     np.arange(2))
    # batch scoring's kernels (``score`` of many profiles): compiled here, loaded by score
    batch.warm()
    ace.warm()  # the average causal effects' interventions (analyze's report and the prior dependence)


if __name__ == "__main__":
    warm()
