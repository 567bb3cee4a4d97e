"""Quantiles of many posterior summaries at once, bit for bit NumPy's ``np.quantile`` (its default ``linear`` method).

NumPy selects each order statistic it reads with a partition per level and row; sorting every row once
finds the same order statistics (the values at those ranks are the same) in a third to a fifth of the
time on posterior draws.  The rest is NumPy's own arithmetic, so the numbers are the same bits
(tests/test_quantiles.py): the report's tables, the claims and the prior-dependence checks summarise
hundreds of draw columns each.  Where a batch being scored has loaded the numba kernels
(:func:`~bayesstreams.fast.registry.loaded_batch_kernels`), a radix sort sorts the rows (the same
sorted values, 3x faster); numba is never loaded for it.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.fast.registry import loaded_batch_kernels

KERNEL_SORT_FROM = 64  # values per row from which the loaded kernels' radix sort sorts the rows (NumPy's below)


def row_quantiles(rows: np.ndarray, levels) -> np.ndarray:
    """``np.quantile(rows, levels, axis=1)`` (level, row), its default ``linear`` method step for step, from one sort.

    NumPy partitions each row around every order statistic it reads (several selections per row);
    one sort of all rows finds the same order statistics (the values at those ranks are the same),
    about five times faster here.  The rest is NumPy's own arithmetic: the virtual index
    ``(n - 1) * level``, its floor and the next rank (both the last at or beyond the end), the
    weight ``gamma`` and ``_lerp``'s two formulas either side of ``gamma = 0.5``; a row holding NaN
    gives NaN (tests/test_quantiles.py holds the two equal bit for bit).
    """
    rows = np.asarray(rows, dtype=float)
    n = rows.shape[1]
    ordered = _sorted_rows(rows)
    virtual = (n - 1) * np.asarray(levels, dtype=float)
    previous = np.floor(virtual)
    following = previous + 1
    beyond = virtual >= n - 1
    previous[beyond] = following[beyond] = -1
    previous[virtual < 0] = following[virtual < 0] = 0
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    gamma = virtual - previous
    below, above = ordered[:, previous].T, ordered[:, following].T
    difference = above - below
    out = below + difference * gamma[:, None]
    np.subtract(above, difference * (1 - gamma[:, None]), out=out, where=gamma[:, None] >= 0.5)
    with_nan = np.isnan(ordered[:, -1])
    if with_nan.any():
        out[:, with_nan] = ordered[with_nan, -1]
    # -0.0 and 0.0 are equal, so a sort and NumPy's partitions may rank them in either order: a row holding a
    # negative zero is NumPy's own, so that even the sign of a zero quantile is NumPy's
    signed = (ordered == 0.0) & np.signbit(ordered)
    for row in np.flatnonzero(signed.any(axis=1)):
        out[:, row] = np.quantile(rows[row], levels)
    return out


def _sorted_rows(rows: np.ndarray) -> np.ndarray:
    """``np.sort(rows, axis=1)``: the same values by the batch kernels' radix sort where loaded (a row with NaN: NumPy's)."""
    kernels = loaded_batch_kernels() if rows.ndim == 2 and rows.shape[1] >= KERNEL_SORT_FROM else None
    if kernels is not None:
        ordered = np.array(rows, dtype=float, order="C")  # a copy sorted in place
        if kernels.sort_rows(ordered):
            return ordered
    return np.sort(rows, axis=1)


def column_quantiles(samples, levels) -> np.ndarray:
    """``np.quantile(samples, levels, axis=0)`` bit for bit: (level, *samples.shape[1:]), from one sort per column."""
    samples = np.asarray(samples, dtype=float)
    levels = np.asarray(levels, dtype=float)
    if samples.ndim == 0 or samples.shape[0] == 0 or levels.ndim != 1 or not ((levels >= 0) & (levels <= 1)).all():
        return np.quantile(samples, levels, axis=0)  # NumPy's own errors and shapes
    rows = np.ascontiguousarray(samples.reshape(samples.shape[0], -1).T)
    return row_quantiles(rows, levels).reshape((len(levels),) + samples.shape[1:])
