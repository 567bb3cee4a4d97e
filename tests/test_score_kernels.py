"""Batch scoring's numba kernels (bayesstreams/fast/batch.py) give the bits of the NumPy they replace.

Exact equality, not closeness: each kernel performs the reference's operations in its order (the
sequential cumulative sum, the products stream by stream, the cells summed in key order), and the
score's text and JSON print every digit, so a kernel that differed in the last bit would change
the output.  Inputs at the edges: ties, zero and one-hot weights, tiny and negative values, rows
that cannot be packed (NaN, too wide a range), codes not coded / in motion / still, a known window.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.analysis import advice, advice_fast
from bayesstreams.data.dataset import load_dataset
from bayesstreams.fast import batch

from .conftest import STUDY
from .fakes import fake_run
from .helpers import prior_like_draws
from .test_score_batch import profile_file


def _weights(rng, n):
    out = [rng.random(n) ** 4, np.ones(n), np.zeros(n), rng.random(n)]
    out[2][n // 2] = 1.0  # all the weight on one draw
    out[3][rng.random(n) < 0.3] = 0.0  # draws of no weight: plateaus in the cumulative weights
    out[3][-1] = 0.5
    return [w / w.sum() for w in out]


@pytest.mark.parametrize("n", [2, 3, 257, 1000])
def test_row_quantiles_by_the_kernels_equal_numpy(n):
    rng = np.random.default_rng(n)
    rows = [rng.random(n), rng.normal(size=n), np.zeros(n), np.round(rng.random(n), 1), rng.normal(size=n) * 1e-13,
            -rng.random(n), np.full(n, 0.3), rng.integers(0, 3, n) * 0.25]
    samples = np.stack(rows * 3)
    weights = [w for w in _weights(rng, n) for _ in range(6)]
    reference = advice._row_quantiles(samples, weights)
    found = advice._row_quantiles_kernels(samples, weights, batch)
    assert found is not None and np.array_equal(found, reference)
    # a wrong kernel is caught: the weights read against the wrong rows give other numbers
    shuffled = advice._row_quantiles_kernels(samples, weights[::-1], batch)
    assert not np.array_equal(shuffled, reference)


@pytest.mark.parametrize("n", [1, 2, 3, 257, 4000])
def test_sort_keys_sorts_as_numpy(n):
    """The radix sort of packed keys gives NumPy's sorted rows: packed keys (index in the low bits), keys in
    any order (the low bits not in order: every bit sorted), equal digits in a pass, the widest keys, and
    the refusal of negative keys (the caller then sorts with NumPy)."""
    rng = np.random.default_rng(n)
    bits = max(1, int(n - 1).bit_length())
    steps = [rng.integers(0, 2 ** 40, n), rng.integers(0, 3, n), np.zeros(n, dtype=np.int64),
             rng.integers(0, 2 ** (62 - bits), n), np.full(n, 2 ** 30 + 5), rng.integers(0, 2 ** 11, n) << 22]
    packed = np.stack([(np.asarray(s, dtype=np.int64) << bits) | np.arange(n) for s in steps])
    shuffled = rng.permuted(packed, axis=1)  # the low bits no longer ascend: sorted on every bit
    wide = rng.integers(0, 2 ** 62, (3, n))  # distinct or not, any key below 2 ** 63
    for keys in (packed, shuffled, wide, np.zeros((2, n), dtype=np.int64)):
        found = keys.copy()
        assert batch.sort_keys(found, bits)
        assert np.array_equal(found, np.sort(keys, axis=-1))
    negative = packed.copy()
    negative[1, -1] = -5
    assert not batch.sort_keys(negative.copy(), bits)


@pytest.mark.parametrize("n", [1, 2, 5, 4000])
def test_sort_rows_sorts_floats_as_numpy(n):
    """The radix sort of float rows gives np.sort's values: signs, ties, infinities, subnormals, the extremes;
    a row with NaN is refused (the caller sorts with NumPy)."""
    rng = np.random.default_rng(n + 7)
    tiny = np.finfo(float).tiny
    rows = np.stack([rng.random(n), rng.normal(size=n) * 1e6, np.round(rng.normal(size=n), 1), np.zeros(n),
                     rng.choice([np.inf, -np.inf, 1.0, -1.0, tiny / 4, -tiny / 4, np.finfo(float).max], n),
                     -rng.random(n) * 1e-300, np.full(n, 0.3)])
    found = rows.copy()
    assert batch.sort_rows(found)
    assert np.array_equal(found, np.sort(rows, axis=1))
    with_nan = rows.copy()
    with_nan[2, n // 2] = np.nan
    assert not batch.sort_rows(with_nan)


def test_rows_the_kernel_cannot_pack_fall_back_to_numpy():
    rng = np.random.default_rng(1)
    n = 200
    weights = _weights(rng, n)[:2]
    for bad in (np.nan, np.inf, 1e7):  # 1e7 / 2**-40 steps is wider than the packing's 2**(62 - bits)
        samples = np.stack([rng.random(n), rng.random(n)])
        samples[1, 5] = bad
        assert advice._row_quantiles_kernels(samples, weights, batch) is None
        assert np.array_equal(advice._row_quantiles(samples, weights, batch), advice._row_quantiles(samples, weights),
                              equal_nan=True)


def test_settled_summaries_with_the_kernels_equal_those_without():
    """The one-pass settling of a case's summaries (deduplicated rows included) through the kernels."""
    rng = np.random.default_rng(4)
    n = 500
    weights = _weights(rng, n)[0]
    samples = [rng.random(n), rng.normal(size=n), np.zeros(n), np.round(rng.random(n), 2), np.float64(0.25)]
    samples.append(samples[0].copy())
    results = []
    for kernels in (None, batch):
        case = advice._Case(np.zeros((n, 2, 3)), np.zeros(3), {}, np.zeros((3, 6)), None, weights, fast=True,
                            kernels=kernels)
        summaries = [case.summary(s) for s in samples]
        case.settle()
        results.append(summaries)
    assert results[0] == results[1]
    assert results[0][0] == advice.weighted_summary(samples[0], weights)


