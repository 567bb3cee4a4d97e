"""A case is named by its id or its name, in any letter case (``--case``, ``--brief``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bayesstreams.data.cases import resolve_case
from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError, UsageError

from .conftest import run_cli, write_csv_file
from .helpers import prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"


@pytest.fixture(scope="module")
def study():
    return load_dataset(STUDY)


@pytest.mark.parametrize("text, case_id", [
    ("g5", "g5"), ("G5", "g5"), ("Gemeente 5", "g5"), ("gemeente 5", "g5"), ("  GEMEENTE   5 ", "g5"),
    ("Gemeente 8", "g8"), ("g1", "g1"),
])
def test_id_or_name_in_any_letter_case(study, text, case_id):
    assert resolve_case(study, text) == case_id


def test_unknown_case_lists_the_known_cases_and_the_closest(study):
    with pytest.raises(UsageError) as info:
        resolve_case(study, "Gemeente 55")
    message = str(info.value)
    assert message.startswith("--case: no case 'Gemeente 55'")
    assert "(did you mean g5?)" in message
    assert all(f"{i} (Gemeente {i[1:]})" in message for i in study.case_ids)
    assert isinstance(info.value, InputError) and info.value.exit_code == 2


def test_exact_id_wins_and_a_shared_name_is_ambiguous(tmp_path):
    (tmp_path / "codebook.toml").write_text((STUDY / "codebook.toml").read_text(encoding="utf-8"), encoding="utf-8")
    # case 'b' is named 'a': the id wins for 'a'; two cases named 'Twin' are ambiguous
    wide = write_csv_file(tmp_path / "wide.csv", ["case_id", "name", "w1", "w2", "p1_insight"],
                          [["a", "Twin", "1", "0", "1"], ["b", "a", "0", "0", "1"], ["c", "Twin", "0", "0", "-1"]])
    data = load_dataset(wide)
    assert resolve_case(data, "a") == "a"
    assert resolve_case(data, "A") == "a"
    with pytest.raises(UsageError, match="several cases \\(a, c\\)"):
        resolve_case(data, "twin")


@pytest.fixture(scope="module")
def fake_run(study, tmp_path_factory):
    return write_fake_run(tmp_path_factory.mktemp("run") / "run", study, prior_like_draws(study, n=60))


def test_brief_case_by_name_writes_that_case(fake_run, tmp_path, capsys):
    out = tmp_path / "brief.html"
    code, stdout, err = run_cli(["brief", str(fake_run), "--case", "gemeente 5", "--out", str(out), "--lang", "en"],
                                capsys)
    assert code == 0, err
    by_id = tmp_path / "by_id.html"
    assert run_cli(["brief", str(fake_run), "--case", "g5", "--out", str(by_id), "--lang", "en"], capsys)[0] == 0
    assert out.read_text(encoding="utf-8") == by_id.read_text(encoding="utf-8")


def test_brief_unknown_case_exits_2_with_usage_and_known_cases(fake_run, tmp_path, capsys):
    code, stdout, err = run_cli(["brief", str(fake_run), "--case", "Gemeente 9", "--out", str(tmp_path / "b.html")],
                                capsys)
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert lines[0].startswith("Usage: bayesstreams brief")
    assert lines[1].startswith("error: --case: no case 'Gemeente 9' in the run's data") and "g8 (Gemeente 8)" in lines[1]
    assert not (tmp_path / "b.html").exists()
