"""Batch scoring: many profiles at once equal the per-profile reference path, and one sortable table.

The batch path (``score_dataset``'s default: the per-draw pieces of every profile's advice in a few
passes over all profiles, interventions from coefficients read off once, summaries sorted together)
is held to the reference path (``reference_path=True``: ``advise`` one profile at a time as the report
computes one case) for every field of the score, to 1e-12, on the shipped study's data, on a study
that is not the shipped one, and on a one-phase study; the profiles hold not-discussed cells, known
windows and coded stream states.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math

import numpy as np
import pytest

from bayesstreams.analysis.scoring import score_dataset, score_to_dict
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.profile import read_profile

from .conftest import ROOT, STUDY, run_cli
from .fakes import fake_run, make_dataset, random_parameters, stack_draws
from .helpers import prior_like_draws
from .test_own_study import one_phase_copy

_spec = importlib.util.spec_from_file_location("score_profiles_gen", ROOT / "benchmarks" / "_profiles.py")
profiles_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(profiles_gen)

TOLERANCE = 1e-12


def assert_same(reference, batch, path="score"):
    """Every field equal: floats to TOLERANCE (NaN to NaN), everything else exactly."""
    if isinstance(reference, dict):
        assert list(reference) == list(batch), path
        for key in reference:
            assert_same(reference[key], batch[key], f"{path}.{key}")
    elif isinstance(reference, list):
        assert len(reference) == len(batch), path
        for j, (a, b) in enumerate(zip(reference, batch)):
            assert_same(a, b, f"{path}[{j}]")
    elif isinstance(reference, float) and isinstance(batch, float):
        assert (math.isnan(reference) and math.isnan(batch)) or abs(reference - batch) <= TOLERANCE, \
            f"{path}: {reference!r} != {batch!r}"
    else:
        assert reference == batch, f"{path}: {reference!r} != {batch!r}"


def both_paths(run, profiles, **options) -> tuple[dict, dict]:
    kwargs = dict(measure_prior=False, **options)
    reference = score_to_dict(score_dataset(run, profiles, reference_path=True, **kwargs))
    batch = score_to_dict(score_dataset(run, profiles, **kwargs))
    return reference, batch


def profile_file(tmp_path, dataset, n, seed=342):
    return read_profile(profiles_gen.write_profiles(tmp_path / "profiles.csv", dataset, n, seed), dataset.codebook,
                        tuple(dataset.groups))


def assert_varied(profiles):
    """The profiles exercise what the batch path must get right: gaps, known windows, coded streams."""
    assert np.isnan(profiles.x).any(axis=1).sum() >= 5
    assert (profiles.w[:, 0] == 1).any() and (profiles.w[:, 0] == 0).any() and np.isnan(profiles.w[:, 0]).any()
    assert (~np.isnan(profiles.s)).any(axis=(1, 2)).sum() >= 5


@pytest.fixture(scope="module")
def shipped_run():
    """The shipped study's data with prior-like draws standing in for its posterior."""
    dataset = load_dataset(STUDY)
    return fake_run(dataset, prior_like_draws(dataset, n=300, seed=8), prior_like_draws(dataset, n=300, seed=9))


def test_batch_equals_reference_on_the_shipped_study(shipped_run, tmp_path):
    profiles = profile_file(tmp_path, shipped_run.dataset, 40)
    assert_varied(profiles)
    reference, batch = both_paths(shipped_run, profiles)
    assert_same(reference, batch)
    advised = [case["advice"] for case in batch["cases"]]
    assert {a["target"] for a in advised} == {"W1", "W2", None}  # every kind of next window was compared
    assert any(a["plans"] for a in advised) and any(a["then_w2_plans"] for a in advised)
    assert any(a["find_out_first"] for a in advised) and any(a["necessity"] for a in advised)


