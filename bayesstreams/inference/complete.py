"""A run holds every draw it asked for, or it is not a run.

A sampler stopped by Ctrl-C can return what it has (nutpie does: a trace of fewer draws,
possibly none).  :func:`require_complete` turns that into an interruption before anything
is written; :func:`check_saved_run` refuses a folder on disk whose draws fall short of its
``run.json`` (written by an older version, or by hand).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bayesstreams.errors import RunError
from bayesstreams.interrupts import carried_on, stopped_early


def complete_samples(posterior: dict[str, np.ndarray]) -> int:
    """Number of samples (first axis) whose every parameter value is finite; 0 for no draws."""
    if not posterior:
        return 0
    finite = None
    for array in posterior.values():
        array = np.asarray(array, dtype=float)
        rows = np.isfinite(array.reshape(array.shape[0], int(np.prod(array.shape[1:])))).all(axis=1)
        finite = rows if finite is None else finite & rows
    return int(finite.sum())


def require_complete(posterior: dict[str, np.ndarray], expected: int, what: str) -> None:
    """Raise :class:`~bayesstreams.interrupts.Interrupted` when ``posterior`` holds fewer than ``expected`` samples."""
    got = complete_samples(posterior)
    if got < expected:
        raise stopped_early(got, expected, what)
    carried_on()  # a signal the sampler answered by returning every draw it had: an interruption all the same


def check_saved_run(path: Path, info: dict, posterior: dict[str, np.ndarray]) -> None:
    """Refuse a run folder whose draws are fewer than its settings asked for (or none at all)."""
    settings = info.get("settings", {})
    expected = int(settings.get("chains", 0)) * int(settings.get("draws", 0))
    got = complete_samples(posterior)
    if got == 0 or got < expected or got != int(info.get("n_samples", got)):
        asked = f"{expected}" if expected else "a positive number of"
        raise RunError(f"{path / 'draws.npz'}: holds {got} complete draws, the run asked for {asked} "
                       "(an interrupted or partial fit); refit with `bayesstreams fit`")
