"""Case advice given the case's evidence (MODEL.md §9): exact counterfactuals, levers, plans, necessity."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from bayesstreams.analysis.advice import advise
from bayesstreams.analysis.case_evidence import Evidence, counterfactual, stream_posterior
from bayesstreams.model.likelihood import logistic, numpy_case_loglik, observed_terms, stream_eta
from tests.fakes import make_dataset, random_parameters, stack_draws

NAN = float("nan")
FACTORS = (
    ("p1_insight", 1, "problem"), ("p1_media", 1, "problem"), ("p1_congruence", 1, "policy"),
    ("p1_political", 1, "politics"), ("p2_framing", 2, "problem"), ("p2_collaboration", 2, "policy"),
    ("p2_capacity", 2, "policy"), ("p2_region", 2, "politics"), ("p2_never", 2, "politics"),
)
# c1: W1 open, W2 closed (target W2); c2: both closed (target W1); c3: both open; c4: unknown windows
X = np.array([
    [1, 0, 1, 1, -1, 0, NAN, 0, NAN],
    [-1, NAN, 0, -1, 0, 1, -1, 0, NAN],
    [1, 1, 1, 1, 1, 1, 1, 0, NAN],
    [0, -1, NAN, 0, NAN, 0, 1, -1, NAN],
    [1, 0, -1, 1, 0, -1, 0, 1, NAN],
], dtype=float)
W = np.array([[1, 0], [0, 0], [1, 1], [NAN, NAN], [1, 0]], dtype=float)
S = np.full((5, 2, 3), NAN)
S[0, 1, 0] = 0.0  # c1's phase-2 problem stream was coded not in motion
S[1, 0, 1] = 1.0


def _simulate(q, q_new, lam, kap, rho, n, rng, w1_open=False):
    """Brute force: draw every noise, compute the factual and counterfactual worlds."""
    u, a, b, v = rng.random((n, 2, 3)), rng.random((n, 2)), rng.random((n, 2)), rng.random(n)
    s, s_new = u < q, u < q_new
    ready = (a < lam) | (s.all(-1) & (b >= kap))
    ready_new = (a < lam) | (s_new.all(-1) & (b >= kap))
    gate = v < rho
    w1, w1n = ready[:, 0], ready_new[:, 0] | w1_open
    return s, (w1, ready[:, 1] & (w1 | gate)), (w1n, ready_new[:, 1] & (w1n | gate)), ready[:, 1]


@pytest.mark.parametrize("trial", range(5))
def test_counterfactual_matches_monte_carlo(trial):
    rng = np.random.default_rng(100 + trial)
    q = rng.uniform(0.2, 0.9, (2, 3))
    q_new = np.clip(q + rng.normal(0.15, 0.25, (2, 3)), 0.02, 0.98)
    lam, kap, rho = rng.uniform(0.02, 0.25, 2), rng.uniform(0.02, 0.25, 2), rng.uniform(0.1, 0.7)
    s = np.full((2, 3), NAN)
    s[0, trial % 3], s[1, (trial + 1) % 3] = trial % 2, 1 - trial % 2
    w = np.array([[0, 0], [1, 0], [NAN, 0], [1, NAN], [0, NAN]][trial], dtype=float)
    evidence = Evidence(s, w)
    states, fact, cf, _ = _simulate(q, q_new, lam, kap, rho, 600_000, rng)
    keep = np.ones(len(states), bool)
    for p, st in zip(*np.nonzero(~np.isnan(s))):
        keep &= states[:, p, st] == s[p, st]
    for window in (0, 1):
        if not np.isnan(w[window]):
            keep &= fact[window] == w[window]
    exact_mass = counterfactual(q, q_new, lam, kap, rho, evidence, 0)[2]
    assert exact_mass == pytest.approx(keep.mean(), abs=4 * np.sqrt(exact_mass / len(keep)) + 1e-4)
    for target in (0, 1):
        exact_cf, exact_fact, _ = counterfactual(q, q_new, lam, kap, rho, evidence, target)
        mc = cf[target][keep].mean()
        tolerance = 4 * np.sqrt(mc * (1 - mc) / keep.sum()) + 2e-3
        assert exact_cf == pytest.approx(mc, abs=tolerance)
        assert exact_fact == pytest.approx(fact[target][keep].mean(), abs=tolerance)
    streams = stream_posterior(q, lam, kap, rho, evidence)
    assert streams == pytest.approx(states[keep].mean(axis=0), abs=0.01)


def test_the_brute_force_tells_counterfactual_from_interventional():
    """Ignoring the evidence (the unconditioned do-probability) misses by far more than the MC tolerance (~0.01)."""
    q, q_new = np.full((2, 3), 0.6), np.full((2, 3), 0.6)
    q_new[0, 0] = 0.95
    lam, kap, rho = np.full(2, 0.05), np.full(2, 0.05), 0.3
    s = np.full((2, 3), NAN)
    s[0, 0] = 0.0
    exact = counterfactual(q, q_new, lam, kap, rho, Evidence(s, np.array([0.0, 0.0])), 0)[0]
    unconditioned = lam[0] + (1 - lam[0]) * (1 - kap[0]) * q_new[0].prod()
    assert abs(exact - unconditioned) > 0.05


def test_phase_two_once_phase_one_is_open_matches_monte_carlo():
    rng = np.random.default_rng(7)
    q, q_new = rng.uniform(0.3, 0.8, (2, 3)), rng.uniform(0.5, 0.95, (2, 3))
    lam, kap, rho = np.array([0.1, 0.08]), np.array([0.1, 0.12]), 0.4
    evidence = Evidence(np.full((2, 3), NAN), np.array([0.0, 0.0]))
    _, fact, cf, _ = _simulate(q, q_new, lam, kap, rho, 600_000, rng, w1_open=True)
    keep = (fact[0] == 0) & (fact[1] == 0)
    exact = counterfactual(q, q_new, lam, kap, rho, evidence, 1, w1_open=True)[0]
    assert exact == pytest.approx(cf[1][keep].mean(), abs=4 * np.sqrt(0.25 / keep.sum()) + 1e-3)


def _setup(seed=3, n=40):
    dataset = make_dataset(X, W, FACTORS, s=S)
    rng = np.random.default_rng(seed)
    posterior = stack_draws([random_parameters(dataset, rng) for _ in range(n)])
    return dataset, posterior


def test_evidence_mass_is_the_case_likelihood():
    dataset, d = _setup()
    eta = stream_eta(d["alpha"], d["beta"], dataset.x_filled, dataset.factor_phase, dataset.factor_stream)
    loglik = numpy_case_loglik(eta, d["lambda"], d["kappa"], d["rho"], observed_terms(dataset.s, dataset.w))
    for i in range(dataset.n_cases):
        q = logistic(eta[:, i])
        evidence = Evidence(dataset.s[i], dataset.w[i])
        mass = counterfactual(q, q, d["lambda"], d["kappa"], d["rho"], evidence, 0)[2]
        np.testing.assert_allclose(np.log(mass), loglik[:, i], rtol=1e-10, atol=1e-12)


def test_an_open_window_gets_no_lever_and_no_data_factor_never_appears():
    dataset, posterior = _setup()
    for case in dataset.case_ids:
        advice = advise(posterior, dataset, case)
        offered = advice.levers + advice.find_out_first
        named = [e["factor"] for e in offered + advice.necessity]
        named += [f for plan in advice.plans + advice.then_w2_plans for f in plan["factors"]]
        assert "p2_never" not in named and advice.no_data == ["p2_never"]
        if advice.w1 == 1:
            assert advice.target in ("W2", None)
            assert all(e["phase"] == 2 for e in offered)
    assert advise(posterior, dataset, "c1").target == "W2"
    assert advise(posterior, dataset, "c2").target == "W1"
    assert advise(posterior, dataset, "c4").target == "W1"


def test_a_not_discussed_factor_is_only_find_out_first_with_both_gains():
    dataset, posterior = _setup()
    advice = advise(posterior, dataset, "c1")  # p2_capacity not discussed, target W2
    assert "p2_capacity" not in [e["factor"] for e in advice.levers]
    for plan in advice.plans:  # a plan may hold it, marked to be found out first
        assert ("p2_capacity" in plan["factors"]) == ("p2_capacity" in plan["find_out_first"])
        assert set(plan["find_out_first"]) <= {"p2_capacity"}
    (entry,) = [e for e in advice.find_out_first if e["factor"] == "p2_capacity"]
    assert np.isnan(entry["code"]) and {"gain", "gain_if_plus1"} <= set(entry)
    # W2 is known closed for c1: finding the factor present changes nothing of the fact
    assert entry["gain_if_plus1"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert entry["gain"]["mean"] == pytest.approx(0.0, abs=1e-12)  # its problem stream is known not in motion
    unknown = advise(posterior, dataset, "c4")  # windows unknown: knowing it is +1 moves the chance
    (entry,) = [e for e in unknown.find_out_first if e["factor"] == "p1_congruence"]
    assert entry["gain_if_plus1"]["mean"] > 0.001 and entry["gain"]["mean"] > 0.001


def _window_mean(posterior, dataset, i, members, target, w1_open=False):
    """P(target | do(members = +1), evidence), posterior mean, computed here from the draws."""
    x = dataset.x_filled[i].copy()
    q = logistic(stream_eta(posterior["alpha"], posterior["beta"], x[None], dataset.factor_phase,
                            dataset.factor_stream)[:, 0])
    x[list(members)] = 1.0
    q_new = logistic(stream_eta(posterior["alpha"], posterior["beta"], x[None], dataset.factor_phase,
                                dataset.factor_stream)[:, 0])
    evidence = Evidence(dataset.s[i], dataset.w[i])
    return counterfactual(q, q_new, posterior["lambda"], posterior["kappa"], posterior["rho"], evidence, target,
                          w1_open)[0].mean()


@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.3])
def test_plans_are_minimal_sorted_and_reach(threshold):
    dataset, posterior = _setup(seed=5, n=60)
    ids = list(dataset.factor_ids)
    checked = 0
    for i, case in enumerate(dataset.case_ids):
        advice = advise(posterior, dataset, case, threshold=threshold)
        if advice.target is None or not advice.plans_reach:
            continue
        target = ("W1", "W2").index(advice.target)
        means = [plan["p_target"]["mean"] for plan in advice.plans]
        assert means == sorted(means, reverse=True)
        assert len({plan["size"] for plan in advice.plans}) == 1
        for plan in advice.plans:
            members = [ids.index(f) for f in plan["factors"]]
            assert _window_mean(posterior, dataset, i, members, target) == pytest.approx(plan["p_target"]["mean"])
            assert plan["p_target"]["mean"] > threshold
            for size in range(1, len(members)):
                for subset in combinations(members, size):
                    assert _window_mean(posterior, dataset, i, subset, target) <= threshold
        checked += 1
    assert checked >= 2


def test_both_windows_open_gives_phase_one_necessity_with_its_prior():
    dataset, posterior = _setup()
    prior = {"rho": np.random.default_rng(0).uniform(size=4000)}
    advice = advise(posterior, dataset, "c3", prior=prior)
    assert advice.target is None and advice.levers == [] and advice.plans == []
    assert advice.phase1_necessary["posterior"]["mean"] == pytest.approx(1 - posterior["rho"].mean())
    assert advice.phase1_necessary["prior_mean"] == pytest.approx(0.5, abs=0.02)


def test_necessity_given_the_evidence_is_a_counterfactual():
    dataset, posterior = _setup()
    advice = advise(posterior, dataset, "c1")  # W1 open
    ids = list(dataset.factor_ids)
    for entry in advice.necessity:
        assert entry["window"] == "W1"  # W2 did not open
        k = ids.index(entry["factor"])
        x = dataset.x_filled[0].copy()
        q = logistic(stream_eta(posterior["alpha"], posterior["beta"], x[None], dataset.factor_phase,
                                dataset.factor_stream)[:, 0])
        x[k] = -1.0
        q_low = logistic(stream_eta(posterior["alpha"], posterior["beta"], x[None], dataset.factor_phase,
                                    dataset.factor_stream)[:, 0])
        kept = counterfactual(q, q_low, posterior["lambda"], posterior["kappa"], posterior["rho"],
                              Evidence(dataset.s[0], dataset.w[0]), 0)[0]
        assert entry["p_necessary"]["mean"] == pytest.approx(1 - kept.mean())


def test_a_coded_stream_not_in_motion_is_the_bottleneck():
    dataset, posterior = _setup()
    advice = advise(posterior, dataset, "c1")
    phase2 = advice.bottlenecks[1]
    assert (phase2["stream"], phase2["p_in_motion"], phase2["coded"]) == ("problem", 0.0, True)


def test_a_profile_reweights_the_draws_by_its_likelihood():
    dataset, posterior = _setup()
    plain = advise(posterior, dataset, "c1")
    weighted = advise(posterior, dataset, "c1", reweight=True)
    assert plain.levers[0]["factor"] in [e["factor"] for e in weighted.levers]
    assert weighted.levers[0]["gain"]["mean"] != pytest.approx(plain.levers[0]["gain"]["mean"], abs=1e-6)


def test_known_windows_are_shown_as_known_and_the_others_as_their_chance_given_what_is_known():
    dataset, posterior = _setup()
    for i, case in enumerate(dataset.case_ids):
        advice = advise(posterior, dataset, case)
        for entry, value in zip(advice.windows, dataset.w[i]):
            if np.isnan(value):
                assert entry["known"] is None and 0.0 <= entry["p"]["mean"] <= 1.0
            else:
                assert entry["known"] == ("open" if value == 1 else "closed") and entry["p"] is None
        if advice.target is not None and np.isnan(dataset.w[i, int(advice.target[1]) - 1]):
            # the headline of the next window is the "now" every lever and plan starts from
            headline = advice.windows[int(advice.target[1]) - 1]["p"]
            assert headline["mean"] == pytest.approx(advice.now["mean"], abs=1e-12)


def test_every_step_goes_from_the_same_now_to_its_chance_with_the_step():
    dataset, posterior = _setup()
    for case in dataset.case_ids:
        advice = advise(posterior, dataset, case)
        if advice.target is None:
            assert advice.blocks == [] and advice.now is None
            continue
        steps = {e["factor"]: e for e in advice.levers + advice.find_out_first}
        for entry in steps.values():
            assert entry["now"]["mean"] == pytest.approx(advice.now["mean"], abs=1e-12)
            assert entry["with_step"]["mean"] - entry["now"]["mean"] == pytest.approx(entry["gain"]["mean"], abs=1e-12)
        assert advice.blocks, "a window not yet open always has a stream that holds it back"
        for block in advice.blocks:
            assert block["phase"] == int(advice.target[1])
            for step in block["steps"]:  # what moves the blocking stream says the same as the lever list
                assert step["with_step"]["mean"] == pytest.approx(steps[step["factor"]]["with_step"]["mean"], abs=1e-12)
                assert step["stream_with_step"]["mean"] >= block["p_in_motion"]["mean"] - 1e-12


def test_a_stream_coded_still_blocks_and_its_steps_set_it_in_motion_as_the_noise_says():
    from bayesstreams.analysis.advice import _stream_after

    dataset, posterior = _setup()
    advice = advise(posterior, dataset, "c1")  # phase 2 problem stream coded still
    block = advice.blocks[0]
    assert (block["stream"], block["coded_still"], block["p_in_motion"]["mean"]) == ("problem", True, 0.0)
    assert [s["factor"] for s in block["steps"]] == ["p2_framing"]  # the stream's one factor below +1
    # the stream after a step, brute force: U uniform, S = U < q, S' = U < q', given what S was
    rng = np.random.default_rng(0)
    u = rng.random(400_000)
    for p_now, q, q_new in ((0.0, 0.3, 0.7), (0.4, 0.3, 0.7), (0.6, 0.5, 0.2)):
        s = rng.random(u.size) < p_now  # the evidence's belief about S
        u_given = np.where(s, u * q, q + u * (1 - q))  # U given S
        expected = (u_given < q_new).mean()
        assert _stream_after(np.array(p_now), np.array(q), np.array(q_new)) == pytest.approx(expected, abs=4e-3)


def test_advice_of_a_study_a_run_and_their_draws_is_one_advice(fake_study):
    """``advise`` takes a Study, a Run, or draws and a dataset, told apart by type (no attribute probes)."""
    from bayesstreams.analysis.queries import run_baseline
    from bayesstreams.inference.study import Study

    _, run = fake_study
    case = run.dataset.case_ids[4]
    of_draws = advise(run.posterior, run.dataset, case, base=run_baseline(run), prior=run.prior)
    for whole in (run, Study.of(run)):
        advice = advise(whole, case)
        assert advice.case_id == case and advice.target == of_draws.target
        assert advice.windows == of_draws.windows and advice.necessity == of_draws.necessity
        assert [lever["factor"] for lever in advice.levers] == [lever["factor"] for lever in of_draws.levers]
