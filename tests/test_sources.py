"""Where stream states come from (data.sources) and the claims' source check (issue 23, item 1)."""

import numpy as np
import pytest

from bayesstreams.analysis import claims as claims_module
from bayesstreams.analysis.claims import SUPPORTED, SUPPORTED_STREAMS_ONLY, Verdict, source_check
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.sources import (BASES, basis_counts, check_basis, dependent_streams, has_dependent_streams,
                                       stream_basis, without_coded_streams)
from bayesstreams.errors import InputError
from bayesstreams.inference.study import NOSTREAMS, STREAMERROR, Study, companion_data, expected_roles, mismatch
from bayesstreams.model.config import load_config

from .conftest import STUDY, STUDY_MODEL, write_csv_file
from .fakes import make_dataset



# ---------------------------------------------------------------------------- the basis column


def test_the_shipped_stream_states_say_where_they_come_from():
    """Every shipped stream state has a basis; those of a case and phase whose codes were read from the same
    5.4 passage are same_passage, the others the thesis's own judgement; none is from a separate source."""
    data = load_dataset(STUDY)
    counts = basis_counts(data)
    observed = int((~np.isnan(data.s)).sum())
    assert counts[""] == 0 and counts["separate_source"] == 0 and sum(counts.values()) == observed == 42
    codes = data.codes_frame()
    from_passage = {(r.case_id, int(r.section[-1])) for r in codes.itertuples()
                    if isinstance(r.section, str) and r.section.startswith("5.4.") and r.section[-1] in "12"}
    basis = stream_basis(data)
    for i, case in enumerate(data.case_ids):
        for p in range(2):
            for k in range(3):
                if not np.isnan(data.s[i, p, k]):
                    expected = "same_passage" if (case, p + 1) in from_passage else "judgement"
                    assert basis[i, p, k] == expected, (case, p + 1, k)
    # Gemeente 6's phase-2 problem stream is the sentence its internal-communication code was read from
    assert basis[data.case_ids.index("g6"), 1, 0] == "same_passage"


def test_a_basis_outside_the_vocabulary_is_a_located_error(factory):
    folder = factory.make()
    streams = (folder / "streams.csv").read_text(encoding="utf-8").splitlines()
    header, rows = streams[0].split(","), [line.split(",") for line in streams[1:]]
    rows = [row + (["hearsay"] if n == 1 else ["separate source"]) for n, row in enumerate(rows)]
    write_csv_file(folder / "streams.csv", header + ["basis"], rows)
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    text = str(caught.value)
    assert "streams.csv:3:basis:" in text and "hearsay" in text  # file, row, column, rule


def test_the_vocabulary_forgives_spelling_but_nothing_else():
    assert [check_basis(b) for b in ("Same passage", "separate-source", " judgement ", "")] == [*BASES[:1], BASES[1],
                                                                                                BASES[2], ""]
    with pytest.raises(ValueError, match="not one of"):
        check_basis("same_section")


def test_without_coded_streams_keeps_only_the_stream_states_from_a_separate_source():
    s = np.full((5, 2, 3), np.nan)
    s[0, 0, 0], s[1, 0, 1], s[2, 1, 2], s[0, 1, 0] = 1, 0, 1, 1
    data = make_dataset(s=s)
    data.stream_basis = {("c1", 1, "problem"): "separate_source", ("c2", 1, "policy"): "same_passage",
                         ("c3", 2, "politics"): "judgement"}  # c1's phase-2 problem stream: basis unknown
    assert has_dependent_streams(data) and int(dependent_streams(data).sum()) == 3
    reduced = without_coded_streams(data)
    assert reduced.s[0, 0, 0] == 1 and int((~np.isnan(reduced.s)).sum()) == 1
    assert np.array_equal(reduced.w, data.w, equal_nan=True) and np.array_equal(reduced.x, data.x, equal_nan=True)
    assert not has_dependent_streams(reduced) and reduced.content_hash() != data.content_hash()
    assert data.s[1, 0, 1] == 0  # the caller's data are not changed


def test_the_basis_survives_a_run_folder(tmp_path):
    """The run's snapshot keeps the basis: a loaded run finds its nostreams companion by the same data."""
    from bayesstreams.data.export import write_long

    data = load_dataset(STUDY)
    write_long(data, tmp_path / "copy")
    again = load_dataset(tmp_path / "copy")
    assert again.stream_basis == data.stream_basis and again.content_hash() == data.content_hash()


# ---------------------------------------------------------------------------- the companions


def test_the_source_check_companions_are_expected_where_they_change_something():
    data = load_dataset(STUDY)
    config = load_config(STUDY_MODEL)
    assert expected_roles(config, data)[-2:] == [NOSTREAMS, STREAMERROR]
    assert NOSTREAMS not in expected_roles(config, without_coded_streams(data))  # nothing left to leave out
    on = load_config(STUDY_MODEL)
    import dataclasses

    on = dataclasses.replace(on, evidence=tuple(sorted({**on.evidence_options, "stream_error": True}.items())))
    assert STREAMERROR not in expected_roles(on, data)
    assert expected_roles(config_from("additive"), data) == ["wide"]


def config_from(kind):
    from bayesstreams.model.config import config_from_text

    return config_from_text(f'kind = "{kind}"\n')


def test_a_nostreams_companion_of_the_full_data_is_refused(fake_study):
    """A companion that kept the coded streams is not the source check's: refused by data hash, located."""
    _, run = fake_study
    info = {"dataset": {"hash": run.dataset.content_hash()}, "model": {"hash": run.config.model_hash()}}
    assert mismatch(run, info, run.config) is None
    assert "other data" in mismatch(run, info, run.config, NOSTREAMS)
    reduced = {"dataset": {"hash": companion_data(run.dataset, NOSTREAMS).content_hash()},
               "model": {"hash": run.config.model_hash()}}
    assert mismatch(run, reduced, run.config, NOSTREAMS) is None
    with pytest.raises(Exception, match="fitted to other data"):
        Study(run, {NOSTREAMS: run})


