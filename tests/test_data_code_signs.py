"""Codes written as the reports print them (+, -, and the Unicode minus) load in every layout.

Each test rewrites the shipped study's numeric codes as signs and checks that the code
matrix read back equals the numeric one cell by cell, so a reader that drops, flips or
misreads a sign fails.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.export import write_wide
from bayesstreams.data.profile import read_profile

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
MINUS = "\u2212"
SIGN_STYLES = {"ascii": {"1": "+", "-1": "-", "0": "0"},
               "unicode": {"1": "+", "-1": MINUS, "0": "0"},
               "unicode_number": {"1": "+1", "-1": MINUS + "1", "0": "0"}}


@pytest.fixture(scope="module")
def numeric():
    return load_dataset(STUDY)


def _rewrite(rows: list[list[str]], columns: list[int], style: dict) -> list[list[str]]:
    return [[style.get(cell, cell) if j in columns else cell for j, cell in enumerate(row)] for row in rows]


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def _signed_folder(tmp_path: Path, style: dict) -> Path:
    folder = tmp_path / "signed"
    folder.mkdir()
    for name in ("codebook.toml", "cases.csv", "streams.csv"):
        (folder / name).write_bytes((STUDY / name).read_bytes())
    header, rows = _read(STUDY / "codes.csv")
    _write(folder / "codes.csv", header, _rewrite(rows, [header.index("code")], style))
    return folder


def _signed_wide(numeric, tmp_path: Path, style: dict) -> tuple[list[str], list[list[str]]]:
    write_wide(numeric, tmp_path / "numeric_wide.csv")
    header, rows = _read(tmp_path / "numeric_wide.csv")
    return header, _rewrite(rows, [header.index(f) for f in numeric.factor_ids], style)


def _assert_same_codes(got, numeric) -> None:
    assert got.case_ids == numeric.case_ids
    np.testing.assert_array_equal(got.x, numeric.x)


@pytest.mark.parametrize("style", SIGN_STYLES)
def test_long_codes_with_signs(numeric, tmp_path, style):
    signed = _signed_folder(tmp_path, SIGN_STYLES[style])
    assert "+" in (signed / "codes.csv").read_text(encoding="utf-8")
    _assert_same_codes(load_dataset(signed), numeric)


@pytest.mark.parametrize("style", SIGN_STYLES)
def test_wide_codes_with_signs(numeric, tmp_path, style):
    header, rows = _signed_wide(numeric, tmp_path, SIGN_STYLES[style])
    wide = _write(tmp_path / "wide.csv", header, rows)
    _assert_same_codes(load_dataset(wide, codebook=STUDY / "codebook.toml"), numeric)


def test_xlsx_codes_with_signs(numeric, tmp_path):
    header, rows = _signed_wide(numeric, tmp_path, SIGN_STYLES["unicode"])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cases"
    for row in [header, *rows]:
        sheet.append([cell if cell != "" else None for cell in row])
    book.save(tmp_path / "signed.xlsx")
    _assert_same_codes(load_dataset(tmp_path / "signed.xlsx", codebook=STUDY / "codebook.toml"), numeric)


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_profiles_with_signs(numeric, tmp_path, layout):
    style = SIGN_STYLES["unicode"]
    if layout == "long":
        header, rows = _read(STUDY / "codes.csv")
        path = _write(tmp_path / "profile.csv", header, _rewrite(rows, [header.index("code")], style))
    else:
        path = _write(tmp_path / "profile.csv", *_signed_wide(numeric, tmp_path, style))
    profiles = read_profile(path, numeric.codebook)
    _assert_same_codes(profiles, numeric)
