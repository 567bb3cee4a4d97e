"""Weighted 90% interval ends of one quantity under many weightings of the same draws, in numba.

The value-of-information query (:mod:`bayesstreams.analysis.voi`) judges every outcome of
every candidate by the interval of a query's per-draw values under that outcome's weights:
hundreds of weight rows over the same draws.  The NumPy reference
(``voi._intervals``) gathers the rows into sorted order, takes their cumulative sums and
interpolates, materialising several (row, draw) arrays per query; this kernel walks each row
once in the values' sorted order with the same arithmetic (a sequential cumulative sum, the
midpoint rule ``cumsum - w / 2``, linear interpolation clipped at both ends), so its ends equal
the reference's to the last bit or within rounding (the tests hold them to 1e-12).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(inline="always", **_JIT)
def _interp(level, below, cumulative, ordered):
    """``np.interp(level, cumulative, ordered)`` as the reference computes it, ``below`` entries under ``level``."""
    n = cumulative.shape[0]
    hi = min(max(below, 1), n - 1)
    lo = hi - 1
    c0, c1 = cumulative[lo], cumulative[hi]
    t = (level - c0) / ((c1 - c0) if c1 > c0 else 1.0)
    t = min(max(t, 0.0), 1.0)
    out = ordered[lo] + t * (ordered[hi] - ordered[lo])
    if level <= cumulative[0]:
        out = ordered[0]
    if level >= cumulative[n - 1]:
        out = ordered[n - 1]
    return out


@njit(**_JIT)
def weighted_interval_ends(ordered, order, which, weights, low, high):
    """Per weight row ``r``: the ``low`` and ``high`` weighted quantiles of the values ``which[r]``, and their mean and sd.

    Parameters
    ----------
    ordered, order
        (values, draw): each set of values sorted, and the draw order that sorts it.
    which
        (row,): which set of values each weight row is read against.
    weights
        (row, draw), each row summing to one.
    low, high
        The levels (0.05 and 0.95 for the 90% interval).

    Returns
    -------
    (row,) each: the interval ends, the weighted mean and the weighted sd (from the same pass).
    """
    rows, n = weights.shape
    lo_out = np.empty(rows)
    hi_out = np.empty(rows)
    mean_out = np.empty(rows)
    sd_out = np.empty(rows)
    cumulative = np.empty(n)
    for r in range(rows):
        m = which[r]
        total = 0.0
        first = 0.0
        second = 0.0
        below_low = 0
        below_high = 0
        for j in range(n):
            w = weights[r, order[m, j]]
            v = ordered[m, j]
            total += w
            first += w * v
            second += w * v * v
            c = total - 0.5 * w
            cumulative[j] = c
            # every entry counts, not only up to the first crossing: rounding may make the sums dip by an ulp
            below_low += c < low
            below_high += c < high
        lo_out[r] = _interp(low, below_low, cumulative, ordered[m])
        hi_out[r] = _interp(high, below_high, cumulative, ordered[m])
        mean_out[r] = first
        sd_out[r] = np.sqrt(max(second - first * first, 0.0))
    return lo_out, hi_out, mean_out, sd_out
