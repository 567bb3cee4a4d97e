"""``bayesstreams qca``: prints the published numbers, JSON for both windows, one located line per bad input."""

import json
from pathlib import Path

import pytest

from bayesstreams.cli.app import main

from .test_cli_light import heavy_imports

ROOT = Path(__file__).resolve().parents[1]
LF = "tests/data/qca/lipset_fuzzy.csv"


def run(args, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_fuzzy_lipset_prints_the_published_solutions(capsys, monkeypatch):
    code, out, err = run(["qca", LF, "--outcome", "SURV", "--incl-cut", "0.8", "--dir-exp", "DEV,URB,LIT,IND,STB"],
                         capsys, monkeypatch)
    assert code == 0 and err == ""
    lines = [line.split() for line in out.splitlines()]
    # minimize(ttLF, include = "?", details = TRUE) and the intermediate "From C1P1" (R QCA 3.23 help page)
    assert ["DEV*~IND", "0.815", "0.721", "0.284", "0.194", "FI,IE"] in lines
    assert ["URB*STB", "0.874", "0.845", "0.520", "0.430", "BE,CZ,NL,UK"] in lines
    assert ["DEV*LIT*~IND*STB", "0.814", "0.721", "0.282", "0.191", "FI,IE"] in lines
    assert ["C1P1-M1", "0.866", "0.839", "0.660"] in lines
    assert ["22", "1", "0", "1", "0", "1", "1", "2", "0.804", "0.719", "FI,IE"] in lines


def test_the_study_gives_both_windows_as_json(capsys, monkeypatch):
    code, out, _ = run(["qca", "data/trafficking_nl_2020", "--json"], capsys, monkeypatch)
    assert code == 0
    w1, w2 = json.loads(out)
    assert (w1["outcome"], w2["outcome"]) == ("w1", "w2")
    necessity = {row["condition"]: row for row in w2["necessity"]}
    assert (necessity["w1"]["inclN"], necessity["w1"]["n_outcome"]) == (1.0, 3)
    assert w2["dropped"] == {"g1": "unknown: policy_2, politics_2", "g4": "unknown: policy_2, politics_2"}


def test_the_study_text_explains_how_much_rests_on_few_cases(capsys, monkeypatch):
    code, out, _ = run(["qca", "data/trafficking_nl_2020", "--outcome", "w2"], capsys, monkeypatch)
    assert code == 0
    assert ("w1 is present in every case with w2 (3 of 3): necessary in all observed cases, but only those 3 cases "
            "could have refuted it") in out
    assert out.rstrip().endswith("note: for the posterior QCA (unknown cells drawn from a fitted model) give a run "
                                 "folder (bayesstreams fit or analyze)")


def test_a_bad_table_is_one_located_line_each_and_exit_2(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("case,A,Y\na,2,1\nb,0,1\n")
    code, out, err = run(["qca", str(bad)], capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"error: {bad}:2:A: 2 is outside [0, 1] (calibrate raw values first; "
                                "multi-value QCA is not supported)"]


@pytest.mark.parametrize("args", [["--incl-cut", "2"], ["--outcome", "NOPE"]])
def test_a_bad_option_is_a_usage_error(args, capsys, monkeypatch):
    code, _, err = run(["qca", LF, *args], capsys, monkeypatch)
    assert code == 2 and "Traceback" not in err
    assert sum(line.startswith("error:") for line in err.splitlines()) == 1


def test_qca_imports_no_heavy_library():
    assert heavy_imports(["qca", LF]) == []


def test_the_workbook_holds_every_table_unrounded_and_is_never_overwritten(tmp_path, capsys, monkeypatch):
    from openpyxl import load_workbook

    out = tmp_path / "qca.xlsx"
    code, _, err = run(["qca", "data/trafficking_nl_2020", "--xlsx", str(out)], capsys, monkeypatch)
    assert code == 0 and f"wrote {out}" in err
    book = load_workbook(out)
    assert book.sheetnames == [f"{w} {t}" for w in ("w1", "w2") for t in ("truth table", "necessity", "solutions", "terms")]
    rows = list(book["w2 necessity"].values)
    assert rows[0] == ("condition", "inclN", "RoN", "covN", "n", "n_outcome")
    assert ("w1", 1.0, 0.8, 0.75, 8, 3) in rows
    code, _, err = run(["qca", LF, "--xlsx", str(out)], capsys, monkeypatch)
    assert code == 2 and err.strip() == f"error: {out}: already exists; pass --force to replace it"
    code, _, _ = run(["qca", LF, "--xlsx", str(out), "--force"], capsys, monkeypatch)
    assert code == 0 and load_workbook(out).sheetnames == ["truth table", "necessity", "solutions", "terms"]
    value = load_workbook(out)["terms"]["D2"].value   # inclS of the first conservative term, unrounded
    assert isinstance(value, float) and round(value, 3) in (0.904, 0.804)


def test_a_run_folder_adds_the_posterior_qca_as_text_json_and_workbook(fake_study, tmp_path, capsys, monkeypatch):
    from openpyxl import load_workbook

    folder = str(fake_study[0])
    code, out, err = run(["qca", folder, "--outcome", "w2", "--draws", "200"], capsys, monkeypatch)
    assert code == 0 and err == ""
    assert "posterior QCA of w2: 200 posterior draws" in out
    assert "But no case could have refuted it" in out and "of the 4 cases without w1" in out
    code, out, _ = run(["qca", folder, "--outcome", "w2", "--draws", "200", "--json"], capsys, monkeypatch)
    payload = json.loads(out)
    necessity = {row["condition"]: row for row in payload["posterior"]["necessity"]}
    assert necessity["w1"]["classical_inclN"] == 1.0 and 0.0 <= necessity["policy_2"]["RoN_q05"] <= necessity["policy_2"]["RoN_q95"]
    assert "necessity_untested" in [r["key"] for r in payload["posterior"]["readings"]]
    assert payload["necessity"] == json.loads(run(["qca", folder, "--outcome", "w2", "--no-posterior", "--json"],
                                                   capsys, monkeypatch)[1])["necessity"]
    book = tmp_path / "q.xlsx"
    code, _, _ = run(["qca", folder, "--draws", "100", "--xlsx", str(book)], capsys, monkeypatch)
    names = load_workbook(book).sheetnames
    assert code == 0 and "w2 posterior necessity" in names and "w1 posterior truth table" in names
    code, _, err = run(["qca", folder, "--draws", "0"], capsys, monkeypatch)
    assert code == 2 and "error: --draws: at least 1" in err and "Traceback" not in err
