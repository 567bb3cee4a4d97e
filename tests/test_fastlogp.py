"""The hand-written log-density (bayesstreams.fast.logp) equals PyMC's model, value and gradient.

PyMC's ``model.compile_logp()`` / ``compile_dlogp()`` of ``build_model`` are the reference: the
fast kernel must agree at random points of random partly observed data sets (streams and windows
missing at random, codes not discussed, with and without groups), matched by value-variable
name, normalising constants and Jacobians included.  The C entry point that nutpie calls is
checked against the same numbers.
"""

import ctypes

import numpy as np
import pytest

pytest.importorskip("numba")
pm = pytest.importorskip("pymc")

# compiles PyMC graphs (compile_logp/dlogp) and samples: the slower tier, not the inner loop
pytestmark = pytest.mark.model

from bayesstreams.fast import kernels, problem as fastproblem  # noqa: E402
from bayesstreams.model.config import config_from_text, load_config  # noqa: E402
from bayesstreams.model.kinds import build_model  # noqa: E402

from bayesstreams.model.centring import cells_given_effects  # noqa: E402

from .helpers import partly_observed_dataset, simulated_study  # noqa: E402
from .test_centring import cells, constructed  # noqa: E402

# Non-integer hyperparameters: PyTensor stores whole-number constants such as 9.0 in float32,
# which puts an error of ~1e-7 into PyMC's normalising constant (see test_default_priors_...).
ODD_PRIORS = """
kind = "streams"
[priors]
mu = { mu = 0.3, sigma = 1.3 }
tau = { sigma = 0.7 }
alpha = { mu = -0.2, sigma = 1.7 }
lambda = { alpha = 1.3, beta = 8.7 }
kappa = { alpha = 0.8, beta = 6.1 }
rho = { alpha = 1.7, beta = 1.1 }
sigma_group = { sigma = 0.45 }
"""


def flat_point(problem, point: dict) -> np.ndarray:
    """A PyMC point (value-variable name -> array) as the kernel's flat vector, matched by name."""
    return np.concatenate([np.ravel(point[name]) for name, _ in problem.layout()])


def random_point(model, rng, scale=1.5) -> dict:
    return {v.name: rng.normal(0.0, scale, size=model.initial_point()[v.name].shape) for v in model.value_vars}


def reference(model):
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    names = [v.name for v in model.value_vars]
    sizes = [model.initial_point()[n].size for n in names]

    def evaluate(point):
        grad = np.asarray(dlogp(point))
        parts = dict(zip(names, np.split(grad, np.cumsum(sizes)[:-1])))
        return float(logp(point)), parts

    return evaluate


CASES = ["no groups", "groups", "mixed centring", "all centred", "centred beside non-centred in a cell", "guided",
         "guided with groups"]


@pytest.fixture(scope="module", params=CASES)
def case(request):
    """A data set, its PyMC model and the kernel's tables (compiled once per module).

    Random partly observed data with and without groups (weak: every factor non-centred); a
    simulated study of 1,000 cases on which the data-driven rule centres some factors and not
    others (two cells all centred, their mu sampled given their effects, the other cells non-centred);
    the groups data with every factor forced centred (every cell given its effects); and 4,000
    constructed cases where one cell holds a centred and a non-centred factor (its mu sampled as mu).
    """
    if request.param == "centred beside non-centred in a cell":
        dataset = constructed(4000, {0: np.linspace(-1.5, 1.5, int((cells() == 0).sum()))}, seed=3)
        dataset.x = dataset.x.copy()
        dataset.x[5:, np.flatnonzero(cells() == 0)[0]] = 0.0  # a rare factor: non-centred, its cell's others centred
        config = config_from_text(ODD_PRIORS + '[sampler]\nparametrisation = "auto"\n')
    elif request.param == "guided":
        dataset, _ = simulated_study(n_cases=1000, seed=1, p_missing=0.1)
        config = config_from_text(ODD_PRIORS + '[sampler]\nparametrisation = "guided"\n')
    elif request.param == "mixed centring":
        dataset, _ = simulated_study(n_cases=1000, seed=1, p_missing=0.1)
        config = config_from_text(ODD_PRIORS + '[sampler]\nparametrisation = "auto"\n')
    else:
        groups = request.param != "no groups"
        dataset = partly_observed_dataset(n_cases=40, seed=int(groups), groups=groups, p_missing=0.25)
        forced = {"all centred": '[sampler]\nparametrisation = "centred"\n',
                  "guided with groups": '[sampler]\nparametrisation = "guided"\n'}.get(request.param, "")
        config = config_from_text(ODD_PRIORS + forced)
    problem = fastproblem.streams_problem(dataset, config)
    centred = {"no groups": 0, "groups": 0, "all centred": problem.n_factors, "guided": 2 * problem.n_factors,
               "guided with groups": 2 * problem.n_factors}.get(request.param)
    given = cells_given_effects(problem.centred, problem.cell)
    if centred is None:
        assert 0 < problem.centred.sum() < problem.n_factors  # the data must mix the two parametrisations
        # the simulated study has cells sampled given their effects, the constructed one a mixed cell instead
        assert given.any() == (request.param == "mixed centring")
    else:
        assert problem.centred.sum() == centred
    model = build_model(dataset, config)
    return model, problem, reference(model)


