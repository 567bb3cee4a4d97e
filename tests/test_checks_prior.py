"""Prior predictive check: the kernel against a closed form, the extreme-prior flag, the command."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from bayesstreams.checks.prior_check import check_prior, prior_predictive
from bayesstreams.cli.check import check_app
from bayesstreams.model.config import config_from_text, load_config
from bayesstreams.data.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
EXTREME = '''kind = "streams"
name = "extreme"
[priors]
alpha = { mu = 0.0, sigma = 10.0 }
'''


@pytest.fixture(scope="module")
def study():
    return load_dataset(STUDY)


def test_streams_never_in_motion_leave_only_the_leak(study):
    """With stream intercepts near -30 no stream moves: P(W1) = lambda1 ~ Beta(1, 9), P(W2) = lambda2 (lambda1 + (1 - lambda1) rho)."""
    config = config_from_text('kind = "streams"\n[priors]\nalpha = { mu = -30.0, sigma = 0.01 }\n'
                              'mu = { mu = 0.0, sigma = 0.01 }\ntau = { sigma = 0.01 }\n')
    pp = prior_predictive(study, config, n_draws=20000, seed=1)
    quantiles = [0.1, 0.5, 0.9]
    assert np.quantile(pp.p_w1[:, 0], quantiles) == pytest.approx(stats.beta(1, 9).ppf(quantiles), abs=0.006)
    np.testing.assert_allclose(pp.p_w1, pp.p_w1[:, :1] * np.ones((1, study.n_cases)), atol=1e-9)
    assert pp.p_w2.mean() == pytest.approx(0.1 * (0.1 + 0.9 * 0.5), abs=0.003)  # independent lambdas and rho
    assert pp.n_w1.mean() == pytest.approx(study.n_cases * 0.1, abs=0.05)
    assert (pp.n_w2 <= study.n_cases).all()


def test_default_prior_is_not_flagged(study):
    table, warnings = check_prior(study, load_config(ROOT / "models" / "streams.toml"))
    assert warnings == []
    assert not table["extreme"].any()


def test_wide_stream_intercepts_are_flagged(study):
    table, warnings = check_prior(study, config_from_text(EXTREME))
    flagged = table[table["extreme"]]
    assert list(flagged["quantity"]) == ["P(stream in motion), all"]
    assert float(flagged["near_0"].iloc[0] + flagged["near_1"].iloc[0]) > 0.7
    assert len(warnings) == 1 and "near 0 or 1" in warnings[0]


def test_command_warns_and_strict_exits_1(tmp_path):
    model = tmp_path / "extreme.toml"
    model.write_text(EXTREME)
    runner = CliRunner()
    warned = runner.invoke(check_app, ["prior", str(STUDY), "--model", str(model)])
    assert warned.exit_code == 0, warned.output
    assert "warning:" in warned.stderr and "EXTREME" in warned.stdout
    assert "P(W1) g8" in warned.stdout and "phase-2 windows (of 8)" in warned.stdout
    assert runner.invoke(check_app, ["prior", str(STUDY), "--model", str(model), "--strict"]).exit_code == 1
    default = runner.invoke(check_app, ["prior", str(STUDY), "--strict"])
    assert default.exit_code == 0 and "warning" not in default.stderr