def _coefficients(rng, n_draws, s):
    q = rng.random((n_draws, 2, 3))
    q[0, 0] = 0.0
    q[1, 0] = 1.0
    lam, kap = rng.random((n_draws, 2)) * 0.3, rng.random((n_draws, 2)) * 0.3
    rho = rng.random(n_draws)
    from bayesstreams.analysis.case_evidence import Evidence

    evidence = Evidence(np.array(s, dtype=float), np.array([np.nan, np.nan]))
    return advice_fast.coefficients(q, lam, kap, rho, evidence, 0, False, 0), q


@pytest.mark.parametrize("codes", [[[np.nan] * 3] * 2, [[1.0, np.nan, 0.0], [np.nan, 1.0, 1.0]],
                                   [[0.0, 0.0, 1.0], [0.0, np.nan, np.nan]]])
def test_sets_chances_by_the_kernel_equal_numpy(codes):
    rng = np.random.default_rng(3)
    n_draws, n_sets = 300, 7
    coef, q = _coefficients(rng, n_draws, codes)
    # (set, stream, draw) as _q_under_fast builds it, read as (set, draw, stream)
    moved = rng.random((n_sets, 3, n_draws))
    moved[0] = q[:, 0].T  # a set that moves nothing: the factual chance
    moved[1, 1] = q[:, 0, 1]  # a set that leaves one stream alone
    q_moved = moved.transpose(0, 2, 1)
    reference = advice_fast.evaluate_target(coef, q_moved)
    found = advice_fast.evaluate_target(coef, q_moved, batch)
    assert np.array_equal(found, reference, equal_nan=True)
    assert not np.array_equal(found[:, ::-1], reference)
    # the linear terms both ways, and the factual chance at other codes (each from coefficients not yet cached)
    def fresh():
        return {key: value for key, value in coef.items() if key not in ("linear", "factual_linear")}

    kernel_terms = advice_fast._linear(fresh(), batch)
    assert np.array_equal(kernel_terms, advice_fast._linear(fresh()), equal_nan=True)
    reference = advice_fast.evaluate_factual(fresh(), q_moved)
    found = advice_fast.evaluate_factual(fresh(), q_moved, batch)
    assert np.array_equal(found, reference, equal_nan=True) and not np.array_equal(found, found[::-1])