def test_logp_and_gradient_equal_pymc(case):
    """12 random points per data set, with and without groups: value and gradient to 1e-8."""
    model, problem, evaluate = case
    assert [name for name, _ in problem.layout()] == [v.name for v in model.value_vars]
    rng = np.random.default_rng(100)
    for _ in range(12):
        point = random_point(model, rng)
        expected, expected_grad = evaluate(point)
        value, grad = fastproblem.logp(problem, flat_point(problem, point))
        assert value == pytest.approx(expected, rel=0, abs=1e-8)
        np.testing.assert_allclose(grad, flat_point(problem, expected_grad), rtol=1e-9, atol=1e-8)


def test_default_priors_differ_from_pymc_only_by_its_float32_constant():
    """With whole-number hyperparameters PyMC's constant carries a float32 error; nothing else differs."""
    config = load_config(None)
    dataset = partly_observed_dataset(n_cases=30, seed=4, groups=True)
    model = build_model(dataset, config)
    problem = fastproblem.streams_problem(dataset, config)
    evaluate = reference(model)
    rng = np.random.default_rng(4)
    offsets = []
    for _ in range(6):
        point = random_point(model, rng)
        expected, expected_grad = evaluate(point)
        value, grad = fastproblem.logp(problem, flat_point(problem, point))
        offsets.append(value - expected)
        np.testing.assert_allclose(grad, flat_point(problem, expected_grad), rtol=1e-9, atol=1e-8)
    assert np.ptp(offsets) < 1e-9  # a constant: it cancels in every density ratio the sampler uses
    assert abs(offsets[0]) < 1e-6


def test_extreme_points_stay_finite_and_exact(case):
    """Far in the tails (probabilities near 0 or 1) the kernel still agrees with PyMC."""
    model, problem, evaluate = case
    rng = np.random.default_rng(7)
    for _ in range(4):
        point = random_point(model, rng, scale=4.0)
        expected, expected_grad = evaluate(point)
        value, grad = fastproblem.logp(problem, flat_point(problem, point))
        assert np.isfinite(value)
        assert value == pytest.approx(expected, rel=1e-10, abs=1e-8)
        np.testing.assert_allclose(grad, flat_point(problem, expected_grad), rtol=1e-7, atol=1e-7)


def test_compressed_tables_are_smaller_than_the_data_and_lose_nothing():
    """Duplicating every case doubles the log-likelihood: the weights, not the row count, carry it."""
    config = config_from_text(ODD_PRIORS)
    dataset = partly_observed_dataset(n_cases=30, seed=5)
    doubled = partly_observed_dataset(n_cases=30, seed=5)
    for name in ("x", "s", "w", "group"):
        setattr(doubled, name, np.concatenate([getattr(dataset, name)] * 2))
    doubled.cases = dataset.cases + [dict(c, case_id=c["case_id"] + "b") for c in dataset.cases]
    single, double = fastproblem.streams_problem(dataset, config), fastproblem.streams_problem(doubled, config)
    assert len(double.weight) == len(single.weight) and double.weight.sum() == 2 * single.weight.sum()
    theta = np.random.default_rng(5).normal(0.0, 1.0, single.n_dim)
    prior_only = fastproblem.streams_problem(partly_observed_dataset(n_cases=0, seed=5), config)
    prior_value = fastproblem.logp(prior_only, theta)[0]
    loglik_single = fastproblem.logp(single, theta)[0] - prior_value
    loglik_double = fastproblem.logp(double, theta)[0] - prior_value
    assert loglik_double == pytest.approx(2 * loglik_single, rel=1e-12)


