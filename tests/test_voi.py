"""What to find out next (analysis.voi; issue 24)."""

import numpy as np
import pytest

from bayesstreams.analysis.advice import weighted_summary
from bayesstreams.analysis.voi import (CHECK_DISAGREE, Candidate, Query, _intervals, candidates, next_evidence,
                                       outcomes, parse_query, proposed_profiles, read_profile)
from bayesstreams.errors import RunError

DEPENDENCY = "claim:phase2_needs_phase1"


def test_many_weighted_intervals_at_once_equal_the_advice_summary_one_at_a_time():
    rng = np.random.default_rng(5)
    values = rng.normal(size=500)
    weights = rng.dirichlet(np.full(500, 0.3), size=6)
    low, high, sd = _intervals(values, weights)
    for r in range(6):
        one = weighted_summary(values, weights[r])
        assert low[r] == pytest.approx(one["q05"]) and high[r] == pytest.approx(one["q95"])
        mean = weights[r] @ values
        assert sd[r] == pytest.approx(np.sqrt(weights[r] @ (values - mean) ** 2))


def test_queries_are_spelled_as_the_cli_takes_them_and_a_wrong_one_is_named(fake_study):
    data = fake_study[1].dataset
    assert parse_query("dependency", data) == Query("dependency")
    assert parse_query("case:Gemeente 6", data) == Query("case", "g6")
    assert parse_query("effect:p2_framing", data) == Query("effect", "p2_framing", "W2")
    with pytest.raises(RunError, match="no claim 'nope'"):
        parse_query("claim:nope", data)
    with pytest.raises(RunError, match="W1 \\(phase-1 factors\\)"):
        parse_query("effect:p2_framing:W1", data)


def test_candidates_cover_every_cell_and_the_gap_profile(fake_study):
    data = fake_study[1].dataset
    found = candidates(data)
    reveal = {(c.case_id, c.factor) for c in found if c.kind == "reveal"}
    actionable = np.array([f not in data.codebook.context for f in data.factor_ids])  # context: never asked about
    assert len(reveal) == int(np.isnan(data.x[:, actionable]).sum()) > 0
    checks = [c for c in found if c.kind == "check"]
    assert len(checks) == int((~np.isnan(data.x[:, actionable])).sum() + (~np.isnan(data.s)).sum())
    gap = proposed_profiles(data)[0]
    assert gap.w[0] == 0 and np.isnan(gap.w[1]) and gap.s[3:] == (1.0, 1.0, 1.0)
    assert {p.origin for p in proposed_profiles(data)[1:]} == {f"like:{c}" for c in ("g1", "g3", "g4", "g5")}


def test_outcome_chances_are_a_distribution_per_draw(fake_study):
    _, run = fake_study
    reveal = Candidate("reveal", "g6", factor="p2_framing")
    check = Candidate("check", "g6", factor="p2_internal_communication", old=0.0)
    stream = Candidate("check", "g6", phase=2, stream="problem", old=0.0)
    for group in outcomes(run, [reveal, check, stream]):
        total = sum(o.p_draw for o in group)
        assert np.allclose(total, 1.0)
    same = outcomes(run, [check])[0][0]
    assert same.label == "same" and np.allclose(same.p_draw, 1 - CHECK_DISAGREE)
    assert np.all(same.log_ratio == 0)


def test_a_profile_file_is_read_and_a_wrong_one_located(fake_study, tmp_path):
    data = fake_study[1].dataset
    good = tmp_path / "p.toml"
    good.write_text('name = "closed, moving"\nw1 = 0\n[streams]\n"2.problem" = 1\n[codes]\np2_framing = 1\n')
    profile = read_profile(good, data)
    assert profile.w[0] == 0 and np.isnan(profile.w[1]) and profile.s[3] == 1
    assert profile.x[data.factor_ids.index("p2_framing")] == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("w1 = 0\nw2 = 1\n")
    with pytest.raises(RunError, match="bad.toml: w1, w2"):
        read_profile(bad, data)


def test_new_cases_that_reveal_rho_are_worth_more_than_cases_like_those_we_have(fake_study):
    """Prior-like draws: only a municipality with W1 closed and phase-2 streams moving tells of rho."""
    _, run = fake_study
    found = next_evidence(run, queries=["dependency"], kinds=("new",), sizes=(1, 5))
    table = found.frame.set_index("candidate")
    gap1, gap5 = table.loc["new:gap:1"], table.loc["new:gap:5"]
    assert gap5["expected_reduction"] > gap1["expected_reduction"] > 0
    for case in ("g1", "g3", "g4", "g5"):
        like = table.loc[f"new:like:{case}:1"]
        assert gap1["expected_reduction"] > like["expected_reduction"]
    assert found.top("dependency", 1)["candidate"].iloc[0] == "new:gap:5"
    assert found.to_xarray()["expected_reduction"].dims == ("query", "candidate")


