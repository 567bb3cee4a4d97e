"""The truth table: every configuration of the conditions, its cases, inclusion, PRI and output value.

A configuration is a row of 0/1 values, one per condition.  A case's membership in a row is the
minimum over the conditions of its membership in the condition (value 1) or in its negation
(value 0); a case *belongs* to the one row where that membership exceeds 0.5 (a case with a
membership of exactly 0.5 in some condition belongs to no row).  Rows are numbered as in R's
``QCA``: 1 + the row read as a binary number, first condition most significant.

Output value (``OUT``), as ``truthTable()`` of R's ``QCA``:

* ``?``: a remainder, a row with fewer than ``n_cut`` cases;
* ``1``: inclusion >= the cut-off for the outcome (and PRI >= ``pri_cut``);
* ``0``: inclusion below the cut-off (below the lower one when two are given);
* ``C``: a contradiction, inclusion between the lower and the upper cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesstreams.analysis.qca.measures import incl_suf, pri

# a score equal to the cut-off passes it, whatever its last binary digit (R's QCA compares with a tolerance too)
TOLERANCE = 1e-9


def row_index(bits: np.ndarray) -> np.ndarray:
    """0-based row numbers of 0/1 configurations (..., k), first condition most significant."""
    bits = np.asarray(bits, dtype=np.int64)
    k = bits.shape[-1]
    return (bits * (1 << np.arange(k - 1, -1, -1, dtype=np.int64))).sum(-1)


def row_bits(index, k: int) -> np.ndarray:
    """The 0/1 configuration(s) of 0-based row number(s)."""
    index = np.asarray(index, dtype=np.int64)
    return (index[..., None] >> np.arange(k - 1, -1, -1, dtype=np.int64)) & 1


def row_membership(x, rows) -> np.ndarray:
    """Membership of each case in each configuration: min over conditions.

    ``x`` is (..., case, condition), ``rows`` is (row, condition) of 0/1; returns (..., case, row).

    >>> row_membership([[0.8, 0.3]], [[1, 0], [1, 1]]).round(2).tolist()
    [[0.7, 0.3]]
    """
    x, rows = np.asarray(x, float), np.asarray(rows)
    lit = np.where(rows == 1, x[..., :, None, :], 1.0 - x[..., :, None, :])
    return lit.min(-1)


def row_fit(x, y, rows) -> tuple[np.ndarray, np.ndarray]:
    """Inclusion and PRI of each configuration: ``x`` (..., case, condition), ``y`` (..., case) -> two (..., row).

    Leading axes (posterior draws) broadcast: the posterior truth table is this per draw.

    >>> incl, pri_ = row_fit([[1, 0], [1, 0], [0, 1]], [1, 0, 0], [[1, 0]])
    >>> incl.tolist(), pri_.tolist()
    ([0.5], [0.5])
    """
    membership = np.swapaxes(row_membership(x, rows), -1, -2)  # (..., row, case)
    y = np.asarray(y, float)[..., None, :]
    return incl_suf(membership, y), pri(membership, y)


def case_rows(x) -> np.ndarray:
    """0-based row of each case (..., case); -1 for a case with a membership of exactly 0.5."""
    x = np.asarray(x, float)
    rows = row_index(x > 0.5)
    return np.where((x == 0.5).any(-1), -1, rows)


@dataclass
class TruthTable:
    """A truth table over ``conditions`` for one outcome (observed rows only; remainders implied).

    ``rows`` are 0-based row numbers of the observed configurations, ascending; ``out`` holds
    "1", "0", "C" or "?" per observed row; ``cases`` the case labels of each row in data order.
    """

    conditions: tuple[str, ...]
    outcome: str
    rows: np.ndarray
    n: np.ndarray
    incl: np.ndarray
    pri: np.ndarray
    out: tuple[str, ...]
    cases: tuple[tuple[str, ...], ...]
    incl_cut: tuple[float, float]
    n_cut: int
    pri_cut: float
    unassigned: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return len(self.conditions)

    def rows_with(self, value: str) -> np.ndarray:
        """Observed 0-based rows whose output value is ``value``."""
        return np.array([r for r, o in zip(self.rows, self.out) if o == value], dtype=np.int64)

    def remainders(self) -> np.ndarray:
        """Every 0-based row with no (or too few) cases: the logical remainders."""
        known = set(int(r) for r, o in zip(self.rows, self.out) if o != "?")
        return np.array([r for r in range(2 ** self.k) if r not in known], dtype=np.int64)

    def cases_of(self, row: int) -> tuple[str, ...]:
        where = np.flatnonzero(self.rows == row)
        return self.cases[where[0]] if where.size else ()

    def to_frame(self):
        """The table as pandas: ``row`` (1-based, R's numbering), the conditions, OUT, n, incl, PRI, cases."""
        import pandas as pd

        bits = row_bits(self.rows, self.k) if len(self.rows) else np.zeros((0, self.k), dtype=int)
        frame = pd.DataFrame(bits, columns=list(self.conditions))
        frame.insert(0, "row", self.rows + 1)
        frame["OUT"] = list(self.out)
        frame["n"] = self.n
        frame["incl"] = self.incl
        frame["PRI"] = self.pri
        frame["cases"] = [",".join(c) for c in self.cases]
        return frame


def parse_incl_cut(incl_cut) -> tuple[float, float]:
    """``0.8`` or ``(0.8, 0.75)`` or ``"0.8,0.75"`` -> (cut for 1, cut below which 0)."""
    if isinstance(incl_cut, str):
        incl_cut = [float(part) for part in incl_cut.split(",") if part.strip()]
    values = [float(incl_cut)] if np.isscalar(incl_cut) else [float(v) for v in incl_cut]
    if not 1 <= len(values) <= 2 or not all(0.0 <= v <= 1.0 for v in values):
        raise ValueError("one or two cut-offs in [0, 1]")
    upper = values[0]
    lower = values[1] if len(values) == 2 else upper
    if lower > upper:
        raise ValueError("the second cut-off (for 0) must not exceed the first (for 1)")
    return upper, lower


def truth_table(x, y, conditions, outcome: str, cases, incl_cut=0.8, n_cut: int = 1,
                pri_cut: float = 0.0) -> TruthTable:
    """Build the truth table of memberships ``x`` (case, condition) for outcome ``y`` (case,).

    Inclusion and PRI of a row are computed over **all** cases (each contributes its fuzzy
    membership in the row), as in R's ``QCA``; n counts the cases that belong to the row.

    >>> tt = truth_table([[1, 0], [1, 0], [0, 1]], [1, 0, 0], ["A", "B"], "Y", ["a", "b", "c"], incl_cut=0.5)
    >>> tt.to_frame()[["row", "A", "B", "OUT", "n", "incl"]].values.tolist()
    [[2, 0, 1, '0', 1, 0.0], [3, 1, 0, '1', 2, 0.5]]
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    upper, lower = parse_incl_cut(incl_cut)
    cases = tuple(str(c) for c in cases)
    of_case = case_rows(x)
    rows = np.unique(of_case[of_case >= 0])
    incl, pri_ = row_fit(x, y, row_bits(rows, x.shape[-1]))
    n = np.array([(of_case == r).sum() for r in rows], dtype=int)
    out = []
    for count, inc, p in zip(n, incl, pri_):
        if count < n_cut:
            out.append("?")
        elif inc >= upper - TOLERANCE and p >= pri_cut - TOLERANCE:
            out.append("1")
        elif inc < lower - TOLERANCE or inc >= upper - TOLERANCE:
            out.append("0")
        else:
            out.append("C")
    members = tuple(tuple(c for c, r in zip(cases, of_case) if r == row) for row in rows)
    return TruthTable(conditions=tuple(conditions), outcome=outcome, rows=rows, n=n, incl=incl, pri=pri_,
                      out=tuple(out), cases=members, incl_cut=(upper, lower), n_cut=int(n_cut),
                      pri_cut=float(pri_cut), unassigned=tuple(c for c, r in zip(cases, of_case) if r < 0))
