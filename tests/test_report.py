"""The report: the numbers report.md shows are summary.json's, figures draw exactly their tables,
failed diagnostics put a banner on top, comparison and additive runs, atomic writing."""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis.accessor import load_study
from bayesstreams.errors import BayesStreamsError
from bayesstreams.inference.store import load_run
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.report import build_report, write_report

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run

NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


# ---------------------------------------------------------------------------- helpers


def add_log_likelihood(folder: Path, dataset, kind: str = "streams") -> Path:
    """Store the pointwise log-likelihood of a fake run's draws (what a fitted run holds; LOO needs it)."""
    from bayesstreams.model.kinds import pointwise_loglik
    from bayesstreams.inference.store import file_sha256, load_draws, save_draws

    posterior, prior, _ = load_draws(folder / "draws.npz")
    save_draws(folder / "draws.npz", posterior, prior, pointwise_loglik(dataset, kind, posterior))
    info = json.loads((folder / "run.json").read_text())
    info["hashes"]["draws.npz"] = file_sha256(folder / "draws.npz")
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def additive_draws(dataset, n: int = 200, seed: int = 0) -> dict:
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior

    config = load_config(Path(__file__).resolve().parents[1] / "models" / "additive.toml")
    return draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), n,
                      np.random.default_rng(seed))


def md_table(markdown: str, first_header: str, contains: str = "") -> list[list[str]]:
    """Rows (cells as text) of the first Markdown table whose header starts with ``first_header`` (and holds ``contains``)."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |") and contains in line)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def shows(text: str, value: float, scale: float = 1.0) -> bool:
    """Whether the printed number ``text`` is ``value * scale`` rounded to the digits it shows."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - scale * value) <= 0.5 * 10 ** -decimals + 1e-9


def check_interval(cell: str, summary: dict | None, scale: float, marker: str, flagged: bool | None = None) -> None:
    """A cell "mean [q05, q95]" (optionally marked prior-driven) against its summary.json entry."""
    if summary is None:
        assert cell == "–"
        return
    if flagged is not None:
        assert (marker in cell) == flagged, cell
    numbers = NUMBER.findall(cell.replace(marker, ""))
    assert len(numbers) == 3, cell
    for text, key in zip(numbers, ("mean", "q05", "q95")):
        assert shows(text, summary[key], scale), (cell, key, summary[key])


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    dataset = partly_observed_dataset(n_cases=6, seed=8)
    folder = tmp_path_factory.mktemp("run") / "run"
    # posterior and prior drawn apart: contraction is near 0 with noise, so some numbers are
    # flagged prior-driven and some are not
    return write_fake_run(folder, dataset, prior_like_draws(dataset, n=200, seed=3),
                          prior=prior_like_draws(dataset, n=300, seed=9))


def shifted_check_run(run_folder, folder, factors, shift: float = 3.0):
    """A fake wide-prior check run of the run's data whose ``beta`` of ``factors`` is moved by ``shift``."""
    from bayesstreams.inference.store import load_run

    run = load_run(run_folder)
    moved = {k: np.array(v, copy=True) for k, v in run.posterior.items()}
    moved["beta"][:, factors] += shift
    return write_fake_run(folder, run.dataset, moved, prior=run.prior)


@pytest.fixture(scope="module")
def check_folder(run_folder, tmp_path_factory):
    # every other factor moved by the "wide prior": some numbers prior-driven, some not
    return shifted_check_run(run_folder, tmp_path_factory.mktemp("wide") / "run-wide", slice(0, None, 2))


