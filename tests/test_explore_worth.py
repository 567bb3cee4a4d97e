"""The what-if page marks each not-discussed cell of the chosen case by what asking about it is worth (issue 24 item 5).

The value is computed in Python (:func:`bayesstreams.analysis.explore_data.worth_marks`, from
:func:`bayesstreams.analysis.voi.next_evidence`) and embedded in the page; the page only shows
it.  Held here: the marks are the voi values of exactly the case's not-discussed cells, ordered as
the brief's "find out first", read from the study's result when analyze has one, and in the page
they appear on the right cells with the Python numbers, in both languages, and go when the cell
is coded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bayesstreams.analysis.explore_data import explore_payload, worth_marks
from bayesstreams.analysis.voi import next_evidence, worth_level
from bayesstreams.inference.study import Study
from bayesstreams.reporting.explore_page import write_explore

from .test_explore import needs_chromium


def _not_discussed(dataset, case: str) -> set:
    i = dataset.case_ids.index(case)
    return {f for k, f in enumerate(dataset.factor_ids)
            if np.isnan(dataset.x[i, k]) and f not in dataset.codebook.context}


def test_the_marks_are_the_value_of_revealing_each_not_discussed_cell_of_the_case(fake_study):
    _, run = fake_study
    dataset = run.dataset
    marks = worth_marks(run)
    found = next_evidence(run, kinds=("reveal",))
    assert worth_marks(run, found) == marks  # read from the study's result: the same marks, none computed again
    marked = [c for c, m in zip(dataset.case_ids, marks) if m]
    assert "g6" in marked
    for case, mine in zip(dataset.case_ids, marks):
        if not mine:
            continue
        assert set(mine) == _not_discussed(dataset, case)
        rows = found.frame[(found.frame["query"] == f"case:{case}") & (found.frame["case_id"] == case)]
        for factor, m in mine.items():
            row = rows[rows["factor"] == factor].iloc[0]
            assert m["p_lever_change"] == pytest.approx(row["p_lever_change"], abs=1e-12)
            assert m["expected_reduction"] == pytest.approx(row["expected_reduction"], abs=1e-12)
            share = m["expected_reduction"] / row["width_now"] if row["width_now"] > 0 else 0.0
            assert m["level"] == worth_level(m["p_lever_change"], share)
        ranked = sorted(mine, key=lambda f: mine[f]["order"])
        keys = [(-mine[f]["p_lever_change"], -mine[f]["expected_reduction"]) for f in ranked]
        assert keys == sorted(keys) and [mine[f]["order"] for f in ranked] == list(range(1, len(mine) + 1))
    assert {m["level"] for mine in marks for m in mine.values()} >= {"low"}


def test_the_brief_asks_first_about_what_the_page_marks_first(fake_study, monkeypatch):
    import bayesstreams.reporting.brief as brief

    _, run = fake_study
    seen = {}
    original = brief._order_by_value

    def spy(run, case_id, advice, found=None):
        original(run, case_id, advice, found)
        seen[case_id] = [e["factor"] for e in advice["find_out_first"]]

    monkeypatch.setattr(brief, "_order_by_value", spy)
    brief.brief_data(run, "g6", lang="en")
    marks = worth_marks(run)[run.dataset.case_ids.index("g6")]
    assert seen["g6"] and set(seen["g6"]) <= set(marks)
    assert seen["g6"] == sorted(seen["g6"], key=lambda f: marks[f]["order"])


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_page_shows_the_marks_on_the_right_cells_with_the_python_values(fake_study, tmp_path, lang):
    from bayesstreams.reporting.browser import evaluate_page
    from bayesstreams.reporting.i18n import translator

    _, run = fake_study
    dataset = run.dataset
    payload = json.loads(json.dumps(explore_payload(run, n_draws=40, measure_prior=False)))
    page = write_explore(Study.of(run), tmp_path / "page.html", lang=lang, draws=40)
    hook = "window.bayesstreamsExplore"
    badges = ("JSON.stringify([...document.querySelectorAll('.worth')].map(b => ({factor: b.dataset.factor, "
              "level: b.dataset.level, order: Number(b.dataset.order), p: Number(b.dataset.p), "
              "reduction: Number(b.dataset.reduction), text: b.textContent, title: b.title, "
              "row: b.parentNode.querySelector('select').id})))")
    cases = [i for i, c in enumerate(payload["cases"]) if c["worth"]]
    g6 = dataset.case_ids.index("g6")
    top = min(payload["cases"][g6]["worth"], key=lambda f: payload["cases"][g6]["worth"][f]["order"])
    k_top = dataset.factor_ids.index(top)
    expressions = []
    for i in cases:
        expressions += [f"{hook}.start({i})", badges]
    expressions += ["(" + hook + ".start(''), 0)", badges,
                    f"({hook}.start({g6}), {hook}.setCode({k_top}, 0), 0)", badges]
    values, errors = evaluate_page(page, expressions)
    assert errors == []
    t = translator(lang)
    for n, i in enumerate(cases):
        shown = {b["factor"]: b for b in json.loads(values[2 * n + 1])}
        worth = payload["cases"][i]["worth"]
        assert set(shown) == set(worth) == _not_discussed(dataset, dataset.case_ids[i])
        for factor, b in shown.items():
            w = worth[factor]
            assert b["row"] == f"code-{dataset.factor_ids.index(factor)}"  # on the row of its own cell
            assert (b["level"], b["order"]) == (w["level"], w["order"])
            assert b["p"] == pytest.approx(w["p_lever_change"], abs=1e-12)
            assert b["reduction"] == pytest.approx(w["expected_reduction"], abs=1e-12)
            assert b["text"] == t(f"explore_worth_{w['level']}")
            assert f"{100 * w['p_lever_change']:.0f}%" in b["title"]
    assert json.loads(values[2 * len(cases) + 1]) == []  # a new municipality: no case to ask about
    after = {b["factor"] for b in json.loads(values[-1])}
    assert top not in after and after == set(payload["cases"][g6]["worth"]) - {top}  # coded: asked, no mark
