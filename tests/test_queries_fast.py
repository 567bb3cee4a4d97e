"""The all-factors query pass and the per-run memos are held equal to the reference paths (issue 28).

``ace_draws`` computes every factor's interventions in one NumPy pass (``kind.do_factors``; under an
evidence mode one kernel call per stream, ``model.evidence.stream_q_do_each``) instead of one
``do_factor`` per factor and code; ``ace_draws_reference`` keeps the old loop.  The headline draws,
the prior dependence and a case's advice are computed once per run and kept in ``run.memo``.  Each
is compared here with the reference on the shipped data and on data that is not the shipped study
(random codes with not-discussed cells and groups; a one-phase codebook), for every model file.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.analysis import queries
from bayesstreams.analysis.prior_dependence import headline_draws, prior_dependence, run_headline_draws
from bayesstreams.analysis.queries import ace_draws, ace_draws_reference, baseline, do_factor
from bayesstreams.data.codebook import Codebook, Factor
from bayesstreams.data.dataset import load_dataset
from bayesstreams.model import evidence as ev
from bayesstreams.model.config import load_config
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.streams import KIND

from .conftest import ROOT, STUDY
from .fakes import fake_run
from .helpers import partly_observed_dataset

MODEL_FILES = ["streams", "streams-marginal", "streams-salience", "streams-latent", "additive"]


def _draws(dataset, model: str, n: int = 60, seed: int = 4) -> dict:
    config = load_config(ROOT / "models" / f"{model}.toml")
    return draw_prior(config, np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream),
                      len(dataset.groups), n, np.random.default_rng(seed))


def _one_phase(dataset):
    """The same cases with every factor read as a phase-1 factor (a study of one window)."""
    factors = tuple(Factor(f.id, 1, f.stream, label_en=f.id) for f in dataset.codebook.factors)
    import dataclasses

    return dataclasses.replace(dataset, codebook=Codebook(factors))


def _datasets():
    shipped = load_dataset(STUDY)
    other = partly_observed_dataset(n_cases=12, seed=3, groups=True, p_missing=0.3)
    return {"shipped": shipped, "simulated": other, "one-phase": _one_phase(other)}


DATASETS = _datasets()


@pytest.mark.parametrize("model", MODEL_FILES)
@pytest.mark.parametrize("data", list(DATASETS))
def test_all_factors_pass_equals_one_factor_at_a_time(data, model):
    dataset = DATASETS[data]
    draws = _draws(dataset, model)
    fast = ace_draws(draws, dataset, baseline(draws, dataset))
    reference = ace_draws_reference(baseline(draws, dataset))
    assert fast.shape == reference.shape == (60, len(dataset.factor_ids), 2, 3)
    np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-12)
    assert np.abs(reference).max() > 1e-3  # effects that are there, not zeros compared with zeros


@pytest.mark.parametrize("model", ["streams", "streams-salience"])
def test_the_pass_in_blocks_of_factors_is_the_same(model, monkeypatch):
    """At large N the factors are taken a few at a time (memory stays bounded); the numbers do not change."""
    dataset = DATASETS["simulated"]
    draws = _draws(dataset, model)
    whole = ace_draws(draws, dataset, baseline(draws, dataset))
    monkeypatch.setattr(queries, "ACE_BLOCK", 2 * 60 * dataset.n_cases)  # two factors per pass
    blocks = ace_draws(draws, dataset, baseline(draws, dataset))
    np.testing.assert_array_equal(blocks, whole)


@pytest.mark.parametrize("model", ["streams-marginal", "streams-salience", "streams-latent"])
@pytest.mark.parametrize("budget", [ev.STACK_BUDGET, 1])
def test_stacked_interventions_equal_one_stream_q_each(model, budget, monkeypatch):
    """One kernel call for all of a stream's interventions is ``stream_q(do=...)`` of each, with either kernel."""
    from bayesstreams.fast.registry import expected_q as numba_q

    monkeypatch.setattr(ev, "STACK_BUDGET", budget)
    dataset = DATASETS["simulated"]
    draws = _draws(dataset, model)
    base = baseline(draws, dataset)
    options, data, group_eta, _ = base.cache["evidence"]
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    for qt in (numba_q, ev.expected_q):
        for value in (1.0, 0.0, -1.0):
            for p, s in {(int(a), int(b)) for a, b in zip(phase, stream)}:
                found = ev.stream_q_do_each(options, data, draws, base.x, p, s, phase, stream, value, group_eta,
                                            chunk=25, qt=qt)
                assert sorted(found) == list(np.flatnonzero((phase == p) & (stream == s)))
                for k, got in found.items():
                    one = ev.stream_q(options, data, draws, base.x, p, s, phase, stream, group_eta,
                                      do=(k, np.full(dataset.n_cases, value)), chunk=25, qt=qt)
                    if qt is numba_q:  # each (draw, case) on its own: bit for bit
                        np.testing.assert_array_equal(got, one)
                    else:
                        np.testing.assert_allclose(got, one, rtol=0, atol=1e-12)


