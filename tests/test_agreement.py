"""Krippendorff's alpha between respondents (issue 13.3): the number, its interval, and where it is shown.

The hand computation below is the coincidence-matrix formula written out pair by pair, with
neither :mod:`bayesstreams.data.alpha` nor :mod:`bayesstreams.data.agreement`; on the small table of
:data:`TABLE` it gives 11/27 (nominal) and 19/27 (ordinal), worked out in the comments.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data import agreement as ag
from bayesstreams.data import alpha as ka
from bayesstreams.data.dataset import load_dataset
from bayesstreams.model.simulate import simulate_to_folder
from bayesstreams.model.config import config_from_text

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
LATENT = 'kind = "streams"\nnot_discussed = "marginal"\nrespondents = "latent"\n'

# p1_insight coded by several respondents per case; None = that respondent left the cell empty.
#   coincidences (order -, 0, +): c1 gives o[+,+] = 2; c2 (three codes) o[0,0] = o[0,-] = o[-,0] = 1;
#   c3 o[-,-] = 2; c4 o[+,0] = o[0,+] = 1.  Marginals n = (3, 3, 3), n.. = 9.
#   nominal: 1 - 8 * 4 / (81 - 27) = 11/27.
#   ordinal: d(-,0) = d(0,+) = 3^2 = 9, d(-,+) = (9 - 3)^2 = 36; observed 4 * 9 = 36,
#            expected 2 * (9 * 9 + 9 * 9 + 9 * 36) = 972; 1 - 8 * 36 / 972 = 19/27.
TABLE = {"c1": [1, 1], "c2": [0, 0, -1], "c3": [-1, -1], "c4": [1, 0]}
EXACT = {"nominal": Fraction(11, 27), "ordinal": Fraction(19, 27)}


def hand_alpha(units: list[list], level: str) -> Fraction:
    """Krippendorff's alpha from the coincidence matrix, in exact fractions, one ordered pair at a time."""
    values = (-1, 0, 1)
    o = {(c, k): Fraction(0) for c in values for k in values}
    for codes in units:
        codes = [v for v in codes if v is not None]  # an empty code is missing
        if len(codes) < 2:
            continue
        for i, j in permutations(range(len(codes)), 2):
            o[codes[i], codes[j]] += Fraction(1, len(codes) - 1)
    n_v = {c: sum(o[c, k] for k in values) for c in values}
    n = sum(n_v.values())

    def delta(c, k):
        if level == "nominal":
            return 0 if c == k else 1
        low, high = min(c, k), max(c, k)
        return (sum(n_v[g] for g in values if low <= g <= high) - (n_v[c] + n_v[k]) / 2) ** 2

    observed = sum(o[c, k] * delta(c, k) for c in values for k in values)
    expected = sum(n_v[c] * n_v[k] * delta(c, k) for c in values for k in values if c != k)
    return 1 - (n - 1) * observed / expected


def _dataset_with(factory, table: dict, factor: str = "p1_insight"):
    """The base dataset with ``factor`` recoded by the respondents of ``table`` (case -> codes)."""
    t = factory.tables()
    t["codes"] = [row for row in t["codes"] if row[1] != factor]
    for case, codes in table.items():
        t["codes"] += [[case, factor, "" if code is None else str(code), f"r{r + 1}", "", ""]
                       for r, code in enumerate(codes)]
    return factory.make(tables=t)


def _reliability_data(table: dict) -> np.ndarray:
    """Respondents x cases, NaN where a respondent gave no code: alpha's other input form."""
    width = max(len(codes) for codes in table.values())
    return np.array([[np.nan if r >= len(codes) or codes[r] is None else codes[r] for codes in table.values()]
                     for r in range(width)], dtype=float)


@pytest.mark.parametrize("level", ag.LEVELS)
def test_alpha_equals_the_hand_computation(factory, level):
    assert hand_alpha(list(TABLE.values()), level) == EXACT[level]
    direct = ka.alpha(reliability_data=_reliability_data(TABLE), values=[-1, 0, 1], level=level)
    assert direct == pytest.approx(float(EXACT[level]), abs=1e-12)
    result = ag.agreement(load_dataset(_dataset_with(factory, TABLE)), resamples=50)
    row = result.row("p1_insight", level)
    assert row.alpha == pytest.approx(float(EXACT[level]), abs=1e-12)
    assert (row.n_units, row.n_codes) == (4, 9)
    assert row.status == ag.STATUS_FEW  # 4 pairable cases < 5
    # the other factors have one respondent per cell; the overall alpha pools cells, and only these pair
    assert result.row("p1_congruence_values", level).status == ag.STATUS_ONE
    assert result.row("p1_congruence_values", level).alpha is None
    assert result.row(ag.OVERALL, level).alpha == pytest.approx(float(EXACT[level]), abs=1e-12)


