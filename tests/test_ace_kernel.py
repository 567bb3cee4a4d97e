"""The average causal effects' interventions in numba give the NumPy reference's bits.

:mod:`bayesstreams.fast.ace` replaces :meth:`~bayesstreams.model.streams.StreamsKind.do_factors`' many
temporaries by two passes (the logistic between them stays NumPy's): each element is computed by the
same operations in the same order, so ``P(W1)`` and ``P(W2)`` are compared for equality, not closeness,
on the shipped study, with groups, at every code, for all factors and a subset, and the whole
:func:`~bayesstreams.analysis.queries.ace_draws` with and without the kernels.  Where the reference must
serve (an evidence mode, a small problem) the registry says so, and the set-up compiles the very
argument types the queries pass.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bayesstreams.analysis import queries
from bayesstreams.analysis.queries import ace_draws, baseline
from bayesstreams.data.dataset import load_dataset
from bayesstreams.fast import ace
from bayesstreams.fast.registry import ACE_KERNEL_FROM, do_factors_windows
from bayesstreams.model.kinds import get_kind
from bayesstreams.model.likelihood import logistic, logistic_into

from .conftest import ROOT, STUDY
from .helpers import partly_observed_dataset, prior_like_draws


def _draws_for(dataset, seed: int) -> dict:
    n = ACE_KERNEL_FROM // (3 * dataset.n_cases) + 50  # above the kernels' threshold for three factors
    return prior_like_draws(dataset, n=n, seed=seed)


@pytest.fixture(scope="module", params=["shipped", "groups"])
def problem(request):
    if request.param == "shipped":
        dataset = load_dataset(STUDY)
    else:  # groups (their offsets in the log-odds) and not-discussed cells
        dataset = partly_observed_dataset(n_cases=30, seed=4, groups=True)
    return dataset, baseline(_draws_for(dataset, seed=11), dataset)


def test_logistic_written_over_its_argument_is_the_logistic():
    v = np.random.default_rng(3).normal(scale=30.0, size=50_000)
    v[:4] = [0.0, -800.0, 800.0, -0.0]
    assert np.array_equal(logistic_into(v.copy()), logistic(v))


@pytest.mark.parametrize("value", [1.0, 0.0, -1.0])
def test_the_kernels_give_do_factors_bit_for_bit(problem, value):
    dataset, base = problem
    kind = get_kind(base.kind)
    for ks in (np.arange(dataset.x.shape[1]), np.array([dataset.x.shape[1] - 1, 0, 2])):
        reference = kind.do_factors(base, value, ks)
        found = do_factors_windows(base, value, ks)
        assert found is not None
        assert np.array_equal(found[0], reference.p1) and np.array_equal(found[1], reference.p2)
        assert found[0].shape == (len(base.draws["rho"]), len(ks), dataset.n_cases)


def test_ace_draws_with_the_kernels_is_ace_draws_without(problem, monkeypatch):
    dataset, base = problem
    fast = ace_draws(base.draws, dataset, baseline(base.draws, dataset))
    monkeypatch.setattr(queries, "do_factors_windows", lambda *_: None)
    reference = ace_draws(base.draws, dataset, baseline(base.draws, dataset))
    assert np.array_equal(fast, reference) and np.abs(reference).max() > 0.01


def test_a_wrong_kernel_is_caught(problem, monkeypatch):
    """The equality above can fail: one operation in another order moves the last bits."""
    dataset, base = problem
    kind = get_kind(base.kind)
    ks = np.arange(dataset.x.shape[1])

    kernel = ace.windows_under

    def reordered(q_new, others, lam, kap, pibar, rho, phase, stream, p1, p2):
        kernel(q_new, others, lam, kap, pibar, rho, phase, stream, p1, p2)
        np.multiply(p2, 1.0 + 2.0 ** -52, out=p2)  # what another order of the products does: one ulp here and there

    monkeypatch.setattr(ace, "windows_under", reordered)
    found = do_factors_windows(base, 1.0, ks)
    assert not np.array_equal(found[1], kind.do_factors(base, 1.0, ks).p2)


def test_the_reference_serves_a_small_problem_and_an_evidence_mode():
    dataset = load_dataset(STUDY)
    small = baseline(prior_like_draws(dataset, n=40, seed=2), dataset)
    assert do_factors_windows(small, 1.0, np.arange(dataset.x.shape[1])) is None
    big = baseline(_draws_for(dataset, seed=2), dataset)
    big.cache["evidence"] = object()  # what an evidence mode's baseline holds: its expected q, not a logistic
    assert do_factors_windows(big, 1.0, np.arange(dataset.x.shape[1])) is None


SIGNATURE_PROBE = """
import numpy as np
from bayesstreams.analysis.queries import ace_draws, baseline
from bayesstreams.data.dataset import load_dataset
from bayesstreams.fast import ace
from tests.helpers import prior_like_draws
ace.warm()
warm = [list(k.signatures) for k in (ace.shifted_log_odds, ace.windows_under)]
dataset = load_dataset("data/trafficking_nl_2020")
draws = prior_like_draws(dataset, n=1200, seed=8)
ace_draws(draws, dataset, baseline(draws, dataset))
print([list(k.signatures) for k in (ace.shifted_log_odds, ace.windows_under)] == warm, sum(map(len, warm)))
"""


def test_the_set_up_compiles_the_types_the_queries_pass():
    """``ace.warm()`` (the set-up's step) compiles each kernel for the argument types ``ace_draws`` passes, so the
    first analyze loads the set-up's machine code and compiles nothing."""
    out = subprocess.run([sys.executable, "-c", SIGNATURE_PROBE], capture_output=True, text=True, cwd=ROOT,
                         check=True, timeout=600)
    assert out.stdout.split() == ["True", "2"]
