"""Scoring profiles of new cases: reading, validation, predictions, similarity, output."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from bayesstreams.errors import InputError
from bayesstreams.data.profile import read_profile
from bayesstreams.analysis.queries import bottlenecks, case_predictions, levers
from bayesstreams.analysis.scoring import (
    code_distance,
    most_similar,
    percentile_among,
    score_profiles,
    score_to_dict,
    score_dataset,
)

from bayesstreams.reporting.score_text import format_score

from .fakes import fake_run, make_dataset, random_parameters, stack_draws

GROUPS = ["north", "south", "", "north", "south"]


@pytest.fixture(scope="module")
def run():
    dataset = make_dataset(group_labels=GROUPS)
    rng = np.random.default_rng(21)
    posterior = stack_draws([random_parameters(dataset, rng, gamma_scale=1.0) for _ in range(4)], repeat=2)
    return fake_run(dataset, posterior)


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def code_text(value: float) -> str:
    return "" if math.isnan(value) else str(int(value))


def wide_profile(path, dataset, cases, with_group=True):
    header = ["case_id"] + (["group"] if with_group else []) + list(dataset.factor_ids) + ["w1", "w2"]
    rows = [[dataset.case_ids[i]] + ([dataset.cases[i]["group"]] if with_group else [])
            + [code_text(v) for v in dataset.x[i]] + ["1", "0"] for i in cases]
    return write(path, header, rows)


def long_profile(path, dataset, cases):
    rows = [[dataset.case_ids[i], f, code_text(v)] for i in cases for f, v in zip(dataset.factor_ids, dataset.x[i])
            if not math.isnan(v)]
    return write(path, ["case_id", "factor", "code"], rows)


# ---------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_a_reference_case_scores_as_its_in_sample_prediction(run, tmp_path, layout):
    dataset = run.dataset
    i = 0  # group "north": its gamma must be used
    if layout == "wide":
        path = wide_profile(tmp_path / "p.csv", dataset, [i])
    else:
        path = long_profile(tmp_path / "p.csv", dataset, [i])
        dataset_no_group = make_dataset(group_labels=[""] * 5)
        run = fake_run(dataset_no_group, run.posterior)  # a long profile carries no group
        dataset = dataset_no_group
    result = score_profiles(run, path)
    case = result.cases[0]
    assert case.case_id == dataset.case_ids[i]
    expected = case_predictions(run.posterior, dataset)
    for quantity in ("p_w1", "p_w2", "p_w2_given_w1"):
        want = expected[(expected["case_id"] == case.case_id) & (expected["quantity"] == quantity)].iloc[0]
        for column in ("mean", "q05", "q25", "q75", "q95"):
            assert getattr(case, quantity)[column] == pytest.approx(want[column], rel=1e-12, abs=1e-14)
    assert case.similar[0]["case_id"] == case.case_id and case.similar[0]["distance"] == 0
    if layout == "wide":
        want = bottlenecks(run.posterior, dataset).query(f"case_id == '{case.case_id}'")
        assert [(b["phase"], b["stream"]) for b in case.bottlenecks] == list(zip(want["phase"], want["stream"]))
        assert [b["p_lowest"] for b in case.bottlenecks] == pytest.approx(list(want["p_lowest"]))
    assert case.not_discussed == [f for f, v in zip(dataset.factor_ids, dataset.x[i]) if math.isnan(v)]


def test_group_of_a_wide_profile_is_used(run, tmp_path):
    with_group = score_profiles(run, wide_profile(tmp_path / "a.csv", run.dataset, [0])).cases[0]
    without = score_profiles(run, wide_profile(tmp_path / "b.csv", run.dataset, [0], with_group=False)).cases[0]
    assert with_group.group == "north" and without.group is None
    assert with_group.p_w1["mean"] != pytest.approx(without.p_w1["mean"], abs=1e-6)


def test_absent_factors_count_as_not_discussed_and_as_zero(run, tmp_path):
    ids = run.dataset.factor_ids
    partial = write(tmp_path / "partial.csv", ["case_id", "factor", "code"],
                    [["new", ids[0], "1"], ["new", ids[5], "-1"], ["new", ids[6], ""]])
    explicit = write(tmp_path / "explicit.csv", ["case_id"] + list(ids),
                     [["new", "1", "0", "0", "0", "0", "-1", "0", "0"]])
    a, b = score_profiles(run, partial).cases[0], score_profiles(run, explicit).cases[0]
    assert a.n_coded == 2 and a.n_not_discussed == 6 and ids[6] in a.not_discussed
    assert b.n_coded == 8 and b.n_not_discussed == 0
    assert a.p_w2 == pytest.approx(b.p_w2)
    assert [lever["factor"] for lever in a.levers] == [lever["factor"] for lever in b.levers]


def test_profile_case_order_does_not_matter(run, tmp_path):
    forward = score_to_dict(score_profiles(run, wide_profile(tmp_path / "f.csv", run.dataset, [0, 1, 3])))
    backward = score_to_dict(score_profiles(run, wide_profile(tmp_path / "b.csv", run.dataset, [3, 1, 0])))
    assert [c["case_id"] for c in forward["cases"]] == [c["case_id"] for c in reversed(backward["cases"])]
    for a, b in zip(forward["cases"], reversed(backward["cases"])):
        assert a == b


def test_top_levers_are_the_best_w2_levers_and_absent_at_plus_one(run, tmp_path):
    ids = run.dataset.factor_ids
    path = write(tmp_path / "p.csv", ["case_id"] + list(ids),
                 [["low", *["-1"] * len(ids)], ["high", *["1"] * len(ids)]])
    result = score_profiles(run, path, top_levers=4)
    low, high = result.cases
    profiles = read_profile(path, run.dataset.codebook, run.dataset.groups)
    table = levers(run.posterior, profiles).query("case_id == 'low' and window == 'W2'").sort_values("rank")
    assert [lever["factor"] for lever in low.levers] == list(table["factor"][:4])
    assert [lever["gain_w2"]["q05"] for lever in low.levers] == pytest.approx(list(table["q05"][:4]))
    got = [lever["p_gain_gt_threshold"] for lever in low.levers]
    assert got == pytest.approx(list(table["p_gain_gt_threshold"][:4]))
    on_w1 = levers(run.posterior, profiles).query("case_id == 'low' and window == 'W1'")
    w1 = table.merge(on_w1, on="factor", how="left")
    assert [lever["gain_w1_mean"] for lever in low.levers] == pytest.approx(list(w1["mean_y"].fillna(0.0)[:4]))
    assert high.levers == []
    assert high.p_w2["mean"] > low.p_w2["mean"]
    assert high.percentile_p_w2 >= low.percentile_p_w2


def test_additive_runs_score_without_bottlenecks(tmp_path):
    dataset = make_dataset()
    posterior = stack_draws([random_parameters(dataset, np.random.default_rng(s), "additive") for s in range(2)])
    run = fake_run(dataset, posterior, kind="additive")
    case = score_profiles(run, long_profile(tmp_path / "p.csv", dataset, [2])).cases[0]
    assert case.bottlenecks is None
    expected = case_predictions(posterior, dataset).query("case_id == 'c3' and quantity == 'p_w2'")["mean"].item()
    assert case.p_w2["mean"] == pytest.approx(expected)


# ---------------------------------------------------------------------------- similarity and percentile


def test_similarity_uses_shared_coded_factors_and_breaks_ties_by_overlap():
    nan = np.nan
    profile = np.array([1, 0, -1, nan])
    reference = make_dataset(
        x=np.array([[1, 0, -1, 1],        # identical on 3 shared
                    [1, nan, nan, 0],     # identical on 1 shared
                    [-1, 0, -1, -1],      # distance 2/3
                    [nan, nan, nan, 1]]),  # nothing shared
        w=np.array([[1, 1], [0, 0], [1, 0], [nan, nan]]),
        factors=(("f1", 1, "problem"), ("f2", 1, "policy"), ("f3", 2, "politics"), ("f4", 2, "problem")))
    distance, shared = code_distance(profile, reference.x)
    np.testing.assert_allclose(distance[:3], [0, 0, 2 / 3])
    assert np.isnan(distance[3]) and list(shared) == [3, 1, 3, 0]
    ranked = most_similar(profile, reference, n=4)
    assert [r["case_id"] for r in ranked] == ["c1", "c2", "c3", "c4"]
    assert ranked[0]["similarity"] == 1 and ranked[2]["similarity"] == pytest.approx(2 / 3)
    assert ranked[2]["w1"] == 1 and ranked[2]["w2"] == 0


def test_percentile_counts_ties_half():
    assert percentile_among(0.5, [0.1, 0.5, 0.9, 0.2]) == pytest.approx(62.5)
    assert percentile_among(0.0, [0.1, 0.2]) == 0 and percentile_among(1.0, [0.1, 0.2]) == 100


# ---------------------------------------------------------------------------- validation


def violations(excinfo):
    return [(v.row, v.column, v.message) for v in excinfo.value.violations]


def test_unknown_factor_and_code_are_located(run, tmp_path):
    path = write(tmp_path / "p.csv", ["case_id", "factor", "code", "quote"],
                 [["new", "p1_insigth", "1", "x"], ["new", "p1_media", "2", "y"], ["new", "p2_region", "+1", "z"]])
    with pytest.raises(InputError) as excinfo:
        score_profiles(run, path)
    found = violations(excinfo)
    assert (2, "factor") == found[0][:2] and "did you mean 'p1_insight'" in found[0][2]
    assert (3, "code") == found[1][:2]
    assert len(found) == 2
    assert str(excinfo.value.violations[0]).startswith(f"{path}:2:factor: ")


def test_wide_profile_errors_are_located(run, tmp_path):
    ids = list(run.dataset.factor_ids)
    path = write(tmp_path / "p.csv", ["case_id", "group", ids[0], "p1_unknown"],
                 [["a", "east", "1", "0"], ["b", "", "x", "0"], ["a", "", "1", "1"]])
    with pytest.raises(InputError) as excinfo:
        score_profiles(run, path)
    found = {(row, column) for row, column, _ in violations(excinfo)}
    assert {(1, "p1_unknown"), (2, "group"), (3, ids[0]), (4, "case_id")} <= found


def test_a_profile_without_codes_is_refused(run, tmp_path):
    path = write(tmp_path / "p.csv", ["case_id", "name"], [["a", "A"]])
    with pytest.raises(InputError, match="case_id, factor, code"):
        score_profiles(run, path)


def test_xlsx_profile(run, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "profile"
    sheet.append(["case_id", "factor", "code"])
    sheet.append(["new", run.dataset.factor_ids[0], 1])
    book.save(tmp_path / "p.xlsx")
    case = score_profiles(run, tmp_path / "p.xlsx").cases[0]
    assert case.case_id == "new" and case.n_coded == 1


# ---------------------------------------------------------------------------- output


def test_format_and_dict_output(run, tmp_path):
    ids = run.dataset.factor_ids
    path = write(tmp_path / "p.csv", ["case_id", "factor", "code"], [["new", ids[0], "-1"], ["other", ids[1], "1"]])
    result = score_profiles(run, path)
    lines = format_score(result, details=True)
    text = "\n".join(lines)
    assert "case new: 1 of 8 factors coded, 7 not discussed" in text
    assert "not from the streams or windows observed in the case" in text
    assert "levers, the gain in the phase-2 chance" in text and "most similar reference cases" in text
    assert "weakest stream: phase 1" in text
    data = json.loads(json.dumps(score_to_dict(result), allow_nan=False))
    first = data["cases"][0]
    assert first["case_id"] == "new" and first["n_not_discussed"] == 7
    assert set(first["p_w2"]) == {"mean", "q05", "q25", "q75", "q95"}
    assert first["levers"][0]["code"] in (None, -1.0, 0.0)
    assert any(lever["code"] is None for lever in first["levers"])  # not discussed
    assert len(first["similar"]) == 3 and {"w1", "w2", "distance", "n_shared"} <= set(first["similar"][0])
    assert data["n_reference_cases"] == run.dataset.n_cases


def test_score_dataset_matches_score_profiles(run, tmp_path):
    path = wide_profile(tmp_path / "p.csv", run.dataset, [1, 2])
    profiles = read_profile(path, run.dataset.codebook, run.dataset.groups)
    assert score_to_dict(score_dataset(run, profiles)) == score_to_dict(score_profiles(run, path))


def imported(modules: str, watch: tuple[str, ...]) -> list[str]:
    code = f"import sys; import {modules}; print(','.join(m for m in {watch!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_scoring_imports_stay_light():
    """`score` needs NumPy only; the table modules add pandas but never the modelling stack."""
    stack = ("pymc", "pytensor", "arviz", "xarray")
    assert imported("bayesstreams.analysis.scoring, bayesstreams.data.profile", stack + ("pandas",)) == []
    assert imported("bayesstreams.analysis.queries, bayesstreams.analysis.contraction", stack) == []