@pytest.fixture(scope="module")
def report_en(run_folder, check_folder, tmp_path_factory):
    folder = write_report(load_study(run_folder, wide=check_folder), tmp_path_factory.mktemp("out") / "report", lang="en")
    return folder, json.loads((folder / "summary.json").read_text(encoding="utf-8")), \
        (folder / "report.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- numbers


def test_summary_json_is_strict_json_and_covers_every_case_and_factor(report_en, run_folder):
    folder, summary, _ = report_en

    def refuse(constant):
        raise AssertionError(f"summary.json holds {constant}")

    json.loads((folder / "summary.json").read_text(), parse_constant=refuse)
    from bayesstreams.inference.store import load_run

    dataset = load_run(run_folder).dataset
    assert [c["case_id"] for c in summary["cases"]] == list(dataset.case_ids)
    assert sorted(f["factor"] for f in summary["factors"]) == sorted(dataset.factor_ids)
    assert summary["format"] == "bayesstreams-report/1"


def test_factor_table_in_markdown_shows_summary_numbers(report_en):
    _, summary, md = report_en
    t = translator("en")
    marker, via = f"*{t('prior_driven')}*", t("path_through_w1")
    rows = [r for r in md_table(md, t("col_factor"), t("col_ace_w1")) if not r[0].startswith("**")]
    assert [r[0] for r in rows] == [f["label"] for f in summary["factors"]]
    flags = 0
    for row, factor in zip(rows, summary["factors"]):
        check_interval(row[1], factor["ace_w1"], 100, marker, factor["ace_w1_prior_driven"])
        check_interval(row[2].replace(via, ""), factor["ace_w2"], 100, marker, factor["ace_w2_prior_driven"])
        check_interval(row[3], factor["beta"], 1, marker, factor["beta_prior_driven"])
        assert shows(NUMBER.findall(row[4])[0], factor["beta_p_positive"], 100)
        flags += factor["ace_w2_prior_driven"] + factor["beta_prior_driven"]
    assert 0 < flags < 2 * len(rows)  # the marks are tested both ways (the check run moves every other beta)


def test_case_lever_and_dependency_tables_show_summary_numbers(report_en):
    _, summary, md = report_en
    t = translator("en")
    marker = f"*{t('prior_driven')}*"
    cases = md_table(md, t("col_case"), t("col_p_w1"))
    for row, case in zip(cases, summary["cases"]):
        assert row[0] == case["name"]
        for cell, window in zip((row[1], row[3]), case["windows"]):
            check_interval(cell, window["p"], 100, marker, window["prior_driven"])
        check_interval(row[5], case["p_w2_given_w1"], 100, marker)
        assert row[-1] == str(case["n_not_discussed"])
    levers = md_table(md, t("col_case"), t("col_gain_w2"))
    expected = [(c, lever) for c in summary["cases"] for lever in c["levers"]]
    assert len(levers) == len(expected) > 0
    for row, (case, lever) in zip(levers, expected):
        assert row[1] == str(lever["rank"]) and row[2] == lever["action"] and row[3] == lever["label"]
        check_interval(row[5], lever["gain_w2"], 100, marker)
        check_interval(row[6], lever["gain_w1"], 100, marker)
        assert shows(NUMBER.findall(row[7])[0], lever["p_gain"], 100)
    dependency = md_table(md, t("col_quantity"), t("col_interval50"))
    rho, effect = summary["dependency"]["value"], summary["dependency"]["effect"]
    for row, value, scale in ((dependency[0], rho, 1), (dependency[1], effect, 100)):
        numbers = NUMBER.findall(" ".join(row[1:4]))
        for text, key in zip(numbers, ("mean", "q25", "q75", "q05", "q95")):
            assert shows(text, value[key], scale), (row, key)
    # structural certainty: P(effect > 0) is never shown without its value under the prior
    posterior_p, prior_p = NUMBER.findall(dependency[1][4])
    assert shows(posterior_p, summary["dependency"]["effect_p_positive"], 100)
    assert shows(prior_p, summary["structural"]["dependency_p_prior"], 100)


def test_diagnostics_and_taught_tables_show_summary_numbers(report_en):
    _, summary, md = report_en
    t = translator("en")
    rows = md_table(md, t("col_check"))
    assert [r[0] for r in rows] == [t(f"check_{d['check']}") for d in summary["diagnostics"]["rows"]]
    for row, diagnostic in zip(rows, summary["diagnostics"]["rows"]):
        assert shows(row[1], diagnostic["value"])
    counts = md_table(md, t("col_quantity"), t("col_n_prior"))
    assert [int(r[1]) for r in counts] == [c["n"] for c in summary["taught"]["counts"]]
    assert [int(r[2]) for r in counts] == [c["n_prior_driven"] for c in summary["taught"]["counts"]]
    assert sum(c["n"] for c in summary["taught"]["counts"]) == summary["taught"]["n_total"]


def test_report_numbers_are_the_query_numbers(run_folder):
    from bayesstreams.analysis.queries import query_tables
    from bayesstreams.inference.store import load_run

    run = load_run(run_folder)
    report = build_report(run, "en")
    table = query_tables(run)["factor_importance"]
    for effect in report.factors:
        row = table[(table["factor"] == effect.factor) & (table["quantity"] == "ace") & (table["window"] == "W2")
                    & (table["contrast"] == "+1 vs -1")].iloc[0]
        assert effect.ace_w2.mean == row["mean"] and effect.ace_w2.q05 == row["q05"]
        assert (effect.ace_w1 is None) == (effect.phase == 2)


# ---------------------------------------------------------------------------- outputs


def test_report_html_is_self_contained_and_holds_every_figure(report_en):
    folder, summary, _ = report_en
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.I)
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!#)""", html)  # only in-page anchors
    figures = sorted(p.name for p in (folder / "figures").glob("*.svg"))
    assert figures == ["factor_effects.svg", "rho_prior_posterior.svg"] + [f"streams_{n:02d}.svg" for n in range(1, 7)]
    assert html.count("<svg") == len(figures)
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert all(f"](figures/{name})" in md for name in figures)