def test_do_factors_is_do_factor_of_each_factor():
    """The windows themselves, not only their averages, per factor, case and draw."""
    dataset = DATASETS["shipped"]
    draws = _draws(dataset, "streams-salience")
    base = baseline(draws, dataset)
    for value in (1.0, -1.0):
        every = KIND.do_factors(base, value)
        for k in range(len(dataset.factor_ids)):
            one = do_factor(base, k, value)
            np.testing.assert_array_equal(every.p1[:, k], one.p1)
            np.testing.assert_array_equal(every.p2[:, k], one.p2)


def test_run_memos_equal_a_fresh_computation():
    """A run's headline draws, kept in run.memo, and the prior dependence read from them are what computing afresh gives."""
    dataset = DATASETS["simulated"]
    run = fake_run(dataset, _draws(dataset, "streams", n=80, seed=1), _draws(dataset, "streams", n=80, seed=2))
    wide = fake_run(dataset, _draws(dataset, "streams", n=80, seed=3))
    kept = run_headline_draws(run)
    assert run_headline_draws(run) is kept
    fresh = headline_draws(run.posterior, dataset)
    assert kept.keys() == fresh.keys()
    for name, (labels, values) in fresh.items():
        assert kept[name][0] == labels
        np.testing.assert_array_equal(kept[name][1], values)
    measured = prior_dependence(run, wide)
    assert run_headline_draws(wide) is run_headline_draws(wide)  # the companion's, kept with the companion
    again = prior_dependence(fake_run(dataset, run.posterior, run.prior), fake_run(dataset, wide.posterior))
    assert [r["name"] for r in again.rows] == [r["name"] for r in measured.rows]
    for mine, theirs in zip(measured.rows, again.rows):
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            assert value == theirs[key] or (value != value and theirs[key] != theirs[key]), (mine["name"], key)
    assert any(r["wide_mean"] != r["mean"] for r in measured.rows)  # the wide run's numbers were read


def test_step_effects_read_in_one_pass_equal_a_filter_per_step():
    """The report's per-step effects (records per factor) are the rows a pandas filter per factor and step finds."""
    from bayesstreams.analysis.queries import factor_importance
    from bayesstreams.reporting.support_view import STEP_ORDER, step_effects

    dataset = DATASETS["simulated"]
    table = factor_importance(_draws(dataset, "streams-marginal"), dataset)
    for factor in dataset.factor_ids:
        got = step_effects(table, factor, True)
        assert [(s.window, s.step) for s in got] == [(w, s) for w in ("W1", "W2") for s in STEP_ORDER]
        for effect in got:
            hit = table[(table["factor"] == factor) & (table["quantity"] == "ace") & (table["window"] == effect.window)
                        & (table["step"] == effect.step)].iloc[0]
            assert (effect.mean, effect.q05, effect.q95, effect.extrapolated) == (
                float(hit["mean"]), float(hit["q05"]), float(hit["q95"]), bool(hit["extrapolated"]))
