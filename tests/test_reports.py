"""Reports and briefs: escaping, translations, numbers that agree, figures drawn from tables only."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.codebook import Codebook, Factor
from bayesstreams.reports.brief import write_brief
from bayesstreams.reports.i18n import LANGUAGES, table
from bayesstreams.reports.write import write_report

from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run

XSS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>", "<iframe src=javascript:alert(1)>",
    "</td></tr></table><script>x()</script>", "<a href=\"javascript:alert(1)\">x</a>", "{{7*7}}<b>", "{% raw %}<i>",
    "[click](javascript:alert(1))<x>", "<body onload=alert(1)>", "<style>*{display:none}</style>", "'><script>1</script>",
    "<math><mi xlink:href=\"javascript:alert(1)\">", "<details open ontoggle=alert(1)>", "<input autofocus onfocus=alert(1)>",
    "<object data=javascript:alert(1)>", "<embed src=javascript:alert(1)>", "<link rel=stylesheet href=//evil>",
    "<meta http-equiv=refresh content=0;url=//evil>", "<base href=//evil/>", "<form action=//evil><button>",
    "<video><source onerror=alert(1)>", "<audio src=x onerror=alert(1)>", "<marquee onstart=alert(1)>",
    "<table background=javascript:alert(1)>", "<div style=\"background:url(javascript:alert(1))\">",
    "<!--<img src=x>-->", "<![CDATA[<script>]]>", "<svg><script>alert(1)</script></svg>", "| <b>pipe</b> | `code` *em*",
]


def hostile_dataset():
    """A dataset whose case names, factor labels, quotes and group names are all XSS payloads."""
    base = partly_observed_dataset(n_cases=len(XSS), seed=4, groups=True)
    factors = tuple(Factor(f.id, f.phase, f.stream, label_en=XSS[j % len(XSS)], label_nl=XSS[(j + 1) % len(XSS)])
                    for j, f in enumerate(base.codebook.factors))
    cases = [{**c, "name": XSS[i]} for i, c in enumerate(base.cases)]
    codes = [{**c, "quote": XSS[k % len(XSS)]} for k, c in enumerate(base.codes)]
    groups = tuple(sorted({XSS[0], XSS[1], XSS[2]}))
    relabel = {old: groups[j] for j, old in enumerate(base.groups)}
    cases = [{**c, "group": relabel.get(c["group"], "")} for c in cases]
    remap = np.array([groups.index(relabel[base.groups[g]]) if g >= 0 else -1 for g in base.group])
    from dataclasses import replace

    return replace(base, codebook=Codebook(factors), cases=cases, codes=codes, groups=groups, group=remap)


@pytest.fixture(scope="module")
def hostile_outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    dataset = hostile_dataset()
    run = write_fake_run(tmp / "run", dataset, prior_like_draws(dataset), passed=False)
    outputs = {}
    for lang in LANGUAGES:
        folder = write_report(run, tmp / f"report-{lang}", lang=lang)
        outputs[f"html-{lang}"] = (folder / "report.html").read_text(encoding="utf-8")
        outputs[f"md-{lang}"] = (folder / "report.md").read_text(encoding="utf-8")
        outputs[f"brief-{lang}"] = write_brief(run, tmp / f"brief-{lang}.html", case_id=dataset.case_ids[1],
                                               lang=lang).read_text(encoding="utf-8")
    return outputs, tmp


@pytest.mark.parametrize("payload", XSS)
def test_payloads_never_appear_unescaped(hostile_outputs, payload):
    outputs, _ = hostile_outputs
    for name, text in outputs.items():
        assert payload not in text, name


def test_outputs_hold_no_active_markup(hostile_outputs):
    outputs, _ = hostile_outputs
    for name, text in outputs.items():
        lowered = text.lower()
        assert "<script" not in lowered and "javascript:" not in lowered.replace("javascript:alert", ""), name
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", lowered), name
        if name.startswith("md"):
            assert "](javascript" not in lowered


def test_failed_diagnostics_put_a_red_banner_on_top(hostile_outputs):
    outputs, _ = hostile_outputs
    body = outputs["html-en"].split("<body>", 1)[1]
    assert body.lstrip().startswith('<div class="banner">')
    assert "rhat" in body.split("</div>", 1)[0] and "divergences" in body.split("</div>", 1)[0]


def test_translation_tables_have_the_same_keys_and_cover_the_templates():
    en, nl = table("en"), table("nl")
    assert set(en) == set(nl)
    assert all(en[k].strip() and nl[k].strip() for k in en)
    templates = Path(__file__).resolve().parents[1] / "bayesstreams" / "reports" / "templates"
    used = set()
    for template in templates.glob("*.j2"):
        used |= set(re.findall(r"t\('([a-z0-9_]+)'", template.read_text(encoding="utf-8")))
    # keys built from a prefix (t('stream_' + name)) must exist for every value they take
    expansions = {"stream_": ["problem", "policy", "politics"], "phase_short_": ["1", "2"]}
    for prefix in [k for k in used if k.endswith("_")]:
        used.discard(prefix)
        used |= {prefix + v for v in expansions[prefix]}
    assert used and used <= set(en), used - set(en)
    # no user-facing English hard-coded in the Dutch output's section headings: every heading is a key
    assert {f"sec_{name}" for name in ("data", "model", "factors", "dependency", "cases", "taught")} <= used


def test_report_md_and_summary_json_carry_the_same_numbers(tmp_path):
    dataset = partly_observed_dataset(n_cases=6, seed=8)
    run = write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, seed=3))
    folder = write_report(run, tmp_path / "report")
    summary = json.loads((folder / "summary.json").read_text())
    md = (folder / "report.md").read_text()
    for factor in summary["factors"]:
        line = next(x for x in md.splitlines() if f"| {factor['label']} |" in x and "[" in x)
        for window in ("W1", "W2"):
            if factor[window]:
                s = factor[window]
                assert f"{s['mean']:.2f} [{s['q05']:.2f}, {s['q95']:.2f}]" in line
    for case in summary["cases"]:
        line = next(x for x in md.splitlines() if x.startswith(f"| {case['name']} |"))
        assert f"{100 * case['p_w1']['mean']:.0f}% ({100 * case['p_w1']['q05']:.0f}%–{100 * case['p_w1']['q95']:.0f}%)" in line
    rho = next(r for r in summary["dependency"] if r["quantity"] == "rho")
    assert f"| {rho['mean']:.2f} | {rho['q25']:.2f} – {rho['q75']:.2f} | {rho['q05']:.2f} – {rho['q95']:.2f} |" in md


def test_plots_draw_exactly_the_table_they_are_given():
    from bayesstreams.reports import plots

    rows = [{"label": "alpha factor", "phase": 1, "stream": "problem",
             "W1": {"mean": 0.25, "q05": -0.125, "q25": 0.125, "q75": 0.375, "q95": 0.5}},
            {"label": "beta factor", "phase": 1, "stream": "policy",
             "W1": {"mean": -0.2, "q05": -0.4, "q25": -0.3, "q75": -0.1, "q95": 0.0}}]
    svg = plots.forest_svg(rows, "W1", "effect")
    assert "alpha factor" in svg and "beta factor" in svg
    source = Path(plots.__file__).read_text(encoding="utf-8")
    for forbidden in ("queries", "likelihood", "contraction", "np.mean", "quantile", "scoring"):
        assert forbidden not in source
    # the plotted intervals are the table's: the 90% segment is 5 times the 50% segment's half-width ratio
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    captured = []
    original = plt.Axes.plot

    def spy(self, xs, ys, *args, **kwargs):
        captured.append(list(xs))
        return original(self, xs, ys, *args, **kwargs)

    plt.Axes.plot = spy
    try:
        plots.forest_svg(rows, "W1", "effect")
    finally:
        plt.Axes.plot = original
    assert [-0.4, 0.0] in captured and [-0.3, -0.1] in captured and [0.25] in captured
    assert [-0.125, 0.5] in captured and [0.125, 0.375] in captured


def test_calibrated_words_follow_the_documented_scale():
    from bayesstreams.reports.i18n import translator
    from bayesstreams.reports.words import phrase, word_key

    assert [word_key(p) for p in (0.05, 0.2, 0.5, 0.8, 0.95)] == ["very_unlikely", "unlikely", "even", "likely",
                                                                   "very_likely"]
    t = translator("nl")
    assert phrase(0.8, 0.7, 0.85, t) == "waarschijnlijk (66-90%)"
    assert "het 90%-interval loopt van onwaarschijnlijk tot zeer waarschijnlijk" in phrase(0.7, 0.2, 0.95, t)


def test_brief_for_a_case_uses_its_in_sample_prediction(tmp_path):
    from bayesstreams.queries import query_tables
    from bayesstreams.reports.brief import brief_data
    from bayesstreams.store import load_run

    dataset = partly_observed_dataset(n_cases=6, seed=2)
    run = load_run(write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, seed=1)))
    data = brief_data(run, case_id="c3", lang="en")
    predictions = query_tables(run)["case_predictions"]
    expected = predictions[(predictions["case_id"] == "c3") & (predictions["quantity"] == "p_w2")]["mean"].iloc[0]
    assert data["p_w2"]["mean"] == pytest.approx(expected, abs=1e-12)
    assert all(s["case_id"] != "c3" for s in data["similar"]) and len(data["similar"]) == 3
    assert len(data["levers"]) == 3