def test_blocks_of_profiles_give_the_same_scores(shipped_run, tmp_path, monkeypatch):
    """Profiles are prepared a block at a time (bounded memory); where the blocks end changes nothing."""
    from bayesstreams.analysis import scoring

    profiles = profile_file(tmp_path, shipped_run.dataset, 20, seed=3)
    whole = score_to_dict(score_dataset(shipped_run, profiles, measure_prior=False))
    monkeypatch.setattr(scoring, "BLOCK", 7)
    assert_same(whole, score_to_dict(score_dataset(shipped_run, profiles, measure_prior=False)))


def test_batch_equals_reference_on_a_study_that_is_not_the_shipped_one(tmp_path):
    dataset = make_dataset(group_labels=["north", "south", "", "north", "south"])
    rng = np.random.default_rng(5)
    run = fake_run(dataset, stack_draws([random_parameters(dataset, rng, gamma_scale=1.0) for _ in range(60)]))
    profiles = profile_file(tmp_path, dataset, 30, seed=7)
    assert_varied(profiles)
    reference, batch = both_paths(run, profiles)
    assert_same(reference, batch)


def test_batch_equals_reference_on_a_one_phase_study(tmp_path):
    dataset = load_dataset(one_phase_copy(tmp_path / "one"))
    assert dataset.phases == (1,)
    run = fake_run(dataset, prior_like_draws(dataset, n=200, seed=3))
    profiles = profile_file(tmp_path, dataset, 25, seed=11)
    reference, batch = both_paths(run, profiles)
    assert_same(reference, batch)
    assert all(case["advice"]["then_w2_plans"] == [] for case in batch["cases"])


def test_batch_equals_reference_when_the_profiles_are_the_runs_own_cases(shipped_run):
    """``in_data``: the posterior already holds the cases' evidence, so no draw is reweighted."""
    dataset = shipped_run.dataset
    reference = score_to_dict(score_dataset(shipped_run, dataset, in_data=True, measure_prior=False,
                                            reference_path=True))
    assert_same(reference, score_to_dict(score_dataset(shipped_run, dataset, in_data=True, measure_prior=False)))


# ---------------------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from .helpers import write_fake_run

    dataset = load_dataset(STUDY)
    folder = write_fake_run(tmp_path_factory.mktemp("score-table") / "run", dataset,
                            prior_like_draws(dataset, n=200, seed=8), prior_like_draws(dataset, n=200, seed=9))
    return folder, dataset


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_table_has_one_sortable_row_per_profile(run_folder, tmp_path, capsys, suffix):
    folder, dataset = run_folder
    profile = profiles_gen.write_profiles(tmp_path / "in" / "profiles.csv", dataset, 20) if (tmp_path / "in").mkdir() \
        is None else None
    out = tmp_path / "out" / f"scores{suffix}"
    (tmp_path / "out").mkdir()
    code, stdout, _ = run_cli(["score", str(folder), str(profile), "--table", str(out), "--lang", "nl"], capsys)
    assert code == 0 and str(out) in stdout
    assert [p.name for p in (tmp_path / "out").iterdir()] == [out.name]  # nothing else written
    import pandas as pd

    table = {".csv": lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""]),
             ".jsonl": lambda p: pd.read_json(p, lines=True),
             ".xlsx": lambda p: pd.read_excel(p)}[suffix](out)
    code, stdout, _ = run_cli(["score", str(folder), str(profile), "--json", "--lang", "nl"], capsys)
    cases = json.loads(stdout)["cases"]
    assert list(table["case_id"].astype(str)) == [case["case_id"] for case in cases]
    for row, case in zip(table.to_dict("records"), cases):
        advice = case["advice"]
        assert row["n_not_discussed"] == case["n_not_discussed"]
        for window in advice["windows"]:
            name = window["window"].lower()
            if window["known"]:
                assert row[f"{name}_known"] == window["known"] and pd.isna(row[f"p_{name}"])
            else:
                assert row[f"p_{name}"] == pytest.approx(window["p"]["mean"], abs=1e-12)
                assert row[f"p_{name}_q05"] <= row[f"p_{name}"] <= row[f"p_{name}_q95"]
        assert row["percentile_p_w2"] == pytest.approx(case["percentile_p_w2"])
        assert [row["bottleneck_phase1"], row["bottleneck_phase2"]] == [b["stream"] for b in advice["bottlenecks"]]
        if advice["levers"]:
            assert row["lever_1"] == advice["levers"][0]["factor"]
            assert row["lever_1_label"] == advice["levers"][0]["label"]  # in the table's language
            assert row["lever_1_gain"] == pytest.approx(advice["levers"][0]["gain"]["mean"], abs=1e-12)
        if advice["plans"]:
            assert row["plan"] == " + ".join(advice["plans"][0]["factors"])
            assert bool(row["plan_reaches"]) == advice["plans"][0]["reaches"]
        assert (row["next_window"] or None if not pd.isna(row["next_window"]) else None) == advice["target"]


