"""Parameters of fit of set relations: inclusion, PRI, coverage, relevance of necessity, unique coverage.

Every function takes set memberships in [0, 1] whose **last axis is the case**; any leading axes
(posterior draws, several conditions) broadcast, and the result has the leading shape.  A zero
denominator gives NaN (the relation is undefined, not 0 or 1).

Definitions (Dusa, R package ``QCA``, ``pof()``; Schneider & Wagemann 2012, ch. 5 and 9)::

    inclS = sum(min(X, Y)) / sum(X)                     consistency of sufficiency
    PRI   = (sum(min(X, Y)) - sum(min(X, Y, 1-Y))) / (sum(X) - sum(min(X, Y, 1-Y)))
    covS  = sum(min(X, Y)) / sum(Y)                     coverage of sufficiency
    inclN = sum(min(X, Y)) / sum(Y)                     consistency of necessity
    covN  = sum(min(X, Y)) / sum(X)                     coverage of necessity
    RoN   = sum(1 - X) / sum(1 - min(X, Y))             relevance of necessity
"""

from __future__ import annotations

import numpy as np


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def incl_suf(x, y) -> np.ndarray:
    """Consistency of ``X -> Y``: sum(min(X, Y)) / sum(X) over the last axis.

    >>> float(incl_suf([1, 1, 0], [1, 0, 0]))
    0.5
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    return _ratio(np.minimum(x, y).sum(-1), x.sum(-1))


def pri(x, y) -> np.ndarray:
    """Proportional reduction in inconsistency of ``X -> Y`` (not also ``X -> ~Y``).

    >>> round(float(pri([0.8, 0.6], [0.7, 0.4])), 3)  # (1.1 - 0.7) / (1.4 - 0.7)
    0.571
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    xy = np.minimum(x, y)
    both = np.minimum(xy, 1.0 - y).sum(-1)
    return _ratio(xy.sum(-1) - both, x.sum(-1) - both)


def cov_suf(x, y) -> np.ndarray:
    """Coverage of ``X -> Y``: sum(min(X, Y)) / sum(Y).

    >>> float(cov_suf([1, 1, 0], [1, 0, 1]))
    0.5
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    return _ratio(np.minimum(x, y).sum(-1), y.sum(-1))


def incl_nec(x, y) -> np.ndarray:
    """Consistency of ``X <- Y`` (X necessary for Y): sum(min(X, Y)) / sum(Y).

    >>> float(incl_nec([1, 1, 0, 0], [1, 1, 0, 0]))
    1.0
    """
    return cov_suf(x, y)


def cov_nec(x, y) -> np.ndarray:
    """Coverage of necessity (trivialness): sum(min(X, Y)) / sum(X).

    >>> float(cov_nec([1, 1, 1, 0], [1, 1, 0, 0]))
    0.6666666666666666
    """
    return incl_suf(x, y)


def ron(x, y) -> np.ndarray:
    """Relevance of necessity (Schneider & Wagemann): sum(1 - X) / sum(1 - min(X, Y)).

    A condition present in every case is a trivial necessary condition: RoN = 0.

    >>> float(ron([1, 1, 1, 1], [1, 1, 0, 0]))
    0.0
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    return _ratio((1.0 - x).sum(-1), (1.0 - np.minimum(x, y)).sum(-1))


def unique_coverage(terms, y) -> np.ndarray:
    """Unique coverage of each term within a sum of terms (covU).

    ``terms`` has shape (..., term, case).  covU of term i is the coverage of the whole sum
    minus the coverage of the sum without term i: the part of Y only that term explains.

    >>> unique_coverage([[1, 1, 0], [0, 1, 1]], [1, 1, 1]).round(3).tolist()
    [0.333, 0.333]
    """
    terms, y = np.asarray(terms, float), np.asarray(y, float)
    n_terms = terms.shape[-2]
    whole = cov_suf(terms.max(-2), y)
    if n_terms == 1:
        return whole[..., None]
    out = []
    for i in range(n_terms):
        others = np.delete(terms, i, axis=-2).max(-2)
        out.append(whole - cov_suf(others, y))
    return np.stack(out, axis=-1)


def literal(x, value: int) -> np.ndarray:
    """Membership in a condition (value 1) or in its negation (value 0)."""
    x = np.asarray(x, float)
    return x if value == 1 else 1.0 - x
