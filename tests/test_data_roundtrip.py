"""Writing a dataset and reading it back gives the same data: long <-> wide, folder <-> xlsx.

"The same" is checked on what the model reads (x, w, s, groups, through ``content_hash``)
and on what a user sees (case ids, names), against the arrays the fixture was built from,
so a writer and a reader that are wrong in the same way cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError
from bayesstreams.data.export import write_long, write_wide
from .conftest import (BASE_CASES, BASE_CODES, BASE_FACTORS, BASE_STREAMS, CASE_IDS, EXPECTED_W, expected_s,
                       expected_x, line_of, run_cli)

NAMES = [row[1] for row in BASE_CASES]


def assert_same_model_data(a, b):
    assert a.case_ids == b.case_ids
    assert a.factor_ids == b.factor_ids
    assert [(f.phase, f.stream) for f in a.codebook.factors] == [(f.phase, f.stream) for f in b.codebook.factors]
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.s, b.s)
    np.testing.assert_array_equal(a.group, b.group)
    assert a.groups == b.groups
    assert a.case_column("name") == b.case_column("name")
    assert a.case_column("level") == b.case_column("level")
    assert a.content_hash() == b.content_hash()


@pytest.fixture
def original(valid_dataset):
    data = load_dataset(valid_dataset)
    assert data.case_ids == CASE_IDS
    np.testing.assert_array_equal(data.x, expected_x())
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    np.testing.assert_array_equal(data.s, expected_s())
    assert data.case_column("name") == NAMES
    return data


def test_content_hash_sees_every_model_input(factory, original):
    # The round-trip tests lean on content_hash; make sure it changes when any model input does.
    def reload(edit):
        t = factory.tables()
        edit(t)
        return load_dataset(factory.make(tables=t)).content_hash()

    def code(t): t["codes"][0][2] = "0"
    def window(t): t["cases"][3][3] = "0"
    def stream(t): t["streams"][0][3] = "0"
    def group(t): t["cases"][3][5] = "zuid"
    def quote(t): t["codes"][0][5] = "een ander citaat"
    def name(t): t["cases"][0][1] = "Andere naam"

    for edit in (code, window, stream, group):
        assert reload(edit) != original.content_hash(), edit.__name__
    # provenance and labels do not enter the hash (MODEL: editing a quote keeps a run valid)
    for edit in (quote, name):
        assert reload(edit) == original.content_hash(), edit.__name__


def test_long_to_wide_to_load(original, valid_dataset, tmp_path):
    wide = tmp_path / "wide.csv"
    write_wide(original, wide)
    again = load_dataset(wide, codebook=valid_dataset / "codebook.toml")
    assert_same_model_data(again, original)
    assert again.warnings == original.warnings == []


def test_wide_loads_with_codebook_beside_it(original, valid_dataset, tmp_path):
    folder = tmp_path / "beside"
    folder.mkdir()
    (folder / "codebook.toml").write_bytes((valid_dataset / "codebook.toml").read_bytes())
    write_wide(original, folder / "gemeenten.csv")
    again = load_dataset(folder / "gemeenten.csv")
    assert_same_model_data(again, original)
    assert again.name == "gemeenten"


def test_wide_to_long_to_load(original, valid_dataset, tmp_path):
    wide = tmp_path / "wide.csv"
    write_wide(original, wide)
    from_wide = load_dataset(wide, codebook=valid_dataset / "codebook.toml")
    write_long(from_wide, tmp_path / "long")
    again = load_dataset(tmp_path / "long")
    assert_same_model_data(again, from_wide)
    assert_same_model_data(again, original)


def test_long_to_long_keeps_provenance(original, tmp_path):
    write_long(original, tmp_path / "copy")
    again = load_dataset(tmp_path / "copy")
    assert_same_model_data(again, original)
    strip = lambda rows: [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]  # noqa: E731
    assert strip(again.codes) == strip(original.codes)
    assert [r["quote"] for r in again.codes] == [row[5] for row in BASE_CODES]
    assert again.case_column("population") == [row[6] for row in BASE_CASES]
    assert again.codebook.factors == original.codebook.factors
    assert again.codebook.dataset == original.codebook.dataset


def test_wide_combines_respondents_to_the_case_level_code(factory, tmp_path):
    t = factory.tables()
    t["codes"].append(["c1", "p1_insight", "-1", "r2", "", ""])   # 1 + -1 -> 0
    t["codes"].append(["c2", "p1_insight", "1", "r2", "", ""])    # 0 + 1 -> 1
    path = factory.make(tables=t)
    data = load_dataset(path)
    write_wide(data, tmp_path / "wide.csv")
    again = load_dataset(tmp_path / "wide.csv", codebook=path / "codebook.toml")
    for name in ("x", "w", "s", "group"):
        np.testing.assert_array_equal(getattr(again, name), getattr(data, name))
    assert list(again.x[:2, 0]) == [0.0, 1.0]
    # the respondents' own codes are gone (the evidence model's "latent" respondents read them): other data
    assert again.content_hash() != data.content_hash()
    consensus = factory.tables()
    for row in consensus["codes"]:
        if row[1] == "p1_insight" and row[0] in ("c1", "c2"):
            row[2] = {"c1": "0", "c2": "1"}[row[0]]
    assert again.content_hash() == load_dataset(factory.make(tables=consensus)).content_hash()


def test_roundtrip_with_unknown_windows_and_no_streams(factory, tmp_path):
    t = factory.tables()
    t["cases"][0][2] = ""   # c1 w1 unknown
    path = factory.make(tables=t, streams=False)
    data = load_dataset(path)
    assert np.isnan(data.s).all() and np.isnan(data.w[0, 0])
    write_wide(data, tmp_path / "wide.csv")
    again = load_dataset(tmp_path / "wide.csv", codebook=path / "codebook.toml")
    assert_same_model_data(again, data)
    write_long(again, tmp_path / "long")
    assert_same_model_data(load_dataset(tmp_path / "long"), data)


# ----------------------------------------------------------------------------- xlsx

def write_workbook(path: Path, tables: dict, *, numbers: bool) -> Path:
    """Write the dataset tables as sheets; ``numbers`` stores codes and windows as numeric cells."""
    book = openpyxl.Workbook()
    book.remove(book.active)

    def cell(value: str):
        if numbers and value not in ("", "+1"):
            try:
                return int(value)
            except ValueError:
                return value
        return value if value != "" else None

    sheet = book.create_sheet("codebook")
    sheet.append(["id", "phase", "stream", "label_nl", "label_en", "description"])
    for fid, (phase, stream, nl, en) in tables["factors"].items():
        sheet.append([fid, phase if numbers else str(phase), stream, nl, en, f"test factor {fid}"])
    for name in ("cases", "codes", "streams"):
        sheet = book.create_sheet(name.capitalize() if name == "cases" else name)
        sheet.append(tables[f"{name}_header"])
        for row in tables[name]:
            sheet.append([cell(v) for v in row])
    book.save(path)
    return path


@pytest.mark.parametrize("numbers", [False, True])
def test_xlsx_loads_like_the_folder(factory, original, tmp_path, numbers):
    book = write_workbook(tmp_path / "gemeenten.xlsx", factory.tables(), numbers=numbers)
    data = load_dataset(book)
    assert_same_model_data(data, original)
    assert data.case_column("population") == [row[6] for row in BASE_CASES]
    assert [r["quote"] for r in data.codes] == [row[5] for row in BASE_CODES]
    assert data.warnings == []


def test_xlsx_error_is_located_by_sheet_and_excel_row(factory, tmp_path, capsys):
    t = factory.tables()
    t["codes"][6][2] = "yes"
    t["streams"][2][2] = "problm"
    book = write_workbook(tmp_path / "bad.xlsx", t, numbers=True)
    with pytest.raises(InputError) as info:
        load_dataset(book)
    got = sorted((v.file, v.row, v.column) for v in info.value.violations)
    assert got == sorted([(f"{book}[codes]", line_of(6), "code"), (f"{book}[streams]", line_of(2), "stream")])
    code, out, err = run_cli(["validate", str(book)], capsys)
    assert code == 2 and "Traceback" not in out + err
    assert err.splitlines() == [f"error: {v}" for v in info.value.violations]


def test_xlsx_codebook_sheet_error_is_located(factory, tmp_path):
    t = factory.tables()
    t["factors"]["p1_congruence_values"] = (1, "policie", "", "")
    book = write_workbook(tmp_path / "bad.xlsx", t, numbers=False)
    with pytest.raises(InputError) as info:
        load_dataset(book)
    row = 2 + list(t["factors"]).index("p1_congruence_values")
    assert [(v.file, v.row, v.column) for v in info.value.violations] == [(f"{book}[codebook]", row, "stream")]


def test_xlsx_rows_after_a_blank_row_keep_their_excel_number(factory, tmp_path):
    t = factory.tables()
    t["cases"].insert(2, ["", "", "", "", "", "", ""])   # an empty spreadsheet row 4
    t["cases"][4][2] = "7"                                 # c4, now on Excel row 6
    book = write_workbook(tmp_path / "gap.xlsx", t, numbers=False)
    with pytest.raises(InputError) as info:
        load_dataset(book)
    assert [(v.row, v.column) for v in info.value.violations] == [(6, "w1")]


def test_xlsx_without_codebook_sheet_uses_given_codebook(factory, original, valid_dataset, tmp_path):
    book_path = write_workbook(tmp_path / "nocb.xlsx", factory.tables(), numbers=True)
    book = openpyxl.load_workbook(book_path)
    book.remove(book["codebook"])
    book.save(book_path)
    with pytest.raises(InputError) as info:
        load_dataset(book_path)
    assert [v.row for v in info.value.violations] == [None]
    assert_same_model_data(load_dataset(book_path, codebook=valid_dataset / "codebook.toml"), original)


def test_xlsx_roundtrip_matches_fixture_streams(factory, tmp_path):
    # independent of the folder loader: the stream cells in the workbook land where the fixture says
    data = load_dataset(write_workbook(tmp_path / "s.xlsx", factory.tables(), numbers=True))
    streams = ("problem", "policy", "politics")
    observed = {(CASE_IDS[i], p + 1, streams[s]): data.s[i, p, s]
                for i, p, s in zip(*np.nonzero(~np.isnan(data.s)))}
    assert observed == {(c, int(p), st): float(v) for c, p, st, v in BASE_STREAMS}
    assert list(data.factor_ids) == list(BASE_FACTORS)


# ----------------------------------------------------------------------------- xlsx/CSV parity (regressions of bugs found here)

def _book_with_cases(path: Path, header: list, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("codebook")
    sheet.append(["id", "phase", "stream"])
    sheet.append(["p1_insight", 1, "problem"])
    sheet = book.create_sheet("cases")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet = book.create_sheet("codes")
    sheet.append(["case_id", "factor", "code"])
    sheet.append(["c1", "p1_insight", 1])
    sheet.append(["c2", "p1_insight", 0])
    book.save(path)
    return path


def test_xlsx_reference_book_loads(tmp_path):
    data = load_dataset(_book_with_cases(tmp_path / "ok.xlsx", ["case_id", "w1", "w2"], [["c1", 1, 0], ["c2", 0, 0]]))
    np.testing.assert_array_equal(data.w, [[1, 0], [0, 0]])
    np.testing.assert_array_equal(data.x, [[1], [0]])


def test_xlsx_duplicate_header_column_is_an_error(tmp_path):
    book = _book_with_cases(tmp_path / "dup.xlsx", ["case_id", "w1", "w2", "w1"], [["c1", 1, 0, 0], ["c2", 0, 0, 0]])
    with pytest.raises(InputError) as info:
        load_dataset(book)
    assert [(v.row, v.column) for v in info.value.violations] == [(1, "w1")]


def test_xlsx_cells_beyond_the_header_are_an_error(tmp_path):
    book = _book_with_cases(tmp_path / "wide_row.xlsx", ["case_id", "w1", "w2"], [["c1", 1, 0, "junk"], ["c2", 0, 0]])
    with pytest.raises(InputError) as info:
        load_dataset(book)
    assert [v.row for v in info.value.violations] == [2]


def test_xlsx_empty_header_cell_is_an_error(tmp_path):
    book = _book_with_cases(tmp_path / "gap.xlsx", ["case_id", "w1", None, "w2"], [["c1", 1, "a", 0], ["c2", 0, "b", 0]])
    with pytest.raises(InputError) as info:
        load_dataset(book)
    assert [v.row for v in info.value.violations] == [1]
