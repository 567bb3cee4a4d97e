"""fit through the CLI: exit codes, --strict, --force, located errors for bad model files."""

from pathlib import Path

import pytest

from bayesstreams.cli.app import main
from bayesstreams.inference.store import save_run

pytest.importorskip("nutpie")
STUDY = str(Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020")


def run(args, capsys):
    try:
        code = main(args)
    except SystemExit as exit_info:
        code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.model
def test_failed_diagnostics_warn_and_strict_exits_1(tmp_path, capsys, reuse_fits):
    # 30 draws cannot reach a bulk ESS of 400: the check must fail and say so (the second call,
    # with --strict, gets the same fit from the session's cache instead of sampling it again)
    args = ["fit", STUDY, "--out", str(tmp_path / "r"), "--draws", "30", "--tune", "100", "--chains", "2"]
    code, out, err = run(args, capsys)
    assert code == 0 and "FAILED" in out and "warning: diagnostics failed" in err
    assert (tmp_path / "r" / "run.json").exists()
    fitted = len(reuse_fits.fitted)
    code, out, err = run(args + ["--force", "--strict"], capsys)
    assert code == 1
    assert len(reuse_fits.fitted) == fitted  # the same fit again, not a second sampling


def test_existing_run_needs_force(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    code, out, err = run(["fit", STUDY, "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and "already exists; pass --force" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_model_file_is_a_located_error(tmp_path, capsys):
    model = tmp_path / "bad.toml"
    model.write_text('kind = "streams"\n[priors]\ntau = { sigma = -2.0 }\n')
    code, out, err = run(["fit", STUDY, "--out", str(tmp_path / "r"), "--model", str(model)], capsys)
    assert code == 2
    assert err.strip() == f"error: {model}:3:priors.tau.sigma: a halfnormal scale must be > 0, got -2.0"
    assert not (tmp_path / "r").exists()


@pytest.mark.model
def test_score_unknown_factor_is_a_located_error(tmp_path, capsys, study_fit):
    save_run(study_fit, tmp_path / "r", command="test")  # a run folder to score against: the session's fit
    profile = tmp_path / "p.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insigth,1\nnew,p1_media,2\n")
    code, out, err = run(["score", str(tmp_path / "r"), str(profile)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"error: {profile}:2:factor: unknown factor 'p1_insigth'")
    assert lines[1].startswith(f"error: {profile}:3:code: code '2' is not allowed")
