"""Several respondents per cell: the per-respondent table, consensus in ``x``, and the layouts.

The long ``codes.csv`` (and a workbook's ``codes`` sheet) may hold one row per (case, factor,
respondent); the model sees their consensus (the sign of the sum), and
``Dataset.respondent_codes()`` keeps every respondent's code for the evidence model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError
from .conftest import BASE_CODES, line_of, run_cli, write_csv_file
from .test_data_roundtrip import write_workbook


def _with_second_respondent(factory):
    t = factory.tables()
    t["codes"].append(["c1", "p1_insight", "-1", "r2", "6.1", "r2 ziet het anders"])   # 1 + -1 -> 0
    t["codes"].append(["c4", "p1_insight", "-1", "r2", "6.1", "r2 is het eens"])       # -1 + -1 -> -1
    t["codes"].append(["c2", "p1_insight", "", "r2", "", ""])                          # r2 did not discuss it
    return t


def test_respondent_codes_keep_every_row_and_x_is_their_consensus(factory):
    data = load_dataset(factory.make(tables=_with_second_respondent(factory)))
    table = data.respondent_codes()
    assert list(table.columns) == ["case_id", "factor", "respondent", "code"]
    assert len(table) == len(BASE_CODES) + 3
    insight = table[table.factor == "p1_insight"]
    got = {(r.case_id, r.respondent): r.code for r in insight.itertuples()}
    assert got[("c1", "r1")] == 1 and got[("c1", "r2")] == -1
    assert got[("c4", "r1")] == -1 and got[("c4", "r2")] == -1
    assert math.isnan(got[("c2", "r2")]) and got[("c2", "r1")] == 0
    k = data.factor_ids.index("p1_insight")
    assert list(data.x[:, k]) == [0.0, 0.0, 1.0, -1.0]
    # case order, then codebook order, then respondent
    order = [(data.case_ids.index(r.case_id), data.factor_ids.index(r.factor), r.respondent)
             for r in table.itertuples()]
    assert order == sorted(order)


def test_workbook_codes_sheet_takes_several_respondents(factory, tmp_path):
    t = _with_second_respondent(factory)
    folder = load_dataset(factory.make(tables=t))
    book = load_dataset(write_workbook(tmp_path / "r.xlsx", t, numbers=True))
    np.testing.assert_array_equal(book.x, folder.x)
    assert book.respondent_codes().equals(folder.respondent_codes())


def test_duplicate_respondent_is_located(factory):
    t = factory.tables()
    t["codes"].append(["c3", "p1_insight", "-1", "r1", "6.1", "r1 nog een keer"])
    with pytest.raises(InputError) as info:
        load_dataset(factory.make(tables=t))
    (v,) = info.value.violations
    assert (v.row, v.column) == (line_of(len(t["codes"]) - 1), "factor")
    assert "respondent 'r1'" in v.message and f"row {line_of(2)}" in v.message


def test_wide_layout_refuses_a_respondent_column(factory, tmp_path, capsys):
    path = factory.make()
    wide = tmp_path / "wide.csv"
    write_csv_file(wide, ["case_id", "w1", "w2", "respondent", "p1_insight"],
                   [["c1", "1", "1", "r1", "1"], ["c1", "1", "1", "r2", "0"]])
    code, _, err = run_cli(["validate", str(wide), "--codebook", str(path / "codebook.toml")], capsys)
    assert code == 2
    assert f"error: {wide}:1:respondent: the wide layout holds one row per case" in err


def test_the_content_hash_sees_every_respondent_code_the_evidence_model_reads(factory):
    """Two datasets with the same consensus but other respondent codes are other data for ``respondents = "latent"``."""
    def hash_with(*rows):
        t = factory.tables()
        t["codes"] += [list(row) for row in rows]
        return load_dataset(factory.make(tables=t))

    base = hash_with()
    agree = hash_with(["c1", "p1_insight", "1", "r2", "", ""])        # r1 says 1: consensus 1
    weaker = hash_with(["c1", "p1_insight", "0", "r2", "", ""])       # 1 + 0: consensus still 1
    np.testing.assert_array_equal(agree.x, weaker.x)
    np.testing.assert_array_equal(agree.x, base.x)
    assert len({base.content_hash(), agree.content_hash(), weaker.content_hash()}) == 3
    # an empty code is no evidence, and the order of the rows is not data
    assert hash_with(["c1", "p1_insight", "", "r2", "", ""]).content_hash() == base.content_hash()
    t = factory.tables()
    t["codes"] = [["c1", "p1_insight", "0", "r2", "", ""], *reversed(t["codes"])]
    assert load_dataset(factory.make(tables=t)).content_hash() == weaker.content_hash()