def test_an_empty_code_is_missing_not_a_zero(factory):
    """A third respondent with an empty code changes nothing; the same respondent coding 0 does."""
    empty = {**TABLE, "c1": [1, 1, None]}
    zero = {**TABLE, "c1": [1, 1, 0]}
    for level in ag.LEVELS:
        with_empty = ag.agreement(load_dataset(_dataset_with(factory, empty)), resamples=20).row("p1_insight", level)
        with_zero = ag.agreement(load_dataset(_dataset_with(factory, zero)), resamples=20).row("p1_insight", level)
        assert with_empty.alpha == pytest.approx(float(EXACT[level]), abs=1e-12)
        assert with_empty.n_codes == 9
        assert with_zero.alpha == pytest.approx(float(hand_alpha(list(zero.values()), level)), abs=1e-12)
        assert with_zero.alpha != pytest.approx(with_empty.alpha)


def test_perfect_agreement_is_one_and_no_variation_is_not_computable(factory):
    t = factory.tables()
    t["codes"] += [[c, f, k, "r2", "", ""] for c, f, k, *_ in t["codes"]]  # r2 repeats every code of r1
    result = ag.agreement(load_dataset(factory.make(tables=t)), resamples=100)
    for row in result.rows:  # every base factor varies over the cases
        assert row.alpha == 1.0 and row.low == row.high == 1.0, row
    # two more respondents say 1 where r1 and r2 say 0: below perfect
    t["codes"] += [[c, "p1_congruence_values", "1", r, "", ""] for c in ("c1", "c3") for r in ("r3", "r4")]
    worse = ag.agreement(load_dataset(factory.make(tables=t)), resamples=100)
    assert worse.row("p1_congruence_values", "nominal").alpha < 1
    assert worse.row(ag.OVERALL, "nominal").alpha < 1
    assert worse.row("p1_insight", "nominal") == result.row("p1_insight", "nominal")
    same = {"c1": [1, 1], "c2": [1, 1], "c3": [1, 1, None], "c4": [1]}
    row = ag.agreement(load_dataset(_dataset_with(factory, same))).row("p1_insight", "ordinal")
    assert (row.alpha, row.status, row.n_units) == (None, ag.STATUS_SAME, 3)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """Three respondents per cell reporting through the evidence model's confusion matrix, some cells empty."""
    folder = simulate_to_folder(tmp_path_factory.mktemp("noisy") / "sim", 30, seed=7, config=config_from_text(LATENT),
                                respondents=3, p_missing=0.3)
    return load_dataset(folder)


def test_the_resampled_alpha_is_alpha_of_each_resample(noisy):
    """The bootstrap's one matrix product equals alpha of the resampled units, computed unit by unit, on every resample."""
    counts = ag.value_counts(noisy)
    weights = ag.bootstrap_weights(noisy.n_cases, 40, seed=3)
    for k in (0, 7, None):
        units = counts if k is None else counts[:, k:k + 1]
        for level in ag.LEVELS:
            fast = ag.resampled_alpha(ag.unit_coincidences(units).sum(axis=1), weights, level)
            for w, got in zip(weights, fast):
                drawn = np.repeat(units, w, axis=0).reshape(-1, 3)
                drawn = drawn[drawn.sum(axis=1) >= 2]
                if len(drawn) == 0 or np.count_nonzero(drawn.sum(axis=0)) < 2:
                    assert np.isnan(got)
                else:
                    want = ka.alpha(drawn, values=[-1, 0, 1], level=level)
                    assert got == pytest.approx(want, abs=1e-12)


