"""The evidence model (MODEL.md §7) against brute-force enumeration of latent codes x streams x windows.

The brute force is written from the table of §7 and the generative model of §2 alone: it sums
the joint over every latent code of every cell of a case at once (not per stream), every true
stream state and every missing window, sharing nothing with the per-stream closed form.
"""

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bayesstreams.model import evidence as ev
from bayesstreams.model.likelihood import logistic, numpy_math, observed_terms, pytensor_math
from bayesstreams.model.streams import KIND

PHASE = np.array([0, 0, 0, 1, 1, 1])
STREAM = np.array([0, 0, 1, 1, 1, 2])  # two streams with no factor (intercept only), one with three
TRUE_STREAMS = np.array(list(itertools.product((0.0, 1.0), repeat=6))).reshape(-1, 2, 3)
N_FACTORS = len(PHASE)
MODES = [
    {"not_discussed": nd, "respondents": r, "stream_error": e}
    for nd in ("zero", "marginal", "salience") for r in ("consensus", "latent") for e in (False, True)
    if not (nd == "zero" and r == "latent")
]


def weight(options, params, k, recorded, x):
    """w[i,k](x) straight from the table of MODEL.md §7; ``recorded``: the respondents' codes (empty: n.d.)."""
    nd = options["not_discussed"]
    if options["respondents"] == "consensus":
        code = np.sign(sum(recorded)) if recorded else None
        if nd == "zero":
            return float(x == (0 if code is None else code))
        theta = params["code_prob"][k, int(x) + 1]
        if nd == "marginal":
            return theta if code is None else theta * (x == code)
        sigma = params["salience_zero"] if x == 0 else params["salience_nonzero"]
        return theta * (1 - sigma) if code is None else theta * sigma * (x == code)
    theta = params["code_prob"][k, int(x) + 1]
    if nd == "salience":
        sigma = params["salience_zero"] if x == 0 else params["salience_nonzero"]
        theta *= sigma if recorded else 1 - sigma
    return theta * np.prod([params["confusion"][int(x) + 1, int(c) + 1] for c in recorded])


def brute_force(options, params, recorded, s, w):
    """log P(records, S, W) of one case by enumerating all 3^K codes, 2^6 true streams and the windows."""
    eps = params.get("stream_error", 0.0) if options["stream_error"] else 0.0
    total = 0.0
    for codes in itertools.product((-1.0, 0.0, 1.0), repeat=N_FACTORS):
        mass = np.prod([weight(options, params, k, recorded[k], codes[k]) for k in range(N_FACTORS)])
        if mass == 0:
            continue
        eta = params["alpha"].copy()
        for k in range(N_FACTORS):
            eta[PHASE[k], STREAM[k]] += params["beta"][k] * codes[k]
        q = logistic(eta)
        p = np.prod(np.where(TRUE_STREAMS == 1, q, 1 - q), axis=(1, 2))
        seen = ~np.isnan(s)
        p = p * np.prod(np.where(TRUE_STREAMS[:, seen] == s[seen], 1 - eps, eps), axis=1)
        pi = params["lambda"] + (1 - params["lambda"]) * (1 - params["kappa"]) * TRUE_STREAMS.prod(axis=2)
        for w1, w2 in itertools.product((0, 1), repeat=2):
            if (w[0] == w[0] and w[0] != w1) or (w[1] == w[1] and w[1] != w2):
                continue  # an observed window takes its value; a missing one is summed over both
            p2 = pi[:, 1] * (w1 + (1 - w1) * params["rho"])
            total += mass * np.sum(p * (pi[:, 0] if w1 else 1 - pi[:, 0]) * (p2 if w2 else 1 - p2))
    return np.log(total)


def random_parameters(rng):
    return {"alpha": rng.normal(0, 1, (2, 3)), "beta": rng.normal(0.5, 1.2, N_FACTORS),
            "lambda": rng.uniform(0.02, 0.4, 2), "kappa": rng.uniform(0.02, 0.4, 2), "rho": rng.uniform(),
            "code_prob": rng.dirichlet(np.ones(3), N_FACTORS), "salience_zero": rng.uniform(0.1, 0.9),
            "salience_nonzero": rng.uniform(0.1, 0.9),
            "confusion": np.stack([rng.dirichlet(np.where(np.arange(3) == t, 6.0, 1.0)) for t in range(3)]),
            "stream_error": rng.uniform(0.01, 0.3)}


