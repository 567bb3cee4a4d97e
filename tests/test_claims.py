"""Claims of the source study as data: claims.toml is validated with located errors, travels with a run,
and each claim gets a computed verdict (supported / contradicted / the data cannot tell) with its reason."""

import json
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.analysis.claims import CANNOT_TELL, CONTRADICTED, SUPPORTED, claim_verdicts, dependency_verdict, judge
from bayesstreams.analysis.prior_dependence import measure
from bayesstreams.data.claims import Claim, claims_from_text, load_claims
from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError
from bayesstreams.reporting.claims_text import explain

from .conftest import run_cli
from .fakes import fake_run, make_dataset, random_parameters, stack_draws

from .helpers import as_study

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"

VALID = '''
[[claim]]
id = "insight"
section = "6.1.1"
text_nl = "Inzicht telt."
text_en = "Insight matters."
query = "factor_effect"
factor = "p1_insight"
window = "W1"
expected = "positive"

[[claim]]
id = "needs"
section = "6.1.1"
text_nl = "Fase 2 heeft fase 1 nodig."
text_en = "Phase 2 needs phase 1."
query = "phase_dependency"
expected = "positive"
'''


# ---------------------------------------------------------------------------- the file


def test_the_shipped_study_carries_the_four_conclusions_of_its_chapter_6():
    data = load_dataset(SHIPPED)
    claims = {c.id: c for c in data.claims}
    assert list(claims) == ["phase2_needs_phase1", "insight_drives_phase1", "collaboration_drives_phase2",
                            "region_orientation_matters"]
    assert claims["phase2_needs_phase1"].query == "phase_dependency"
    assert (claims["insight_drives_phase1"].factor, claims["insight_drives_phase1"].window) == ("p1_insight", "W1")
    assert claims["collaboration_drives_phase2"].factor == "p2_structural_collaboration"
    assert claims["region_orientation_matters"].factor == "p2_region_orientation"
    assert all(c.section.startswith("6.1.1") and c.text_nl and c.text_en for c in claims.values())


def test_a_dataset_without_claims_has_none(valid_dataset, capsys):
    assert load_dataset(valid_dataset).claims == ()
    assert "claims" not in run_cli(["validate", str(valid_dataset)], capsys)[1]


def test_validate_lists_the_claims(capsys):
    code, out, _ = run_cli(["validate", str(SHIPPED)], capsys)
    assert code == 0
    assert ("claims of the source study (claims.toml): 4: phase2_needs_phase1, insight_drives_phase1, "
            "collaboration_drives_phase2, region_orientation_matters") in out


def _error_lines(text: str, codebook) -> list[str]:
    with pytest.raises(InputError) as info:
        claims_from_text(text, codebook, "claims.toml")
    return info.value.lines()


