"""`bayesstreams validate` prints a summary whose numbers are those of the data."""

from pathlib import Path

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_summary_of_the_fixture(valid_dataset, capsys):
    code, out, err = run_cli(["validate", str(valid_dataset)], capsys)
    assert code == 0 and err == ""
    assert "4 cases" in out
    assert "phase-1 windows: 2 open, 2 closed, 0 unknown" in out
    assert "phase-2 windows: 1 open, 2 closed, 1 unknown" in out
    assert out.rstrip().endswith("valid")


def test_summary_of_the_shipped_study_matches_the_thesis(capsys):
    """Section 5.4: phase-1 windows in 2, 6, 7, 8; phase-2 windows in 2, 7, 8."""
    code, out, _ = run_cli(["validate", str(ROOT / "data" / "trafficking_nl_2020")], capsys)
    assert code == 0
    assert "8 cases, 23 factors" in out
    assert "phase-1 windows: 4 open, 4 closed, 0 unknown" in out
    assert "phase-2 windows: 3 open, 5 closed, 0 unknown" in out
    # factors per phase x stream, MODEL.md section 6: 6/3/3 in phase 1, 2/6/3 in phase 2
    assert "      1           6         3         3" in out
    assert "      2           2         6         3" in out
