"""The evidence modes' hand-written density (bayesstreams.fast.modes) equals PyMC's model, value and gradient.

As tests/test_fastlogp.py for v1: ``model.compile_logp()`` / ``compile_dlogp()`` of the PyMC model of
MODEL.md §7 (bayesstreams.model.evidence, the codes summed out per stream) are the reference, at random
points of random partly observed data sets, matched by value-variable name, the Dirichlet's simplex
transform and the Betas' log-odds included.  The pointwise log-likelihood of saved draws is held to the
NumPy reference of the evidence model for every combination of options the model builder accepts.
"""

import ctypes

import numpy as np
import pytest

pytest.importorskip("numba")

from bayesstreams.fast import modes, problem as fastproblem, registry  # noqa: E402
from bayesstreams.model.config import config_from_text  # noqa: E402

from .helpers import partly_observed_dataset  # noqa: E402

# Hyperparameters not exact in float32 (PyTensor stores a constant such as 9.0 or 17.5 as float32, and
# PyMC's normalising constant is then off by ~1e-7; see test_fastlogp.py).
ODD_PRIORS = """
kind = "streams"
[evidence]
not_discussed = "{0}"
respondents = "{1}"
stream_error = {2}
[priors]
mu = {{ mu = 0.3, sigma = 1.3 }}
tau = {{ sigma = 0.7 }}
alpha = {{ mu = -0.2, sigma = 1.7 }}
lambda = {{ alpha = 1.3, beta = 8.7 }}
kappa = {{ alpha = 0.8, beta = 6.1 }}
rho = {{ alpha = 1.7, beta = 1.1 }}
sigma_group = {{ sigma = 0.45 }}
"""
EVIDENCE_PRIORS = {"code_prob": "code_prob = { a = 1.3 }\n",
                   "salience": "salience_zero = { alpha = 2.1, beta = 1.7 }\n"
                               "salience_nonzero = { alpha = 1.9, beta = 2.3 }\n",
                   "confusion": "confusion = { a = 1.1, a_diagonal = 7.3 }\n",
                   "stream_error": "stream_error = { alpha = 1.2, beta = 17.3 }\n"}
# every combination the model builder accepts other than v1 (zero, consensus, no stream error)
ALL_MODES = [("zero", "consensus", "true")] + [(nd, r, se) for nd in ("marginal", "salience")
                                               for r in ("consensus", "latent") for se in ("false", "true")]


def odd_config(nd, respondents, stream_error):
    text = ODD_PRIORS.format(nd, respondents, stream_error)
    features = config_from_text(text).evidence_features
    return config_from_text(text + "".join(EVIDENCE_PRIORS[f] for f in sorted(features)))


def flat_point(problem, point: dict) -> np.ndarray:
    return np.concatenate([np.ravel(point[name]) for name, _ in problem.layout()])


# PyMC compiles (minutes each for these graphs): every option is covered at least once, the shipped
# model files' combinations (marginal, salience) with groups.
PYMC_CASES = [("marginal", "consensus", "false", True), ("salience", "consensus", "false", True),
              ("zero", "consensus", "true", False), ("salience", "consensus", "true", False),
              ("marginal", "latent", "true", True), ("salience", "latent", "false", False)]


@pytest.mark.model
@pytest.mark.parametrize("nd,respondents,stream_error,groups", PYMC_CASES,
                         ids=["-".join(map(str, c)) for c in PYMC_CASES])
def test_logp_and_gradient_equal_pymc(nd, respondents, stream_error, groups):
    """6 random points per mode: value to 1e-8 and gradient to 1e-8 relative, names and order as PyMC's."""
    pytest.importorskip("pymc")
    from bayesstreams.model.kinds import build_model

    config = odd_config(nd, respondents, stream_error)
    dataset = partly_observed_dataset(n_cases=30, seed=3 + groups, groups=groups, p_missing=0.25)
    model = build_model(dataset, config)
    problem = fastproblem.evidence_problem(dataset, config)
    names = [v.name for v in model.value_vars]
    assert [name for name, _ in problem.layout()] == names
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    shapes = {name: model.initial_point()[name].shape for name in names}
    rng = np.random.default_rng(100)
    for _ in range(6):
        point = {name: rng.normal(0.0, 1.5, size=shapes[name]) for name in names}
        value, grad = fastproblem.logp(problem, flat_point(problem, point))
        assert value == pytest.approx(float(logp(point)), rel=1e-10, abs=1e-8)
        np.testing.assert_allclose(grad, np.asarray(dlogp(point)), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("nd,respondents,stream_error", ALL_MODES, ids=["-".join(c) for c in ALL_MODES])
def test_gradient_equals_finite_differences_in_every_mode(nd, respondents, stream_error):
    """Every combination (including those PyMC is not compiled for here): the gradient is the value's derivative."""
    config = odd_config(nd, respondents, stream_error)
    problem = fastproblem.evidence_problem(partly_observed_dataset(n_cases=25, seed=6, groups=True, p_missing=0.3),
                                           config)
    theta = np.random.default_rng(6).normal(0.0, 1.0, problem.n_dim)
    _, grad = fastproblem.logp(problem, theta)
    step = 1e-5
    numeric = np.empty(problem.n_dim)
    for i in range(problem.n_dim):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric[i] = (fastproblem.logp(problem, up)[0] - fastproblem.logp(problem, down)[0]) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("groups", [False, True], ids=["no groups", "groups"])
@pytest.mark.parametrize("nd,respondents,stream_error", ALL_MODES, ids=["-".join(c) for c in ALL_MODES])
def test_pointwise_equals_the_numpy_reference(nd, respondents, stream_error, groups):
    """Prior draws of every parameter, random partly observed data: case by case and draw by draw to 1e-10."""
    from bayesstreams.model.priors import draw_prior
    from bayesstreams.model.streams import KIND

    config = odd_config(nd, respondents, stream_error)
    dataset = partly_observed_dataset(n_cases=37, seed=5 + groups, groups=groups, p_missing=0.3)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 24,
                       np.random.default_rng(2))
    got = modes.pointwise_loglik(dataset, draws)
    expected = KIND.reference_loglik(dataset, draws)
    assert got.shape == expected.shape == (24, 37)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(registry.pointwise_loglik(dataset, KIND, draws), got)  # the kind's route is this kernel


