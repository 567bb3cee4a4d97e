"""The posterior QCA's calibration check: the randomized PIT is uniform for a calibrated posterior, the
summary counts simulations as clusters, and the command refuses bad input before any fit."""

import numpy as np
import pandas as pd
import pytest

from bayesstreams.checks.qca_coverage import qca_coverage, randomized_pit, summarise
from bayesstreams.cli.app import main


def test_the_randomized_pit_of_a_true_draw_is_uniform_also_for_discrete_quantities():
    rng = np.random.default_rng(0)
    pits = []
    for _ in range(4000):
        support = np.array([0.0, 0.5, 1.0])
        p = rng.dirichlet([1, 1, 1])
        draws = rng.choice(support, size=200, p=p)
        true = rng.choice(support, p=p)  # the truth is a draw from the same distribution
        pits.append(randomized_pit(draws, true, rng.random()))
    pits = np.array(pits)
    inside = ((pits >= 0.05) & (pits <= 0.95)).mean()
    assert abs(inside - 0.9) < 3 * np.sqrt(0.09 / len(pits)) + 0.01
    assert abs(pits.mean() - 0.5) < 0.02
    # and a truth from elsewhere is not: always above the draws
    assert randomized_pit(np.zeros(50), 1.0, 0.3) == 1.0


def test_the_summary_treats_the_quantities_of_one_simulation_as_a_cluster():
    rows = pd.DataFrame({"sim": [0, 0, 0, 0, 1, 1, 1, 1], "measure": ["inclN"] * 8, "pit": [0.5] * 8,
                         "covered": [1, 1, 1, 1, 0, 0, 0, 0], "in_interval": [1] * 8, "uncertain": [True] * 8})
    row = summarise(rows).set_index("measure").loc["inclN"]
    assert row["coverage"] == 0.5 and row["n_uncertain"] == 8
    # two clusters of four perfectly correlated rows: the error of two coin flips (0.5 / sqrt 2 = 0.354), not of eight
    assert row["coverage_se"] == pytest.approx(np.sqrt(2 * 2.0 ** 2) / 8)


@pytest.mark.parametrize("value", ["0", "a", "0.2,0.5,0.9", "1.5"])
def test_check_qca_refuses_a_bad_observed_share_before_fitting(value, tmp_path, capsys):
    try:
        code = main(["check", "qca", "--out", str(tmp_path / "o"), "--observed", value])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and "--observed" in err and "Traceback" not in err and not (tmp_path / "o").exists()


@pytest.mark.slow
def test_intervals_cover_at_the_nominal_rate_and_not_when_streams_hide_not_at_random():
    calibrated = qca_coverage(n_sims=40, n_cases=12, seed=11, draws=200, tune=200, n_draws=400)
    row = calibrated.summary.set_index("measure").loc["all"]
    assert abs(row["coverage"] - 0.9) < 3 * row["coverage_se"]
    biased = qca_coverage(n_sims=40, n_cases=12, seed=12, observed_streams=(0.2, 0.9), draws=200, tune=200, n_draws=400)
    row_b = biased.summary.set_index("measure").loc["all"]
    assert row_b["coverage"] < 0.9 - 3 * row_b["coverage_se"]


def test_the_pit_example_runs():
    import doctest

    import bayesstreams.checks.qca_coverage as module

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    runner.run(next(t for t in finder.find(module) if t.name.endswith("randomized_pit")))
    assert runner.summarize(verbose=False) == (0, 1)


@pytest.mark.slow
def test_docstring_examples_run():
    import bayesstreams.checks.qca_coverage as module

    from .helpers import run_doctests

    run_doctests(module, 3)