# ---------------------------------------------------------------------------- the verdict


def _verdict(verdict=SUPPORTED, q05=0.05, q95=0.3, expected="positive"):
    return Verdict("c", "5.1", "", "", "factor_effect", expected, "ace_step_w1", "p1_insight", 0.0, verdict, "above",
                   mean=0.15, q05=q05, q95=q95)


@pytest.fixture
def summaries(monkeypatch):
    """The companions' summaries of the claim's quantity, set per test (the runs are stand-ins)."""
    table = {}
    monkeypatch.setattr(claims_module, "quantity_summaries",
                        lambda run, wanted: {key: table[run] for key in wanted if run in table})
    return table


def test_a_support_that_fails_without_the_coded_streams_is_support_through_them_only(summaries):
    summaries.update({"nostreams": {"mean": 0.14, "q05": -0.02, "q95": 0.36},
                      "streamerror": {"mean": 0.18, "q05": 0.04, "q95": 0.36}})
    (verdict,) = source_check([_verdict()], {NOSTREAMS: "nostreams", STREAMERROR: "streamerror"})
    assert verdict.verdict == SUPPORTED_STREAMS_ONLY and verdict.main_verdict == SUPPORTED
    assert verdict.without_streams["holds"] is False and verdict.with_stream_error["holds"] is True


def test_a_support_that_fails_with_stream_error_is_support_through_the_streams_only(summaries):
    summaries.update({"nostreams": {"mean": 0.14, "q05": 0.01, "q95": 0.36},
                      "streamerror": {"mean": 0.1, "q05": -0.01, "q95": 0.3}})
    (verdict,) = source_check([_verdict()], {NOSTREAMS: "nostreams", STREAMERROR: "streamerror"})
    assert verdict.verdict == SUPPORTED_STREAMS_ONLY


def test_a_support_that_holds_in_both_stays_and_other_verdicts_are_not_touched(summaries):
    summaries.update({"nostreams": {"mean": 0.14, "q05": 0.01, "q95": 0.36},
                      "streamerror": {"mean": 0.1, "q05": 0.02, "q95": 0.3}})
    kept, spans = source_check([_verdict(), _verdict("cannot_tell", -0.1, 0.2)],
                               {NOSTREAMS: "nostreams", STREAMERROR: "streamerror"})
    assert kept.verdict == SUPPORTED and spans.verdict == "cannot_tell"
    assert spans.without_streams["holds"] is True  # the columns are filled for every claim


def test_a_missing_companion_is_named_not_passed_silently(summaries):
    (verdict,) = source_check([_verdict()], {NOSTREAMS: None, STREAMERROR: None})
    assert verdict.verdict == SUPPORTED and verdict.source_missing == (NOSTREAMS, STREAMERROR)
    from bayesstreams.reporting.claims_text import explain

    assert "Not checked without the coded stream states" in explain(verdict)


# ---------------------------------------------------------------------------- the shipped study (real fits)


@pytest.fixture(scope="module")
def shipped_sources(fits):
    from bayesstreams.inference.study import companion_config

    run = fits.study()
    return run, {role: fits.fit(companion_data(run.dataset, role), config=companion_config(run.config, role),
                                seed=run.seed) for role in (NOSTREAMS, STREAMERROR)}


@pytest.mark.model
def test_insight_and_region_orientation_hold_only_through_the_coded_stream_states(shipped_sources):
    """Done-when of issue 23: the two claims the main run supports fall to "cannot tell" on the windows and
    codes alone (the thesis's stream judgements come from the passages the codes were read from)."""
    from bayesstreams.analysis.claims import claim_verdicts
    from bayesstreams.analysis.prior_dependence import prior_dependence

    run, sources = shipped_sources
    verdicts = {v.claim_id: v for v in claim_verdicts(run, run.dataset.claims, prior_dependence(run),
                                                       sources=sources)}
    for claim in ("insight_drives_phase1", "region_orientation_matters"):
        v = verdicts[claim]
        assert v.main_verdict == SUPPORTED and v.verdict == SUPPORTED_STREAMS_ONLY, claim
        assert v.without_streams["q05"] < 0 < v.without_streams["q95"], claim
    assert all(v.verdict != SUPPORTED for v in verdicts.values())


@pytest.mark.model
def test_the_report_shows_the_columns_side_by_side_and_gemeente_6s_lever_without_the_streams(shipped_sources,
                                                                                             tmp_path):
    from bayesstreams.reporting.report import write_report

    run, sources = shipped_sources
    study = Study.of(run, **sources)
    assert study.missing == {role: "not fitted" for role in ("wide", "nd-marginal", "nd-salience")}
    folder = write_report(study, tmp_path / "report")
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "| Main run | Without coded stream states | With stream\\_error |" in text
    assert text.count("**supported only through the coded stream states**") == 2
    assert "2 more are supported only through the coded stream states" in text
    lever = next(line for line in text.splitlines() if line.startswith("| Gemeente 6 | internal communication |"))
    main, without = [cell.strip() for cell in lever.split("|")[3:5]]
    assert float(main.split()[0].lstrip("+")) > 2 * float(without.split()[0].lstrip("+"))  # +60 pp -> about +19
    summary = __import__("json").loads((folder / "summary.json").read_text(encoding="utf-8"))
    insight = next(c for c in summary["claims"] if c["claim_id"] == "insight_drives_phase1")
    assert insight["verdict"] == "supported_streams_only" and insight["main_verdict"] == "supported"