@pytest.mark.parametrize("old, new, expected", [
    ('factor = "p1_insight"', 'factor = "p1_insightt"', "claims.toml:8:factor: factor 'p1_insightt' is not in the codebook"),
    ('window = "W1"', 'window = "W3"', "claims.toml:9:window: window must be W1 or W2"),
    ('expected = "positive"\n\n', 'expected = "up"\n\n', "claims.toml:10:expected: expected must be one of positive, negative"),
    ('query = "phase_dependency"', 'query = "necessity"', "claims.toml:17:query: query must be one of"),
    ('id = "needs"', 'id = "insight"', "claims.toml:13:id: duplicate claim id 'insight' (first at line 2)"),
    ('text_en = "Insight matters."\n', '', "claims.toml:2:text_en: text_en is required"),
    ('factor = "p1_insight"\nwindow = "W1"', 'factor = "p2_region"\nwindow = "W1"',
     "claims.toml:9:window: factor 'p2_region' belongs to phase 2 and cannot move W1"),
    ('expected = "positive"\n\n', 'expected = "positive"\nstream = "policy"\n\n',
     "claims.toml:11:stream: unknown key 'stream' for a factor_effect claim"),
    # claims of size (issue 23 item 5)
    ('expected = "positive"\n\n', 'expected = "positive"\nsize = "huge"\nat_least_pp = 20\n\n',
     "claims.toml:11:size: size must be one of important, decisive"),
    ('expected = "positive"\n\n', 'expected = "positive"\nsize = "decisive"\n\n',
     "claims.toml:11:size: size 'decisive' needs at_least_pp"),
    ('expected = "positive"\n\n', 'expected = "positive"\nat_least_pp = 20\n\n',
     "claims.toml:11:at_least_pp: at_least_pp needs size"),
    ('expected = "positive"\n\n', 'expected = "positive"\nsize = "important"\nat_least_pp = 0\n\n',
     "claims.toml:12:at_least_pp: at_least_pp must be a number of percentage points above 0 and at most 100"),
    ('expected = "positive"\n\n', 'expected = "positive"\nsize = "important"\nat_least_pp = "20"\n\n',
     "claims.toml:12:at_least_pp: at_least_pp must be a number"),
    ('query = "phase_dependency"\nexpected = "positive"', 'query = "phase_dependency"\nexpected = "positive"\nsize = "decisive"',
     "claims.toml:19:size: size states a size in percentage points: only a factor_effect claim takes it"),
])
def test_claims_errors_are_located_by_file_line_and_key(old, new, expected):
    from .fakes import make_codebook

    text = VALID.replace(old, new, 1)
    assert text != VALID
    lines = _error_lines(text, make_codebook())
    assert any(line.startswith(expected) for line in lines), lines


def test_a_claim_of_size_is_read_and_written_back():
    from .fakes import make_codebook

    text = VALID.replace('expected = "positive"\n\n', 'expected = "positive"\nsize = "decisive"\nat_least_pp = 20\n\n', 1)
    insight, needs = claims_from_text(text, make_codebook())
    assert (insight.size, insight.at_least_pp, needs.size, needs.at_least_pp) == ("decisive", 20.0, "", None)
    assert insight.to_toml_dict()["at_least_pp"] == 20.0 and "size" not in needs.to_toml_dict()


def test_bad_toml_and_unknown_tables_are_located():
    from .fakes import make_codebook

    bad_toml = _error_lines('[[claim]]\nid = "x\n', make_codebook())[0]
    assert bad_toml.startswith("claims.toml:2:") and "not valid TOML" in bad_toml, bad_toml
    unknown = _error_lines('[claims]\nid = "x"\n', make_codebook())[0]
    assert unknown.startswith("claims.toml:") and "claims: unknown top-level key 'claims'" in unknown, unknown


def test_validate_prints_a_located_error_and_exits_2(valid_dataset, capsys):
    (valid_dataset / "claims.toml").write_text(VALID.replace('"p1_insight"', '"nope"', 1), encoding="utf-8")
    code, _, err = run_cli(["validate", str(valid_dataset)], capsys)
    assert code == 2
    assert err.strip() == f"error: {valid_dataset / 'claims.toml'}:8:factor: factor 'nope' is not in the codebook"


def test_claims_travel_with_the_run_snapshot(valid_dataset, tmp_path):
    from bayesstreams.data.export import write_long

    (valid_dataset / "claims.toml").write_text(VALID, encoding="utf-8")
    data = load_dataset(valid_dataset)
    assert [c.id for c in data.claims] == ["insight", "needs"]
    write_long(data, tmp_path / "snapshot")
    again = load_dataset(tmp_path / "snapshot")
    assert again.claims == data.claims and again.content_hash() == data.content_hash()


# ---------------------------------------------------------------------------- verdicts


def _claim(**kw) -> Claim:
    base = dict(id="c", section="6", text_nl="nl", text_en="en", query="factor_effect", expected="positive",
                factor="p1_insight", window="W1")
    base.update(kw)
    return Claim(**base)


def _row(q05: float, q95: float, prior_driven: bool = False) -> dict:
    return {"mean": (q05 + q95) / 2, "q05": q05, "q95": q95, "prior_driven": prior_driven, "shift_ratio": 0.3}


