"""Compiled samplers, reused while nothing they depend on has changed.

Two routes to a nutpie model:

* **streams model (the default)**: :func:`fast_nutpie_model` hands nutpie the hand-written
  log-density of :mod:`bayesstreams.fast.logp` as two C callbacks.  numba compiles them once
  per machine and keeps the machine code on disk (``bayesstreams/__pycache__/*.nbi|nbc``, or
  numba's per-user cache folder; ``NUMBA_CACHE_DIR`` moves it), so a new process loads them
  in milliseconds.  The dataset and priors are passed at run time in one buffer, never
  compiled in: a changed dataset or model file cannot reuse a stale compiled model, and
  numba itself recompiles when fastlogp.py changes (its cache key is the source file's
  time stamp and size, numba's version and the CPU).
* **any other model** (the additive baseline): :func:`compiled_nutpie_model` compiles the
  PyMC graph with nutpie's numba backend, memoised in this process by a key over the graph
  (its text form covers the dataset's numbers, the priors and the structure) and the
  library versions.  numba cannot cache that generated code across processes.
"""

from __future__ import annotations

import hashlib
import math

_MEMO: dict[str, object] = {}


def graph_key(model) -> str:
    """A hash of the model's log-probability graph and every constant in it."""
    import io

    import pytensor
    from pytensor.graph.traversal import ancestors
    from pytensor.printing import debugprint

    buffer = io.StringIO()
    debugprint(model.logp(), file=buffer, print_type=True)
    constants = hashlib.sha256()
    for node in ancestors([model.logp()]):
        value = getattr(node, "data", None)
        if value is not None:
            constants.update(repr(getattr(value, "shape", ())).encode())
            constants.update(memoryview(value.tobytes() if hasattr(value, "tobytes") else repr(value).encode()))
    text = buffer.getvalue() + str(sorted(model.named_vars)) + constants.hexdigest() + pytensor.__version__
    return hashlib.sha256(text.encode()).hexdigest()


def compiled_nutpie_model(model):
    """nutpie's compiled model of a PyMC ``model``, memoised in this process by :func:`graph_key`."""
    import nutpie

    key = graph_key(model)
    if key not in _MEMO:
        _MEMO[key] = nutpie.compile_pymc_model(model)
    return _MEMO[key]


def fast_nutpie_model(problem, use_callbacks: bool = True):
    """A nutpie model of a :class:`~bayesstreams.fast.logp.StreamsProblem`, with PyMC's variable names and dims.

    With ``use_callbacks`` nutpie calls the cached C callbacks directly from its sampler
    threads (no GIL, about 1 µs per gradient on the shipped study).  The container for
    them is nutpie's own ``CompiledPyMCModel``; should a nutpie release change it, this
    falls back to the public ``from_pyfunc`` interface, which calls the same kernel through
    Python (correct, but ~30 µs per gradient on small data).
    """
    import pandas as pd

    from bayesstreams.fast import logp as fastlogp
    from bayesstreams.model.build import var_dims

    shapes = problem.posterior_shapes()
    coords = {name: pd.Index(values) for name, values in problem.coords.items() if name != "case"}
    dims = {name: var_dims(name, "streams") for name in shapes}

    def initial_point(seed):
        return fastlogp.initial_point(problem, seed)

    if use_callbacks:
        try:
            return _callback_model(problem, shapes, coords, dims, initial_point)
        except (ImportError, AttributeError, TypeError):
            pass
    return _pyfunc_model(problem, shapes, coords, dims, initial_point)


def _blocks(shapes: dict) -> list[slice]:
    """Where each posterior variable of :data:`~bayesstreams.fast.logp.EXPANDED` sits in one flat draw."""
    slices, start = [], 0
    for shape in shapes.values():
        slices.append(slice(start, start + math.prod(shape)))
        start += math.prod(shape)
    return slices


def _callback_model(problem, shapes, coords, dims, initial_point):
    from nutpie.compile_pymc import CompiledPyMCModel

    from bayesstreams.fast import logp as fastlogp

    slices = _blocks(shapes)
    return CompiledPyMCModel(
        _n_dim=problem.n_dim, dims=dims, _coords=coords, _shapes=dict(shapes),
        compiled_logp_func=fastlogp.logp_cfunc, compiled_expand_func=fastlogp.expand_cfunc,
        initial_point_func=initial_point, shared_data={}, shared_var_keys={},
        user_data=problem.user_data(),  # kept alive by the model; the callbacks read it
        n_expanded=slices[-1].stop, shape_info=(list(shapes), slices, list(shapes.values())), logp_func=None, expand_func=None,
        reparameterized_names=[])


def _pyfunc_model(problem, shapes, coords, dims, initial_point):
    import numpy as np
    from nutpie.compiled_pyfunc import from_pyfunc

    from bayesstreams.fast import logp as fastlogp

    data, cell, n_groups, centered = problem.arrays(), problem.cell, problem.n_groups, int(problem.centered)
    slices = _blocks(shapes)

    def make_logp_fn():
        def logp(theta, **_):
            grad = np.empty(problem.n_dim)
            return fastlogp.logp_grad(theta, grad, *data), grad

        return logp

    def make_expand_fn(*_seeds):
        def expand(theta, **_):
            flat = np.empty(slices[-1].stop)
            fastlogp.expand(theta, flat, cell, n_groups, centered)
            return {name: flat[block].reshape(shape) for (name, shape), block in zip(shapes.items(), slices)}

        return expand

    return from_pyfunc(ndim=problem.n_dim, make_logp_fn=make_logp_fn, make_expand_fn=make_expand_fn,
                       expanded_dtypes=[np.dtype("float64")] * len(shapes), expanded_shapes=list(shapes.values()),
                       expanded_names=list(shapes), coords=coords, dims=dims, make_initial_point_fn=initial_point)


def warm() -> None:
    """Fill numba's on-disk cache (what ``scripts/setup.sh`` runs once after installing).

    Importing :mod:`bayesstreams.fast.logp` compiles its C callbacks (about 8 s the first
    time); the pointwise log-likelihood compiles on its first call, here on prior draws and a
    tiny simulated data set, so that no user data is needed.  Array types are the same with
    and without groups (no groups passes zero offsets), so one call covers both.
    """
    import tempfile

    import numpy as np

    from bayesstreams.fast import logp as fastlogp  # noqa: F401  (compiles the callbacks)
    from bayesstreams.model.config import load_config
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.fast.pointwise import pointwise_loglik
    from bayesstreams.model.priors import draw_prior
    from bayesstreams.data.simulate import simulate_to_folder

    config = load_config(None)
    with tempfile.TemporaryDirectory(prefix="bayesstreams-warm-") as tmp:
        dataset = load_dataset(simulate_to_folder(f"{tmp}/sim", 4, seed=0))
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 2,
                       np.random.default_rng(0))
    pointwise_loglik(dataset, draws)


if __name__ == "__main__":
    warm()
