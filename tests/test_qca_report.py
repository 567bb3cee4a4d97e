"""The report's set-theoretic section: per window the truth table and necessity, classical beside posterior,
the numbers summary.json's, the reading of "phase 1 necessary for phase 2" in both languages."""

import json
from pathlib import Path

import pytest

from .test_report import NUMBER, md_table, shows


@pytest.fixture(scope="module")
def report(fake_study_report):
    folder = fake_study_report("en")
    return json.loads((folder / "summary.json").read_text(encoding="utf-8")), \
        (folder / "report.md").read_text(encoding="utf-8"), (folder / "report.html").read_text(encoding="utf-8")


def test_the_necessity_table_shows_the_summary_numbers(report):
    summary, markdown, html = report
    w2 = summary["qca"]["windows"][1]
    assert w2["outcome"] == "w2" and w2["streams"] == ["problem", "policy", "politics"]
    rows = md_table(markdown.split("### Necessity for window 2", 1)[1], "condition", "classical inclN")
    assert [r[0].replace("\\", "") for r in rows] == [n["label"] for n in w2["necessity"]]
    for cells, entry in zip(rows, w2["necessity"]):
        classical, n_outcome = NUMBER.findall(cells[1])
        assert shows(classical, entry["classical_inclN"]) and int(n_outcome) == entry["classical_n_outcome"]
        for cell, measure in zip(cells[2:5], ("inclN", "RoN", "covN")):
            for text, key in zip(NUMBER.findall(cell), ("mean", "q05", "q95")):
                assert shows(text, entry[measure][key]), (cell, measure)
        assert shows(cells[5].rstrip("%"), entry["p_necessary"], 100)
    window1 = next(n for n in w2["necessity"] if n["condition"] == "w1")
    assert window1["classical_inclN"] == 1.0 and window1["classical_n_outcome"] == 3
    assert 'id="qca"' in html and "Truth table of window 2" in html


def test_the_truth_table_rows_are_the_classical_rows_beside_the_posterior(report):
    summary, markdown, _ = report
    w2 = summary["qca"]["windows"][1]
    rows = md_table(markdown.split("### Truth table of window 2", 1)[1], "row")
    assert [int(r[0]) for r in rows] == [t["row"] for t in w2["truth"]]
    configured = {tuple(t["states"]): t for t in w2["truth"]}
    positive = configured[(1, 1, 1)]
    assert positive["classical_out"] == "1" and positive["classical_n"] == 3 and positive["cases"] == "g2,g7,g8"
    assert positive["p_in_solution"] == 1.0  # every case of the row has w2 and its streams coded
    for cells, entry in zip(rows, w2["truth"]):
        assert cells[4] == f"{entry['classical_out']} ({entry['classical_n']})"
        assert shows(cells[-1].rstrip("%"), entry["p_in_solution"], 100)


def test_the_reading_says_why_a_perfect_necessity_is_no_evidence(report, fake_study_report):
    summary, markdown, _ = report
    readings = summary["qca"]["windows"][1]["readings"]
    untested = next(text for text in readings if "could have refuted" in text)
    assert untested.startswith("Window 1 is necessary for window 2 in all observed cases (3 of 3")
    assert "of the 4 cases without window 1 the expected number with all phase-2 streams in motion is 0.00" in untested
    assert untested in markdown
    dutch = json.loads((fake_study_report("nl") / "summary.json").read_text(encoding="utf-8"))
    text = next(t for t in dutch["qca"]["windows"][1]["readings"] if "weerleggen" in t)
    assert text.startswith("Venster 1 is noodzakelijk voor venster 2") and "0,00" in text


def test_an_additive_run_has_no_set_theoretic_section(tmp_path):
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.reporting.report import write_report

    from .helpers import as_study, write_fake_run
    from .test_report import additive_draws

    dataset = load_dataset(Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020")
    folder = write_fake_run(tmp_path / "run", dataset, additive_draws(dataset), kind="additive")
    out = write_report(as_study(folder), tmp_path / "report")
    assert json.loads((out / "summary.json").read_text())["qca"] is None
    assert "Set-theoretic reading" not in (out / "report.md").read_text()


def test_the_view_computes_nothing_statistical():
    source = (Path(__file__).resolve().parents[1] / "bayesstreams" / "reporting" / "qca_view.py").read_text()
    for forbidden in ("np.", "numpy", "quantile", ".mean(", ".var(", ".std(", "logistic"):
        assert forbidden not in source, forbidden