@pytest.mark.parametrize("claim, row, verdict, reason", [
    (_claim(), _row(0.02, 0.30), SUPPORTED, "above"),
    (_claim(expected="negative"), _row(0.02, 0.30), CONTRADICTED, "above"),
    (_claim(), _row(-0.30, -0.02), CONTRADICTED, "below"),
    (_claim(expected="negative"), _row(-0.30, -0.02), SUPPORTED, "below"),
    (_claim(), _row(-0.05, 0.30), CANNOT_TELL, "spans"),
    (_claim(), _row(0.02, 0.30, prior_driven=True), CANNOT_TELL, "prior_driven"),
    (_claim(factor="p2_framing", window="W2"), _row(0.02, 0.30), CANNOT_TELL, "no_data"),
    (_claim(query="phase_dependency", factor="", window=""), _row(0.55, 0.98), SUPPORTED, "above"),
    (_claim(query="phase_dependency", factor="", window=""), _row(0.05, 0.95), CANNOT_TELL, "spans"),
    (_claim(query="stream_necessity", factor="", window="", phase=1, stream="policy"), None, CANNOT_TELL, "no_query"),
])
def test_verdict_per_case(claim, row, verdict, reason):
    from bayesstreams.analysis.claims import REFERENCE

    judged = judge(claim, row, REFERENCE[claim.query], no_data={"p2_framing"})
    assert (judged.verdict, judged.reason) == (verdict, reason)
    assert explain(judged)  # every verdict reads as a sentence


def _rho_run(rho_draws, prior_rho, seed=0):
    dataset = make_dataset()
    rng = np.random.default_rng(seed)
    sets = []
    for rho in rho_draws:
        params = random_parameters(dataset, rng)
        params["rho"] = np.array(rho)
        sets.append(params)
    prior_sets = []
    for rho in prior_rho:
        params = random_parameters(dataset, rng)
        params["rho"] = np.array(rho)
        prior_sets.append(params)
    return fake_run(dataset, stack_draws(sets), stack_draws(prior_sets))


def test_the_dependency_verdict_is_cannot_tell_when_rho_posterior_equals_its_prior():
    rng = np.random.default_rng(2)
    run = _rho_run(rng.uniform(size=1000), rng.uniform(size=1000))
    verdict = dependency_verdict(run, measure(run.posterior, run.dataset))
    assert verdict.verdict == CANNOT_TELL and verdict.reason == "spans"
    assert verdict.prior_mean == pytest.approx(0.5, abs=0.05) and verdict.mean == pytest.approx(0.5, abs=0.05)
    assert "Under the prior alone" in explain(verdict)


def test_the_dependency_verdict_is_supported_when_rho_is_pinned_near_zero():
    rng = np.random.default_rng(3)
    run = _rho_run(rng.beta(1, 40, size=1000), rng.uniform(size=1000))
    verdict = dependency_verdict(run, measure(run.posterior, run.dataset))
    assert verdict.verdict == SUPPORTED and verdict.q05 > 0.5


def test_claim_verdicts_follow_the_claims_order_and_use_the_flag():
    dataset = make_dataset()
    rng = np.random.default_rng(0)
    draws = stack_draws([random_parameters(dataset, rng) for _ in range(300)])
    wide = {k: np.array(v, copy=True) for k, v in draws.items()}
    wide["beta"][:, 0] += 10.0  # p1_insight's effect is the wide prior's, not the data's
    claims = claims_from_text(VALID, dataset.codebook)
    run = fake_run(dataset, draws)
    verdicts = claim_verdicts(run, claims, measure(draws, dataset, wide=wide))
    assert [v.claim_id for v in verdicts] == ["insight", "needs"]
    assert verdicts[0].verdict == CANNOT_TELL and verdicts[0].reason == "prior_driven"


# ---------------------------------------------------------------------------- the report


