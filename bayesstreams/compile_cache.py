"""Compiled samplers, reused while nothing they depend on has changed.

nutpie compiles the model's log-density and gradient with numba.  Within a process the
compiled model is memoised by a key over the PyMC graph (its text form covers the
dataset's numbers, the priors and the structure) and the library versions, so a changed
model or dataset can never reuse a stale compiled model.  Across processes, PyTensor's
own compile cache (``PYTENSOR_FLAGS=compiledir=...``, by default under ``~/.pytensor``) and
numba's cache keep the second compile short.
"""

from __future__ import annotations

import hashlib

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
    """nutpie's compiled model of ``model``, memoised in this process by :func:`graph_key`."""
    import nutpie

    key = graph_key(model)
    if key not in _MEMO:
        _MEMO[key] = nutpie.compile_pymc_model(model)
    return _MEMO[key]
