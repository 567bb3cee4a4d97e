"""Read coded profiles of new cases to score against a saved run.

A profile file holds one or more cases in one of the data contract's code layouts:

* **long**: columns ``case_id, factor, code`` (extra columns such as ``respondent`` or
  ``quote`` are allowed; several respondents of one case and factor combine to the sign
  of their sum, as in a dataset);
* **wide**: ``case_id`` plus one column per factor; the case columns ``name`` and ``level``
  are kept and shown, what is already known is read and conditioned on (MODEL.md §9): the
  windows ``w1``, ``w2`` and the stream states ``s<phase>_<stream>`` (``0``, ``1`` or empty
  for unknown); ``group`` selects the group offsets of a group the run knows.

Profiles may be partial: a factor absent from the file, or left empty, is "not
discussed", which the model reads as ``0`` (MODEL.md §2, v1); the count is kept per case.
Every problem (unknown factor, code, column or group) is reported at once as an
:class:`~bayesstreams.errors.InputError` located by file, row and column.

The result is a :class:`~bayesstreams.data.dataset.Dataset` with the run's codebook and
its known windows and stream states (unknown in the long layout), so every query of
:mod:`bayesstreams.analysis.queries` and :mod:`bayesstreams.analysis.advice` applies to it unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bayesstreams.data.codebook import Codebook
from bayesstreams.data.dataset import Dataset, aggregate_codes, stream_array
from bayesstreams.errors import InputError, Violation
from bayesstreams.data.io import RawTable, read_csv, read_xlsx
from bayesstreams.data.schema import (_binary, _Collector, _require_columns, _suggest, check_codes, check_streams,
                                      long_cells, wide_cells)

LONG_COLUMNS = ("case_id", "factor", "code")


def read_profile_table(path: str | Path) -> RawTable:
    """The profile as a :class:`RawTable`: a CSV file, or the single (or ``codes``) sheet of an xlsx."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_csv(path)
    sheets = read_xlsx(path)
    for name in ("codes", "profile", "cases"):
        if name in sheets:
            return sheets[name]
    if len(sheets) == 1:
        return next(iter(sheets.values()))
    raise InputError(Violation(str(path), None, None,
                               f"workbook has several sheets ({', '.join(sheets)}); name the profile sheet 'profile'"))


def _layout(table: RawTable, codebook: Codebook) -> str:
    if "factor" in table.columns and "code" in table.columns:
        return "long"
    if any(column in codebook for column in table.columns):
        return "wide"
    raise InputError(Violation(table.file, 1, None,
                               "a profile needs columns case_id, factor, code (long) or case_id plus "
                               f"one column per factor (wide); header: {', '.join(table.columns)}"))


def _case_order(table: RawTable) -> list[str]:
    seen: dict[str, None] = {}
    for row in table.rows:
        if row.get("case_id", "") != "":
            seen.setdefault(row["case_id"], None)
    return list(seen)


def _check_wide_rows(table: RawTable, out: _Collector) -> None:
    first: dict[str, int] = {}
    for row, line in zip(table.rows, table.lines):
        case_id = row.get("case_id", "")
        if case_id in first:
            out.error(table.file, line, "case_id", f"duplicate case_id {case_id!r} (first at row {first[case_id]})")
        elif case_id:
            first[case_id] = line


def _groups(table: RawTable, known: tuple[str, ...], wide: bool, out: _Collector) -> dict[str, int]:
    """Group index per case from a wide profile's ``group`` column; unknown labels are errors."""
    found: dict[str, int] = {}
    if not wide or "group" not in table.columns:
        return found
    for row, line in zip(table.rows, table.lines):
        label = row.get("group", "")
        if label == "":
            continue
        if label not in known:
            allowed = ", ".join(known) if known else "none: the run was fitted without groups"
            out.error(table.file, line, "group", f"unknown group {label!r} (groups of the run: {allowed})"
                                                  f"{_suggest(label, known)}")
            continue
        found[row["case_id"]] = known.index(label)
    return found


def _known(table: RawTable, wide: bool, out: _Collector) -> dict[str, dict]:
    """Per case of a wide profile: its name, level and known windows (0, 1 or NaN), validated."""
    found: dict[str, dict] = {}
    if not wide:
        return found
    for row, line in zip(table.rows, table.lines):
        case_id = row.get("case_id", "")
        if case_id == "" or case_id in found:
            continue
        found[case_id] = {"name": row.get("name", "") or case_id, "level": row.get("level", ""),
                          **{w: _binary(table, line, w, row[w], out) if w in table.columns else np.nan
                             for w in ("w1", "w2")}}
    return found


def profile_dataset(table: RawTable, codebook: Codebook, groups: tuple[str, ...] = ()) -> Dataset:
    """Validate a profile table against the run's codebook and groups; build its Dataset."""
    out = _Collector()
    wide = _layout(table, codebook) == "wide"
    if not _require_columns(table, ("case_id",) if wide else LONG_COLUMNS, out):
        raise InputError(out.errors)
    if not table.rows:
        raise InputError(Violation(table.file, None, None, "no cases: the profile has a header but no rows"))
    streams: list[dict] = []
    if wide:
        cells, streams = wide_cells(table, codebook, out)
        _check_wide_rows(table, out)
    else:
        cells = long_cells(table, out)
    records = check_codes(cells, codebook, set(), table.file, out)
    streams = check_streams(streams, set(), table.file, out)
    known = _known(table, wide, out)
    group_of = _groups(table, tuple(groups), wide, out)
    if out.errors:
        raise InputError(out.errors)
    case_ids = _case_order(table)
    x = aggregate_codes(records, case_ids, list(codebook.ids))
    unknown = {"name": "", "level": "", "w1": np.nan, "w2": np.nan}
    cases = [{"case_id": c, **unknown, **known.get(c, {}), "group": groups[group_of[c]] if c in group_of else ""}
             for c in case_ids]
    for case in cases:
        case["name"] = case["name"] or case["case_id"]
    w = np.array([[case["w1"], case["w2"]] for case in cases], dtype=float)
    return Dataset(name=Path(table.file).stem, source=table.file, codebook=codebook, cases=cases, codes=records,
                   x=x, w=w, s=stream_array(streams, case_ids),
                   group=np.array([group_of.get(c, -1) for c in case_ids], dtype=int), groups=tuple(groups))


def read_profile(path: str | Path, codebook: Codebook, groups: tuple[str, ...] = ()) -> Dataset:
    """Read and validate a profile file (long or wide codes; CSV or xlsx).

    Parameters
    ----------
    path
        The profile file.
    codebook
        The run's codebook: factor ids must be known to it.
    groups
        The run's group labels; a wide profile may name one per case in a ``group`` column.

    Returns
    -------
    Dataset
        One case per profile case, in order of first appearance, with its name, level, known
        windows and stream states (a wide profile; NaN where unknown) and ``x`` NaN wherever a
        factor is absent or empty ("not discussed").

    Raises
    ------
    InputError
        With every problem located by file, row and column.
    """
    return profile_dataset(read_profile_table(path), codebook, groups)