def random_dataset(rng, n_cases=3):
    """Cases with not-discussed cells, one to three respondents per cell (who may disagree), partly coded streams."""
    rows, recorded = [], []
    for i in range(n_cases):
        cells = []
        for k in range(N_FACTORS):
            n_resp = rng.choice([0, 1, 2, 3], p=[0.35, 0.35, 0.2, 0.1])
            codes = [float(c) for c in rng.choice([-1, 0, 1], size=n_resp)]
            cells.append(codes)
            rows += [{"case_id": f"c{i}", "factor": f"f{k}", "respondent": f"r{r}", "code": c} for r, c in enumerate(codes)]
        recorded.append(cells)
    x = np.array([[np.sign(sum(c)) if c else np.nan for c in cells] for cells in recorded])
    frame = pd.DataFrame(rows, columns=["case_id", "factor", "respondent", "code"])
    dataset = SimpleNamespace(
        x=x, x_filled=np.nan_to_num(x), s=rng.choice([0.0, 1.0, np.nan], size=(n_cases, 2, 3)),
        w=rng.choice([0.0, 1.0, np.nan], size=(n_cases, 2)), factor_phase=PHASE, factor_stream=STREAM,
        n_cases=n_cases, group=np.full(n_cases, -1), case_ids=tuple(f"c{i}" for i in range(n_cases)),
        factor_ids=tuple(f"f{k}" for k in range(N_FACTORS)), respondent_codes=lambda: frame)
    return dataset, recorded


def draws_of(options, params):
    """One draw holding the parameters the options use (so the kind reads the mode from the draws)."""
    keep = {"alpha", "beta", "lambda", "kappa", "rho"}
    features = {"code_prob"} if options["not_discussed"] != "zero" or options["respondents"] == "latent" else set()
    if options["not_discussed"] == "salience":
        keep |= {"salience_zero", "salience_nonzero"}
    if options["respondents"] == "latent":
        keep.add("confusion")
    if options["stream_error"]:
        keep.add("stream_error")
    return {k: np.asarray(v)[None] for k, v in params.items() if k in keep | features}


