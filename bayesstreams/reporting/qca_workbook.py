"""Classical QCA results as one ``.xlsx`` workbook (``bayesstreams qca --xlsx``): four sheets per outcome.

Truth table, necessity, solutions and terms of each result, numbers unrounded, text guarded
against formulas (:func:`bayesstreams.data.export.spreadsheet_safe`), written atomically and
never over an existing file without ``force``.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from bayesstreams.atomic import atomic_write_bytes, refuse_existing
from bayesstreams.reporting.workbook import sheet_title

SHEETS = (("truth table", "truth_table"), ("necessity", "necessity"), ("solutions", "solutions"), ("terms", "terms"))


def _cell(value):
    from bayesstreams.data.export import spreadsheet_safe

    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return spreadsheet_safe(str(value))


def qca_workbook_bytes(results) -> bytes:
    """The tables of one or more :class:`~bayesstreams.analysis.qca.result.QCAResult` as xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for result in results:
        prefix = f"{result.outcome} " if len(results) > 1 else ""
        for title, attribute in SHEETS:
            frame = getattr(result, attribute)
            sheet = book.create_sheet(sheet_title(prefix + title, taken))
            sheet.append([_cell(str(c)) for c in frame.columns])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in frame.itertuples(index=False):
                sheet.append([_cell(v) for v in row])
            sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_qca_workbook(results, path: str | Path, force: bool = False) -> Path:
    """Write :func:`qca_workbook_bytes` to ``path`` (refused when it exists, unless ``force``)."""
    path = Path(path)
    refuse_existing(path, force)
    atomic_write_bytes(path, qca_workbook_bytes(list(results)), replace=force)
    return path
