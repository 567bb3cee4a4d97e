"""Necessity of single conditions (and their negations) for an outcome: inclN, RoN, covN.

Each condition is judged on the cases where both it and the outcome are known, so a condition
missing for one case does not remove that case from the others' rows (``n`` says how many).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.qca.measures import cov_nec, incl_nec, ron


def necessity_rows(columns: dict[str, np.ndarray], y: np.ndarray, negations: bool = True) -> list[dict]:
    """One row per condition (then per negated condition): inclN, RoN, covN and the cases used.

    ``n_outcome`` counts the cases (of those ``n``) that are in the outcome (membership > 0.5):
    only they can refute a necessity claim, so an inclN of 1 on three of them rests on three cases.

    ``columns`` maps a condition name to its memberships (case,), NaN where unknown.

    >>> rows = necessity_rows({"w1": np.array([1, 1, 1, 1, 0.0])}, np.array([1, 1, 1, 0, 0.0]), negations=False)
    >>> [(r["condition"], r["inclN"], r["RoN"], r["covN"], r["n"], r["n_outcome"]) for r in rows]
    [('w1', 1.0, 0.5, 0.75, 5, 3)]
    """
    y = np.asarray(y, float)
    rows = []
    for negated in ((False, True) if negations else (False,)):
        for name, x in columns.items():
            x = np.asarray(x, float)
            known = ~np.isnan(x) & ~np.isnan(y)
            xs = 1.0 - x[known] if negated else x[known]
            ys = y[known]
            rows.append({"condition": ("~" if negated else "") + name, "inclN": float(incl_nec(xs, ys)),
                         "RoN": float(ron(xs, ys)), "covN": float(cov_nec(xs, ys)), "n": int(known.sum()),
                         "n_outcome": int((ys > 0.5).sum())})
    return rows
