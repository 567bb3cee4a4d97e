"""Data support per factor (MODEL.md §8): what the codes can tell about each factor's effect.

Everything is read from a :class:`~bayesstreams.data.dataset.Dataset`, with "not discussed"
(``NA``) read the way the model reads it.  The streams and additive models in "zero" mode
set ``NA`` to ``0``: that is the default ``na_as=0.0``.  ``na_as=None`` leaves ``NA`` cells
out, for the evidence modes of §7 that treat a not-discussed cell as unknown.

A factor has

* **no data** when it is never coded, or when it is constant over the cases once ``NA`` is
  read as above: the likelihood then cannot tell its effect from the stream's intercept, and
  every number that rests on it is the prior's (labelled ``"no data: prior only"``);
* **separating** codes when they perfectly predict, over the cases where both are known, a
  coded state of the factor's own stream or the factor's own phase window: every case with
  the state 1 has a higher (or every one a lower) code than every case with state 0.  The
  likelihood alone would then push the effect to infinity, and only the prior holds it;
* **data** otherwise.

NumPy only at the core (:func:`support_arrays`), so that ``score`` can skip no-data levers
without importing pandas; :func:`data_support` returns the tidy table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS

if TYPE_CHECKING:
    import pandas as pd

CODES = (-1.0, 0.0, 1.0)
LABEL_DATA = "data"
LABEL_NO_DATA = "no data: prior only"
LABEL_SEPARATING = "separating"
LABELS = (LABEL_DATA, LABEL_NO_DATA, LABEL_SEPARATING)


def model_codes(dataset, na_as: float | None = 0.0) -> np.ndarray:
    """The (case, factor) codes as the model reads them: ``NA`` set to ``na_as`` (``None``: kept NaN)."""
    x = np.asarray(dataset.x, dtype=float)
    return x.copy() if na_as is None else np.where(np.isnan(x), float(na_as), x)


def observed_codes(dataset, na_as: float | None = 0.0) -> np.ndarray:
    """(factor, 3) booleans: whether code ``-1``, ``0``, ``+1`` occurs for the factor once ``NA`` is read.

    Used to mark an ACE step as extrapolated when its start or end code never occurs.
    """
    x = model_codes(dataset, na_as)
    return np.stack([(x == code).any(axis=0) for code in CODES], axis=1)


def separation(codes: np.ndarray, state: np.ndarray) -> int:
    """``+1`` if ``codes`` separate ``state`` upwards, ``-1`` downwards, ``0`` if they do not.

    Over the cases where both are known, separation means every case with ``state = 1``
    has a strictly higher (``+1``) or strictly lower (``-1``) code than every case with
    ``state = 0``; with no known case on one side there is nothing to separate.

    Examples
    --------
    >>> import numpy as np
    >>> separation(np.array([1, 1, 0, -1.]), np.array([1, 1, 0, 0.]))
    1
    >>> separation(np.array([1, 0, 0, -1.]), np.array([1, 1, 0, 0.]))
    0
    """
    known = ~np.isnan(codes) & ~np.isnan(state)
    xs, ss = codes[known], state[known]
    opened, closed = xs[ss == 1], xs[ss == 0]
    if opened.size == 0 or closed.size == 0:
        return 0
    if opened.min() > closed.max():
        return 1
    if opened.max() < closed.min():
        return -1
    return 0


@dataclass(frozen=True)
class SupportArrays:
    """Per factor (all arrays of length n_factors).

    Attributes
    ----------
    counts : (factor, 4) raw counts of codes ``-1, 0, +1`` and of not-discussed cells.
    never_coded : no case has a code.
    constant : coded, but one value over all cases once ``NA`` is read (``NA`` cells dropped
        when ``na_as`` is None).
    separates_window : +1/-1/0, the direction in which the codes separate the own phase's window.
    separates_stream : +1/-1/0, the same for the coded state of the factor's own stream.
    """

    counts: np.ndarray
    never_coded: np.ndarray
    constant: np.ndarray
    separates_window: np.ndarray
    separates_stream: np.ndarray

    @property
    def no_data(self) -> np.ndarray:
        """Never coded or constant: the factor's effect is the prior's."""
        return self.never_coded | self.constant

    @property
    def separating(self) -> np.ndarray:
        """Has data, and its codes perfectly predict its own window or coded stream state."""
        return ~self.no_data & ((self.separates_window != 0) | (self.separates_stream != 0))

    @property
    def labels(self) -> list[str]:
        """``"data"``, ``"no data: prior only"`` or ``"separating"`` per factor."""
        return [LABEL_NO_DATA if nd else LABEL_SEPARATING if sep else LABEL_DATA
                for nd, sep in zip(self.no_data, self.separating)]


def support_arrays(dataset, na_as: float | None = 0.0) -> SupportArrays:
    """The NumPy core of :func:`data_support` (no pandas)."""
    raw = np.asarray(dataset.x, dtype=float)
    x = model_codes(dataset, na_as)
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    counts = np.column_stack([*((raw == code).sum(axis=0) for code in CODES), np.isnan(raw).sum(axis=0)])
    never = ~(~np.isnan(raw)).any(axis=0)
    n_values = np.array([len(np.unique(column[~np.isnan(column)])) for column in x.T])
    constant = ~never & (n_values <= 1)
    window = np.array([separation(x[:, k], np.asarray(dataset.w, dtype=float)[:, phase[k]])
                       for k in range(x.shape[1])], dtype=int)
    states = np.asarray(dataset.s, dtype=float)
    own_stream = np.array([separation(x[:, k], states[:, phase[k], stream[k]]) for k in range(x.shape[1])], dtype=int)
    inert = never | constant
    return SupportArrays(counts.astype(int), never, constant, np.where(inert, 0, window),
                         np.where(inert, 0, own_stream))


def no_data_factors(dataset, na_as: float | None = 0.0) -> set[str]:
    """Ids of the factors with no data support (never coded, or constant once ``NA`` is read)."""
    found = support_arrays(dataset, na_as).no_data
    return {f for f, nd in zip(dataset.factor_ids, found) if nd}


def _constant_value(x: np.ndarray, constant: bool) -> float:
    values = x[~np.isnan(x)]
    return float(values[0]) if constant and values.size else float("nan")


def data_support(dataset, na_as: float | None = 0.0) -> pd.DataFrame:
    """One row per factor: its code counts and whether the data can tell its effect.

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset` (``x``, ``w``, ``s``, the codebook).
    na_as
        How the model reads a not-discussed cell: ``0.0`` (the "zero" mode, default) or
        ``None`` (left out, as the evidence modes of MODEL.md §7 treat it as unknown).

    Returns
    -------
    DataFrame
        Columns ``factor, phase, stream``; ``n_minus, n_zero, n_plus, n_not_discussed`` (raw
        counts, not discussed not yet read as 0); ``never_coded``, ``constant`` and
        ``constant_value`` (the one value, NaN otherwise); ``separates_window`` and
        ``separates_stream`` (+1 when higher codes go with the window open / stream in motion,
        -1 when lower codes do, 0 when the codes do not separate it); and ``label``:
        ``"data"``, ``"no data: prior only"`` or ``"separating"``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> nan = np.nan
    >>> book = Codebook((Factor("p1_a", 1, "problem"), Factor("p1_b", 1, "policy"), Factor("p2_c", 2, "policy")))
    >>> x = np.array([[1, 0, nan], [1, 1, nan], [0, 0, nan], [0, 1, nan]])
    >>> w = np.array([[1, 1], [1, 0], [0, 0], [0, 0.]])
    >>> data = Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(4)], [], x, w,
    ...                np.full((4, 2, 3), nan), np.full(4, -1), ())
    >>> data_support(data)[["factor", "n_plus", "n_not_discussed", "label"]].values.tolist()
    [['p1_a', 2, 0, 'separating'], ['p1_b', 2, 0, 'data'], ['p2_c', 0, 4, 'no data: prior only']]
    """
    import pandas as pd

    arrays = support_arrays(dataset, na_as)
    x = model_codes(dataset, na_as)
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    rows = []
    for k, factor in enumerate(dataset.factor_ids):
        n_minus, n_zero, n_plus, n_nd = (int(v) for v in arrays.counts[k])
        rows.append({"factor": factor, "phase": PHASES[phase[k]], "stream": STREAMS[stream[k]],
                     "n_minus": n_minus, "n_zero": n_zero, "n_plus": n_plus, "n_not_discussed": n_nd,
                     "never_coded": bool(arrays.never_coded[k]), "constant": bool(arrays.constant[k]),
                     "constant_value": _constant_value(x[:, k], bool(arrays.constant[k])),
                     "separates_window": int(arrays.separates_window[k]),
                     "separates_stream": int(arrays.separates_stream[k]), "label": arrays.labels[k]})
    return pd.DataFrame.from_records(rows)


def aliased_factors(dataset, na_as: float | None = 0.0) -> dict[str, list[tuple[str, int]]]:
    """Per factor, the other factors with the same (``+1``) or exactly opposite (``-1``) codes in every case.

    Codes are read as the model reads them (``NA`` as ``na_as``; with ``None`` a ``NA`` cell
    must face a ``NA`` cell).  Two such factors move their windows together in every case, so
    the data cannot tell their effects apart: what separates them is the prior and the stream
    each sits in, not the data.  Factors without data support (never coded, or constant) are
    left out: they are flagged as such.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> book = Codebook((Factor("p1_a", 1, "problem"), Factor("p1_b", 1, "policy"), Factor("p1_c", 1, "politics")))
    >>> x = np.array([[1, -1, 1], [0, 0, 1], [np.nan, 0, -1.]])
    >>> data = Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(3)], [], x, np.zeros((3, 2)),
    ...                np.full((3, 2, 3), np.nan), np.full(3, -1), ())
    >>> aliased_factors(data)
    {'p1_a': [('p1_b', -1)], 'p1_b': [('p1_a', -1)]}
    """
    x = model_codes(dataset, na_as)
    inert = support_arrays(dataset, na_as).no_data
    ids = dataset.factor_ids
    found: dict[str, list[tuple[str, int]]] = {}
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if inert[a] or inert[b]:
                continue
            for sign in (1, -1):
                if np.array_equal(x[:, a], sign * x[:, b], equal_nan=True):
                    found.setdefault(ids[a], []).append((ids[b], sign))
                    found.setdefault(ids[b], []).append((ids[a], sign))
                    break
    return found