def test_a_check_that_finds_the_same_code_changes_nothing(fake_study):
    """The 'same' outcome leaves every draw's weight; with a second coder who never disagrees, no value."""
    import bayesstreams.analysis.voi as voi

    _, run = fake_study
    cand = lambda c: c.kind == "check" and c.case_id == "g6" and c.factor == "p2_internal_communication"
    found = next_evidence(run, queries=["case:g6", DEPENDENCY], candidates_of=cand)
    assert (found.frame["p_unreliable"] == 0).all()
    original = voi.CHECK_DISAGREE
    try:
        voi.CHECK_DISAGREE = 0.0
        none = next_evidence(run, queries=["case:g6", DEPENDENCY], candidates_of=cand)
    finally:
        voi.CHECK_DISAGREE = original
    assert np.allclose(none.frame["expected_reduction"], 0, atol=1e-12)
    assert np.allclose(none.frame[["p_lever_change", "p_verdict_change"]].fillna(0), 0)


@pytest.mark.model
def test_on_the_shipped_study_the_gap_municipality_and_gemeente_6s_check_come_first(study_fit):
    """Issue 24's done-when: the dependency claim ranks the gap profile above one like Gemeente 1-5, with its
    effect on the interval and a chance to leave 'cannot tell'; for Gemeente 6 the check of its internal
    communication code comes first."""
    found = next_evidence(study_fit)
    dep = found.frame[found.frame["query"] == DEPENDENCY].set_index("candidate")
    assert dep["verdict_now"].iloc[0] == "cannot_tell"
    for case in ("g1", "g3", "g4", "g5"):
        assert dep.loc["new:gap:1", "expected_reduction"] > dep.loc[f"new:like:{case}:1", "expected_reduction"]
        assert dep.loc["new:gap:5", "p_leaves_cannot_tell"] > dep.loc[f"new:like:{case}:5", "p_leaves_cannot_tell"]
    assert dep.loc["new:gap:5", "p_leaves_cannot_tell"] > 0.1
    g6 = found.for_case("g6", 1)
    assert g6["candidate"].iloc[0] == "check:g6:p2_internal_communication"
    assert g6["p_lever_change"].iloc[0] > 0.05


def test_the_next_command_prints_the_top_candidates_and_json(fake_study, capsys):
    import json

    from .conftest import run_cli

    folder, _ = fake_study
    code, out, _ = run_cli(["next", str(folder), "--query", "dependency", "--top", "2"], capsys)
    assert code == 0 and out.splitlines()[0] == "What to find out next"
    assert "1. interview 5 new municipalities: phase-1 window closed, phase-2 streams moving" in out
    code, out, _ = run_cli(["next", str(folder), "--query", "case:g6", "--json", "--lang", "nl"], capsys)
    records = json.loads(out)
    assert code == 0 and {r["query"] for r in records} == {"case:g6"}
    assert all(0 <= r["p_lever_change"] <= 1 for r in records)


def test_a_wrong_query_is_one_line_and_exit_2(fake_study, capsys):
    from .conftest import run_cli

    code, out, err = run_cli(["next", str(fake_study[0]), "--query", "claim:nope"], capsys)
    assert code == 2 and "no claim 'nope'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_briefs_find_out_first_is_ordered_by_what_finding_out_is_worth(fake_study, monkeypatch):
    import bayesstreams.reporting.brief as brief

    seen = {}
    original = brief._order_by_value

    def spy(run, case_id, advice, found=None):
        original(run, case_id, advice, found)
        seen[case_id] = list(advice["find_out_first"])

    monkeypatch.setattr(brief, "_order_by_value", spy)
    _, run = fake_study
    brief.brief_data(run, "g6", lang="nl")
    entries = seen["g6"]
    assert entries and all(e["value"] is not None for e in entries)
    keys = [(e["value"]["p_lever_change"], e["value"]["expected_reduction"]) for e in entries]
    assert keys == sorted(keys, reverse=True)
    found = next_evidence(run, queries=["case:g6"], kinds=("reveal",), candidates_of=lambda c: c.case_id == "g6")
    assert {e["factor"] for e in entries} <= set(found.frame["factor"])


def test_the_report_shows_what_to_find_out_next_in_both_languages(fake_study, tmp_path):
    from bayesstreams.reporting.report import write_report

    from .helpers import as_study

    folder, run = fake_study
    found = next_evidence(run, queries=["dependency", "case:g6"], kinds=("check", "new"))
    for lang, title in (("en", "What to find out next"), ("nl", "Wat eerst uitzoeken")):
        out = write_report(as_study(folder), tmp_path / lang, lang=lang, next_found=found)
        html, markdown = (out / "report.html").read_text(encoding="utf-8"), (out / "report.md").read_text(encoding="utf-8")
        assert title in html and f"### {title}" in markdown
        assert ("phase-2 streams moving" if lang == "en" else "stromen van fase 2 in beweging") in markdown
    bare = write_report(as_study(folder), tmp_path / "none", lang="en")
    assert "What to find out next" not in (bare / "report.md").read_text(encoding="utf-8")
