"""Real fits: the shipped study, parameter recovery, reproducibility, no half-written runs."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nutpie")

from bayesstreams.atomic import atomic_folder  # noqa: E402
from bayesstreams.model.config import load_config  # noqa: E402
from bayesstreams.data.dataset import load_dataset  # noqa: E402
from bayesstreams.inference.fit import fit  # noqa: E402
from bayesstreams.model.simulate import simulate_to_folder  # noqa: E402
from bayesstreams.inference.store import load_run, save_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"


@pytest.mark.model
def test_shipped_study_fits_cleanly(study_fit):
    diagnostics = study_fit.diagnostics
    assert diagnostics.divergences == 0
    assert diagnostics.rhat_max <= 1.01
    assert diagnostics.ess_bulk_min >= 400 and diagnostics.ess_tail_min >= 400
    assert diagnostics.passed


@pytest.mark.model
def test_run_folder_round_trip(study_fit, tmp_path):
    out = save_run(study_fit, tmp_path / "run", command="test")
    run = load_run(out)
    assert run.dataset.content_hash() == study_fit.dataset.content_hash()
    np.testing.assert_array_equal(run.posterior["rho"], study_fit.posterior["rho"])
    assert run.log_likelihood.shape == (4000, 8)
    info = json.loads((out / "run.json").read_text())
    assert info["diagnostics"]["passed"] and info["seed"] == 20200601
    assert not list(tmp_path.glob(".*partial"))
    assert not any(p.suffix == ".pkl" or p.suffix == ".pickle" for p in out.rglob("*"))


@pytest.mark.model
def test_altered_run_is_refused(study_fit, tmp_path):
    from bayesstreams.errors import RunError

    out = save_run(study_fit, tmp_path / "run", command="test")
    info = json.loads((out / "run.json").read_text())
    info["dataset"]["hash"] = "0" * 64
    (out / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunError, match="snapshot does not match"):
        load_run(out)


@pytest.mark.model
def test_existing_run_is_not_overwritten(study_fit, tmp_path):
    from bayesstreams.errors import BayesStreamsError

    out = save_run(study_fit, tmp_path / "run", command="first")
    with pytest.raises(BayesStreamsError, match="already exists"):
        save_run(study_fit, out, command="second")
    assert json.loads((out / "run.json").read_text())["command"] == "first"


@pytest.mark.model
def test_same_seed_gives_identical_draws():
    dataset = load_dataset(STUDY)
    config = load_config(None)
    first = fit(dataset, config, seed=7, draws=200, tune=200, chains=2)
    second = fit(dataset, config, seed=7, draws=200, tune=200, chains=2)
    third = fit(dataset, config, seed=8, draws=200, tune=200, chains=2)
    for name in first.posterior:
        np.testing.assert_array_equal(first.posterior[name], second.posterior[name])
    assert not np.array_equal(first.posterior["rho"], third.posterior["rho"])


@pytest.mark.model
def test_interrupted_fit_leaves_no_run(tmp_path, monkeypatch, study_fit):
    import bayesstreams.inference.store as store

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "save_draws", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_run(study_fit, tmp_path / "run", command="test")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_sampling_leaves_no_run(tmp_path, monkeypatch):
    from bayesstreams.inference import fit as workflow
    import bayesstreams.inference.fit as fit_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fit_module, "run_sampler", interrupted)
    with pytest.raises(KeyboardInterrupt):
        workflow.fit_and_save(STUDY, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_atomic_folder_replaces_only_when_complete(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    with pytest.raises(RuntimeError):
        with atomic_folder(target, force=True) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("boom")
    assert (target / "old.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.model
def test_recovery_of_fixed_parameters(tmp_path):
    """300 simulated cases at fixed parameters: the 90% intervals cover the truth."""
    truth_file = Path(__file__).with_name("recovery_truth.json")
    folder = simulate_to_folder(tmp_path / "sim", 300, 11, truth_file, observed_streams=0.5)
    result = fit(load_dataset(folder), load_config(None), seed=11)
    truth = json.loads(truth_file.read_text())["parameters"]
    assert result.diagnostics.divergences == 0

    def covered(name):
        lo, hi = np.quantile(result.posterior[name], [0.05, 0.95], axis=0)
        value = np.asarray(truth[name])
        return (lo <= value) & (value <= hi)

    for name in ("rho", "lambda", "kappa", "mu"):
        assert np.all(covered(name)), name
    assert covered("beta").mean() >= 0.8
    # the data must teach something: rho's interval is far narrower than its Beta(1, 1) prior's (0.05-0.95)
    lo, hi = np.quantile(result.posterior["rho"], [0.05, 0.95])
    assert hi - lo < 0.5


@pytest.mark.model
def test_sampler_pymc_runs_pymcs_own_nuts_on_the_same_posterior(study_fit):
    """--sampler pymc must not silently become nutpie (PyTensor's numba default would do that),
    and PyMC's NUTS on build_model's graph must find the posterior the fast path found."""
    own = fit(load_dataset(STUDY), load_config(ROOT / "models" / "streams.toml"), seed=7, sampler="pymc",
              draws=1000, tune=1000, chains=2)
    assert own.trace["posterior"].attrs["inference_library"] == "pymc"
    for name in ("rho", "lambda", "mu"):
        a, b = own.posterior[name], study_fit.posterior[name]
        # 8 cases: the posterior is wide, so 0.15 sd is a sharp margin for 2,000 vs 4,000 draws
        np.testing.assert_array_less(np.abs(a.mean(axis=0) - b.mean(axis=0)), 0.15 * b.std(axis=0), err_msg=name)
