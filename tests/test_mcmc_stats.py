"""bayesstreams.inference.mcmc_stats against arviz-stats, the reference it replaces on a fit's path.

Tolerance: 1e-10 relative for R-hat and bulk ESS (their normal scores come from AS 241 instead of
SciPy's ``ndtri``: about 1e-15 apart, so these two agree to about 1e-14); everything that takes no
normal quantile (tail ESS, E-BFMI, PSIS weights and k, power-scaling weights) is held equal bit for
bit.  The inputs are random draws of many shapes and tails plus adversarial ones: ties (rounded
draws, discrete values), constant chains, heavy tails, 4-5 draws, odd draw counts, one chain,
NaN and infinite draws.
"""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.inference import mcmc_stats as ms

azs = pytest.importorskip("arviz_stats")
from arviz_stats.base import array_stats  # noqa: E402  (after the skip)
from scipy import special, stats  # noqa: E402

RTOL = 1e-10
ROOT = Path(__file__).resolve().parents[1]


def same(ours, theirs, rtol=0.0):
    """Equal, NaN where NaN, infinite where infinite; within ``rtol`` (relative) if given, else bit for bit."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    if rtol == 0.0:
        assert np.array_equal(ours, theirs, equal_nan=True), (ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0, equal_nan=True)


def random_draws(rng, i):
    """(chain, draw) draws of varied shape, dependence and tails; every few an adversarial kind."""
    chains, draws = int(rng.integers(1, 6)), int(rng.integers(4, 400))
    x = rng.standard_t(rng.uniform(0.3, 30), size=(chains, draws))
    x = np.cumsum(x, axis=1) * rng.uniform(0, 1) + x  # autocorrelated, sometimes a random walk
    kind = i % 8
    if kind == 1:
        x = np.round(x)  # many ties
    elif kind == 2:
        x = rng.integers(0, 3, size=x.shape).astype(float)  # three values only
    elif kind == 3:
        x[:] = 2.5  # constant
    elif kind == 4:
        x[0] = 1.0  # one constant chain among others
    elif kind == 5:
        x = np.exp(np.clip(x, -700, 700))  # very heavy right tail
    elif kind == 6:
        x[rng.integers(chains), rng.integers(draws)] = rng.choice([np.inf, -np.inf])
    return x


CASES = list(range(240))


@pytest.fixture(scope="module")
def cases():
    rng = np.random.default_rng(20261206)
    return [random_draws(rng, i) for i in CASES]


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def test_normal_quantile_is_scipys_to_rounding():
    rng = np.random.default_rng(1)
    p = np.r_[rng.random(200_000), np.logspace(-300, -1, 2000), 1 - np.logspace(-16, -1, 2000), 0.5, 0.075, 0.925]
    ours, theirs = ms.normal_quantile(p), special.ndtri(p)
    np.testing.assert_allclose(ours, theirs, rtol=4e-15, atol=1e-300)
    same(ms.normal_quantile([0.0, 1.0, -0.1, 1.1, np.nan]), [-np.inf, np.inf, np.nan, np.nan, np.nan])
    assert np.all(np.diff(ms.normal_quantile(np.linspace(1e-9, 1 - 1e-9, 100_001))) > 0)  # monotone across branches


def test_average_ranks_are_scipys_with_ties_and_nan():
    rng = np.random.default_rng(2)
    for x in (rng.normal(size=(4, 50)), rng.integers(0, 4, size=(3, 30)).astype(float),
              np.array([1.0, np.nan, 1.0, -np.inf, np.inf, 0.0, -0.0]), np.array([np.nan, np.nan])):
        same(ms.average_ranks(x), stats.rankdata(x, method="average", nan_policy="omit").ravel())


def test_logsumexp_is_scipys_bit_for_bit():
    rng = np.random.default_rng(3)
    for x in (rng.normal(size=500) * 300, np.array([2.0, 2.0, 2.0]), rng.normal(size=(7, 40)),
              np.array([-np.inf, 0.0, -1.0]), np.array([1e308, 1e308])):
        for axis in (None, *range(x.ndim)):
            same(quietly(ms.logsumexp, x, axis=axis), quietly(special.logsumexp, x, axis=axis))
    same(ms.logsumexp(np.ones((3, 4)), axis=1, keepdims=True), special.logsumexp(np.ones((3, 4)), axis=1, keepdims=True))


def test_fft_length_is_scipys_next_fast_len():
    from scipy.fftpack import next_fast_len

    assert [ms._next_fast_length(n) for n in range(1, 3000)] == [next_fast_len(n) for n in range(1, 3000)]


@pytest.mark.parametrize("i", CASES[::1])
def test_rhat_and_ess_equal_arviz_stats(cases, i):
    x = cases[i]
    same(quietly(ms.rhat_rank, x), quietly(array_stats.rhat, x, method="rank"), RTOL)
    same(quietly(ms.ess_bulk, x), quietly(array_stats.ess, x, method="bulk"), RTOL)
    same(quietly(ms.ess_tail, x), quietly(array_stats.ess, x, method="tail", prob=0.89))
    same(quietly(ms.ess_tail, x, prob=0.05, relative=True),
         quietly(array_stats.ess, x, method="tail", prob=0.05, relative=True))
    if x.shape[1] > 1:
        same(quietly(ms.bfmi, x), quietly(array_stats.bfmi, x))


def test_nan_and_short_chains_give_nan_as_arviz_stats_does():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 100))
    x[2, 7] = np.nan
    for draws in (x, rng.normal(size=(1, 100)), rng.normal(size=(4, 3)), np.full((2, 10), np.nan)):
        same(ms.rhat_rank(draws), array_stats.rhat(draws, method="rank"), RTOL)
        same(ms.ess_bulk(draws), array_stats.ess(draws, method="bulk"), RTOL)
        same(ms.ess_tail(draws), array_stats.ess(draws, method="tail", prob=0.89))


def test_tail_ess_at_arviz_stats_default_interval():
    """arviz-stats' ``ess(method="tail")`` with no ``prob`` takes its ``stats.ci_prob`` (0.89), which diagnose kept."""
    from arviz_base import rcParams

    assert rcParams["stats.ci_prob"] == ms.TAIL_ESS_PROB
    x = np.random.default_rng(5).normal(size=(4, 300)).cumsum(axis=1)
    from arviz_base import from_dict

    tree = from_dict({"posterior": {"a": x}})
    same(ms.ess_tail(x), float(azs.ess(tree, method="tail").to_dataset()["a"]))