def test_sum_over_cases_is_the_likelihood_of_the_density():
    """The density minus its value on an empty data set (priors only) is the pointwise sum at the same draw."""
    config = odd_config("salience", "latent", "true")
    dataset = partly_observed_dataset(n_cases=21, seed=9, groups=True, p_missing=0.3)
    problem = fastproblem.evidence_problem(dataset, config)
    empty = partly_observed_dataset(n_cases=21, seed=9, groups=True, p_missing=0.3)
    for name in ("x", "s", "w", "group"):
        setattr(empty, name, getattr(empty, name)[:0])
    empty.cases, empty.codes = [], []
    prior_only = fastproblem.evidence_problem(empty, config)
    theta = np.random.default_rng(9).normal(0.0, 1.0, problem.n_dim)
    out = np.empty(sum(int(np.prod(s)) for s in problem.posterior_shapes().values()))
    modes.expand(theta, out, problem.cell, problem.n_groups, problem.centred, problem.guide, problem.hyper, problem.flags)
    draws, start = {}, 0
    for name, shape in problem.posterior_shapes().items():
        size = int(np.prod(shape))
        draws[name] = out[start:start + size].reshape((1, *shape))
        start += size
    loglik = fastproblem.logp(problem, theta)[0] - fastproblem.logp(prior_only, theta)[0]
    assert loglik == pytest.approx(modes.pointwise_loglik(dataset, draws).sum(), rel=1e-11)


def test_expand_writes_the_constrained_evidence_parameters():
    """code_prob and confusion rows are PyMC's simplex backward (softmax of (u0, u1, -u0 - u1)); the Betas logistic."""
    from bayesstreams.fast import kernels

    config = odd_config("salience", "latent", "true")
    problem = fastproblem.evidence_problem(partly_observed_dataset(n_cases=12, seed=2, groups=True), config)
    theta = np.random.default_rng(2).normal(0.0, 1.0, problem.n_dim)
    shapes = problem.posterior_shapes()
    out = np.empty(sum(int(np.prod(s)) for s in shapes.values()))
    end = modes.expand(theta, out, problem.cell, problem.n_groups, problem.centred, problem.guide, problem.hyper, problem.flags)
    assert end == len(out)
    v1 = np.empty(len(out))
    n_v1 = kernels.expand(theta, v1, problem.cell, problem.n_groups, problem.centred, problem.guide, problem.hyper)
    np.testing.assert_array_equal(out[:n_v1], v1[:n_v1])
    blocks = dict(zip([name for name, _ in problem.layout()], np.split(theta, np.cumsum(
        [int(np.prod(shape)) for _, shape in problem.layout()])[:-1])))

    def softmax(u):
        y = np.column_stack([u, -u.sum(axis=1)])
        return np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)

    expected = {"code_prob": softmax(blocks["code_prob_simplex__"].reshape(-1, 2)),
                "salience_zero": 1 / (1 + np.exp(-blocks["salience_zero_logodds__"])),
                "salience_nonzero": 1 / (1 + np.exp(-blocks["salience_nonzero_logodds__"])),
                "confusion": softmax(blocks["confusion_simplex__"].reshape(3, 2)),
                "stream_error": 1 / (1 + np.exp(-blocks["stream_error_logodds__"]))}
    start = n_v1
    for name in fastproblem.EV_EXPANDED:
        size = int(np.prod(shapes[name]))
        np.testing.assert_allclose(out[start:start + size], np.ravel(expected[name]), rtol=1e-13, err_msg=name)
        start += size


@pytest.mark.parametrize("nd,respondents,stream_error", [("marginal", "consensus", "false"),
                                                         ("salience", "latent", "true")])
