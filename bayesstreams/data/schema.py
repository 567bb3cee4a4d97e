"""Validate raw tables against the codebook: every violation at once, each located.

Input: :class:`~bayesstreams.data.io.RawTable` objects (long or wide layout).  Output: clean
records (lists of dicts) with typed values.  Errors are collected, never raised one at a
time, so a user fixes a file in one pass.  Only the standard library is used here, so
that ``bayesstreams validate`` starts fast.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from bayesstreams.data.codebook import PHASES, STREAMS, Codebook
from bayesstreams.errors import InputError, Violation
from bayesstreams.data.io import RawTable
from bayesstreams.data.sources import check_basis

CASE_COLUMNS = ("case_id", "name", "w1", "w2", "level", "group")
CASE_REQUIRED = ("case_id", "w1", "w2")
CODE_REQUIRED = ("case_id", "factor", "code")
STREAM_REQUIRED = ("case_id", "phase", "stream", "in_motion")
MINUS = "\u2212"  # the Unicode minus sign that word processors and the reports write
# Codes as reports print them (+, 0, -) are accepted as well as the numbers; every layout reads codes here.
CODE_VALUES = {"-1": -1.0, "-": -1.0, MINUS + "1": -1.0, MINUS: -1.0, "0": 0.0, "1": 1.0, "+1": 1.0, "+": 1.0,
               "": float("nan")}
BINARY_VALUES = {"0": 0.0, "1": 1.0, "": float("nan")}
WIDE_STREAM_COLUMNS = {f"s{p}_{s}": (p, s) for p in PHASES for s in STREAMS}


@dataclass
class Validated:
    """The clean tables of a dataset and the warnings found while checking them."""

    cases: list[dict]
    codes: list[dict]
    streams: list[dict]


@dataclass
class _Cell:
    """One code cell, wherever it came from (a row of codes.csv or a cell of a wide table)."""

    file: str
    line: int
    case_column: str
    factor_column: str
    code_column: str
    case_id: str
    factor: str
    code: str
    extra: dict


class _Collector:
    def __init__(self) -> None:
        self.errors: list[Violation] = []
        self.warnings: list[Violation] = []
        self.duplicate_case_rows: list[int] = []
        self._unknown_cases: dict[tuple[str, str], list] = {}
        self._unknown_factors: dict[tuple[str, str], list] = {}

    def unknown_factor(self, file: str, line: int, column: str, factor: str) -> None:
        """Note a code of a factor the codebook lacks; :meth:`report_unknown_factors` reports each factor once.

        The error takes its place among the others at the factor's first row (worded at the report).
        """
        key = (file, factor)
        if key not in self._unknown_factors:
            self._unknown_factors[key] = [len(self.errors)]
            self.error(file, line, column, f"unknown factor {factor!r}")
        self._unknown_factors[key].append((line, column))

    def report_unknown_factors(self, codebook: Codebook) -> None:
        """One error per unknown factor and file, at its first row, naming the codebook and the other rows.

        A factor the codebook lacks would otherwise give one identical line per case.  The
        suggestion is a codebook id close enough to be a typo (``p1_fundng``), never merely one
        that shares the ``p1_`` prefix.
        """
        where = codebook.file or "the codebook"
        for (file, factor), (index, *found) in self._unknown_factors.items():
            (line, column), rest = found[0], found[1:]
            also = f" (also at row {', '.join(str(r) for r, _ in rest)})" if rest else ""
            self.errors[index] = Violation(file, line, column, f"unknown factor {factor!r}: {where} does not declare "
                                           f"it{also}{_suggest(factor, codebook.ids, FACTOR_CUTOFF)}")
        self._unknown_factors.clear()

    def unknown_case(self, file: str, line: int, column: str, case_id: str) -> None:
        """Note a row naming a case the case table lacks; :meth:`report_unknown_cases` reports each case once."""
        self._unknown_cases.setdefault((file, case_id), []).append((line, column))

    def report_unknown_cases(self, cases_file: str, case_ids: set[str]) -> None:
        """One error per unknown case and file, at its first row, naming the other rows.

        A case id mistyped in the case table (often as a duplicate of another) would
        otherwise give one error per code of that case.
        """
        hint = ""
        if self.duplicate_case_rows:
            rows = ", ".join(map(str, self.duplicate_case_rows))
            hint = f"; {cases_file} repeats a case_id at row {rows}: is this case's id mistyped there?"
        for (file, case_id), found in self._unknown_cases.items():
            (line, column), rest = found[0], found[1:]
            also = f" (also at row {', '.join(str(r) for r, _ in rest)})" if rest else ""
            self.error(file, line, column, f"case {case_id!r} is not in {cases_file}{also}"
                                           f"{_suggest(case_id, case_ids)}{hint}")
        self._unknown_cases.clear()

    def error(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(Violation(file, row, column, message))

    def warn(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.warnings.append(Violation(file, row, column, message))


def _require_columns(table: RawTable, required: tuple[str, ...], out: _Collector) -> bool:
    missing = [c for c in required if c not in table.columns]
    for column in missing:
        out.error(table.file, 1, column, f"required column {column!r} is missing (header: {', '.join(table.columns)})")
    return not missing


# Factor ids share prefixes (p1_, p2_): at difflib's default 0.6, p1_funding "matches" p2_framing.
FACTOR_CUTOFF = 0.8


def _suggest(value: str, options, cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _binary(table: RawTable, line: int, column: str, text: str, out: _Collector) -> float:
    if text in BINARY_VALUES:
        return BINARY_VALUES[text]
    out.error(table.file, line, column, f"{column} is {text!r}; allowed: 0, 1 or empty (unknown)")
    return float("nan")


CASE_ID_LENGTH = 200


def case_id_problem(case_id: str) -> str:
    """Why ``case_id`` cannot be a case id, or ``""``.

    A case id names files (a brief is ``brief-<case>-<lang>.html``) and is shown on one line,
    so it holds no path separator, no control character and does not start with a dot.
    """
    if "/" in case_id or "\\" in case_id:
        return "holds a path separator (/ or \\)"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in case_id):
        return "holds a control character (a line break, a tab, DEL, ...)"
    if case_id.startswith("."):
        return "starts with a dot"
    if len(case_id) > CASE_ID_LENGTH:
        return f"is longer than {CASE_ID_LENGTH} characters"
    return ""


def check_cases(table: RawTable, out: _Collector) -> list[dict]:
    """Validate the case table: unique ids, windows in {0, 1, empty}."""
    if not _require_columns(table, CASE_REQUIRED, out):
        return []
    if not table.rows:
        out.error(table.file, None, None, "no cases: the file has a header but no rows")
    records, first_row = [], {}
    for row, line in zip(table.rows, table.lines):
        case_id = row["case_id"]
        if case_id == "":
            out.error(table.file, line, "case_id", "case_id is empty")
            continue
        if case_id in first_row:
            out.error(table.file, line, "case_id", f"duplicate case_id {case_id!r} (first at row {first_row[case_id]})")
            out.duplicate_case_rows.append(line)
            continue
        first_row[case_id] = line
        problem = case_id_problem(case_id)
        if problem:
            shown = case_id if len(case_id) <= 60 else case_id[:60] + "..."
            out.error(table.file, line, "case_id", f"case_id {shown!r} {problem}; use letters, digits, - and _")
        record = {c: row.get(c, "") for c in CASE_COLUMNS}
        record.update({c: row[c] for c in table.columns if c not in CASE_COLUMNS})
        record["name"] = row.get("name", "") or case_id
        record["level"] = row.get("level", "")
        record["group"] = row.get("group", "")
        for window in ("w1", "w2"):
            record[window] = _binary(table, line, window, row[window], out)
        record["_line"] = line
        record["_file"] = table.file
        records.append(record)
    return records


def long_cells(table: RawTable, out: _Collector) -> list[_Cell]:
    """Code cells of a long ``codes.csv``."""
    if not _require_columns(table, CODE_REQUIRED, out):
        return []
    if not table.rows:
        out.error(table.file, None, None, "no codes: the file has a header but no rows")
    extra_columns = [c for c in table.columns if c not in CODE_REQUIRED]
    return [
        _Cell(table.file, line, "case_id", "factor", "code", row["case_id"], row["factor"], row["code"],
              {c: row[c] for c in extra_columns})
        for row, line in zip(table.rows, table.lines)
    ]


def is_wide(table: RawTable, codebook: Codebook) -> bool:
    """A case table that carries factor columns is in the wide layout."""
    return any(c in codebook for c in table.columns)


def case_rows(table: RawTable):
    """(row, line) of each row whose case id is given and seen for the first time.

    An empty or repeated ``case_id`` is reported once, on the case table; its cells are
    left out so that one mistake does not turn into an error per factor.
    """
    seen: set[str] = set()
    for row, line in zip(table.rows, table.lines):
        case_id = row.get("case_id", "")
        if case_id == "" or case_id in seen:
            continue
        seen.add(case_id)
        yield row, line


def wide_cells(table: RawTable, codebook: Codebook, out: _Collector,
               skip_factors: frozenset = frozenset()) -> tuple[list[_Cell], list[dict]]:
    """Code cells and stream rows of a wide table (one column per factor, ``s<phase>_<stream>``).

    Rows with an empty or repeated ``case_id`` are skipped (see :func:`case_rows`).
    """
    known = set(CASE_COLUMNS) | set(codebook.ids) | set(WIDE_STREAM_COLUMNS)
    for column in table.columns:
        if column == "respondent":
            out.error(table.file, 1, column,
                      "the wide layout holds one row per case; several respondents per cell need the long "
                      "layout (codes.csv, or a 'codes' sheet in a workbook) with a 'respondent' column")
        elif column not in known and column not in skip_factors:
            out.error(table.file, 1, column,
                      f"unknown column {column!r}: not a case column nor a codebook factor"
                      f"{_suggest(column, known)}")
    cells, streams = [], []
    for row, line in case_rows(table):
        for column in table.columns:
            if column in codebook:
                cells.append(_Cell(table.file, line, "case_id", column, column, row.get("case_id", ""), column,
                                   row[column], {}))
            elif column in WIDE_STREAM_COLUMNS and row[column] != "":
                phase, stream = WIDE_STREAM_COLUMNS[column]
                streams.append({"case_id": row.get("case_id", ""), "phase": str(phase), "stream": stream,
                                "in_motion": row[column], "_file": table.file, "_line": line,
                                "_col": column})
    return cells, streams


def check_codes(cells: list[_Cell], codebook: Codebook, case_ids: set[str], cases_file: str,
                out: _Collector) -> list[dict]:
    """Validate code cells: known case and factor, allowed code, no duplicates."""
    records, first = [], {}
    for cell in cells:
        ok = True
        if cell.case_id == "":
            out.error(cell.file, cell.line, cell.case_column, "case_id is empty")
            ok = False
        elif case_ids and cell.case_id not in case_ids:
            out.unknown_case(cell.file, cell.line, cell.case_column, cell.case_id)
            ok = False
        if cell.factor not in codebook:
            out.unknown_factor(cell.file, cell.line, cell.factor_column, cell.factor)
            ok = False
        if cell.code not in CODE_VALUES:
            out.error(cell.file, cell.line, cell.code_column,
                      f"code {cell.code!r} is not allowed; use -1 or - (barrier), 0 (no role/absent), "
                      f"1 or + (present, helps) or empty (not discussed)")
            ok = False
        respondent = cell.extra.get("respondent", "")
        key = (cell.case_id, cell.factor, respondent)
        if ok and key in first:
            what = f"case {cell.case_id!r}, factor {cell.factor!r}" + (f", respondent {respondent!r}" if respondent else "")
            out.error(cell.file, cell.line, cell.factor_column, f"duplicate code for {what} (first at row {first[key]})")
            ok = False
        if ok:
            first[key] = cell.line
            records.append({"case_id": cell.case_id, "factor": cell.factor, "code": CODE_VALUES[cell.code],
                            **cell.extra, "_file": cell.file, "_line": cell.line})
    out.report_unknown_factors(codebook)
    return records


def check_streams(rows: list[dict], case_ids: set[str], cases_file: str, out: _Collector) -> list[dict]:
    """Validate observed stream states: known case, phase 1/2, known stream, in_motion 0/1."""
    records, first = [], {}
    for row in rows:
        file, line = row["_file"], row["_line"]
        col = row.get("_col")
        ok = True
        if case_ids and row["case_id"] not in case_ids:
            out.unknown_case(file, line, col or "case_id", row["case_id"])
            ok = False
        phase = row["phase"].strip()
        if phase not in ("1", "2"):
            out.error(file, line, col or "phase", f"phase {phase!r} is not 1 or 2")
            ok = False
        if row["stream"] not in STREAMS:
            out.error(file, line, col or "stream",
                      f"unknown stream {row['stream']!r}; allowed: {', '.join(STREAMS)}{_suggest(row['stream'], STREAMS)}")
            ok = False
        try:
            basis = check_basis(row.get("basis", ""))
        except ValueError as exc:
            out.error(file, line, col or "basis", str(exc))
            ok = False
        if row["in_motion"] not in BINARY_VALUES:
            out.error(file, line, col or "in_motion", f"in_motion is {row['in_motion']!r}; allowed: 0, 1 or empty")
            ok = False
        key = (row["case_id"], phase, row["stream"])
        if ok and key in first:
            out.error(file, line, col or "stream",
                      f"duplicate stream state for case {key[0]!r}, phase {phase}, stream {key[2]!r} "
                      f"(first at row {first[key]})")
            ok = False
        if ok and row["in_motion"] != "":
            first[key] = line
            records.append({"case_id": row["case_id"], "phase": int(phase), "stream": row["stream"],
                            "in_motion": int(row["in_motion"]), "basis": basis, "_file": file, "_line": line})
    return records


def stream_rows(table: RawTable, out: _Collector) -> list[dict]:
    """Rows of a long ``streams.csv`` in the shape :func:`check_streams` takes."""
    if not _require_columns(table, STREAM_REQUIRED, out):
        return []
    return [{**{c: row[c] for c in STREAM_REQUIRED}, "basis": row.get("basis", ""), "_file": table.file, "_line": line}
            for row, line in zip(table.rows, table.lines)]


def validate_tables(codebook: Codebook | None, cases: RawTable, codes: RawTable | None,
                    streams: RawTable | None, *, earlier: list[Violation] = (),
                    skip_factors: frozenset = frozenset(), codes_unreadable: bool = False) -> Validated:
    """Validate a dataset's tables; raise :class:`InputError` with every violation found.

    Parameters
    ----------
    codebook
        The valid factors; ``None`` when the codebook could not be read at all, in which
        case the case and stream tables are still checked but the codes are not.
    earlier
        Violations found while reading the files (the codebook, an unreadable table):
        reported together with these, so that one run of ``validate`` shows every problem.
    skip_factors
        Factors the codebook declares but could not accept: their codes are skipped
        rather than reported a second time as unknown.
    codes_unreadable
        ``codes.csv`` exists but could not be read (its problems are in ``earlier``).
    """
    out = _Collector()
    out.errors += list(earlier)
    known = codebook if codebook is not None else Codebook(factors=())
    wide = codes is None and (is_wide(cases, known) or any(c in skip_factors for c in cases.columns))
    if codes is None and not wide and codebook is not None and not codes_unreadable:
        out.error(cases.file, 1, None, "no codes: give codes.csv, or factor columns in this table (wide layout)")
    case_records = check_cases(cases, out)
    case_ids = {record["case_id"] for record in case_records}
    rows_of_streams: list[dict] = []
    cells: list[_Cell] = []
    if wide:
        cells, rows_of_streams = wide_cells(cases, known, out, skip_factors)
        case_records = [{k: v for k, v in r.items() if k not in known and k not in skip_factors
                         and k not in WIDE_STREAM_COLUMNS} for r in case_records]
    elif codes is not None:
        cells = long_cells(codes, out)
    if codebook is not None:
        code_records = check_codes([c for c in cells if c.factor not in skip_factors], known, case_ids,
                                   cases.file, out)
    else:
        code_records = []
    if streams is not None:
        rows_of_streams += stream_rows(streams, out)
    stream_records = check_streams(rows_of_streams, case_ids, cases.file, out)
    out.report_unknown_cases(cases.file, case_ids)
    if out.errors:
        raise InputError(out.errors)
    return Validated(case_records, code_records, stream_records)