@pytest.mark.parametrize("study", ["shipped", "one-phase", "no streams"])
def test_table_rows_and_csv_equal_those_of_the_whole_score_and_pandas(shipped_run, tmp_path, study):
    """The rows read off the cases directly equal those of the whole ``score_to_dict`` (in both languages), and
    the CSV written without pandas is, byte for byte, pandas' ``to_csv`` of them (quotes, commas, line breaks,
    missing values, booleans, a one-phase study's columns, a model without streams: no advice)."""
    import pandas as pd

    from bayesstreams.reporting import score_table

    if study == "shipped":
        run = shipped_run
    elif study == "one-phase":
        dataset = load_dataset(one_phase_copy(tmp_path / "one"))
        run = fake_run(dataset, prior_like_draws(dataset, n=200, seed=3))
    else:
        from bayesstreams.model.config import load_config
        from bayesstreams.model.priors import draw_prior

        dataset = load_dataset(STUDY)
        draws = draw_prior(load_config(ROOT / "models" / "additive.toml"), dataset.factor_phase,
                           dataset.factor_stream, len(dataset.groups), 200, np.random.default_rng(3))
        run = fake_run(dataset, draws, kind="additive")
    result = score_dataset(run, profile_file(tmp_path, run.dataset, 12, seed=4), measure_prior=False)
    result.cases[0].name = 'Gemeente "Oost", noord\nzuid'  # quoted, with a comma and a line break
    result.cases[1].level = ""
    phases = [int(p) for p in result.phases]
    for lang in ("en", "nl"):
        expected = [score_table._row(case, phases) for case in score_to_dict(result, lang)["cases"]]
        rows = score_table.score_rows(result, lang)
        assert rows == expected
        assert [list(row) for row in rows] == [list(row) for row in expected]  # the same column order
        assert score_table._csv(rows) == pd.DataFrame.from_records(rows).to_csv(index=False).encode("utf-8")
    if study != "no streams":
        assert any(row["plan_reaches"] is not None for row in rows) and any(row["w1_known"] for row in rows)
    assert ("p_w2" in rows[0]) == (study != "one-phase")


