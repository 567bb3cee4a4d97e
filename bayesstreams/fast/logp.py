"""The streams model's log-density and gradient, written by hand for numba and cached on disk.

nutpie's PyMC route generates numba code for every model, which numba cannot cache, so each
process pays several seconds of compilation; the PyTensor graph also allocates O(N)
temporaries per gradient.  Here the density of MODEL.md §2 is one fixed function of a
parameter vector and the data arrays.  numba compiles it once per machine (``cache=True``:
the cache lives in ``bayesstreams/__pycache__``, or in numba's per-user cache folder where
that is read-only; ``NUMBA_CACHE_DIR`` moves it) and later processes load it in
milliseconds.  Data and priors are arguments, never compiled in, so a changed dataset or
model file cannot meet a stale compiled model; numba recompiles when this file changes.

The parameter vector is PyMC's unconstrained space, in the order and with the transforms of
``build_model`` (see :meth:`StreamsProblem.layout`), and the value includes every
normalising constant and Jacobian, so it equals ``model.compile_logp()`` and the gradient
``model.compile_dlogp()`` (tests/test_fastlogp.py).  The loop runs over cases, so memory
stays O(N) and the cost linear in N.  Only the "streams" kind has a fast path; the additive
baseline is sampled through PyMC.

Two entry points share one kernel, :func:`logp_grad`: called from Python (tests), and as C
callbacks (:data:`logp_cfunc`, :data:`expand_cfunc`) that nutpie's sampler threads call
without the GIL, all data reached through one packed buffer (:meth:`StreamsProblem.user_data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import carray, cfunc, njit, types

from bayesstreams.model.likelihood import observed_terms

# Compiled once per machine; later processes load the machine code from the on-disk cache.
_JIT = dict(cache=True, nogil=True, error_model="numpy")

N_CELLS = 6  # phase x stream, cell = 3 * phase + stream
# Prior hyperparameters in the order the kernel reads them; the last slot holds the sum of
# all normalising constants.
HYPER = ("mu.mu", "mu.sigma", "tau.sigma", "alpha.mu", "alpha.sigma", "lambda.alpha", "lambda.beta",
         "kappa.alpha", "kappa.beta", "rho.alpha", "rho.beta", "sigma_group.sigma")
# Posterior variables in the order of PyMC's trace: free variables first, then derived ones.
EXPANDED = ("mu", "z", "alpha", "gamma_raw", "tau", "beta", "sigma_group", "gamma", "lambda", "kappa", "rho")
GROUP_VARIABLES = ("sigma_group", "gamma_raw", "gamma")
_HEADER = 20  # int64 slots at the start of the packed buffer: 8 sizes and 12 offsets


@dataclass(frozen=True)
class StreamsProblem:
    """Everything the log-density reads, as contiguous arrays (built once per fit).

    The log-likelihood is a sum over cases, so it is computed exactly from two tables that
    are usually much smaller than the data:

    * *patterns*: per cell (phase x stream), the distinct combinations of the codes of the
      cell's factors and the group.  A pattern fixes the stream's linear predictor, so
      ``q``, ``log q`` and ``log(1 - q)`` are computed once per pattern, and the observed
      stream states enter as counts ``n_one``/``n_zero``.  ``codes`` (pattern, factor) is
      zero outside the pattern's cell; ``pattern_group`` is -1 for no group.
    * *rows*: the distinct combinations of what the window terms read: per phase whether
      all observed streams are 1 (``all_one``) and then the patterns of the latent streams
      (``row_pattern``, -1 where a stream does not enter the coupling product), and the
      windows (``w_obs``, ``w_val`` as in :class:`~bayesstreams.model.likelihood.ObservedTerms`),
      with the number of cases sharing each (``weight``).

    ``hyper`` holds the values of :data:`HYPER` and then the sum of the prior constants.
    """

    cell: np.ndarray
    codes: np.ndarray
    pattern_cell: np.ndarray
    pattern_group: np.ndarray
    n_one: np.ndarray
    n_zero: np.ndarray
    row_pattern: np.ndarray
    all_one: np.ndarray
    w_obs: np.ndarray
    w_val: np.ndarray
    weight: np.ndarray
    n_groups: int
    hyper: np.ndarray
    coords: dict
    centered: bool = False

    @property
    def n_factors(self) -> int:
        return self.cell.shape[0]

    def layout(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each block of the parameter vector, named like PyMC's value variables."""
        effects = "beta" if self.centered else "z"
        blocks = [("mu", (2, 3)), ("tau_log__", (2, 3)), (effects, (self.n_factors,)), ("alpha", (2, 3))]
        if self.n_groups:
            blocks += [("sigma_group_log__", ()), ("gamma_raw", (2, 3, self.n_groups))]
        return blocks + [("lambda_logodds__", (2,)), ("kappa_logodds__", (2,)), ("rho_logodds__", ())]

    @property
    def n_dim(self) -> int:
        return sum(math.prod(shape) for _, shape in self.layout())

    def posterior_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each posterior variable of one draw, in the order :func:`expand` writes them."""
        k, g = self.n_factors, self.n_groups
        shapes = {"mu": (2, 3), "z": (k,), "alpha": (2, 3), "gamma_raw": (2, 3, g), "tau": (2, 3), "beta": (k,),
                  "sigma_group": (), "gamma": (2, 3, g), "lambda": (2,), "kappa": (2,), "rho": ()}
        return {name: shapes[name] for name in EXPANDED if g or name not in GROUP_VARIABLES}

    def arrays(self) -> tuple:
        """The data arguments of :func:`logp_grad` after ``theta`` and ``grad``."""
        return (self.n_groups, int(self.centered), self.cell, self.codes, self.pattern_cell, self.pattern_group,
                self.n_one, self.n_zero, self.row_pattern, self.all_one, self.w_obs, self.w_val, self.weight,
                self.hyper)

    def user_data(self) -> np.ndarray:
        """All arrays packed into one float64 buffer behind an int64 header (what the C callbacks read)."""
        n_expanded = sum(math.prod(shape) for shape in self.posterior_shapes().values())
        parts = [self.cell.view(np.float64), self.codes, self.pattern_cell.view(np.float64),
                 self.pattern_group.view(np.float64), self.n_one, self.n_zero, self.row_pattern.view(np.float64),
                 self.all_one, self.w_obs, self.w_val, self.weight, self.hyper]
        offsets, position = [], _HEADER
        for part in parts:
            offsets.append(position)
            position += part.size
        header = np.array([position, self.n_factors, len(self.codes), len(self.weight), self.n_groups, self.n_dim,
                           n_expanded, int(self.centered), *offsets], dtype=np.int64)
        return np.concatenate([header.view(np.float64), *(np.ravel(p) for p in parts)])


def streams_problem(dataset, config, centered: bool = False) -> StreamsProblem:
    """The tables of a dataset and the hyperparameters of a streams model file."""
    from bayesstreams.model.build import model_coords

    if config.kind != "streams":
        raise ValueError(f"the fast log-density covers the streams model, not {config.kind!r}")
    terms = observed_terms(dataset.s, dataset.w)
    cell, group = cells_and_groups(dataset)
    s_obs = terms.s_obs.reshape(dataset.n_cases, N_CELLS)
    s_val = terms.s_val.reshape(dataset.n_cases, N_CELLS)
    codes, pattern_cell, pattern_group, case_pattern = pattern_table(dataset.x_filled, cell, group)
    observed = s_obs == 1.0
    n_patterns = len(codes)
    n_one = np.bincount(case_pattern[observed], weights=s_val[observed], minlength=n_patterns)
    n_zero = np.bincount(case_pattern[observed], weights=1.0 - s_val[observed], minlength=n_patterns)
    # a latent stream enters the coupling product only where every observed stream of its phase is 1
    coupling = (s_obs == 0.0) & (np.repeat(terms.all_one, 3, axis=1) == 1.0)
    key = np.column_stack([np.where(coupling, case_pattern, -1), terms.all_one, terms.w_obs, terms.w_val])
    rows, weight = np.unique(key.astype(np.int64), axis=0, return_counts=True)
    hyper = [config.prior(name)[key] for name, key in (h.split(".") for h in HYPER)]
    n_groups = len(dataset.groups)
    hyper.append(prior_constant(np.asarray(hyper), len(cell), n_groups))

    def contiguous(array, dtype=np.float64):
        return np.ascontiguousarray(array, dtype=dtype)

    return StreamsProblem(
        cell=cell, codes=contiguous(codes), pattern_cell=contiguous(pattern_cell, np.int64),
        pattern_group=contiguous(pattern_group, np.int64), n_one=contiguous(n_one), n_zero=contiguous(n_zero),
        row_pattern=contiguous(rows[:, :N_CELLS], np.int64), all_one=contiguous(rows[:, 6:8]),
        w_obs=contiguous(rows[:, 8:10]), w_val=contiguous(rows[:, 10:12]), weight=contiguous(weight),
        n_groups=n_groups, hyper=np.asarray(hyper, dtype=np.float64), coords=model_coords(dataset), centered=centered)


def cells_and_groups(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Each factor's cell (``3 * phase + stream``) and each case's group (-1 for none), as int64."""
    cell = np.ascontiguousarray(dataset.factor_phase * 3 + dataset.factor_stream, dtype=np.int64)
    return cell, np.where(dataset.group >= 0, dataset.group, -1).astype(np.int64)