def test_c_callback_equals_python_kernel(nd, respondents, stream_error):
    config = odd_config(nd, respondents, stream_error)
    problem = fastproblem.evidence_problem(partly_observed_dataset(n_cases=33, seed=9, groups=True), config)
    theta = np.random.default_rng(9).normal(0.0, 1.0, problem.n_dim)
    user_data = problem.user_data()
    grad, value = np.empty(problem.n_dim), np.empty(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    status = modes.logp_cfunc.ctypes(problem.n_dim, theta.ctypes.data_as(pointer), grad.ctypes.data_as(pointer),
                                     value.ctypes.data_as(pointer), user_data.ctypes.data)
    expected, expected_grad = fastproblem.logp(problem, theta)
    assert status == 0
    assert value[0] == expected
    np.testing.assert_array_equal(grad, expected_grad)
    n_out = sum(int(np.prod(s)) for s in problem.posterior_shapes().values())
    out, want = np.empty(n_out), np.empty(n_out)
    assert modes.expand_cfunc.ctypes(problem.n_dim, n_out, theta.ctypes.data_as(pointer),
                                     out.ctypes.data_as(pointer), user_data.ctypes.data) == 0
    modes.expand(theta, want, problem.cell, problem.n_groups, problem.centred, problem.guide, problem.hyper, problem.flags)
    np.testing.assert_array_equal(out, want)


def test_the_shipped_modes_take_the_fast_path():
    """streams-marginal and streams-salience get an EvidenceProblem (no PyMC compile); v1 keeps its own tables."""
    from pathlib import Path

    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.model.config import load_config

    root = Path(__file__).resolve().parents[1]
    study = load_dataset(root / "data" / "trafficking_nl_2020")
    for name in ("streams-marginal", "streams-salience"):
        config = load_config(root / "models" / f"{name}.toml")
        assert isinstance(registry.fast_problem(study, config), fastproblem.EvidenceProblem)
    config = load_config(root / "models" / "streams.toml")
    assert isinstance(registry.fast_problem(study, config), fastproblem.StreamsProblem)


@pytest.mark.model
def test_a_fast_fit_under_marginal_matches_the_pymc_route():
    """Same data and model, sampled through the numba callbacks and through PyMC (numpyro): posteriors agree."""
    pytest.importorskip("numpyro")
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.streams import KIND

    config = odd_config("marginal", "consensus", "false")
    dataset = partly_observed_dataset(n_cases=40, seed=13, groups=False, p_missing=0.3)
    fast = fit(dataset, config, seed=3, draws=500, tune=500, chains=2)
    slow = fit(dataset, config, seed=3, draws=500, tune=500, chains=2, sampler="numpyro")
    np.testing.assert_allclose(fast.log_likelihood, KIND.reference_loglik(dataset, fast.posterior), rtol=1e-10)
    for name in ("rho", "lambda", "alpha", "beta", "code_prob"):
        a, b = fast.posterior[name], slow.posterior[name]
        # within 4 Monte Carlo standard errors of the difference (ESS taken as a third of the draws)
        se = np.sqrt(a.var(axis=0) / (len(a) / 3) + b.var(axis=0) / (len(b) / 3))
        assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 4 * se + 1e-3), name


@pytest.mark.parametrize("nd,respondents,stream_error", [("marginal", "consensus", "false"),
                                                         ("salience", "latent", "true")])
def test_query_kernel_equals_the_numpy_enumeration(nd, respondents, stream_error):
    """qt of every stream, at the codes and under do(x_k = v), numba = NumPy (evidence.expected_q) to 1e-12."""
    from bayesstreams.model import evidence as ev
    from bayesstreams.model.priors import draw_prior

    config = odd_config(nd, respondents, stream_error)
    dataset = partly_observed_dataset(n_cases=23, seed=4, p_missing=0.35)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, 0, 16, np.random.default_rng(4))
    options = config.evidence_options
    data = ev.evidence_data(dataset.x, ev.respondent_counts(dataset, dataset.x))
    x = np.nan_to_num(dataset.x)
    weights = np.broadcast_to(ev.cell_weights(options, data, draws, ev.numpy_namespace()), (16, *data.support.shape))
    eta = draws["alpha"][:, 0, 0, None] + np.zeros(dataset.n_cases)[None]
    for p in range(2):
        for s in range(3):
            factors = np.flatnonzero((dataset.factor_phase == p) & (dataset.factor_stream == s))
            np.testing.assert_allclose(modes.expected_q(weights, eta, draws["beta"], x, factors),
                                       ev.expected_q(weights, eta, draws["beta"], x, data.support, factors, options),
                                       rtol=1e-12, atol=1e-14)
    k = int(np.flatnonzero(dataset.factor_phase == 0)[0])
    values = np.ones(dataset.n_cases)
    with_do = ev.stream_q(options, data, draws, x, 0, int(dataset.factor_stream[k]), dataset.factor_phase,
                          dataset.factor_stream, do=(k, values), qt=registry.expected_q)  # what the queries use
    reference = ev.stream_q(options, data, draws, x, 0, int(dataset.factor_stream[k]), dataset.factor_phase,
                            dataset.factor_stream, do=(k, values))  # the NumPy default
    np.testing.assert_allclose(with_do, reference, rtol=1e-12, atol=1e-14)
