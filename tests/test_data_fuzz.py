"""Property-based: whatever bytes sit in a dataset folder, loading either succeeds or raises
InputError whose violations point at real files and real lines; nothing else escapes.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError
from .conftest import (BASE_CASES_HEADER, BASE_CODES_HEADER, BASE_FACTORS, STREAMS_HEADER, codebook_toml,
                       run_cli)

VOCAB = ["c1", "c2", "c3", "c4", "c9", "", " ", "0", "1", "-1", "+1", "2", "yes", "+", "0.5", "1.0", "NA",
         "problem", "policy", "politics", "problm", "r1", "r2", "Súdwest-Fryslân", "Gemeente Ĳ", "€",
         '"', "'", ";", ",", "\t", "\n", "\r\n", "=1+1", "\u2028", "\x85", "\ufeff", *BASE_FACTORS, "p1_insigth"]
CELL = st.one_of(st.sampled_from(VOCAB), st.text(max_size=8))
COLUMN_NAME = st.one_of(st.sampled_from(["", " ", "case_id ", "Case_ID", "w3", "extra", "quote"]), st.text(max_size=6))


def header_for(known: list[str]):
    """A random subset of the known columns in random order, sometimes with junk names mixed in."""
    subset = st.lists(st.sampled_from(known), unique=True, max_size=len(known)).flatmap(st.permutations)
    return st.tuples(subset, st.lists(COLUMN_NAME, max_size=2), st.integers(0, 8)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:])


def rows_for(width: int):
    return st.lists(st.lists(CELL, min_size=max(0, width - 1), max_size=width + 1), max_size=6)


@st.composite
def csv_bytes(draw, known: list[str]) -> bytes:
    kind = draw(st.sampled_from(["csv", "csv", "csv", "naive", "binary", "valid_then_mutated"]))
    if kind == "binary":
        return draw(st.binary(max_size=120))
    header = draw(header_for(known))
    if kind == "valid_then_mutated":
        header = list(known)
    rows = draw(rows_for(len(header)))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if kind == "naive":  # no quoting at all: stray quotes and separators inside cells
        text = newline.join(delimiter.join(r) for r in [header, *rows])
    else:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows([header, *rows])
        text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if kind == "valid_then_mutated" and data:
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=3)) + data[position:]
    return data


TOML_VALUE = st.one_of(st.integers(-3, 4), st.sampled_from(["problem", "policy", "politics", "1", "", "x"]),
                       st.text(max_size=5), st.booleans(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=2))
FACTOR_ENTRY = st.dictionaries(st.sampled_from(["phase", "stream", "label_nl", "label_en", "description", "weight"]),
                               TOML_VALUE, max_size=5)


@st.composite
def codebook_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["valid", "valid", "random_toml", "text", "binary"]))
    if kind == "valid":
        return codebook_toml().encode()
    if kind == "random_toml":
        ids = st.one_of(st.sampled_from(list(BASE_FACTORS)), st.text(min_size=1, max_size=6))
        factors = draw(st.dictionaries(ids, FACTOR_ENTRY, max_size=4))
        doc = {"factors": factors}
        if draw(st.booleans()):
            doc[draw(st.sampled_from(["dataset", "meta"]))] = {"title": "x"}
        return tomli_w.dumps(doc).encode()
    if kind == "text":
        return (codebook_toml() + draw(st.text(max_size=30))).encode("utf-8", errors="replace")
    return draw(st.binary(max_size=80))


DATASET = st.fixed_dictionaries({
    "codebook.toml": codebook_bytes(),
    "cases.csv": csv_bytes(BASE_CASES_HEADER),
    "codes.csv": st.one_of(st.none(), csv_bytes(BASE_CODES_HEADER)),
    "streams.csv": st.one_of(st.none(), csv_bytes(STREAMS_HEADER)),
})


def line_count(raw: bytes) -> int:
    """Lines of a file under the most generous reading (\\r, \\n and \\r\\n all end a line)."""
    return len(re.split(rb"\r\n|\r|\n", raw))


def write_folder(root: Path, files: dict) -> dict[Path, bytes]:
    written = {}
    for name, data in files.items():
        if data is not None:
            (root / name).write_bytes(data)
            written[root / name] = data
    return written


def check_located(violation, written: dict[Path, bytes]) -> None:
    path = Path(violation.file)
    assert path in written, f"{violation}: not one of the dataset's files"
    if violation.row is not None:
        assert isinstance(violation.row, int)
        assert 1 <= violation.row <= line_count(written[path]), f"{violation}: row outside the file"
    assert violation.message


def check_dataset(data) -> None:
    n, k = data.x.shape
    assert n == data.n_cases == len(set(data.case_ids)) > 0
    assert k == len(data.factor_ids)
    assert data.w.shape == (n, 2) and data.s.shape == (n, 2, 3)
    assert set(np.unique(data.x[~np.isnan(data.x)])) <= {-1.0, 0.0, 1.0}
    assert set(np.unique(data.w[~np.isnan(data.w)])) <= {0.0, 1.0}
    assert set(np.unique(data.s[~np.isnan(data.s)])) <= {0.0, 1.0}
    assert all(-1 <= g < len(data.groups) for g in data.group)
    assert len(data.content_hash()) == 64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=DATASET)
def test_malformed_folder_gives_dataset_or_located_input_error(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        written = write_folder(root, files)
        try:
            data = load_dataset(root)
        except InputError as exc:
            assert exc.violations
            for violation in exc.violations:
                check_located(violation, written)
        else:
            check_dataset(data)
            for warning in data.warnings:
                check_located(warning, written)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(files=DATASET)
def test_cli_exits_0_or_2_with_one_error_line_per_violation(files, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        try:
            load_dataset(root)
            violations = []
        except InputError as exc:
            violations = exc.violations
        code, out, err = run_cli(["validate", str(root)], capsys)
        assert "Traceback" not in out + err and "internal error" not in err
        assert code == (2 if violations else 0)
        lines = [line for line in err.split("\n") if line]
        assert all(line.startswith("error: ") for line in lines), lines
        assert len(lines) == len(violations)