def pattern_table(x: np.ndarray, cell: np.ndarray, group: np.ndarray):
    """Distinct (codes of a cell's factors, group) combinations per cell.

    Returns ``codes`` (pattern, factor), ``pattern_cell``, ``pattern_group`` and
    ``case_pattern`` (case, cell): the pattern of each case in each cell.
    """
    n_cases, n_factors = x.shape
    blocks, cells, groups = [], [], []
    case_pattern = np.empty((n_cases, N_CELLS), dtype=np.int64)
    start = 0
    for c in range(N_CELLS):
        columns = np.flatnonzero(cell == c)
        distinct, inverse = np.unique(np.column_stack([x[:, columns], group]), axis=0, return_inverse=True)
        block = np.zeros((len(distinct), n_factors))
        block[:, columns] = distinct[:, :-1]
        blocks.append(block)
        cells.append(np.full(len(distinct), c))
        groups.append(distinct[:, -1])
        case_pattern[:, c] = start + inverse.ravel()
        start += len(distinct)
    return np.concatenate(blocks), np.concatenate(cells), np.concatenate(groups), case_pattern


def prior_constant(hyper: np.ndarray, n_factors: int, n_groups: int) -> float:
    """The sum of the normalising constants of every prior term.

    PyMC computes the same constant in float32 where a hyperparameter is a whole number
    (PyTensor stores ``9.0`` as a float32 constant, so ``gammaln(9.0)`` is off by ~1e-7);
    this one is exact in float64.
    """
    half_log_2pi = 0.5 * math.log(2.0 * math.pi)
    half_normal = 0.5 * math.log(2.0 / math.pi)

    def betaln(a, b):
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    mu_s, tau_s, alpha_s = hyper[1], hyper[2], hyper[4]
    const = N_CELLS * (-half_log_2pi - math.log(mu_s)) + N_CELLS * (half_normal - math.log(tau_s))
    const += -n_factors * half_log_2pi + N_CELLS * (-half_log_2pi - math.log(alpha_s))
    const += -2.0 * betaln(hyper[5], hyper[6]) - 2.0 * betaln(hyper[7], hyper[8]) - betaln(hyper[9], hyper[10])
    if n_groups:
        const += half_normal - math.log(hyper[11]) - N_CELLS * n_groups * half_log_2pi
    return const