def test_prepared_cases_with_the_kernels_equal_numpy(tmp_path):
    """The per-draw pieces of many profiles' advice (joints, per-key sums, coefficients) bit for bit."""
    from bayesstreams.analysis.case_evidence import case_evidence
    from bayesstreams.analysis.queries import baseline

    dataset = load_dataset(STUDY)
    profiles = profile_file(tmp_path, dataset, 40, seed=11)
    base = baseline(prior_like_draws(dataset, n=200, seed=2), profiles)
    targets = [case_evidence(profiles, i).target for i in range(profiles.n_cases)]
    args = (base, profiles.s, profiles.w, targets, [1, 2])
    reference, found = advice_fast.prepare_cases(*args), advice_fast.prepare_cases(*args, kernels=batch)
    assert len(reference) == len(found) == profiles.n_cases
    for a, b in zip(reference, found):
        assert list(a) == list(b)
        for key in a:
            left, right = a[key], b[key]
            if isinstance(left, dict):
                left, right = [left[k] for k in ("cf", "fact", "mass", "per_key")], [right[k] for k in ("cf", "fact", "mass", "per_key")]
            for x, y in zip(left if isinstance(left, (list, tuple)) else [left],
                            right if isinstance(right, (list, tuple)) else [right]):
                assert np.array_equal(x, y, equal_nan=True), key


def test_codes_only_lever_gains_by_the_kernels_equal_do_factor(tmp_path):
    """scoring's levers: the gains in P(W1) and P(W2) of do(x_k = +1) for the cases not at +1, bit for bit
    queries.do_factor's (every factor of both phases, cases at -1, 0 and not discussed)."""
    from bayesstreams.analysis import scoring
    from bayesstreams.analysis.queries import baseline, do_factor, windows

    dataset = load_dataset(STUDY)
    profiles = profile_file(tmp_path, dataset, 30, seed=12)
    base = baseline(prior_like_draws(dataset, n=257, seed=4), profiles)
    now = windows(base)
    now_p2 = now.p2
    gains = scoring._kernel_gains(base, now, now_p2, batch)
    assert gains is not None
    phases = set()
    for k in range(len(profiles.factor_ids)):
        rows = np.flatnonzero(base.x[:, k] != 1)
        up = do_factor(base, k, 1.0, cases=rows)
        found_w1, found_w2 = gains(k, rows)
        assert np.array_equal(found_w1, (up.p1 - now.p1[:, rows]).T)
        assert np.array_equal(found_w2, (up.p2 - now_p2[:, rows]).T)
        phases.add(int(base.factor_phase[k]))
    assert phases == {0, 1}
    assert scoring._kernel_gains(base, now, now_p2, None) is None  # no kernels: do_factor serves


def test_not_discussed_bounds_by_the_kernels_equal_the_kinds(tmp_path, monkeypatch):
    """The not-discussed ranges of a batch: both sides' windows by the kernels' hook bit for bit the kind's NumPy
    (profiles with and without not-discussed cells, in both phases); no hook where the kernels are not loaded."""
    from bayesstreams.analysis.queries import baseline
    from bayesstreams.fast import registry
    from bayesstreams.model.kinds import kind_of_draws

    dataset = load_dataset(STUDY)
    profiles = profile_file(tmp_path, dataset, 30, seed=13)
    profiles.x[0] = np.nan_to_num(profiles.x[0])  # one profile with every cell coded: no range to take
    assert np.isnan(profiles.x).any() and (~np.isnan(profiles.x).any(axis=1)).any()
    draws = prior_like_draws(dataset, n=257, seed=5)
    base = baseline(draws, profiles)

    def bounds(windows):
        return kind_of_draws(draws).not_discussed_bounds(
            draws, profiles.x, np.asarray(profiles.factor_phase), np.asarray(profiles.factor_stream),
            np.asarray(profiles.group, dtype=int), records=profiles, eta=base.eta, q=base.q, sums=registry.cell_sums,
            windows=windows)

    expected = bounds(None)
    monkeypatch.setattr(registry, "loaded_batch_kernels", lambda: batch)
    hook = registry.bound_windows()
    assert hook is not None
    found = bounds(hook)
    assert list(found) == list(expected) == ["p_w1", "p_w2"]
    for name in found:
        for side in range(2):
            assert np.array_equal(found[name][side], expected[name][side]), (name, side)
            assert found[name][side].T.flags.c_contiguous  # each case's draws one contiguous row
    assert not np.array_equal(found["p_w2"][0], found["p_w2"][1])  # the two sides differ
    monkeypatch.setattr(registry, "loaded_batch_kernels", lambda: None)
    assert registry.bound_windows() is None