def test_a_csv_table_does_not_import_pandas(run_folder, tmp_path):
    """``score --table x.csv`` writes its CSV without importing pandas (about 0.4 s of a batch's time)."""
    import subprocess
    import sys

    folder, dataset = run_folder
    profile = profiles_gen.write_profiles(tmp_path / "profiles.csv", dataset, 3)
    code = ("import sys\nfrom bayesstreams.cli import main\n"
            f"main(['score', {str(folder)!r}, {str(profile)!r}, '--table', {str(tmp_path / 't.csv')!r}])\n"
            "assert 'pandas' not in sys.modules, 'pandas was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert len(list(csv.reader((tmp_path / "t.csv").open()))) == 4


def test_table_refuses_to_overwrite_and_unknown_formats(run_folder, tmp_path, capsys):
    folder, dataset = run_folder
    profile = profiles_gen.write_profiles(tmp_path / "profiles.csv", dataset, 3)
    out = tmp_path / "scores.csv"
    out.write_text("keep me")
    code, _, err = run_cli(["score", str(folder), str(profile), "--table", str(out)], capsys)
    assert code == 2 and "already exists" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert out.read_text() == "keep me"
    code, _, _ = run_cli(["score", str(folder), str(profile), "--table", str(out), "--force"], capsys)
    assert code == 0 and len(list(csv.reader(out.open()))) == 4
    code, _, err = run_cli(["score", str(folder), str(profile), "--table", str(tmp_path / "scores.txt")], capsys)
    assert code == 2 and ".csv, .jsonl or .xlsx" in err and not (tmp_path / "scores.txt").exists()


def test_table_bad_profile_is_one_located_line(run_folder, tmp_path, capsys):
    folder, _ = run_folder
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,factor,code\nm1,p1_insight,1\nm2,p1_insigt,1\n")
    code, _, err = run_cli(["score", str(folder), str(bad), "--table", str(tmp_path / "t.csv")], capsys)
    assert code == 2 and "bad.csv:3:factor" in err and "p1_insigt" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not (tmp_path / "t.csv").exists()


# ---------------------------------------------------------------------------- the plan search's edges


def _edge_profiles(tmp_path, dataset):
    """Profiles at the edges of the plan search and the levers, written as one wide profile file.

    ``ties``: three phase-1 factors of one stream coded 0 whose effects are made equal draw by draw
    (see the test), so singles, pairs and triples tie; ``no_lever_w1``: every phase-1 factor at +1
    (no lever toward W1, the phase-2 plans after it remain); ``no_lever_w2``: W1 known open and
    every phase-2 factor at +1; ``all_plus``: every cell +1; ``all_coded``: every cell coded, none
    not discussed (nothing to find out first); ``one_candidate``: a single phase-1 factor below +1.
    """
    header, rows = profiles_gen.profile_rows(dataset, 1)
    factors = list(dataset.factor_ids)
    phase = np.asarray(dataset.factor_phase)
    rng = np.random.default_rng(4)

    def row(case_id, codes, w1="", w2="", streams=None):
        cells = ["" if np.isnan(c) else str(int(c)) for c in codes]
        return [case_id, case_id, *cells, w1, w2, *(streams or [""] * (len(header) - 5 - len(factors)))]

    base = np.asarray(dataset.x[0], dtype=float)
    ties = base.copy()
    ties[[factors.index(f) for f in ("p1_media", "p1_funding", "p1_insight")]] = 0.0
    no_w1 = np.where(phase == 0, 1.0, base)
    no_w2 = np.where(phase == 1, 1.0, base)
    one = np.where(phase == 0, 1.0, base)
    one[factors.index("p1_insight")] = -1.0
    table = [row("ties", ties), row("no_lever_w1", no_w1), row("no_lever_w2", no_w2, w1="1"),
             row("all_plus", np.ones(len(factors))), row("all_coded", rng.integers(-1, 2, len(factors)).astype(float)),
             row("one_candidate", one)]
    path = tmp_path / "edges.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *table])
    return read_profile(path, dataset.codebook, tuple(dataset.groups))


def test_batch_equals_reference_at_the_edges_of_the_plan_search(tmp_path):
    """Ties between plans, profiles without a lever, every cell +1 or coded: the batch path still equals the reference."""
    dataset = load_dataset(STUDY)
    draws = prior_like_draws(dataset, n=300, seed=21)
    same = [dataset.factor_ids.index(f) for f in ("p1_media", "p1_funding", "p1_insight")]
    draws["beta"][:, same] = draws["beta"][:, same[:1]]  # one stream, equal effects: tied plans
    run = fake_run(dataset, draws, prior_like_draws(dataset, n=300, seed=22))
    profiles = _edge_profiles(tmp_path, dataset)
    reference, batch = both_paths(run, profiles)
    assert_same(reference, batch)
    advice = {case["case_id"]: case["advice"] for case in batch["cases"]}
    tied = [lever for lever in advice["ties"]["levers"] if lever["factor"] in ("p1_media", "p1_funding", "p1_insight")]
    assert len(tied) == 3 and len({lever["gain"]["mean"] for lever in tied}) == 1
    assert [lever["factor"] for lever in tied] == ["p1_media", "p1_funding", "p1_insight"]  # ties: codebook order
    # a threshold the tied singles reach: the plans of size 1 tie, and keep the order of their candidates
    low = tied[0]["with_step"]["mean"] - 1e-6
    reference, batch_low = both_paths(run, profiles, threshold=low)
    assert_same(reference, batch_low)
    plans = next(case["advice"]["plans"] for case in batch_low["cases"] if case["case_id"] == "ties")
    tied_plans = [plan["factors"] for plan in plans if plan["p_target"]["mean"] == tied[0]["with_step"]["mean"]]
    assert len(tied_plans) >= 2 and tied_plans == [["p1_media"], ["p1_funding"], ["p1_insight"]][:len(tied_plans)]
    for case_id, target in (("no_lever_w1", "W1"), ("no_lever_w2", "W2")):
        assert advice[case_id]["target"] == target
        assert advice[case_id]["levers"] == [] and advice[case_id]["plans"] == []
        assert advice[case_id]["plans_reach"] is False
    assert advice["no_lever_w1"]["then_w2_plans"]  # phase 2 still has its plans after W1 opens
    assert advice["all_plus"]["levers"] == [] and advice["all_plus"]["plans"] == []
    assert advice["all_plus"]["then_w2_plans"] == []
    assert advice["all_coded"]["find_out_first"] == [] and advice["all_coded"]["levers"]
    assert [lever["factor"] for lever in advice["one_candidate"]["levers"]] == ["p1_insight"]
    assert all(plan["factors"] == ["p1_insight"] for plan in advice["one_candidate"]["plans"])


def test_rowwise_interpolation_is_np_interp_row_by_row():
    """The one-pass quantile reading equals ``np.interp`` per row: levels outside the points, repeated points
    (draws of weight 0), flat stretches and a level exactly on a point."""
    from bayesstreams.analysis.advice import LEVELS, interpolate_rows

    rng = np.random.default_rng(12)
    xp = np.sort(rng.random((200, 9)), axis=1)
    xp[::3, 2:5] = xp[::3, 2:3]  # repeated points
    xp[1::7, :] = np.linspace(0.1, 0.9, 9)  # a level (0.25 is not, 0.05 and 0.95 are outside) ...
    xp[2::7, 3] = 0.25  # ... and a level exactly on a point
    xp = np.sort(xp, axis=1)
    fp = np.sort(rng.integers(0, 4, (200, 9)).astype(float), axis=1)  # flat stretches
    got = interpolate_rows(LEVELS, xp, fp)
    want = np.array([np.interp(LEVELS, x, f) for x, f in zip(xp, fp)])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("model", [None, "models/streams-marginal.toml", "models/streams-salience.toml"])
def test_every_case_of_a_run_advised_at_once_is_each_advised_alone(shipped_run, model):
    """The report's advice rows (:func:`cases_advice`, the batch path) are :func:`case_advice` of each case, to rounding,
    also under the evidence modes (whose cases are advised without the batch's shared preparation)."""
    from bayesstreams.analysis.advice import advice_to_dict, case_advice, cases_advice
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior

    run = shipped_run
    if model is not None:  # prior draws of the mode's model stand in for its posterior (they carry its parameters)
        dataset, rng = shipped_run.dataset, np.random.default_rng(5)
        config = load_config(ROOT / model)
        draws = [draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 300, rng)
                 for _ in range(2)]
        run = fake_run(dataset, *draws)
    from bayesstreams.analysis.queries import run_baseline

    assert ("evidence" in run_baseline(run).cache) == (model is not None)  # the mode's path is the one tested
    labels = {f.id: {"en": f.label("en")} for f in run.dataset.codebook.factors}
    together = cases_advice(run)
    assert list(together) == list(run.dataset.case_ids)
    assert any(advice.levers for advice in together.values()) and any(advice.plans for advice in together.values())
    for case, advice in together.items():
        assert_same(advice_to_dict(case_advice(run, case), labels), advice_to_dict(advice, labels), case)