@pytest.mark.parametrize("seed", range(60))
def test_psis_equals_arviz_psislw(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.choice([25, 60, 226, 1000, 4000]))
    log_ratio = rng.standard_t(rng.uniform(0.3, 20), size=n) * rng.uniform(0.01, 8)
    if seed % 6 == 1:
        log_ratio = np.round(log_ratio)  # ties in and around the tail
    elif seed % 6 == 2:
        log_ratio = np.exp(np.clip(log_ratio, -30, 30))  # ratios with an enormous tail
    elif seed % 6 == 3:
        log_ratio = -np.abs(log_ratio)  # a tail piled at the maximum
    r_eff = 1.0 if seed % 2 else float(rng.uniform(0.2, 1.0))
    try:
        theirs = quietly(array_stats.psislw, -log_ratio, r_eff=r_eff)
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)):
            ms.psis(log_ratio, r_eff=r_eff)
        return
    ours = quietly(ms.psis, log_ratio, r_eff=r_eff)
    same(ours[0], theirs[0])
    same(ours[1], theirs[1])


def test_psis_keeps_the_shape_and_smooths_all_draws_together():
    x = np.random.default_rng(6).normal(size=(4, 500))
    ours, k = ms.psis(x)
    theirs, k_theirs = array_stats.psislw(-x, axis=(-2, -1))
    assert ours.shape == (4, 500)
    same(ours, theirs)
    same(k, k_theirs)


def test_psis_with_a_failed_fit_or_a_flat_tail_does_as_arviz_stats():
    n = 400
    flat_tail = np.r_[np.zeros(n - 60), np.ones(60)]
    with pytest.raises(ValueError, match="All tail values are the same"):
        array_stats.psislw(-flat_tail)
    with pytest.raises(ValueError, match="All tail values are the same"):
        ms.psis(flat_tail)
    quartile_at_min = np.r_[np.linspace(-5, 0, n - 60), np.full(30, 1.0), np.linspace(1.0, 3.0, 30)]
    ours, theirs = ms.psis(quartile_at_min), array_stats.psislw(-quartile_at_min)
    assert np.isnan(ours[1]) and np.isnan(theirs[1])
    same(ours[0], theirs[0])


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("alpha", [0.5, 2.0, 0.99])
def test_power_scale_weights_equal_arviz_stats(seed, alpha):
    rng = np.random.default_rng(300 + seed)
    chains, draws = int(rng.integers(1, 5)), int(rng.choice([3, 12, 60, 250, 1000]))
    log_prior = rng.normal(size=(chains, draws)).cumsum(axis=1) * rng.uniform(0, 1) + rng.standard_t(3, (chains, draws))
    if seed % 5 == 1:
        log_prior = np.round(log_prior, 1)
    with warnings.catch_warnings(record=True) as theirs_said:
        warnings.simplefilter("always")
        try:
            theirs = array_stats.power_scale_lw(log_prior, alpha=alpha, axis=(-2, -1))
        except ValueError as error:
            with pytest.raises(ValueError, match=str(error)):
                quietly(ms.power_scale_log_weights, log_prior, alpha)
            return
    with warnings.catch_warnings(record=True) as ours_said:
        warnings.simplefilter("always")
        ours = ms.power_scale_log_weights(log_prior, alpha)
    same(ours, theirs)
    assert [str(w.message) for w in ours_said if "tail draws" in str(w.message)] == \
        [str(w.message) for w in theirs_said if "tail draws" in str(w.message)]


