"""Import the libraries a fit uses without what they drag in and never use on that path.

A warm ``analyze`` used to spend about 3 s importing: nutpie imports ArviZ (its plots, matplotlib's
pyplot, SciPy's statistics) only to convert a finished trace, which the nutpie sampler module now
converts itself; and ArviZ's base package registers ``jax`` in ``sys.modules`` as a lazy module
(for its NumPyro converter), which SciPy's and matplotlib's array checks then read, importing all
of JAX (0.3-0.5 s) into a process that never uses it; and xarray's ``to_netcdf`` asks dask whether a
``distributed`` client is running by importing ``distributed`` (0.2 s), which cannot be running
when nothing has imported it (:func:`masked`); and xarray, to check whether an array is a dask
array, imports ``dask.array`` (0.35-0.4 s, SciPy's FFT and special functions with it) the first time
it wraps any NumPy array (:func:`import_xarray`).  The functions here import the same
libraries, unmodified, with those detours deferred; ``import arviz`` or ``import jax`` anywhere
else is untouched.  tests/test_imports_light.py holds a warm ``analyze`` to importing neither.
"""

from __future__ import annotations

import importlib
import sys
import types
from contextlib import contextmanager

DEFERRED_BY_ARVIZ_BASE = ("jax", "numpyro")  # arviz_base.io_numpyro's lazy modules


class DeferredModule(types.ModuleType):
    """Stands for a module in the namespace of a module that imports it but may never use it.

    The first attribute read imports the real module (``importlib.import_module``) and reads it
    there; the dunder attributes the import statement reads (``__spec__``) are the placeholder's
    own, so binding the name costs nothing.
    """

    def __getattr__(self, name):
        if sys.modules.get(self.__name__) is self:  # read while still registered: import the real one
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


@contextmanager
def masked(*names: str):
    """Within the block, the modules ``names`` that nothing has imported yet read as not installed.

    ``sys.modules[name] = None`` makes ``import name`` raise ImportError and
    ``importlib.util.find_spec(name)`` return None; the masks are lifted afterwards, so a later
    ``import name`` imports the real module.  A module already imported is never masked.
    """
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


class DaskArrayType:
    """xarray's record of ``dask.array`` (``xarray.namedarray.pycompat``), its array type read from ``sys.modules``.

    xarray asks for the type to test ``isinstance(data, dask_array_type)``; no object is a dask
    array before ``dask.array`` is imported, so until then the type is ``()`` (what xarray itself
    records when dask is not installed), and from then on it is ``dask.array.Array``: a later use
    of dask in the same process (``checks/sbc.py``'s cluster) finds xarray as if it had imported
    dask itself.  ``version``, ``module`` and ``available`` import dask, as xarray would.
    """

    @property
    def type(self) -> tuple:
        module = sys.modules.get("dask.array")
        array = getattr(module, "Array", None) if module is not None else None
        return (array,) if isinstance(array, type) else ()

    def __getattr__(self, name):
        from xarray.namedarray.pycompat import DuckArrayModule

        return getattr(DuckArrayModule("dask"), name)


def import_xarray():
    """xarray, its probes for dask arrays deferred until dask is imported.

    xarray's record of ``dask.array`` is a :class:`DaskArrayType` (left alone where xarray has
    already made one, dask imported or known absent, or no longer keeps it: a newer xarray then
    probes as it always did), and its test of whether an array is a dask collection
    (``xarray.namedarray.utils.is_dask_collection``, which imports ``dask.base`` to answer: 0.2 s
    the first time any Dataset is made) answers False without importing dask while nothing has
    imported it (:func:`without_dask_import`).
    """
    import xarray

    try:
        from xarray.namedarray import pycompat, utils
    except ImportError:  # pragma: no cover - a layout this xarray no longer has
        return xarray
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and "dask" not in cache:
        cache["dask"] = DaskArrayType()
    probe = getattr(utils, "is_dask_collection", None)
    if callable(probe) and not getattr(probe, "deferred", False):
        utils.is_dask_collection = without_dask_import(probe)
    return xarray


def without_dask_import(probe):
    """``probe(x)`` (whether ``x`` is a dask collection), False at once while ``dask`` is not imported.

    No object is a dask collection before dask is imported (making one imports it), so the answer
    is the probe's own; from the first import of dask on, the probe answers as it always did.
    """
    def is_dask_collection(x):
        return False if "dask" not in sys.modules else probe(x)

    is_dask_collection.deferred = True
    is_dask_collection.__wrapped__ = probe
    return is_dask_collection


def import_nutpie():
    """nutpie, imported without executing ArviZ's import.

    ``nutpie.sample`` imports ``arviz`` at its top but uses it only to convert a finished trace,
    which :func:`bayesstreams.inference.samplers.nutpie.to_datatree` does instead.  While nutpie
    is imported, and only then, ``arviz`` (when nothing has imported it yet) is a
    :class:`DeferredModule` in ``sys.modules``; nutpie keeps the placeholder, which imports the real
    ArviZ if nutpie ever reads it.
    """
    if "nutpie" in sys.modules or "arviz" in sys.modules:
        import nutpie

        return nutpie
    placeholder = sys.modules["arviz"] = DeferredModule("arviz")
    try:
        import nutpie
    finally:
        if sys.modules.get("arviz") is placeholder:
            del sys.modules["arviz"]
    return nutpie


def import_arviz_base():
    """``arviz_base``, imported without registering ``jax`` and ``numpyro`` as lazy modules in ``sys.modules``.

    While it is imported each of those names (when nothing has imported it yet) is a
    :class:`DeferredModule` in ``sys.modules``, which ``lazy_loader.load`` hands back as it is; its
    NumPyro converter keeps the placeholders, which import the real modules when it runs.  The
    placeholders are taken out of ``sys.modules`` afterwards, so SciPy and matplotlib see no
    ``jax`` (masking the names instead made ``lazy_loader`` read the call stack: 0.2-0.5 s).
    """
    if "arviz_base" in sys.modules:
        return sys.modules["arviz_base"]
    placeholders = {name: DeferredModule(name) for name in DEFERRED_BY_ARVIZ_BASE if name not in sys.modules}
    sys.modules.update(placeholders)
    try:
        import arviz_base
    finally:
        for name, placeholder in placeholders.items():
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]
    return arviz_base


def import_arviz_stats():
    """``arviz_stats`` with ``arviz_stats.base`` loaded, its ``arviz_base`` imported by :func:`import_arviz_base`."""
    import_arviz_base()
    import arviz_stats
    import arviz_stats.base  # noqa: F401  (array_stats)

    return arviz_stats