def logp(problem: StreamsProblem, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Log-density and gradient at ``theta`` (a flat vector in :meth:`StreamsProblem.layout`)."""
    grad = np.empty(problem.n_dim)
    value = logp_grad(np.ascontiguousarray(theta, dtype=np.float64), grad, *problem.arrays())
    return value, grad


def initial_point(problem: StreamsProblem, seed: int) -> np.ndarray:
    """nutpie's start for PyMC models: each prior's support point, jittered by U(-1, 1) on the sampler's scale."""
    h = problem.hyper
    values = {"mu": h[0], "tau_log__": math.log(h[2]), "z": 0.0, "beta": h[0], "alpha": h[3],
              "sigma_group_log__": math.log(h[11]), "gamma_raw": 0.0, "lambda_logodds__": math.log(h[5] / h[6]),
              "kappa_logodds__": math.log(h[7] / h[8]), "rho_logodds__": math.log(h[9] / h[10])}
    start = np.concatenate([np.full(math.prod(shape), values[name]) for name, shape in problem.layout()])
    return start + np.random.default_rng(seed).uniform(-1.0, 1.0, size=start.shape)


# ---------------------------------------------------------------------------------------
# Kernels.  Offsets into theta: mu 0, tau 6, z (or beta) 12, alpha 12+K, sigma_group 18+K,
# gamma_raw 19+K (cell-major: cell * G + group), then lambda, kappa, rho.


@njit(inline="always", **_JIT)
def _offsets(n_factors, n_groups):
    o_alpha = 12 + n_factors
    o_lam = o_alpha + 6 + (1 + 6 * n_groups if n_groups > 0 else 0)
    return o_alpha, o_alpha + 6, o_alpha + 7, o_lam


@njit(inline="always", **_JIT)
def _softplus(v):
    """log(1 + exp(v)) without overflow."""
    if v > 0.0:
        return v + math.log1p(math.exp(-v))
    return math.log1p(math.exp(v))


@njit(inline="always", **_JIT)
def _sigmoid(v):
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@njit(**_JIT)
def logp_grad(theta, grad, n_groups, centered, cell, codes, pattern_cell, pattern_group, n_one, n_zero, row_pattern,
              all_one, w_obs, w_val, weight, hyper):
    """Log-density at ``theta`` (PyMC's unconstrained space); writes its gradient into ``grad``."""
    n_factors = cell.shape[0]
    _, o_sigma, _, o_lam = _offsets(n_factors, n_groups)
    grad[:] = 0.0
    tau = np.empty(6)
    for c in range(6):
        tau[c] = math.exp(theta[6 + c])
    beta = np.empty(n_factors)
    for k in range(n_factors):
        beta[k] = theta[12 + k] if centered else theta[cell[k]] + tau[cell[k]] * theta[12 + k]
    sigma = math.exp(theta[o_sigma]) if n_groups > 0 else 0.0
    prob = np.empty(5)  # lambda (2), kappa (2), rho, and their gradients d_prob in the same layout
    for j in range(5):
        prob[j] = _sigmoid(theta[o_lam + j])
    d_prob = np.zeros(5)
    # the factors of each cell: by_cell[start[c]:start[c + 1]]
    by_cell = np.argsort(cell, kind="mergesort")
    start = np.zeros(7, dtype=np.int64)
    for k in range(n_factors):
        start[cell[k] + 1] += 1
    for c in range(6):
        start[c + 1] += start[c]
    q = np.empty(codes.shape[0])
    d_pattern = np.empty(codes.shape[0])
    total = _patterns(theta, codes, pattern_cell, pattern_group, n_one, n_zero, beta, sigma, n_groups, by_cell, start,
                      q, d_pattern)
    total += _rows(row_pattern, all_one, w_obs, w_val, weight, prob, q, d_pattern, d_prob)
    d_beta = np.zeros(n_factors)
    d_sigma = _pattern_grad(theta, grad, codes, pattern_cell, pattern_group, d_pattern, sigma, n_groups, by_cell,
                            start, d_beta)
    return total + _priors(theta, grad, cell, tau, sigma, prob, d_beta, d_prob, d_sigma, n_groups, centered, hyper)


@njit(inline="always", **_JIT)
def _patterns(theta, codes, pattern_cell, pattern_group, n_one, n_zero, beta, sigma, n_groups, by_cell, start, q,
              d_pattern):
    """Per pattern: q = logistic(eta) and the observed stream states' log-probability, with d/d eta."""
    n_patterns, n_factors = codes.shape
    o_alpha, _, o_raw, _ = _offsets(n_factors, n_groups)
    total = 0.0
    for j in range(n_patterns):
        c, g = pattern_cell[j], pattern_group[j]
        eta = theta[o_alpha + c]
        for m in range(start[c], start[c + 1]):
            eta += beta[by_cell[m]] * codes[j, by_cell[m]]
        if g >= 0:
            eta += sigma * theta[o_raw + c * n_groups + g]
        # log q = -softplus(-eta) and log(1 - q) = log q - eta, from one exp and one log1p
        e = math.exp(-abs(eta))
        if eta >= 0.0:
            log_q = -math.log1p(e)
            q[j] = 1.0 / (1.0 + e)
        else:
            log_q = eta - math.log1p(e)
            q[j] = e / (1.0 + e)
        total += n_one[j] * log_q + n_zero[j] * (log_q - eta)
        d_pattern[j] = n_one[j] * (1.0 - q[j]) - n_zero[j] * q[j]
    return total


@njit(inline="always", **_JIT)
def _rows(row_pattern, all_one, w_obs, w_val, weight, prob, q, d_pattern, d_prob):
    """Window terms of every distinct row, weighted by its number of cases; adds d/d eta to d_pattern."""
    coupled, bracket, d_row = np.empty(2), np.empty(2), np.empty(3)
    total = 0.0
    for u in range(weight.shape[0]):
        for p in range(2):
            product = all_one[u, p]
            if product != 0.0:
                for c in range(3 * p, 3 * p + 3):
                    if row_pattern[u, c] >= 0:
                        product *= q[row_pattern[u, c]]
            coupled[p] = product
            bracket[p] = prob[p] + (1.0 - prob[p]) * (1.0 - prob[2 + p]) * product
        n = weight[u]
        total += n * _windows(bracket[0], bracket[1], prob[4], w_obs[u, 0], w_obs[u, 1], w_val[u, 0], w_val[u, 1],
                              d_row)
        d_prob[4] += n * d_row[2]
        for p in range(2):  # back through the brackets to the latent streams, lambda and kappa
            lam, kap, d_bracket = prob[p], prob[2 + p], n * d_row[p]
            if coupled[p] != 0.0:
                scale = d_bracket * (1.0 - lam) * (1.0 - kap) * coupled[p]
                for c in range(3 * p, 3 * p + 3):
                    j = row_pattern[u, c]
                    if j >= 0:
                        d_pattern[j] += scale * (1.0 - q[j])
            d_prob[p] += d_bracket * (1.0 - (1.0 - kap) * coupled[p])
            d_prob[2 + p] -= d_bracket * (1.0 - lam) * coupled[p]
    return total


@njit(inline="always", **_JIT)
def _windows(b1, b2, rho, w1_obs, w2_obs, w1, w2, d_row):
    """Window terms of one case (as in likelihood.case_loglik); d_row = d/d(b1, b2, rho)."""
    d_row[0] = 0.0
    d_row[1] = 0.0
    d_row[2] = 0.0
    total = 0.0
    if w1_obs != 0.0:
        if w1 == 1.0:
            total += math.log(b1)
            d_row[0] = 1.0 / b1
        else:
            total += math.log(1.0 - b1)
            d_row[0] = -1.0 / (1.0 - b1)
        if w2_obs != 0.0:
            dependency = w1 + (1.0 - w1) * rho
            both = b2 * dependency
            if w2 == 1.0:
                total += math.log(both)
                d_both = 1.0 / both
            else:
                total += math.log(1.0 - both)
                d_both = -1.0 / (1.0 - both)
            d_row[1] = d_both * dependency
            d_row[2] = d_both * b2 * (1.0 - w1)
    elif w2_obs != 0.0:  # W1 unknown: summed out
        sign = 2.0 * w2 - 1.0
        p_one = w2 * b2 + (1.0 - w2) * (1.0 - b2)
        p_rho = w2 * (b2 * rho) + (1.0 - w2) * (1.0 - b2 * rho)
        mix = b1 * p_one + (1.0 - b1) * p_rho
        total += math.log(mix)
        d_row[0] = (p_one - p_rho) / mix
        d_row[1] = sign * (b1 + (1.0 - b1) * rho) / mix
        d_row[2] = (1.0 - b1) * sign * b2 / mix
    return total


@njit(inline="always", **_JIT)
def _pattern_grad(theta, grad, codes, pattern_cell, pattern_group, d_pattern, sigma, n_groups, by_cell, start,
                  d_beta):
    """Back through eta = alpha + codes . beta (+ sigma gamma_raw) to alpha, beta and the group offsets."""
    n_patterns, n_factors = codes.shape
    o_alpha, _, o_raw, _ = _offsets(n_factors, n_groups)
    d_sigma = 0.0
    for j in range(n_patterns):
        c, g, d_eta = pattern_cell[j], pattern_group[j], d_pattern[j]
        grad[o_alpha + c] += d_eta
        for m in range(start[c], start[c + 1]):
            d_beta[by_cell[m]] += d_eta * codes[j, by_cell[m]]
        if g >= 0:
            d_sigma += d_eta * theta[o_raw + c * n_groups + g]
            grad[o_raw + c * n_groups + g] += d_eta * sigma
    return d_sigma


@njit(inline="always", **_JIT)
def _priors(theta, grad, cell, tau, sigma, prob, d_beta, d_prob, d_sigma, n_groups, centered, hyper):
    """Prior log-densities with Jacobians and constants; completes grad through beta and the transforms."""
    n_factors = cell.shape[0]
    o_alpha, o_sigma, o_raw, o_lam = _offsets(n_factors, n_groups)
    total = hyper[12]
    for k in range(n_factors):
        c = cell[k]
        if centered:  # beta ~ Normal(mu, tau)
            z = (theta[12 + k] - theta[c]) / tau[c]
            total -= 0.5 * z * z + theta[6 + c]
            grad[c] += z / tau[c]
            grad[6 + c] += z * z - 1.0
            grad[12 + k] = d_beta[k] - z / tau[c]
        else:  # beta = mu + tau z, z ~ Normal(0, 1)
            z = theta[12 + k]
            total -= 0.5 * z * z
            grad[c] += d_beta[k]
            grad[6 + c] += d_beta[k] * z * tau[c]
            grad[12 + k] = d_beta[k] * tau[c] - z
    for c in range(6):
        dev = (theta[c] - hyper[0]) / hyper[1]  # mu ~ Normal
        total -= 0.5 * dev * dev
        grad[c] -= dev / hyper[1]
        ratio = tau[c] / hyper[2]  # tau ~ HalfNormal, log transform
        total += theta[6 + c] - 0.5 * ratio * ratio
        grad[6 + c] += 1.0 - ratio * ratio
        dev = (theta[o_alpha + c] - hyper[3]) / hyper[4]  # alpha ~ Normal
        total -= 0.5 * dev * dev
        grad[o_alpha + c] -= dev / hyper[4]
    if n_groups > 0:
        ratio = sigma / hyper[11]
        total += theta[o_sigma] - 0.5 * ratio * ratio
        grad[o_sigma] = d_sigma * sigma + 1.0 - ratio * ratio
        for j in range(6 * n_groups):
            raw = theta[o_raw + j]
            total -= 0.5 * raw * raw
            grad[o_raw + j] -= raw
    for j in range(5):  # Beta(a, b) on the log-odds scale: a log v + b log(1 - v), Jacobian included
        a, b = hyper[5 + 2 * (j // 2)], hyper[6 + 2 * (j // 2)]
        v, value = theta[o_lam + j], prob[j]
        total -= a * _softplus(-v) + b * _softplus(v)
        grad[o_lam + j] = d_prob[j] * value * (1.0 - value) + a * (1.0 - value) - b * value
    return total


@njit(**_JIT)
def expand(theta, out, cell, n_groups, centered):
    """The posterior variables of one draw, flat, in the order of :data:`EXPANDED` (group ones only with groups)."""
    n_factors = cell.shape[0]
    o_alpha, o_sigma, o_raw, o_lam = _offsets(n_factors, n_groups)
    n_raw = 6 * n_groups
    out[0:6] = theta[0:6]  # mu
    for k in range(n_factors):  # z
        c = cell[k]
        out[6 + k] = (theta[12 + k] - theta[c]) / math.exp(theta[6 + c]) if centered else theta[12 + k]
    pos = 6 + n_factors
    out[pos:pos + 6] = theta[o_alpha:o_alpha + 6]
    pos += 6
    out[pos:pos + n_raw] = theta[o_raw:o_raw + n_raw]  # gamma_raw (empty without groups)
    pos += n_raw
    for c in range(6):
        out[pos + c] = math.exp(theta[6 + c])  # tau
    pos += 6
    for k in range(n_factors):  # beta
        c = cell[k]
        out[pos + k] = theta[12 + k] if centered else theta[c] + math.exp(theta[6 + c]) * theta[12 + k]
    pos += n_factors
    if n_groups > 0:
        sigma = math.exp(theta[o_sigma])
        out[pos] = sigma
        for j in range(n_raw):
            out[pos + 1 + j] = sigma * theta[o_raw + j]  # gamma
        pos += 1 + n_raw
    for j in range(5):
        out[pos + j] = _sigmoid(theta[o_lam + j])  # lambda, kappa, rho
    return pos + 5


@njit(inline="always", **_JIT)
def _unpack(user_data):
    """The sizes and arrays of :meth:`StreamsProblem.user_data`, as views (no copies)."""
    head = carray(user_data, (_HEADER,), np.int64)
    blob = carray(user_data, (head[0],), np.float64)
    n_factors, n_patterns, n_rows = head[1], head[2], head[3]
    o = head[8:20]
    cell = blob[o[0]:o[0] + n_factors].view(np.int64)
    codes = blob[o[1]:o[1] + n_patterns * n_factors].reshape((n_patterns, n_factors))
    pattern_cell = blob[o[2]:o[2] + n_patterns].view(np.int64)
    pattern_group = blob[o[3]:o[3] + n_patterns].view(np.int64)
    n_one = blob[o[4]:o[4] + n_patterns]
    n_zero = blob[o[5]:o[5] + n_patterns]
    row_pattern = blob[o[6]:o[6] + 6 * n_rows].view(np.int64).reshape((n_rows, 6))
    all_one = blob[o[7]:o[7] + 2 * n_rows].reshape((n_rows, 2))
    w_obs = blob[o[8]:o[8] + 2 * n_rows].reshape((n_rows, 2))
    w_val = blob[o[9]:o[9] + 2 * n_rows].reshape((n_rows, 2))
    weight = blob[o[10]:o[10] + n_rows]
    hyper = blob[o[11]:o[11] + len(HYPER) + 1]
    sizes = (head[5], head[6], head[4], head[7])  # n_dim, n_expanded, n_groups, centered
    return sizes, (cell, codes, pattern_cell, pattern_group, n_one, n_zero, row_pattern, all_one, w_obs, w_val,
                   weight, hyper)


# nutpie's C interface: status 0 = ok, nonzero = this point cannot be evaluated.
_LOGP_SIGNATURE = types.int64(types.uint64, types.CPointer(types.double), types.CPointer(types.double),
                              types.CPointer(types.double), types.voidptr)
_EXPAND_SIGNATURE = types.int64(types.uint64, types.uint64, types.CPointer(types.double),
                                types.CPointer(types.double), types.voidptr)


@cfunc(_LOGP_SIGNATURE, cache=True)
def logp_cfunc(dim, theta_ptr, grad_ptr, logp_ptr, user_data):
    """``int logp(n, theta*, grad*, logp*, user_data*)`` as nutpie calls it from its sampler threads."""
    sizes, tables = _unpack(user_data)
    n_dim, _, n_groups, centered = sizes
    if dim != n_dim:
        return -1
    theta = carray(theta_ptr, (n_dim,))
    grad = carray(grad_ptr, (n_dim,))
    value = logp_grad(theta, grad, n_groups, centered, *tables)
    carray(logp_ptr, (1,))[0] = value
    if not np.isfinite(value):
        return 4
    for j in range(n_dim):
        if not np.isfinite(grad[j]):
            return 3
    return 0


@cfunc(_EXPAND_SIGNATURE, cache=True)
def expand_cfunc(dim, n_out, theta_ptr, out_ptr, user_data):
    """``int expand(n, n_out, theta*, out*, user_data*)``: the posterior variables of one draw."""
    sizes, tables = _unpack(user_data)
    n_dim, n_expanded, n_groups, centered = sizes
    if dim != n_dim or n_out != n_expanded:
        return -1
    expand(carray(theta_ptr, (n_dim,)), carray(out_ptr, (n_expanded,)), tables[0], n_groups, centered)
    return 0
