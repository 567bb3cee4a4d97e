"""The CLI forgives typos: every mistake in this table exits 2 with a clear message and no traceback.

A usage mistake (unknown command or option, missing option, bad value) prints three lines
on stderr: the usage line of the command, ``error: ...`` with a suggestion where one
helps, and where the help is.  A mistake in the data or the files named prints one
``error: file:row:column: message`` line per problem.  The table runs through
``bayesstreams.cli.main``; a few rows also run as real processes, to hold the exit codes of
the console entry point.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bayesstreams import __version__

from .conftest import run_cli
from .helpers import prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
STUDY = str(ROOT / "data" / "trafficking_nl_2020")

# (argv, the command whose usage line is shown or None for a data/file error, what the error line says)
# RUN, PROFILE and OUT are placeholders for a fake run folder, a profile and a fresh output path.
MISTAKES = [
    (["scor", "RUN", "PROFILE"], "", "error: no such command 'scor' (did you mean score?)"),
    (["valdiate", STUDY], "", "error: no such command 'valdiate' (did you mean validate?)"),
    (["frobnicate"], "", "error: no such command 'frobnicate' (commands: validate, agreement, fit, simulate, score, "),
    (["--versoin"], "", "error: no such option --versoin (did you mean --version?)"),
    (["score", "--jsn", "RUN", "PROFILE"], "score", "error: no such option --jsn (did you mean --json?)"),
    (["score", "RUN", "PROFILE", "--levels", "2"], "score", "error: no such option --levels (did you mean --levers?)"),
    (["score", "RUN", "PROFILE", "--levers", "0"], "score", "error: invalid value for '--levers'"),
    (["score", "RUN", "PROFILE", "--lang", "de"], "score", "error: --lang: language 'de' is not available (choose en or nl)"),
    (["fit", STUDY], "fit", "error: missing option '--out'"),
    (["fit", STUDY, "--out"], "fit", "error: option '--out' requires an argument"),
    (["validate"], "validate", "error: missing argument 'DATASET'"),
    (["validate", STUDY, "extra"], "validate", "error: got unexpected extra argument(s) (extra)"),
    (["report", "RUN", "--out", "OUT", "--lang", "fr"], "report",
     "error: --lang: language 'fr' is not available (choose en or nl)"),
    (["brief", "RUN", "--out", "OUT"], "brief", "error: --case/--profile: give exactly one of --case and --profile"),
    (["brief", "RUN", "--case", "Gemeete 5", "--out", "OUT"], "brief",
     "error: --case: no case 'Gemeete 5' in the run's data (did you mean g5?); known cases: g1 (Gemeente 1), "),
    (["brief", "RUN", "--case", "Amsterdam", "--out", "OUT"], "brief",
     "error: --case: no case 'Amsterdam' in the run's data; known cases: g1 (Gemeente 1), g2 (Gemeente 2), "),
    (["analyze", "--lang", "english"], "analyze", "error: --lang: language 'english' is not available"),
    (["check", "prir", STUDY], "check", "error: no such command 'prir' (did you mean prior?)"),
    (["check", "sbc", "--sim", "3", "--out", "OUT"], "check sbc", "error: no such option --sim (did you mean --sims?)"),
    (["validate", "nowhere"], None, "error: nowhere: dataset does not exist"),
    (["score", "nowhere", "PROFILE"], None, "error: nowhere: run folder does not exist"),
    (["score", "RUN", "missing.csv"], None, "error: missing.csv: file does not exist"),
    (["validate", "--codebook", "missing.toml", STUDY], None, "error: missing.toml: codebook file does not exist"),
]


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    from bayesstreams.data.dataset import load_dataset

    root = tmp_path_factory.mktemp("mistakes")
    study = load_dataset(STUDY)
    run = write_fake_run(root / "run", study, prior_like_draws(study, n=40))
    profile = root / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\n", encoding="utf-8")
    return {"RUN": str(run), "PROFILE": str(profile), "OUT": str(root / "out.html"), "_root": root}


def _argv(argv: list[str], places: dict) -> list[str]:
    return [places.get(arg, arg) for arg in argv]


def assert_clear_usage_error(code: int, err: str, command: str | None, expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(expected), lines
    if command is None:  # a data or file error: only the located error line
        assert lines == errors
        return
    path = " ".join(["bayesstreams", command]).strip()
    assert lines[0].startswith(f"Usage: {path} ")
    assert lines[1] == errors[0]
    assert lines[2] == f"Try '{path} --help' for help."


@pytest.mark.parametrize("argv, command, expected", MISTAKES, ids=[" ".join(m[0][:3]) for m in MISTAKES])
def test_mistake_exits_2_with_a_clear_message(places, capsys, monkeypatch, argv, command, expected):
    monkeypatch.chdir(places["_root"])  # relative names such as missing.csv are looked up there
    code, out, err = run_cli(_argv(argv, places), capsys)
    assert_clear_usage_error(code, err, command, expected)
    assert not Path(places["OUT"]).exists()


def test_version(capsys):
    code, out, err = run_cli(["--version"], capsys)
    assert (code, out, err) == (0, f"bayesstreams {__version__}\n", "")


def test_bare_command_shows_its_help_and_exits_2(capsys):
    code, out, err = run_cli(["check"], capsys)
    assert code == 2 and "Usage: bayesstreams check [OPTIONS] COMMAND" in err and "sensitivity" in err


@pytest.mark.parametrize("argv, command, expected", [m for m in MISTAKES if m[0][0] in ("scor", "--versoin", "fit")]
                         + [(["validate", "nowhere"], None, "error: nowhere: dataset does not exist")])
def test_mistakes_exit_2_from_a_real_process(argv, command, expected):
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], capture_output=True, text=True, cwd=ROOT)
    assert_clear_usage_error(done.returncode, done.stderr, command, expected)
    assert done.stdout == ""


def test_version_from_a_real_process():
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--version"], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stdout.strip()) == (0, f"bayesstreams {__version__}")
