"""Write a Dataset back to disk: the long folder layout (run snapshots) or one wide CSV.

Values are written exactly as the data contract reads them, so loading what was written
gives the same arrays and hash (the round-trip tests check this).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tomli_w

from bayesstreams.atomic import atomic_write_text
from bayesstreams.data.claims import CLAIMS_FILE, claims_toml
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.io import write_csv
from bayesstreams.data.schema import CASE_COLUMNS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _code_text(value: float) -> str:
    return "" if np.isnan(value) else str(int(value))


def _case_columns(dataset) -> list[str]:
    extra = [c for c in dataset.cases[0] if c not in CASE_COLUMNS and not c.startswith("_")] if dataset.cases else []
    return list(CASE_COLUMNS) + extra


def _case_row(record: dict, columns: list[str]) -> list[str]:
    row = []
    for column in columns:
        value = record.get(column, "")
        row.append(_code_text(value) if column in ("w1", "w2") else str(value))
    return row


def write_codebook(dataset, path: Path) -> None:
    atomic_write_text(path, tomli_w.dumps(dataset.codebook.to_toml_dict()))


def write_long(dataset, folder: str | Path) -> None:
    """Write ``codebook.toml``, ``cases.csv``, ``codes.csv`` and ``streams.csv`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_codebook(dataset, folder / "codebook.toml")
    columns = _case_columns(dataset)
    write_csv(folder / "cases.csv", columns, [_case_row(r, columns) for r in dataset.cases])
    extra = sorted({k for r in dataset.codes for k in r if k not in ("case_id", "factor", "code") and not k.startswith("_")})
    code_rows = [[r["case_id"], r["factor"], _code_text(r["code"])] + [str(r.get(k, "")) for k in extra]
                 for r in dataset.codes]
    write_csv(folder / "codes.csv", ["case_id", "factor", "code"] + extra, code_rows)
    basis = getattr(dataset, "stream_basis", {}) or {}
    stream_rows = [[case_id, str(phase), stream, str(int(dataset.s[i, p, s])), basis.get((case_id, int(phase), stream), "")]
                   for i, case_id in enumerate(dataset.case_ids)
                   for p, phase in enumerate(PHASES)
                   for s, stream in enumerate(STREAMS) if not np.isnan(dataset.s[i, p, s])]
    header = ["case_id", "phase", "stream", "in_motion"]
    if any(row[-1] for row in stream_rows):  # where each stream state came from (data.sources), when known
        header.append("basis")
    write_csv(folder / "streams.csv", header, [row[:len(header)] for row in stream_rows])
    if dataset.claims:  # the snapshot of a run keeps the claims its report sets against the model
        atomic_write_text(folder / CLAIMS_FILE, claims_toml(dataset.claims))


def write_wide(dataset, path: str | Path) -> None:
    """One row per case: case columns, one column per factor, ``s<phase>_<stream>`` stream states.

    Several respondents are combined into the case-level code; quotes are not carried.
    """
    columns = list(CASE_COLUMNS)
    stream_columns = [(f"s{phase}_{stream}", p, s) for p, phase in enumerate(PHASES) for s, stream in enumerate(STREAMS)]
    header = columns + list(dataset.factor_ids) + [name for name, _, _ in stream_columns]
    rows = []
    for i, record in enumerate(dataset.cases):
        row = _case_row(record, columns)
        row += [_code_text(v) for v in dataset.x[i]]
        row += [_code_text(dataset.s[i, p, s]) for _, p, s in stream_columns]
        rows.append(row)
    write_csv(path, header, rows)


def spreadsheet_safe(text: str) -> str:
    """Guard a cell against formula injection when a CSV is opened in a spreadsheet."""
    return "'" + text if text.startswith(FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
