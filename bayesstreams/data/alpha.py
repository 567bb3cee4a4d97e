"""Krippendorff's alpha from the coincidence matrix, for any number of coders and missing codes.

The computation is the one of Krippendorff (2011), "Computing Krippendorff's alpha-reliability"
(University of Pennsylvania, ASC papers 43), written with NumPy:

* each unit with ``m_u >= 2`` codes (a *pairable* unit) adds every ordered pair of its codes,
  weighted ``1 / (m_u - 1)``, to the **coincidence matrix** ``o[c, k]``; units with fewer codes
  are left out (a missing code neither agrees nor disagrees);
* the marginals ``n_c = sum_k o[c, k]`` and ``n = sum_c n_c`` (the pairable values) give the
  coincidences expected by chance, ``n_c n_k / (n - 1)`` off the diagonal;
* ``alpha = 1 - (n - 1) * sum o[c, k] d(c, k) / sum_{c, k} n_c n_k d(c, k)`` with the distance
  ``d`` of the level of measurement: *nominal* 0 or 1; *ordinal* the squared number of values
  between ``c`` and ``k`` (``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``, so only the order of the
  values counts); *interval* ``(c - k)^2``; *ratio* ``((c - k) / (c + k))^2``.

Alpha is undefined (NaN here) when there is no pairable unit or when all pairable values are the
same (no expected disagreement).  bayesstreams computed alpha with the ``krippendorff`` package
until it was found to be GPL-3.0-or-later; this module replaces it, and
``tests/test_alpha.py`` holds it to Krippendorff's worked example and to that package's numbers.
"""

from __future__ import annotations

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def coincidences(value_counts: np.ndarray) -> np.ndarray:
    """(..., V, V) coincidence matrix of ``value_counts`` (..., unit, V), summed over units.

    ``value_counts[..., u, c]`` is how many coders gave unit ``u`` the value ``c``; a unit with
    fewer than two codes adds nothing.
    """
    counts = np.asarray(value_counts, dtype=float)
    m = counts.sum(axis=-1)[..., None, None]
    pairs = counts[..., :, None] * counts[..., None, :] - counts[..., :, None] * np.eye(counts.shape[-1])
    per_unit = np.divide(pairs, m - 1, out=np.zeros(pairs.shape), where=m >= 2)
    return per_unit.sum(axis=-3)


def distances(marginals: np.ndarray, values, level: str) -> np.ndarray:
    """(..., V, V) squared distances ``d(c, k)`` of ``level`` between the ``values`` (V,), in their order.

    ``marginals`` (..., V) are the coincidence marginals ``n_c``; only the ordinal distance reads them.
    """
    values = np.asarray(values, dtype=float)
    n_v = np.asarray(marginals, dtype=float)
    size = len(values)
    if level == "nominal":
        d = 1.0 - np.eye(size)
    elif level == "ordinal":
        index = np.arange(size)
        low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
        cum = np.concatenate([np.zeros(n_v.shape[:-1] + (1,)), np.cumsum(n_v, axis=-1)], axis=-1)
        between = cum[..., high + 1] - cum[..., low]
        return (between - (n_v[..., :, None] + n_v[..., None, :]) / 2) ** 2 * (1.0 - np.eye(size))
    elif level == "interval":
        d = np.subtract.outer(values, values) ** 2
    elif level == "ratio":
        total = np.add.outer(values, values)
        d = np.divide(np.subtract.outer(values, values), total, out=np.zeros((size, size)), where=total != 0) ** 2
    else:
        raise ValueError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return np.broadcast_to(d, n_v.shape[:-1] + (size, size))


def alpha_from_coincidences(o: np.ndarray, values, level: str) -> np.ndarray:
    """Alpha of coincidence matrices ``o`` (..., V, V) over ``values`` (V,); NaN where undefined."""
    o = np.asarray(o, dtype=float)
    n_v = o.sum(axis=-1)
    n = n_v.sum(axis=-1)
    d = distances(n_v, values, level)
    observed = (o * d).sum(axis=(-2, -1))
    expected = (n_v[..., :, None] * n_v[..., None, :] * d).sum(axis=(-2, -1))
    defined = (expected > 0) & (n > 1)
    safe = np.where(defined, expected, 1.0)
    return np.where(defined, 1.0 - (n - 1) * observed / safe, np.nan)


def counts_from_reliability_data(data, values=None) -> tuple[np.ndarray, np.ndarray]:
    """(unit, V) value counts and the sorted values V of ``data`` (coder, unit), NaN where a coder gave no code."""
    data = np.asarray(data, dtype=float)
    if values is None:
        values = np.unique(data[~np.isnan(data)])
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(data)
    unknown = set(np.unique(data[present]).tolist()) - set(values.tolist())
    if unknown:
        raise ValueError(f"values {sorted(unknown)} are not in the value domain {values.tolist()}")
    counts = (data[..., None] == values).sum(axis=0)
    return counts, values


def alpha(value_counts=None, *, reliability_data=None, values=None, level: str = "nominal") -> float:
    """Krippendorff's alpha of one variable.

    Parameters
    ----------
    value_counts
        (unit, V): how many coders gave each unit each value of ``values``.
    reliability_data
        (coder, unit) codes with NaN where a coder gave none; instead of ``value_counts``.
    values
        The value domain in order (required with ``value_counts``; with ``reliability_data`` the
        values found, sorted, by default).
    level
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.

    Returns
    -------
    float
        Alpha; NaN when no unit has two codes or every pairable code is the same.

    Examples
    --------
    Krippendorff's (2011) example: 4 observers, 12 units, missing values (``nan``):

    >>> import numpy as np
    >>> n = np.nan
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
    ...         [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    >>> [round(alpha(reliability_data=data, level=lv), 3) for lv in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
    """
    if (value_counts is None) == (reliability_data is None):
        raise ValueError("give value_counts or reliability_data, not both")
    if reliability_data is not None:
        value_counts, values = counts_from_reliability_data(reliability_data, values)
    elif values is None:
        raise ValueError("value_counts need their values (the value domain, in order)")
    counts = np.asarray(value_counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] != len(values):
        raise ValueError(f"value_counts must be (unit, {len(values)}), got {counts.shape}")
    return float(alpha_from_coincidences(coincidences(counts), values, level))