def test_diagnose_equals_arviz_stats_on_a_datatree():
    """:func:`diagnose` as it was written with arviz-stats (rhat rank, bulk and tail ESS, bfmi on the tree)."""
    from arviz_base import from_dict

    from bayesstreams.inference.diagnostics import _worst, diagnose

    rng = np.random.default_rng(7)
    posterior = {"a": rng.normal(size=(4, 300)).cumsum(axis=1), "b": rng.normal(size=(4, 300, 3)),
                 "c": np.round(rng.normal(size=(4, 300, 2, 2)), 1), "loglik": rng.normal(size=(4, 300, 5))}
    stats_ = {"energy": rng.normal(size=(4, 300)).cumsum(axis=1), "diverging": rng.random((4, 300)) < 0.01}
    tree = from_dict({"posterior": posterior, "sample_stats": stats_})
    ours = diagnose(tree)
    names = ["a", "b", "c"]
    rhat = azs.rhat(tree, var_names=names, method="rank").to_dataset()
    bulk = azs.ess(tree, var_names=names, method="bulk").to_dataset()
    tail = azs.ess(tree, var_names=names, method="tail").to_dataset()
    rhat_max, rhat_var = _worst(dict(rhat.items()), np.max)
    bulk_min, bulk_var = _worst(dict(bulk.items()), np.min)
    tail_min, tail_var = _worst(dict(tail.items()), np.min)
    np.testing.assert_allclose([ours.rhat_max, ours.ess_bulk_min], [rhat_max, bulk_min], rtol=RTOL)
    assert ours.ess_tail_min == tail_min
    assert ours.bfmi_min == float(np.min(np.asarray(azs.bfmi(tree).to_dataset()["energy"])))
    assert ours.worst == {"rhat": rhat_var, "ess_bulk": bulk_var, "ess_tail": tail_var}
    assert ours.divergences == int(stats_["diverging"].sum())


def test_power_khat_is_arviz_psislw_of_the_tilt_the_weights_make():
    """:func:`power_khat` is arviz-stats' ``psislw(-(alpha - 1) * log_prior)``'s k (psislw smooths ``exp(-x)``): the k of
    the ratios ``exp((alpha - 1) * log_prior)`` that ``power_scale_lw`` smooths into the weights."""
    from bayesstreams.inference.power import power_khat, power_scaled_weights

    log_prior = np.random.default_rng(8).standard_t(4, size=4000)
    chained = log_prior.reshape(4, -1)
    k = power_khat(log_prior, chains=4)
    for alpha in (0.5, 2.0):
        assert k[alpha] == float(array_stats.psislw(-((alpha - 1.0) * chained), axis=(-2, -1))[1])
        lw = np.asarray(array_stats.power_scale_lw(chained, alpha=alpha, axis=(-2, -1))).ravel()
        w = np.exp(lw - lw.max())
        assert np.array_equal(power_scaled_weights(log_prior, 4)[alpha], w / w.sum())


def test_psis_weights_are_arviz_psislw_of_the_negated_ratios():
    from bayesstreams.analysis.fragility import psis_weights

    log_ratio = np.random.default_rng(9).standard_t(3, size=2000)
    weights, k = psis_weights(log_ratio)
    log_w, k_theirs = array_stats.psislw(-log_ratio, r_eff=1.0)
    w = np.exp(log_w - np.max(log_w))
    assert k == float(k_theirs) and np.array_equal(weights, w / w.sum())


def test_mcmc_stats_imports_numpy_only():
    code = ("import sys\nimport bayesstreams.inference.mcmc_stats\n"
            "print(sorted(m for m in ('scipy', 'arviz_stats', 'xarray', 'pandas') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().replace("'", '"')) == []