def test_bootstrap_interval_holds_the_estimate_and_is_reproducible(noisy):
    first = ag.agreement(noisy, resamples=300, seed=11)
    again = ag.agreement(noisy, resamples=300, seed=11)
    other = ag.agreement(noisy, resamples=300, seed=12)
    assert first == again
    assert first.row(ag.OVERALL, "nominal").low != other.row(ag.OVERALL, "nominal").low
    computed = [r for r in first.rows if r.alpha is not None]
    assert len(computed) > 30
    for row in computed:
        assert row.low <= row.alpha <= row.high, row
        assert 0 < row.resamples_defined <= 300
        assert row.status == (ag.STATUS_FEW if row.n_units < ag.MIN_UNITS else ag.STATUS_OK)
    # the respondents disagree (confusion), yet agree more than chance
    assert 0 < first.row(ag.OVERALL, "nominal").alpha < 1


def test_one_respondent_per_cell_is_not_computable(valid_dataset, capsys):
    for path in (valid_dataset, STUDY):
        result = ag.agreement(load_dataset(path))
        assert not result.several_respondents and result.max_respondents == 1
        assert {r.status for r in result.rows} == {ag.STATUS_ONE}
        assert {(r.alpha, r.low, r.high) for r in result.rows} == {(None, None, None)}
        code, out, _ = run_cli(["validate", str(path)], capsys)
        assert code == 0
        lines = [line for line in out.splitlines() if line.startswith("agreement between respondents")]
        assert lines == ["agreement between respondents: not computable: at most one respondent per cell "
                         "(several respondents need a 'respondent' column in the long codes, docs/DATA.md)"]


def _numbers(row) -> str:
    return f"{row.alpha:.2f} [{row.low:.2f}, {row.high:.2f}]"


def test_validate_shows_the_table_of_a_dataset_with_several_respondents(noisy, capsys):
    code, out, _ = run_cli(["validate", noisy.source], capsys)
    assert code == 0
    result = ag.agreement(noisy)  # validate's defaults
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("agreement between respondents ("))
    assert f"{result.n_cells_several} cells coded by 2 or more, at most 3" in lines[start]
    assert "1000 bootstrap resamples of the cases, seed 20200601" in lines[start]
    body = {line.split()[0]: line for line in lines[start + 2:start + 3 + len(noisy.factor_ids)]}
    assert set(body) == {ag.OVERALL, *noisy.factor_ids}
    for factor, line in body.items():
        nominal, ordinal = result.row(factor, "nominal"), result.row(factor, "ordinal")
        if nominal.alpha is None:
            assert nominal.status in line
        else:
            assert re.search(rf"{re.escape(_numbers(nominal))}\s+{re.escape(_numbers(ordinal))}\s+{nominal.n_units}\b",
                             line), line
            assert (ag.STATUS_FEW in line) == (nominal.n_units < ag.MIN_UNITS)


def test_agreement_command_prints_the_table_or_json(noisy, capsys):
    code, out, _ = run_cli(["agreement", noisy.source, "--json", "--resamples", "100", "--seed", "5"], capsys)
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(ag.agreement(noisy, resamples=100, seed=5).to_dict()))
    code, out, _ = run_cli(["agreement", noisy.source, "--resamples", "100"], capsys)
    assert code == 0 and "100 bootstrap resamples of the cases" in out
    code, _, err = run_cli(["agreement", str(ROOT / "no-such-folder")], capsys)
    assert code == 2 and err.count("\n") == 1 and "dataset does not exist" in err


def test_simulate_with_respondents_gives_a_dataset_whose_alpha_is_computed(tmp_path, capsys):
    """Without a confusion matrix every respondent reports the true code: alpha 1 on every varying factor."""
    out = tmp_path / "sim"
    code, _, _ = run_cli(["simulate", "--out", str(out), "--cases", "25", "--respondents", "3", "--seed", "4"], capsys)
    assert code == 0
    result = ag.agreement(load_dataset(out), resamples=50)
    assert result.several_respondents and result.max_respondents == 3
    overall = result.row(ag.OVERALL, "ordinal")
    n_cells = 25 * len(load_dataset(out).factor_ids)  # no cell left empty: every one has three codes
    assert (overall.alpha, overall.status, overall.n_units) == (1.0, ag.STATUS_OK, n_cells)


