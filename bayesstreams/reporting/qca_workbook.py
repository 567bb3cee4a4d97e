"""QCA results as one ``.xlsx`` workbook (``bayesstreams qca --xlsx``): four sheets per outcome, four more of a run.

Truth table, necessity, solutions and terms of each result (and of a run's posterior QCA, with
means, 90% intervals and probabilities), numbers unrounded, text guarded
against formulas (:func:`bayesstreams.data.export.spreadsheet_safe`), written atomically and
never over an existing file without ``force``.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from bayesstreams.atomic import atomic_write_bytes, refuse_existing
from bayesstreams.data.export import spreadsheet_safe
from bayesstreams.reporting.workbook import sheet_title

SHEETS = (("truth table", "truth_table"), ("necessity", "necessity"), ("solutions", "solutions"), ("terms", "terms"))
POSTERIOR_SHEETS = (("posterior truth table", "truth_table"), ("posterior necessity", "necessity"),
                    ("posterior terms", "terms"), ("posterior solutions", "solutions"))


def _cell(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return spreadsheet_safe(str(value))


def qca_workbook_bytes(results, posteriors=None) -> bytes:
    """The tables of one or more :class:`~bayesstreams.analysis.qca.result.QCAResult` as xlsx bytes.

    ``posteriors`` (one :class:`~bayesstreams.analysis.qca.posterior.PosteriorQCA` or None per
    result) adds the posterior tables after each result's own.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    posteriors = list(posteriors) if posteriors is not None else [None] * len(results)
    for result, post in zip(results, posteriors):
        prefix = f"{result.outcome} " if len(results) > 1 else ""
        tables = [(title, getattr(result, attribute)) for title, attribute in SHEETS]
        if post is not None:
            tables += [(title, getattr(post, attribute)) for title, attribute in POSTERIOR_SHEETS]
        for title, frame in tables:
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


def write_qca_workbook(results, path: str | Path, force: bool = False, posteriors=None) -> Path:
    """Write :func:`qca_workbook_bytes` to ``path`` (refused when it exists, unless ``force``)."""
    path = Path(path)
    refuse_existing(path, force)
    atomic_write_bytes(path, qca_workbook_bytes(list(results), posteriors), replace=force)
    return path