def test_the_report_has_a_claims_section_only_with_claims(tmp_path):
    from bayesstreams.reporting.i18n import translator
    from bayesstreams.reporting.report import write_report

    from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run

    t = translator("en")
    dataset = partly_observed_dataset(n_cases=6, seed=8)
    draws, prior = prior_like_draws(dataset, n=200, seed=3), prior_like_draws(dataset, n=300, seed=9)
    plain = write_report(as_study(write_fake_run(tmp_path / "plain", dataset, draws, prior=prior)), tmp_path / "r1")
    assert t("sec_claims") not in (plain / "report.md").read_text(encoding="utf-8")
    assert json.loads((plain / "summary.json").read_text())["claims"] == []
    factor = dataset.factor_ids[0]
    dataset.claims = claims_from_text(VALID.replace("p1_insight", factor), dataset.codebook)
    folder = write_report(as_study(write_fake_run(tmp_path / "with", dataset, draws, prior=prior)), tmp_path / "r2")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    summary = json.loads((folder / "summary.json").read_text())
    assert f"## {t('sec_claims')}" in markdown
    assert [c["claim_id"] for c in summary["claims"]] == ["insight", "needs"]
    short = markdown.split(f"## {t('short_title')}")[1].split("\n- ")[1]
    assert short.startswith(t("short_claims").split("{")[0])  # In short starts from the claims
    for claim in summary["claims"]:
        assert f"| {claim['text']} | {claim['section']} | **{t('verdict_' + claim['verdict'])}** | " in markdown
    assert summary["dependency_verdict"]["verdict"] == summary["claims"][1]["verdict"]
    from openpyxl import load_workbook

    from bayesstreams.reporting.workbook import sheet_title

    book = load_workbook(folder / "tables" / "report.xlsx")
    assert book.sheetnames[0] == sheet_title(t("sec_claims"), set())
    rows = list(book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == [t("verdict_" + c["verdict"]) for c in summary["claims"]]


@pytest.mark.model
def test_the_dependency_verdict_is_supported_on_simulated_data_with_rho_zero(tmp_path):
    """300 simulated cases with rho = 0: phase 2 never opens without phase 1, and a real fit says so."""
    from bayesstreams.analysis.prior_dependence import prior_dependence
    from bayesstreams.model.simulate import simulate_to_folder, simulation_codebook
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.config import load_config

    n_factors = len(simulation_codebook().factors)
    params = {"alpha": [[1.0] * 3] * 2, "beta": [0.5] * n_factors, "lambda": [0.05, 0.05], "kappa": [0.05, 0.05],
              "rho": 0.0}
    (tmp_path / "truth.json").write_text(json.dumps({"parameters": params}))
    folder = simulate_to_folder(tmp_path / "sim", 300, seed=11, params_file=tmp_path / "truth.json")
    data = load_dataset(folder)
    assert np.nansum((data.w[:, 0] == 0) & (data.w[:, 1] == 1)) == 0
    result = fit(data, load_config(None), seed=3, draws=300, tune=300, chains=2)
    result.info = {"settings": {"chains": 2}}
    verdict = dependency_verdict(result, prior_dependence(result))
    assert verdict.verdict == SUPPORTED, explain(verdict)
    assert verdict.q05 > 0.5 and verdict.prior_mean == pytest.approx(0.5, abs=0.05)


def test_claim_texts_are_escaped_in_html_and_markdown(tmp_path):
    from bayesstreams.reporting.report import write_report

    from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run

    dataset = partly_observed_dataset(n_cases=6, seed=8)
    hostile = '<script>alert(1)</script> | *bold* [link](http://x)'
    text = VALID.replace("Insight matters.", hostile.replace('"', "'")).replace("p1_insight", dataset.factor_ids[0])
    dataset.claims = claims_from_text(text, dataset.codebook)
    draws = prior_like_draws(dataset, n=200, seed=3)
    folder = write_report(as_study(write_fake_run(tmp_path / "run", dataset, draws, prior=draws)), tmp_path / "report")
    html = (folder / "report.html").read_text(encoding="utf-8")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in markdown and r"\| \*bold\* \[link\]" in markdown
