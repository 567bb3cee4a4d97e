"""Spreadsheet exports in other encodings and separators load without options, to the same data.

The reference is the plain UTF-8, comma-separated folder.  Every variant must give the same
arrays, case ids, names (non-ASCII letters intact, not mojibake), provenance text and hash.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.io import decode, sniff_delimiter
from .conftest import BASE_CASES, BASE_CODES, CASE_IDS, EXPECTED_W, expected_s, expected_x

VARIANTS = {
    "utf8-bom-semicolon": dict(delimiter=";", encoding="utf-8", bom=True),
    "cp1252-comma": dict(delimiter=",", encoding="cp1252"),
    "cp1252-semicolon": dict(delimiter=";", encoding="cp1252"),
    "utf8-tab": dict(delimiter="\t", encoding="utf-8"),
    "utf8-bom-comma": dict(delimiter=",", encoding="utf-8", bom=True),
}


def assert_same_dataset(a, b):
    assert a.case_ids == b.case_ids
    assert a.factor_ids == b.factor_ids
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.s, b.s)
    np.testing.assert_array_equal(a.group, b.group)
    assert a.groups == b.groups
    for column in ("name", "level", "group", "population"):
        assert a.case_column(column) == b.case_column(column)
    assert [r["quote"] for r in a.codes] == [r["quote"] for r in b.codes]
    assert a.content_hash() == b.content_hash()


@pytest.fixture
def reference(factory):
    data = load_dataset(factory.make("reference"))
    # The reference itself must be right, or "identical to it" proves nothing.
    assert data.case_ids == CASE_IDS
    np.testing.assert_array_equal(data.x, expected_x())
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    np.testing.assert_array_equal(data.s, expected_s())
    assert data.case_column("name") == [row[1] for row in BASE_CASES]
    assert [r["quote"] for r in data.codes] == [row[5] for row in BASE_CODES]
    return data


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_loads_to_the_same_dataset(factory, reference, variant):
    path = factory.make(variant, **VARIANTS[variant])
    raw = (path / "cases.csv").read_bytes()
    if VARIANTS[variant]["encoding"] == "cp1252":
        # The premise: the file really is Windows-1252, not UTF-8.
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert "Súdwest-Fryslân".encode("cp1252") in raw
    if VARIANTS[variant].get("bom"):
        assert raw.startswith(b"\xef\xbb\xbf")
    data = load_dataset(path)
    assert_same_dataset(data, reference)
    assert data.warnings == reference.warnings == []
    # The first column is case_id, not "\ufeffcase_id": the BOM must not stick to the header.
    assert all("\ufeff" not in key for key in data.cases[0])
    assert data.case_column("name")[0] == "Súdwest-Fryslân"


def test_crlf_line_endings_load_the_same(factory, reference):
    path = factory.make("crlf")
    for name in ("cases.csv", "codes.csv", "streams.csv"):
        file = path / name
        file.write_bytes(file.read_bytes().replace(b"\n", b"\r\n"))
    data = load_dataset(path)
    assert_same_dataset(data, reference)
    assert all(not v.endswith("\r") for r in data.cases for v in map(str, r.values()))


def test_semicolon_file_with_commas_inside_cells(factory, reference):
    # Dutch Excel: ";" separates, "," is the decimal mark and appears in free text.
    t = factory.tables()
    for row in t["codes"]:
        row[5] = row[5] + ", en verder, enzovoort"
    data = load_dataset(factory.make("semi", tables=t, delimiter=";", encoding="cp1252"))
    np.testing.assert_array_equal(data.x, reference.x)
    assert all(r["quote"].endswith(", en verder, enzovoort") for r in data.codes)


def test_mixed_encodings_across_files(factory, reference):
    # One file re-saved by Excel on Windows, the others UTF-8: each file is decoded on its own.
    path = factory.make("mixed")
    text = (path / "cases.csv").read_text(encoding="utf-8")
    (path / "cases.csv").write_bytes(text.replace(",", ";").encode("cp1252"))
    assert_same_dataset(load_dataset(path), reference)


@pytest.mark.parametrize("text", ["é ë ü ï ô – € “quote”", "Zoëterwoude;Düren", "ÿ"])
def test_decode_cp1252_roundtrip(text):
    assert decode(text.encode("cp1252"), "f.csv") == text
    assert decode(text.encode("utf-8"), "f.csv") == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "f.csv") == text


@pytest.mark.parametrize("header, expected", [
    ("case_id;name;w1;w2", ";"),
    ("case_id,name,w1,w2", ","),
    ("case_id\tname\tw1\tw2", "\t"),
    ("case_id", ","),
    ("case_id;name\nc1,a,b,c,d,e", ";"),  # only the header line decides
])
def test_sniff_delimiter_uses_header(header, expected):
    assert sniff_delimiter(header) == expected
