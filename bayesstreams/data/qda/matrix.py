"""Read a code-by-document (or code-by-case) matrix export into import evidence.

NVivo (matrix coding query, crosstab), ATLAS.ti (code-document table) and MAXQDA (code matrix
browser) export a grid: one row per code, one column per document or case, each cell a count
of coded segments or a presence mark.  A title line above the grid, row and column numbering
(NVivo's ``1 : `` and ``A : ``, ATLAS.ti's ``D 1: ``), a ``Codes\\`` or ``Nodes\\`` root and
total rows and columns are recognised and left out.  A count becomes presence: it says how
many segments were coded, not how strongly.  Codes in rows are joined into a path with the
mapping's ``[matrix] separator`` (default ``\\``) and compared with the mapping's code paths.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bayesstreams.data.io import _cell_text, decode, open_workbook, sheet_rows, sniff_delimiter, workbook_errors
from bayesstreams.data.limits import read_bounded
from bayesstreams.data.qda.tables import Evidence, check_mapped_codes_exist
from bayesstreams.data.qda.mapping import Mapping
from bayesstreams.errors import InputError, Violation

_NUMBERING = re.compile(r"^\s*(?:(?:[A-Z]{1,3}|\d+)\s:\s+|D\s?\d+:\s+)")
_ROOTS = ("codes\\", "nodes\\", "codesystem\\", "code system\\")
_TOTALS = {"total", "totals", "totaal", "sum", "som", "summe", "gesamt", "σ", "∑"}
_PRESENT = {"x", "✓", "✔", "•", "yes", "ja", "true", "waar", "present", "aanwezig"}
_ABSENT = {"", "-", "no", "nee", "false", "onwaar", "absent", "afwezig"}


def _label(text: str) -> str:
    label = _NUMBERING.sub("", text.strip(), count=1)
    if label.lower().startswith(_ROOTS):
        label = label.split("\\", 1)[1]
    return label.strip()


def code_path(label: str, separator: str) -> str:
    """A row label as a mapping code path (``Fase 1\\Inzicht\\+`` -> ``Fase 1/Inzicht/+``)."""
    parts = _label(label).split(separator) if separator else [_label(label)]
    return "/".join(part.strip() for part in parts)


def _grid_csv(path: Path) -> tuple[str, list[tuple[int, list[str]]]]:
    text = decode(read_bounded(path), str(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(_first_wide_line(text)))
    rows, line = [], 1
    for record in reader:
        rows.append((line, [cell.strip() for cell in record]))
        line = reader.line_num + 1
    return str(path), rows


def _first_wide_line(text: str) -> str:
    """The first line with a separator (a title line above the grid has none)."""
    return next((ln for ln in text.split("\n") if any(d in ln for d in ";,\t")), text)


def _grid_xlsx(path: Path, sheet_name: str) -> tuple[str, list[tuple[int, list[str]]]]:
    book = open_workbook(path)
    names = {s.title.strip().lower(): s for s in book.worksheets}
    if sheet_name and sheet_name.lower() not in names:
        book.close()
        raise InputError(Violation(str(path), None, None, f"no sheet {sheet_name!r} (sheets: {', '.join(names)})"))
    sheet = names[sheet_name.lower()] if sheet_name else book.worksheets[0]
    with workbook_errors(path, book):
        rows = [(n, [_cell_text(c) for c in r]) for n, r in enumerate(sheet_rows(sheet), start=1)]
    return f"{path}[{sheet.title}]", rows


def read_grid(path: Path, sheet: str = "") -> tuple[str, list[tuple[int, list[str]]]]:
    """The cells of a matrix export with their row numbers, and the name that locates them."""
    if not path.is_file():
        raise InputError(Violation(str(path), None, None, "file does not exist"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _grid_xlsx(path, sheet)
    return _grid_csv(path)


def _presence(text: str) -> int | None:
    """Number of coded segments (1 for a presence mark), 0 when absent; None on a bad cell."""
    value = text.strip().lower()
    if value in _ABSENT:
        return 0
    if value in _PRESENT:
        return 1
    number = value.rstrip("%").replace(",", ".")
    try:
        count = float(number)
    except ValueError:
        return None
    if count < 0:
        return None
    return 0 if count == 0 else max(1, round(count))   # a share such as 0.4 % still means coded


def _header(file: str, rows: list[tuple[int, list[str]]]) -> int:
    for index, (_, cells) in enumerate(rows):
        if sum(1 for c in cells[1:] if c) >= 1:
            return index
    raise InputError(Violation(file, None, None, "no matrix found: expected a header row of documents or cases"))


def _columns(file: str, line: int, header: list[str], mapping: Mapping, problems: list[Violation]) -> dict[int, tuple[str, str]]:
    """Column index -> (case name, respondent) for every data column."""
    out = {}
    for j, cell in enumerate(header[1:], start=1):
        label = _label(cell)
        if not label or label.lower() in _TOTALS:
            continue
        if mapping.matrix.columns == "cases":
            out[j] = (label, "")
        elif label in mapping.matrix.documents:
            out[j] = (mapping.matrix.documents[label], label)
        else:
            problems.append(Violation(file, line, cell, f"document {label!r} has no case in [matrix.documents]"))
    return out


def matrix_evidence(path: Path, mapping: Mapping) -> tuple[list[Evidence], list[str], list[str]]:
    """Evidence records of a matrix export, the case names in column order, and notes."""
    file, rows = read_grid(path, mapping.matrix.sheet)
    start = _header(file, rows)
    header_line, header = rows[start]
    problems: list[Violation] = []
    columns = _columns(file, header_line, header, mapping, problems)
    if problems:
        raise InputError(problems)
    evidence, known = [], []
    for line, cells in rows[start + 1:]:
        if not cells or not cells[0].strip() or _label(cells[0]).lower() in _TOTALS:
            continue
        path_ = code_path(cells[0], mapping.matrix.separator)
        known.append(path_)
        for j, (case, respondent) in columns.items():
            text = cells[j] if j < len(cells) else ""
            count = _presence(text)
            if count is None:
                problems.append(Violation(file, line, header[j], f"cell {text!r} is neither a count nor a presence mark"))
            elif count:
                evidence.append(Evidence(case, respondent, _label(header[j]), path_, "",
                                         f"{count} coded segment{'s' if count > 1 else ''}", file, line, header[j]))
    problems += check_mapped_codes_exist(mapping, known, file)
    names = list(dict.fromkeys(case for case, _ in columns.values()))
    if mapping.case_ids:
        problems += [Violation(mapping.file, mapping.line_of(n), n, f"case {n!r} is not a column of {file}")
                     for n in mapping.case_ids if n not in names]
        names = [n for n in mapping.case_ids if n in names]
        evidence = [ev for ev in evidence if ev.case in names]
    if problems:
        raise InputError(problems)
    return evidence, names, []