def c_logp(problem, theta):
    """Call the C callback nutpie uses, through ctypes."""
    user_data = problem.user_data()
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    grad = np.empty(problem.n_dim)
    value = np.empty(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    status = kernels.logp_cfunc.ctypes(problem.n_dim, theta.ctypes.data_as(pointer), grad.ctypes.data_as(pointer),
                                        value.ctypes.data_as(pointer), user_data.ctypes.data)
    return status, float(value[0]), grad


@pytest.mark.parametrize("groups", [False, True])
def test_c_callback_equals_python_kernel(groups):
    config = config_from_text(ODD_PRIORS)
    problem = fastproblem.streams_problem(partly_observed_dataset(n_cases=33, seed=9, groups=groups), config)
    theta = np.random.default_rng(9).normal(0.0, 1.0, problem.n_dim)
    status, value, grad = c_logp(problem, theta)
    expected, expected_grad = fastproblem.logp(problem, theta)
    assert status == 0
    assert value == expected
    np.testing.assert_array_equal(grad, expected_grad)
    status, _, _ = c_logp(problem, np.full(problem.n_dim, np.nan))
    assert status != 0  # nutpie treats a non-finite density as a failed step, not as a number


def test_changed_data_or_priors_never_meet_a_stale_compiled_model():
    """The compiled code holds no data: the same callback evaluates whatever buffer it is handed."""
    base = load_config(None)
    other_priors = config_from_text(ODD_PRIORS)
    dataset = partly_observed_dataset(n_cases=20, seed=11)
    changed = partly_observed_dataset(n_cases=20, seed=11)
    # recode one factor of a case whose stream (of that factor's cell) is observed, so the change counts
    case, factor = next((i, k) for i in range(20) for k in range(23)
                        if not np.isnan(dataset.s[i, dataset.factor_phase[k], dataset.factor_stream[k]]))
    changed.x = changed.x.copy()
    changed.x[case, factor] = 1.0 if changed.x[case, factor] != 1.0 else -1.0
    values = set()
    for data, config in ((dataset, base), (changed, base), (dataset, other_priors)):
        problem = fastproblem.streams_problem(data, config)
        theta = np.random.default_rng(11).normal(0.0, 1.0, problem.n_dim)
        _, value, _ = c_logp(problem, theta)
        assert value == pytest.approx(fastproblem.logp(problem, theta)[0], abs=1e-12)
        values.add(round(value, 9))
    assert len(values) == 3


def test_expand_gives_the_posterior_variables_of_the_pymc_model(case):
    model, problem, _ = case
    point = random_point(model, np.random.default_rng(3))
    shapes = problem.posterior_shapes()
    out = np.empty(sum(int(np.prod(s)) for s in shapes.values()))
    kernels.expand(flat_point(problem, point), out, problem.cell, problem.n_groups, problem.centred, problem.guide, problem.hyper)
    import pytensor

    outputs = model.replace_rvs_by_values([model[name] for name in shapes])
    expected = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")(
        *[point[v.name] for v in model.value_vars])
    start = 0
    for (name, shape), want in zip(shapes.items(), expected):
        size = int(np.prod(shape))
        np.testing.assert_allclose(out[start:start + size].reshape(shape), want, rtol=1e-12, atol=1e-14,
                                   err_msg=name)
        start += size
    # beta_or_z, mu_or_u, beta_std, mu_std (some factors centred or guided) are the sampler's coordinates
    free = {rv.name for rv in model.free_RVs} | {d.name for d in model.deterministics}
    assert set(shapes) == free - {"beta_or_z", "mu_or_u", "beta_std", "mu_std"}


def test_python_fallback_samples_the_same_variables_as_the_callbacks():
    """If a nutpie release changes the container the C callbacks ride in, the from_pyfunc fallback
    samples the same kernel: same names, shapes, dims and coords, and a matching posterior."""
    nutpie = pytest.importorskip("nutpie")
    from bayesstreams.fast.adapter import fast_nutpie_model

    config = config_from_text(ODD_PRIORS)
    problem = fastproblem.streams_problem(partly_observed_dataset(n_cases=25, seed=12, groups=True), config)
    traces = [nutpie.sample(fast_nutpie_model(problem, use_callbacks=flag), draws=500, tune=500, chains=2, seed=4,
                            progress_bar=False).posterior for flag in (True, False)]
    fast, fallback = (trace.to_dataset() if hasattr(trace, "to_dataset") else trace for trace in traces)
    assert set(fast.data_vars) == set(fallback.data_vars) == set(problem.posterior_shapes())
    for name in fast.data_vars:
        assert fast[name].dims == fallback[name].dims and fast[name].shape == fallback[name].shape, name
    # same density: the posterior of rho agrees within a quarter of its sd (1,000 draws each)
    assert abs(float(fast["rho"].mean() - fallback["rho"].mean())) < 0.25 * float(fast["rho"].std())