def test_failed_diagnostics_put_a_red_banner_on_top(tmp_path):
    dataset = partly_observed_dataset(n_cases=4, seed=2)
    run = write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, n=100), passed=False)
    t = translator("nl")
    folder = write_report(as_study(run), tmp_path / "report", lang="nl")
    body = (folder / "report.html").read_text(encoding="utf-8").split("<body>", 1)[1].lstrip()
    assert body.startswith('<div class="banner"')
    banner = body.split("</div>", 1)[0]
    assert t("check_rhat") in banner and t("check_divergences") in banner and t("check_bfmi") not in banner
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert md.split("\n\n")[1].startswith(f"> **{t('banner_failed')}")
    passed = write_report(as_study(write_fake_run(tmp_path / "ok", dataset, prior_like_draws(dataset, n=100))), tmp_path / "r2")
    assert 'class="banner"' not in (passed / "report.html").read_text(encoding="utf-8")


def test_labels_follow_the_language_and_the_codebook(run_folder, tmp_path):
    folder = write_report(as_study(run_folder), tmp_path / "nl", lang="nl")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "fase 1 problem factor 1" in html and "phase 1 problem factor 1" not in html
    assert translator("nl")("sec_taught") in html and translator("en")("sec_taught") not in html


def test_an_existing_report_is_replaced_only_with_force(run_folder, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(BayesStreamsError, match="--force"):
        write_report(as_study(run_folder), out)
    assert (out / "mine.txt").exists() and not (out / "report.html").exists()
    write_report(as_study(run_folder), out, force=True)
    assert (out / "report.html").exists() and not (out / "mine.txt").exists()


def test_additive_run_reports_without_stream_diagrams(tmp_path):
    dataset = partly_observed_dataset(n_cases=5, seed=5)
    run = write_fake_run(tmp_path / "run", dataset, additive_draws(dataset), kind="additive")
    folder = write_report(as_study(run), tmp_path / "report")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["dependency"]["parameter"] == "delta"
    assert all(case["streams"] == [] for case in summary["cases"])
    assert [p.name for p in (folder / "figures").iterdir()] == ["factor_effects.svg"]
    assert translator("en")("streams_none") in (folder / "report.md").read_text(encoding="utf-8")


def test_compare_run_adds_a_loo_table(tmp_path):
    dataset = partly_observed_dataset(n_cases=6, seed=6)
    first = add_log_likelihood(write_fake_run(tmp_path / "a", dataset, prior_like_draws(dataset, seed=1)), dataset)
    second = add_log_likelihood(write_fake_run(tmp_path / "b", dataset, additive_draws(dataset, seed=2),
                                               kind="additive"), dataset, "additive")
    folder = write_report(as_study(first), tmp_path / "report", compare_run=load_run(second))
    summary = json.loads((folder / "summary.json").read_text())
    rows = summary["comparison"]["rows"]
    assert sorted(r["model"] for r in rows) == ["additive", "streams"]
    assert rows[0]["elpd"] >= rows[1]["elpd"] and rows[0]["elpd_diff"] == 0
    md_rows = md_table((folder / "report.md").read_text(encoding="utf-8"), translator("en")("col_model"))
    for row, expected in zip(md_rows, rows):
        assert row[0] == expected["model"] and shows(row[1], expected["elpd"]) and shows(row[2], expected["se"])


def test_tables_beside_the_report_carry_the_summary_numbers(report_en):
    folder, summary, _ = report_en
    factors = pd.read_csv(folder / "tables" / "factors.csv")
    assert list(factors["factor"]) == [f["factor"] for f in summary["factors"]]
    assert np.allclose(factors["ace_w2_mean"], [f["ace_w2"]["mean"] for f in summary["factors"]])
    cases = pd.read_csv(folder / "tables" / "cases.csv", dtype={"case_id": str})
    assert np.allclose(cases["p_w1_q95"], [c["windows"][0]["p"]["q95"] for c in summary["cases"]])


# ---------------------------------------------------------------------------- figures


def forest_input() -> pd.DataFrame:
    rows = [("a", "alpha factor", 1, "problem", "W1", 0.25, -0.125, 0.125, 0.375, 0.5, False),
            ("a", "alpha factor", 1, "problem", "W2", 0.0625, -0.03, 0.02, 0.09, 0.15, True),
            ("b", "beta factor", 1, "policy", "W1", -0.2, -0.4, -0.3, -0.1, 0.0, True),
            ("b", "beta factor", 1, "policy", "W2", -0.05, -0.1, -0.07, -0.02, 0.01, True),
            ("c", "gamma factor", 2, "politics", "W2", 0.3, 0.05, 0.2, 0.4, 0.55, False)]
    columns = ["factor", "label", "phase", "stream", "window", "mean", "q05", "q25", "q75", "q95", "prior_driven"]
    return pd.DataFrame(rows, columns=columns)


def test_forest_plot_draws_exactly_its_table():
    from bayesstreams.reporting.figures import forest_plot

    table = forest_input()
    fig = forest_plot(table, translator("en"))
    drawn = {}
    for panel, window in zip(fig.axes, ("W1", "W2")):
        for artist in [*panel.patches, *panel.collections, *panel.lines]:
            if artist.get_gid():
                drawn[(window, artist.get_gid())] = artist
    for row in table.itertuples():
        bar = drawn[(row.window, f"ci50-{row.factor}")]
        assert bar.get_x() == pytest.approx(row.q25) and bar.get_width() == pytest.approx(row.q75 - row.q25)
        (start, end), = [segment[:, 0] for segment in drawn[(row.window, f"ci90-{row.factor}")].get_segments()]
        assert (start, end) == pytest.approx((row.q05, row.q95))
        assert list(drawn[(row.window, f"mean-{row.factor}")].get_xdata()) == pytest.approx([row.mean])
        open_bar = tuple(bar.get_facecolor()[:3]) == (1.0, 1.0, 1.0)  # prior-driven: an open bar, its edge coloured
        assert open_bar == row.prior_driven
    assert ("W1", "ci50-c") not in drawn  # a phase-2 factor has no W1 row, so nothing is drawn
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert labels == [translator("en")(f"phase_stream_{p}_{s}") if k == "g" else name for k, name, p, s in (
        ("g", "", 1, "problem"), ("f", "alpha factor", 0, 0), ("g", "", 1, "policy"), ("f", "beta factor", 0, 0),
        ("g", "", 2, "politics"), ("f", "gamma factor", 0, 0))]


def test_stream_diagram_shades_each_stream_by_its_q():
    from matplotlib.colors import to_rgba

    from bayesstreams.reporting.figures import STREAM_COLOURS, WINDOW_FILL, blend, stream_diagram

    q = {(1, "problem"): (0.1, 0.02, 0.3), (1, "policy"): (0.5, 0.3, 0.7), (1, "politics"): (0.9, 0.8, 0.97),
         (2, "problem"): (0.25, 0.1, 0.5), (2, "policy"): (0.75, 0.6, 0.85), (2, "politics"): (0.6, 0.2, 0.9)}
    observed = {(1, "problem"): 0.0, (1, "policy"): 1.0, (2, "politics"): 1.0}
    streams = pd.DataFrame([{"phase": p, "stream": s, "mean": m, "q05": lo, "q95": hi, "observed": observed.get((p, s), np.nan),
                             "bottleneck": (p, s) in ((1, "problem"), (2, "problem"))} for (p, s), (m, lo, hi) in q.items()])
    windows = pd.DataFrame([{"phase": 1, "mean": 0.12, "q05": 0.05, "q95": 0.3, "observed": 1.0, "prior_driven": False},
                            {"phase": 2, "mean": 0.4, "q05": 0.2, "q95": 0.6, "observed": np.nan, "prior_driven": True}])
    fig = stream_diagram(streams, windows, translator("en"))
    ax = fig.axes[0]
    by_gid = {a.get_gid(): a for a in [*ax.patches, *ax.lines] if a.get_gid()}
    for (p, s), (mean, low, high) in q.items():
        arrow = by_gid[f"stream-{p}-{s}"]
        assert arrow.get_facecolor() == pytest.approx(to_rgba(blend(STREAM_COLOURS[s], mean)))
        assert arrow.get_linewidth() > 2 if (p, s) in ((1, "problem"), (2, "problem")) else arrow.get_linewidth() < 2
        marker = by_gid[f"observed-{p}-{s}"]
        state = observed.get((p, s))
        assert marker.get_marker() == ("$?$" if state is None else "o")
        if state is not None:
            assert to_rgba(marker.get_markerfacecolor()) == to_rgba("black" if state == 1 else "white")
    # the 90% interval of q is an affine image of (q05, q95): one scale and one offset per panel
    for p in (1, 2):
        spans = [(by_gid[f"q90-{p}-{s}"].get_xdata(), q[(p, s)]) for s in ("problem", "policy", "politics")]
        scales = [(x[1] - x[0]) / (hi - lo) for x, (_, lo, hi) in spans]
        offsets = [x[0] - scale * lo for (x, (_, lo, _)), scale in zip(spans, scales)]
        assert np.allclose(scales, scales[0]) and np.allclose(offsets, offsets[0]) and scales[0] > 0
    texts = " ".join(text.get_text() for text in ax.texts)
    # a window known to be open is drawn as known, never with a chance; the unknown one with its chance
    assert "chance 12%" not in texts and "(5–30%)" not in texts and "chance 40%" in texts and "(20–60%)" in texts
    marks = {text.get_gid(): text.get_text() for text in ax.texts if (text.get_gid() or "").startswith("prior-")}
    assert marks == {"prior-2": translator("en")("prior_driven")}  # a prior-driven chance says so in its box
    assert by_gid["window-1"].get_facecolor() == pytest.approx(to_rgba(WINDOW_FILL["state_open"]))
    assert by_gid["window-2"].get_facecolor() == pytest.approx(to_rgba(WINDOW_FILL["state_unknown"]))


def test_plots_import_nothing_that_computes():
    import bayesstreams.reporting.figures as plots

    tree = ast.parse(Path(plots.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and m.startswith("bayesstreams")}, imported
    assert "numpy" not in imported and "scipy" not in imported


@pytest.mark.parametrize("module", ["report", "report_assemble", "report_figures", "view", "codes_view", "effects_view",
                                    "cases_view", "run_view"])
def test_report_data_computes_nothing_statistical(module):
    """The report's modules select and label query numbers: no NumPy reductions or quantiles of their own."""
    source = (Path(__file__).resolve().parents[1] / "bayesstreams" / "reporting" / f"{module}.py").read_text(encoding="utf-8")
    for forbidden in ("np.", "numpy", "quantile", ".mean(", ".var(", ".std(", "logistic"):
        assert forbidden not in source, forbidden
