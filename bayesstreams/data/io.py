"""Read dataset files into plain string tables that remember their line numbers.

Spreadsheet exports come in many shapes: Dutch Excel writes semicolon-separated CSV,
sometimes UTF-8 with a byte-order mark, sometimes Windows-1252.  All of them load
without options.  Nothing here judges the content; :mod:`bayesstreams.data.schema` does.
"""

from __future__ import annotations

import csv
import io as _io
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bayesstreams.atomic import atomic_write_text
from bayesstreams.data.limits import check_regular_file, check_zip, read_bounded
from bayesstreams.errors import InputError, Violation

# Bytes that Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor cp1252.
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


@dataclass(frozen=True)
class RawTable:
    """A table as read: header, string cells, and the file line each row started on."""

    file: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.rows)


def line_of_offset(raw: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting LF, CRLF and lone CR (old Mac exports) as line ends."""
    prefix = raw[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return prefix.count(b"\n") + 1


def decode(raw: bytes, file: str) -> str:
    """Decode UTF-8 (with or without BOM) or Windows-1252; fail with the offending line."""
    if b"\x00" in raw:
        row = line_of_offset(raw, raw.index(b"\x00"))
        raise InputError(Violation(file, row, None, "file holds NUL bytes: not a text (CSV) file"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    for offset, byte in enumerate(raw):
        if byte in _CP1252_UNDEFINED:
            row = line_of_offset(raw, offset)
            raise InputError(
                Violation(file, row, None, f"undecodable byte 0x{byte:02X}: file is neither UTF-8 nor Windows-1252")
            )
    # Valid cp1252 but not UTF-8: an export from Excel on Windows.
    del first_bad
    return raw.decode("cp1252")


def sniff_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab from the header line (Dutch Excel uses ``;``)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def header_problems(file: str, columns: tuple[str, ...], line: int = 1) -> list[Violation]:
    """Empty or repeated header cells (a repeated column would silently overwrite the first)."""
    problems: list[Violation] = []
    seen: set[str] = set()
    for name in columns:
        if name == "":
            problems.append(Violation(file, line, None, "a header cell is empty"))
        elif name in seen:
            problems.append(Violation(file, line, name, f"column {name!r} appears twice in the header"))
        seen.add(name)
    return problems


def overflow_problems(file: str, line: int, record: list[str], columns: tuple[str, ...]) -> list[Violation]:
    """A filled cell to the right of the header has no column: an error, not a silent drop."""
    if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns):]):
        return [Violation(file, line, None, f"row has {len(record)} cells but the header has {len(columns)}")]
    return []


def parse_csv_text(text: str, file: str) -> RawTable:
    """Parse CSV text into a :class:`RawTable`; blank lines are skipped."""
    if not text.strip():
        raise InputError(Violation(file, None, None, "file is empty (expected a header row)"))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(Violation(file, 1, None, f"unreadable CSV header: {exc}")) from None
    columns = tuple(name.strip() for name in header)
    problems = header_problems(file, columns)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            problems += overflow_problems(file, line, record, columns)
            record = record[: len(columns)] + [""] * (len(columns) - len(record))
            rows.append({name: cell.strip() for name, cell in zip(columns, record)})
            lines.append(line)
    except csv.Error as exc:
        problems.append(Violation(file, reader.line_num, None, f"unreadable CSV: {exc}"))
    if problems:
        raise InputError(problems)
    return RawTable(file=file, columns=columns, rows=tuple(rows), lines=tuple(lines))


def read_csv(path: str | Path) -> RawTable:
    """Read one CSV file as strings, whatever its separator and encoding."""
    path = Path(path)
    file = str(path)
    return parse_csv_text(decode(read_bounded(path, file), file), file)  # a missing file, a device: located


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(path: str | Path) -> dict[str, RawTable]:
    """Read every sheet of an xlsx workbook as a :class:`RawTable` keyed by lower-case sheet name.

    Rows are numbered as Excel shows them; a table's ``file`` is ``book.xlsx[sheet]``.
    """
    path = Path(path)
    book = open_workbook(path)
    with workbook_errors(path, book):
        return _read_sheets(path, book)


def open_workbook(path: Path):
    """An openpyxl workbook (read-only) of a regular xlsx file whose archive keeps to the limits."""
    import zipfile

    import openpyxl  # local: only xlsx users pay for it

    check_regular_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive, str(path))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InputError(Violation(str(path), None, None, f"not a readable xlsx workbook ({exc})")) from None
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(Violation(str(path), None, None, f"not a readable xlsx workbook ({type(exc).__name__})")) from None


def sheet_rows(sheet):
    """The rows of a read-only sheet as values, only as wide and long as its cells (not its declared size)."""
    sheet.reset_dimensions()  # a declared A1:XFD1048576 would pad every row to 16,384 cells
    return sheet.iter_rows(values_only=True)


@contextmanager
def workbook_errors(path: Path, book):
    """Close ``book`` after the block; a sheet that breaks while it is read (bad XML, entities, a truncated
    or corrupt member) becomes one located error."""
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    try:
        yield
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise InputError(Violation(str(path), None, None,
                                   f"not a readable xlsx workbook ({type(exc).__name__}: {exc})")) from None
    finally:
        book.close()


# A sheet's header names one of these; title rows above it (a report's heading) are passed over.
HEADER_ANCHORS = ("case_id", "id")
TITLE_ROWS = 20  # how far down a header is looked for
# The sheets the data contract reads (a workbook's other sheets, e.g. notes, are left as they are).
KNOWN_SHEETS = frozenset({"cases", "codes", "streams", "codebook", "profile"})


def _header_row(file: str, rows: list) -> tuple[int, Violation | None]:
    """The index of the header row: the first row, or the first of the top rows naming ``case_id`` / ``id``.

    A sheet whose first rows are a title (one filled cell) and whose header cannot be found is
    refused in one line naming the row that looks like the header, instead of one error per row.
    """
    texts = [[_cell_text(c) for c in row] for row in rows[:TITLE_ROWS]]
    for index, cells in enumerate(texts):
        if any(cell in HEADER_ANCHORS for cell in cells):
            return (0 if index and any(c in HEADER_ANCHORS for c in texts[0]) else index), None
    filled = [sum(1 for c in cells if c) for cells in texts]
    if filled and filled[0] <= 1 and max(filled) > 1:
        likely = filled.index(max(filled)) + 1
        return 0, Violation(file, 1, None, f"row 1 is a title, not a header (no column {HEADER_ANCHORS[0]!r}); "
                                           f"the header looks like row {likely}: delete the rows above it, or name "
                                           f"its columns as docs/DATA.md does")
    return 0, None


def _read_sheets(path: Path, book) -> dict[str, RawTable]:
    tables: dict[str, RawTable] = {}
    problems: list[Violation] = []  # of every sheet: one pass shows them all
    for sheet in book.worksheets:
        file = f"{path}[{sheet.title}]"
        all_rows = list(sheet_rows(sheet))
        start, title = _header_row(file, all_rows)
        if title is not None and (len(book.worksheets) == 1 or sheet.title.strip().lower() in KNOWN_SHEETS):
            problems.append(title)
            continue
        rows_iter = iter(all_rows[start:])
        header = next(rows_iter, None)
        if header is None or not any(_cell_text(c) for c in header):
            problems.append(Violation(file, None, None, "sheet is empty (expected a header row)"))
            continue
        while header and _cell_text(header[-1]) == "":
            header = header[:-1]
        columns = tuple(_cell_text(c) for c in header)
        problems += header_problems(file, columns, start + 1)
        rows, lines = [], []
        for number, record in enumerate(rows_iter, start=start + 2):
            cells = [_cell_text(c) for c in record]
            if not any(cells):
                continue
            problems += overflow_problems(file, number, cells, columns)
            cells = cells[: len(columns)] + [""] * (len(columns) - len(cells))
            rows.append(dict(zip(columns, cells)))
            lines.append(number)
        tables[sheet.title.strip().lower()] = RawTable(file, columns, tuple(rows), tuple(lines))
    if problems:
        raise InputError(problems)
    return tables


def write_csv(path: str | Path, columns: list[str], rows: list[list[str]]) -> None:
    """Write a UTF-8 CSV atomically (temporary file, then rename)."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
