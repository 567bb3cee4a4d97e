"""Read a plain QCA table: one row per case, condition columns and an outcome column, memberships in [0, 1].

The layout R users export (``write.csv(LF)``): an optional first column of case labels (a
column whose header is empty, ``case``, ``case_id``, ``id`` or ``name``, or whose cells are not
numbers), then numeric columns.  Crisp (0/1) and fuzzy memberships are both accepted; every
cell must be a number in [0, 1].  Problems are collected and reported by file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bayesstreams.data.io import read_csv
from bayesstreams.errors import InputError, Violation

LABEL_HEADERS = {"", "case", "case_id", "cases", "id", "name", "country"}


@dataclass
class PlainTable:
    """The memberships of a plain table: ``columns`` name -> (case,) array, ``cases`` the labels."""

    file: str
    cases: tuple[str, ...]
    columns: dict[str, np.ndarray]

    @property
    def crisp(self) -> bool:
        return all(np.isin(v, (0.0, 1.0)).all() for v in self.columns.values())


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def read_plain_table(path: str | Path) -> PlainTable:
    """Read and check a plain QCA table (CSV, any separator); raise ``InputError`` with every problem.

    >>> table = read_plain_table("tests/data/qca/lipset_fuzzy.csv")
    >>> len(table.cases), list(table.columns)[:3], table.crisp
    (18, ['DEV', 'URB', 'LIT'], False)
    """
    raw = read_csv(path)
    if not raw.rows:
        raise InputError(Violation(raw.file, None, None, "the table has no rows (expected one row per case)"))
    first = raw.columns[0]
    labelled = first.strip().lower() in LABEL_HEADERS or any(_number(r[first]) is None for r in raw.rows)
    value_columns = raw.columns[1:] if labelled else raw.columns
    if len(value_columns) < 2:
        raise InputError(Violation(raw.file, 1, None, "a QCA table needs at least one condition and an outcome column"))
    problems: list[Violation] = []
    columns = {name: np.full(len(raw.rows), np.nan) for name in value_columns}
    for i, (row, line) in enumerate(zip(raw.rows, raw.lines)):
        for name in value_columns:
            text = row[name]
            value = _number(text)
            if text == "":
                problems.append(Violation(raw.file, line, name, "empty cell: every case needs a membership in every column"))
            elif value is None:
                problems.append(Violation(raw.file, line, name, f"{text!r} is not a number (memberships are numbers in [0, 1])"))
            elif not 0.0 <= value <= 1.0:
                problems.append(Violation(raw.file, line, name, f"{text} is outside [0, 1] (calibrate raw values first; "
                                                               "multi-value QCA is not supported)"))
            else:
                columns[name][i] = value
    cases = tuple(r[first] if labelled else str(i + 1) for i, r in enumerate(raw.rows))
    seen: dict[str, int] = {}
    for case, line in zip(cases, raw.lines):
        if case in seen:
            problems.append(Violation(raw.file, line, first, f"case {case!r} appears twice (first on row {seen[case]})"))
        seen.setdefault(case, line)
    if problems:
        raise InputError(problems)
    return PlainTable(file=raw.file, cases=cases, columns=columns)