def test_the_report_shows_the_table_in_both_languages(tmp_path):
    """The agreement table of report.md and report.html holds data/agreement.py's numbers, as does summary.json."""
    from bayesstreams.inference.store import load_run
    from bayesstreams.reporting.i18n import translator
    from bayesstreams.reporting.report import build_report, figure_texts, render_report, summary
    from bayesstreams.reporting.workbook import report_tables

    from .helpers import prior_like_draws, write_fake_run
    from .test_language import DECIMAL, DUTCH, ENGLISH

    noisy = load_dataset(simulate_to_folder(tmp_path / "sim", 6, seed=7, config=config_from_text(LATENT),
                                            respondents=3, p_missing=0.3))
    run = load_run(write_fake_run(tmp_path / "run", noisy, prior_like_draws(noisy, n=60, seed=1)))
    result = ag.agreement(noisy)
    overall = result.row(ag.OVERALL, "nominal")
    for lang, title, decimal in (("en", "Agreement between respondents", "."),
                                 ("nl", "Overeenstemming tussen respondenten", ",")):
        t = translator(lang)
        report = build_report(run, lang)
        texts = figure_texts(report, t)
        html, markdown = render_report(report, dict.fromkeys(texts, ""), t, texts)  # figures are not the point here
        section = markdown[markdown.index(f"### {title}"):].splitlines()
        start = next(i for i, line in enumerate(section) if line.startswith("| "))
        end = next(i for i in range(start, len(section)) if not section[i].startswith("|"))
        rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in section[start + 2:end]]
        assert len(rows) == 1 + len(noisy.factor_ids)
        assert rows[0][1].startswith(f"{overall.alpha:.2f}".replace(".", decimal))
        assert rows[0][3] == str(overall.n_units)
        few = [r[0] for r in rows if r[4] == t("agreement_few")]
        assert few  # six cases: some factors have fewer than five paired ones
        assert few == [f.label(lang) for f in noisy.codebook.factors
                       if result.row(f.id, "nominal").status == ag.STATUS_FEW]
        line = summary(report)["agreement"]["lines"][0]
        assert (line["factor"], line["nominal"]["mean"], line["nominal"]["q05"]) == (ag.OVERALL, overall.alpha,
                                                                                     overall.low)
        assert f'<h3 id="agreement">{title}</h3>' in html
        head, sheet = report_tables(report, t)[t("agreement_title")]  # the workbook's sheet: unrounded
        ordinal = result.row(ag.OVERALL, "ordinal")
        assert len(head) == 9 and len(sheet) == 1 + len(noisy.factor_ids)
        assert sheet[0][:8] == [t("agreement_overall"), overall.alpha, overall.low, overall.high, ordinal.alpha,
                                ordinal.low, ordinal.high, overall.n_units]
        text = "\n".join(section[:end])
        words = set(re.findall(r"[^\W\d_]+", text.lower())) - {label.lower() for f in noisy.codebook.factors
                                                               for label in f.label(lang).split()}
        assert not words & (ENGLISH if lang == "nl" else DUTCH), lang
        assert not DECIMAL[lang].search(text), lang


def test_the_agreement_templates_hard_code_no_words():
    from .test_i18n import TEMPLATES, _visible_text

    for name in ("_agreement.html", "_agreement.md"):
        visible = _visible_text((TEMPLATES / name).read_text(encoding="utf-8"), name.endswith(".md"))
        assert re.findall(r"[^\W\d_]{2,}", visible) == [], name


def test_a_qda_import_with_several_interviews_per_case_gives_their_agreement(tmp_path):
    """Each interview of a municipality is a respondent (docs/DATA.md); alpha is the hand computation of the rows."""
    from bayesstreams.data.qda.importer import import_qdpx

    from .qda_study import EXPECTED_ROWS, write_study

    project, mapping = write_study(tmp_path / "in", "nvivo")
    result = ag.agreement(import_qdpx(project, mapping, tmp_path / "ds").dataset, resamples=50)
    by_factor: dict = {}
    for case, factor, _, code in EXPECTED_ROWS:
        by_factor.setdefault(factor, {}).setdefault(case, []).append(int(code))
    for level in ag.LEVELS:
        for factor, cases in by_factor.items():
            row = result.row(factor, level)
            paired = [codes for codes in cases.values() if len(codes) >= 2]
            if not paired:
                assert (row.alpha, row.status) == (None, ag.STATUS_ONE), factor
            else:  # noord's two interviews: +1 and -1 on p1_insight, no better than chance
                assert row.alpha == pytest.approx(float(hand_alpha(list(cases.values()), level)), abs=1e-12)
                assert (factor, row.n_units, row.status) == ("p1_insight", 1, ag.STATUS_FEW)
