"""The raw data beside the model: counts a reviewer checks before reading any posterior.

Nothing is modelled here.  Codes are counted as recorded (``-1``, ``0``, ``+1`` and not
discussed, kept apart), and windows as coded (open, closed, unknown), so that every number
of the model can be set against the plain counts it rests on (MODEL.md §8, issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS

WINDOW_STATES = ("open", "closed", "unknown")


def _state_masks(values: np.ndarray) -> dict[str, np.ndarray]:
    return {"open": values == 1, "closed": values == 0, "unknown": np.isnan(values)}


def _code_counts(codes: np.ndarray) -> dict[str, int]:
    return {"n_minus": int((codes == -1).sum()), "n_zero": int((codes == 0).sum()),
            "n_plus": int((codes == 1).sum()), "n_not_discussed": int(np.isnan(codes).sum())}


@dataclass(frozen=True)
class RawView:
    """The W1 x W2 cross table and each factor's codes against each window.

    Attributes
    ----------
    windows : DataFrame, one row per ``(w1, w2)`` pair of states (``open``, ``closed``,
        ``unknown``) with ``n`` cases; all nine pairs, zeros included.
    codes : DataFrame, one row per factor, window (``W1``, ``W2``) and window state
        (``open``, ``closed``; cases with the window unknown are left out) with
        ``n_cases`` and the counts ``n_minus, n_zero, n_plus, n_not_discussed`` of the
        factor's raw codes in those cases.
    """

    windows: object
    codes: object

    def n(self, w1: str, w2: str) -> int:
        """Cases with W1 in state ``w1`` and W2 in state ``w2``."""
        hit = self.windows[(self.windows["w1"] == w1) & (self.windows["w2"] == w2)]
        return int(hit["n"].iloc[0])

    def phase2_given_phase1(self) -> dict[str, tuple[int, int]]:
        """See :func:`phase2_given_phase1`."""
        table = np.array([[self.n(a, b) for b in WINDOW_STATES] for a in WINDOW_STATES])
        return phase2_given_phase1(table)


def window_crosstab(dataset) -> np.ndarray:
    """(3, 3) case counts: rows W1, columns W2, each in the order of :data:`WINDOW_STATES` (NumPy only)."""
    w = np.asarray(dataset.w, dtype=float)
    first, second = _state_masks(w[:, 0]), _state_masks(w[:, 1])
    return np.array([[int((first[a] & second[b]).sum()) for b in WINDOW_STATES] for a in WINDOW_STATES])


def phase2_given_phase1(table: np.ndarray) -> dict[str, tuple[int, int]]:
    """``{"with": (reached, of), "without": (reached, of)}`` from a :func:`window_crosstab` table.

    W2 open among the cases with W1 open (``with``) and with W1 closed (``without``); only
    cases with W2 known count in ``of``.
    """
    return {"with": (int(table[0, 0]), int(table[0, 0] + table[0, 1])),
            "without": (int(table[1, 0]), int(table[1, 0] + table[1, 1]))}


def raw_view(dataset) -> RawView:
    """Count the coded windows against each other and each factor's codes against each window.

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset`.

    Returns
    -------
    RawView
        ``windows`` (the W1 x W2 cross table) and ``codes`` (per factor and window), see
        :class:`RawView`.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> nan = np.nan
    >>> book = Codebook((Factor("p1_a", 1, "problem"),))
    >>> x = np.array([[1], [nan], [0], [0.]])
    >>> w = np.array([[1, 1], [1, 0], [0, 0], [0, nan]])
    >>> view = raw_view(Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(4)], [], x, w,
    ...                         np.full((4, 2, 3), nan), np.full(4, -1), ()))
    >>> view.phase2_given_phase1()
    {'with': (1, 2), 'without': (0, 1)}
    >>> view.codes.query("window == 'W1' and state == 'open'")[["n_plus", "n_not_discussed"]].values.tolist()
    [[1, 1]]
    """
    import pandas as pd

    table = window_crosstab(dataset)
    windows = pd.DataFrame.from_records([{"w1": a, "w2": b, "n": int(table[i, j])}
                                         for i, a in enumerate(WINDOW_STATES) for j, b in enumerate(WINDOW_STATES)])
    w = np.asarray(dataset.w, dtype=float)
    x = np.asarray(dataset.x, dtype=float)
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    rows = []
    for k, factor in enumerate(dataset.factor_ids):
        for p in range(len(PHASES)):
            masks = _state_masks(w[:, p])
            for state in ("open", "closed"):
                rows.append({"factor": factor, "phase": PHASES[phase[k]], "stream": STREAMS[stream[k]],
                             "window": f"W{p + 1}", "state": state, "n_cases": int(masks[state].sum()),
                             **_code_counts(x[masks[state], k])})
    return RawView(windows, pd.DataFrame.from_records(rows))