@pytest.mark.parametrize("options", MODES, ids=lambda o: "-".join(str(v) for v in o.values()))
@pytest.mark.parametrize("seed", range(3))
def test_numpy_reference_equals_enumeration(options, seed):
    rng = np.random.default_rng(seed)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng)
    draws = draws_of(options, params)
    assert ev.options_of_draws(draws) == options
    got = KIND.reference_loglik(dataset, draws)[0]
    expected = [brute_force(options, params, recorded[i], dataset.s[i], dataset.w[i]) for i in range(dataset.n_cases)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.model  # compiles one PyTensor graph per mode (about 2 s each)
@pytest.mark.parametrize("options", MODES, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_pytensor_equals_enumeration(options):
    """The PyTensor graph the sampler runs (every factor enumerated, ``split=False``) equals the brute force."""
    import pytensor.tensor as pt

    rng = np.random.default_rng(7)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng)
    data = ev.evidence_data(dataset.x, ev.respondent_counts(dataset, dataset.x))
    shared = ev.EvidenceData(*(pt.constant(a) for a in (data.support, data.discussed, data.counts)))
    draws = {k: pt.constant(v) for k, v in draws_of(options, params).items()}
    got = ev.evidence_case_loglik(options, shared, draws, observed_terms(dataset.s, dataset.w), PHASE, STREAM,
                                  pt.constant(dataset.x_filled), pytensor_math(), split=False).eval()[0]
    expected = [brute_force(options, params, recorded[i], dataset.s[i], dataset.w[i]) for i in range(dataset.n_cases)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_zero_mode_through_the_evidence_path_equals_the_v1_likelihood():
    """The v1 formula and the per-stream enumeration with zero-mode weights give the same numbers."""
    rng = np.random.default_rng(11)
    dataset, _ = random_dataset(rng, n_cases=6)
    draws = draws_of(MODES[0], random_parameters(rng))
    v1 = KIND.reference_loglik(dataset, draws)
    data = ev.evidence_data(dataset.x)
    through = ev.evidence_case_loglik(MODES[0], data, draws, observed_terms(dataset.s, dataset.w), PHASE, STREAM,
                                      dataset.x_filled, numpy_math())
    np.testing.assert_allclose(through, v1, rtol=0, atol=1e-12)


def test_marginal_mode_differs_from_zero_where_cells_are_not_discussed():
    """A check that the test can fail: summing out an n.d. cell is not setting it to 0."""
    rng = np.random.default_rng(5)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng)
    zero = brute_force(MODES[0], params, recorded[0], dataset.s[0], dataset.w[0])
    marginal = KIND.reference_loglik(dataset, draws_of(MODES[2], params))[0, 0]
    assert abs(zero - marginal) > 1e-3


def brute_windows(options, params, recorded, do=None):
    """P(W1 = 1) and P(W2 = 1) of a case given only its code records (no streams or windows observed).

    Summed over every latent code jointly, each weighted by its evidence weight and normalised;
    ``do = (k, v)`` fixes factor ``k`` at ``v`` whatever its record says (a dict ``{k: v}`` fixes several).
    """
    fixed = {} if do is None else dict(do) if isinstance(do, dict) else {do[0]: do[1]}
    total = p1 = p2 = 0.0
    for codes in itertools.product((-1.0, 0.0, 1.0), repeat=N_FACTORS):
        if any(codes[k] != v for k, v in fixed.items()):
            continue
        mass = np.prod([weight(options, params, k, recorded[k], codes[k]) for k in range(N_FACTORS)
                        if k not in fixed])
        eta = params["alpha"].copy()
        for k in range(N_FACTORS):
            eta[PHASE[k], STREAM[k]] += params["beta"][k] * codes[k]
        pi = params["lambda"] + (1 - params["lambda"]) * (1 - params["kappa"]) * logistic(eta).prod(axis=1)
        total += mass
        p1 += mass * pi[0]
        p2 += mass * pi[1] * (pi[0] + (1 - pi[0]) * params["rho"])
    return p1 / total, p2 / total


@pytest.mark.parametrize("options", [MODES[2], MODES[4], MODES[7]], ids=["marginal", "salience", "salience-latent"])
def test_queries_sum_out_not_discussed_cells(options):
    """``baseline``/``windows``/``do_factor`` average q over the latent codes given the evidence, per case.

    Without coded streams the streams are independent given the codes, and each window
    probability is a product over streams of the per-stream expectations, so the brute force
    over all codes jointly must agree.
    """
    from bayesstreams.analysis.queries import baseline, do_factor, windows

    rng = np.random.default_rng(3)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng, n_cases=4)
    draws = draws_of(options, params)
    base = baseline(draws, dataset)
    now = windows(base)
    for i in range(dataset.n_cases):
        np.testing.assert_allclose([now.p1[0, i], now.p2[0, i]], brute_windows(options, params, recorded[i]),
                                   rtol=0, atol=1e-12)
    for k, v in ((0, 1.0), (3, -1.0)):
        moved = do_factor(base, k, v)
        for i in range(dataset.n_cases):
            np.testing.assert_allclose([moved.p1[0, i], moved.p2[0, i]],
                                       brute_windows(options, params, recorded[i], do=(k, v)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("options", [MODES[2], MODES[4], MODES[7]], ids=["marginal", "salience", "salience-latent"])
def test_case_advice_sums_the_changed_stream_out_again(options):
    """The levers' and plans' ``q_under`` (MODEL.md §9) under an evidence mode equals the brute force.

    With nothing known of a case (no streams, no windows) the counterfactual chance of a window
    under ``do`` is the interventional one, so ``P(W | do(x_K = v))`` summed over every latent code
    jointly must come out, for single factors and for a set of two factors of one stream, with the
    stream's other uncertain cells still summed out.  Shifting ``logit(qt)`` by ``beta (v - x)`` (what
    the advice did before) misses it by more than 1e-3 somewhere, so the test can tell them apart.
    """
    from bayesstreams.analysis.advice import W1, W2, _case, _logistic
    from bayesstreams.analysis.case_evidence import Evidence
    from bayesstreams.analysis.queries import baseline

    rng = np.random.default_rng(5)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng, n_cases=4)
    draws = draws_of(options, params)
    base = baseline(draws, dataset)
    nothing = Evidence(np.full((2, 3), np.nan), np.full(2, np.nan))
    sets = [((0,), 1.0), ((1,), -1.0), ((3,), 1.0), ((5,), 0.0), ((0, 1), 1.0), ((3, 4), -1.0)]
    worst_shift = 0.0
    for i in range(dataset.n_cases):
        state = _case(base, i, nothing, reweight=False)
        for members, v in sets:
            q_new = state.q_under([members], v)
            expected = brute_windows(options, params, recorded[i], do={k: v for k in members})
            got = [float(state.probability(q_new, w)[0][0, 0]) for w in (W1, W2)]
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=f"case {i}, set {members}")
            p = PHASE[members[0]]
            q = state.q[0].copy()
            shift = sum(params["beta"][k] * (v - state.x[k]) for k in members)
            q[p, STREAM[members[0]]] = _logistic(state.eta[0, p, STREAM[members[0]]] + shift)
            worst_shift = max(worst_shift, abs(float(state.probability(q[None], W2)[0][0]) - expected[1]))
    assert worst_shift > 1e-3


@pytest.mark.parametrize("options", [MODES[2], MODES[7]], ids=["marginal", "salience-latent"])
def test_group_offsets_shift_each_case_stream(options):
    """With groups, a case's streams add ``gamma[p, s, group]``; a case without a group adds nothing."""
    rng = np.random.default_rng(21)
    params = random_parameters(rng)
    dataset, recorded = random_dataset(rng)
    dataset.group = np.array([0, 1, -1])
    gamma = rng.normal(0, 1, size=(2, 3, 2))
    draws = {**draws_of(options, params), "gamma": gamma[None]}
    got = KIND.reference_loglik(dataset, draws)[0]
    expected = []
    for i, g in enumerate(dataset.group):
        shifted = {**params, "alpha": params["alpha"] + (gamma[:, :, g] if g >= 0 else 0.0)}
        expected.append(brute_force(options, shifted, recorded[i], dataset.s[i], dataset.w[i]))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