def test_scores_with_and_without_the_kernels_are_the_same(tmp_path, monkeypatch):
    """The whole score of a batch (text and JSON print every digit): the kernels change the time only."""
    from bayesstreams.analysis import scoring

    dataset = load_dataset(STUDY)
    run = fake_run(dataset, prior_like_draws(dataset, n=300, seed=8), prior_like_draws(dataset, n=300, seed=9))
    profiles = profile_file(tmp_path, dataset, 20, seed=5)
    monkeypatch.setattr(scoring, "KERNELS_FROM", 10 ** 9)
    without = scoring.score_to_dict(scoring.score_dataset(run, profiles))
    monkeypatch.setattr(scoring, "KERNELS_FROM", 1)
    calls = []
    real = batch.read_sorted
    monkeypatch.setattr(batch, "read_sorted", lambda *a: calls.append(1) or real(*a))
    assert scoring.score_to_dict(scoring.score_dataset(run, profiles)) == without
    assert calls  # the kernels were used


@pytest.mark.parametrize("cells", [6, 2])
def test_cell_sums_by_the_kernel_equal_einsum(cells):
    """The baselines' per-cell sums of ``beta x`` (streams: 6 cells, additive: 2), codes and not-discussed masks."""
    from bayesstreams.fast.registry import BATCH_FROM, cell_sums
    from bayesstreams.model.likelihood import cell_sums as reference

    rng = np.random.default_rng(cells)
    n_cases, n_factors = BATCH_FROM + 5, 23
    onehot = np.eye(cells)[rng.integers(0, cells, n_factors)]
    beta = rng.normal(size=(500, n_factors)) * rng.random(n_factors) * 3
    for x in (rng.integers(-1, 2, (n_cases, n_factors)).astype(float), (rng.random((n_cases, n_factors)) < 0.3) * 1.0,
              np.zeros((n_cases, n_factors))):
        expected = reference(x, np.abs(beta) if x.max() == 1 and x.min() == 0 else beta, onehot)
        found = cell_sums(x, np.abs(beta) if x.max() == 1 and x.min() == 0 else beta, onehot)
        assert found.shape == expected.shape and np.array_equal(found, expected)
        assert np.array_equal(np.signbit(found), np.signbit(expected))
    codes = rng.integers(-1, 2, (3, n_factors)).astype(float)
    out = np.empty((500, 3, cells))
    batch.cell_sums(codes, beta, onehot, out)  # the kernel itself, below the registry's size switch
    assert np.array_equal(out, reference(codes, beta, onehot))


