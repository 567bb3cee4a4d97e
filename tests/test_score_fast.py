"""The shortcuts batch scoring takes outside the advice give the same bits as the computations they replace.

The not-discussed bounds from the baseline's ``q`` (only the streams a completion moves are computed)
against the bounds computed afresh; the deduplicated one-pass quantiles against one row at a time.
Profiles at the edges: every cell not discussed, none not discussed, a stream wholly coded.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from bayesstreams.analysis.advice import _Case, settle_cases, weighted_summary
from bayesstreams.data.dataset import load_dataset
from bayesstreams.model.kinds import kind_of_draws
from bayesstreams.model.evidence import expected_q

from .conftest import STUDY
from .helpers import prior_like_draws


def test_not_discussed_bounds_from_the_baseline_q_equal_the_bounds_afresh():
    dataset = load_dataset(STUDY)
    draws = prior_like_draws(dataset, n=400, seed=5)
    rng = np.random.default_rng(8)
    x = np.asarray(dataset.x, dtype=float)
    x = np.concatenate([x, rng.integers(-1, 2, (6, x.shape[1])).astype(float)])
    x[-6:][rng.random((6, x.shape[1])) < 0.2] = np.nan
    x[-1] = np.nan  # every cell not discussed
    x[-2] = np.nan_to_num(x[-2])  # none not discussed
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    x[-3, (phase == 0) & (stream == 1)] = 1.0  # one stream wholly coded, the others partly
    group = np.full(len(x), -1)
    kind = kind_of_draws(draws)
    base = kind.baseline(draws, x, phase, stream, group, qt=expected_q)
    afresh = kind.not_discussed_bounds(draws, x, phase, stream, group, qt=expected_q, eta=base.eta)
    quick = kind.not_discussed_bounds(draws, x, phase, stream, group, qt=expected_q, eta=base.eta, q=base.q)
    assert list(afresh) == list(quick) == ["p_w1", "p_w2"]
    for name in afresh:
        for a, b in zip(afresh[name], quick[name]):
            assert np.array_equal(a, b)
    low, high = quick["p_w2"]
    assert np.array_equal(low[:, -2], high[:, -2]) and (high[:, -1] > low[:, -1]).all()


def test_deduplicated_quantiles_equal_each_row_alone():
    """Rows repeated bit for bit (and rows equal but for one draw) are read once and copied: the numbers of one row at a time."""
    rng = np.random.default_rng(4)
    n = 500
    weights = rng.random(n) ** 4
    weights /= weights.sum()
    rows = [rng.random(n), rng.normal(size=n), np.zeros(n), np.round(rng.random(n), 2)]
    near = rows[0].copy()
    near[17] += 1e-9
    samples = [rows[0], rows[1], rows[0].copy(), rows[2], near, rows[3], rows[1] + 0.0, np.float64(0.25)]
    case = _Case(np.zeros((n, 2, 3)), np.zeros(3), {}, np.zeros((3, 6)), None, weights, fast=True)
    summaries = [case.summary(s) for s in samples]
    settle_cases([case])
    for s, got in zip(samples, summaries):
        assert got == weighted_summary(np.broadcast_to(s, weights.shape), weights)


def _scores(run, profiles, **options):
    from bayesstreams.analysis.scoring import score_dataset, score_to_dict

    return score_to_dict(score_dataset(run, profiles, **options))


def test_profiles_split_over_processes_and_passes_give_the_same_scores(tmp_path, monkeypatch):
    """Forked shares and passes of a few profiles (the edges: a share of one profile, a last pass shorter than
    the others) give the very scores of one pass over all, in the same order, prior-driven flags included."""
    from bayesstreams.analysis import scoring

    from .fakes import fake_run
    from .test_score_batch import profile_file

    dataset = load_dataset(STUDY)
    run = fake_run(dataset, prior_like_draws(dataset, n=300, seed=8), prior_like_draws(dataset, n=300, seed=9))
    profiles = profile_file(tmp_path, dataset, 11, seed=5)
    whole = _scores(run, profiles)
    monkeypatch.setattr(scoring, "SPLIT_FROM", 2)
    monkeypatch.setattr(scoring, "can_fork", lambda: True)  # also in a test process that loaded JAX (it never forks)
    assert _scores(run, profiles, workers=2) == whole
    assert _scores(run, profiles, workers=11) == whole  # one profile per process
    monkeypatch.setattr(scoring, "PASS", 4)
    assert _scores(run, profiles) == whole
    assert _scores(run, profiles, workers=3) == whole
    assert [case["case_id"] for case in whole["cases"]] == list(profiles.case_ids)


def test_an_error_in_a_forked_share_is_raised_in_the_caller(tmp_path, monkeypatch):
    from bayesstreams.analysis import scoring

    from .fakes import fake_run
    from .test_score_batch import profile_file

    dataset = load_dataset(STUDY)
    run = fake_run(dataset, prior_like_draws(dataset, n=100, seed=8), prior_like_draws(dataset, n=100, seed=9))
    profiles = profile_file(tmp_path, dataset, 6, seed=5)
    monkeypatch.setattr(scoring, "SPLIT_FROM", 2)
    monkeypatch.setattr(scoring, "can_fork", lambda: True)  # also in a test process that loaded JAX (it never forks)
    parent = os.getpid()
    real = scoring.most_similar

    def fails_in_a_child(*args, **kwargs):
        if os.getpid() != parent:
            raise ValueError("a share failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "most_similar", fails_in_a_child)
    with pytest.raises(ValueError, match="a share failed"):
        scoring.score_dataset(run, profiles, workers=2)


@pytest.mark.parametrize("model", ["streams", "additive", "marginal"])
def test_do_factor_of_some_cases_equals_their_columns_of_all(model):
    """``do_factor(..., cases=rows)`` (the codes-only levers of cases not at +1): bit for bit the columns of all cases."""
    from bayesstreams.analysis.queries import baseline, do_factor
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior

    from .conftest import ROOT

    dataset = load_dataset(STUDY)
    if model == "streams":
        draws = prior_like_draws(dataset, n=200, seed=3)
    else:
        config = load_config(ROOT / "models" / ("additive.toml" if model == "additive" else "streams-marginal.toml"))
        draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 200,
                           np.random.default_rng(3))
    base = baseline(draws, dataset)
    rows = np.array([0, 3, 4, 7])
    for k in (0, 5, len(dataset.factor_ids) - 1):
        whole, some = do_factor(base, k, 1.0), do_factor(base, k, 1.0, cases=rows)
        for name in ("p1", "p2_open", "p2_closed", "p2"):
            assert np.array_equal(getattr(some, name), getattr(whole, name)[:, rows]), (model, k, name)