def test_cell_sums_take_the_one_cell_kernel_only_where_it_gives_the_same_bits(monkeypatch):
    """One-hot rows and finite inputs: the kernel that adds each factor into its own cell alone (a sixth of the
    work); a row feeding two cells, a weight other than 1, or a non-finite input: the general kernel, as einsum."""
    from bayesstreams.fast import registry
    from bayesstreams.model.likelihood import cell_sums as reference

    rng = np.random.default_rng(11)
    n_cases, n_factors = registry.BATCH_FROM + 3, 17
    x = rng.integers(-1, 2, (n_cases, n_factors)).astype(float)
    x[:, 3] = 0.0  # zero codes: -0.0 products where beta < 0
    beta = rng.normal(size=(300, n_factors))
    taken = []
    for name in ("cell_sums", "cell_sums_onehot"):
        real = getattr(batch, name)
        monkeypatch.setattr(batch, name, lambda *a, real=real, name=name: taken.append(name) or real(*a))
    onehot = np.eye(6)[rng.integers(0, 6, n_factors)]
    two = onehot.copy()
    two[0, (onehot[0].argmax() + 1) % 6] = 1.0  # one factor in two cells
    half = onehot * 0.5
    infinite = x.copy()
    infinite[2, 5] = np.inf
    for codes, cells, kernel in ((x, onehot, "cell_sums_onehot"), (x, two, "cell_sums"), (x, half, "cell_sums"),
                                 (infinite, onehot, "cell_sums")):
        taken.clear()
        with np.errstate(invalid="ignore"):
            found, expected = registry.cell_sums(codes, beta, cells), reference(codes, beta, cells)
        assert taken == [kernel]
        assert np.array_equal(found, expected, equal_nan=True) and np.array_equal(np.signbit(found), np.signbit(expected))
    assert np.isnan(registry.cell_sums(infinite, beta, onehot)).any()  # inf * 0 in another cell: einsum's NaN kept


def test_chance_of_sets_read_in_place_equals_the_gathered_chance(tmp_path):
    """Plans' sets (singles, pairs and triples, some moving one stream twice) by the columns kernel and by NumPy."""
    from itertools import combinations

    from bayesstreams.analysis.case_evidence import case_evidence
    from bayesstreams.analysis.queries import baseline

    dataset = load_dataset(STUDY)
    profiles = profile_file(tmp_path, dataset, 12, seed=3)
    base = baseline(prior_like_draws(dataset, n=200, seed=4), profiles)
    phase, stream = np.asarray(profiles.factor_phase), np.asarray(profiles.factor_stream)
    checked = 0
    for i in range(profiles.n_cases):
        evidence = case_evidence(profiles, i)
        if evidence.target is None:
            continue
        target = evidence.target
        members = [k for k in range(len(phase)) if phase[k] == target][:7]
        sets = [(k,) for k in members] + list(combinations(members, 2)) + list(combinations(members, 3))
        assert any(len(set(stream[list(s)])) < len(s) for s in sets)  # a stream moved by two factors of a set
        chances = []
        for kernels in (None, batch):
            case = advice._case(base, i, evidence, True, fast=True, kernels=kernels)
            chances.append(case.chance_of_sets(sets, target) if kernels else case.chance(case.q_under(sets), target))
        assert np.array_equal(chances[0], chances[1], equal_nan=True)
        checked += 1
    assert checked >= 5


SIGNATURE_PROBE = """
import numpy as np
from bayesstreams.analysis import scoring
from bayesstreams.data.dataset import load_dataset
from bayesstreams.fast import batch
from tests.fakes import fake_run
from tests.helpers import prior_like_draws
from tests.test_score_batch import profile_file
import pathlib, sys
batch.warm()
warm = {k.__name__: list(k.signatures) for k in batch.KERNELS}
dataset = load_dataset("data/trafficking_nl_2020")
run = fake_run(dataset, prior_like_draws(dataset, n=60, seed=8), prior_like_draws(dataset, n=60, seed=9))
scoring.score_dataset(run, profile_file(pathlib.Path(sys.argv[1]), dataset, 20, seed=5))
print(all(list(k.signatures) == warm[k.__name__] for k in batch.KERNELS), sum(len(k.signatures) for k in batch.KERNELS))
"""


def test_the_set_up_compiles_the_types_scoring_passes(tmp_path):
    """``batch.warm()`` (the set-up's step) compiles each kernel for the very argument types a batch passes, so a
    batch loads the set-up's machine code and compiles nothing (a new type would compile on a user's first score)."""
    import subprocess
    import sys

    from .conftest import ROOT

    out = subprocess.run([sys.executable, "-c", SIGNATURE_PROBE, str(tmp_path)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.split() == ["True", str(len(batch.KERNELS))]
