"""The packed problem of the streams model's hand-written density: data tables, priors, layout.

The kernels (:mod:`bayesstreams.fast.kernels`) read everything through this record: the
distinct code patterns per stream, the case rows, the prior hyperparameters (read from the
model file through the model kind's declared priors) and the parameter layout.  This is
the overview of the whole fast path:

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

from bayesstreams.fast import kernels, modes
from bayesstreams.fast.layout import (EV_EXPANDED, EV_FEATURES, EV_FLAGS, EV_HEADER, EV_HYPER_SIZE,  # noqa: F401
                                      EXPANDED, FAMILIES, GROUP_VARIABLES, HEADER, HYPER, N_CELLS)
from bayesstreams.fast.tables import cells_and_groups, evidence_tables, pattern_table  # noqa: F401
from bayesstreams.model.centring import GUIDED, cells_given_effects, effect_codes, guide
from bayesstreams.model.evidence import code_coords
from bayesstreams.model.hierarchy import model_coords
from bayesstreams.model.likelihood import observed_terms
from bayesstreams.model.priors import STANDARD_NORMAL


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
    centred: np.ndarray
    guide: np.ndarray

    @property
    def n_factors(self) -> int:
        return self.cell.shape[0]

    def layout(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each block of the parameter vector, named like PyMC's value variables."""
        effects = "beta_or_z" if self.centred.any() else "z"  # as bayesstreams.model.hierarchy.pooled_effects
        means = "mu_or_u" if cells_given_effects(self.centred, self.cell).any() else "mu"
        if (self.centred == GUIDED).any():
            means, effects = "mu_std", "beta_std"
        blocks = [(means, (2, 3)), ("tau_log__", (2, 3)), (effects, (self.n_factors,)), ("alpha", (2, 3))]
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
        return (self.n_groups, self.centred, self.guide, self.cell, self.codes, self.pattern_cell, self.pattern_group,
                self.n_one, self.n_zero, self.row_pattern, self.all_one, self.w_obs, self.w_val, self.weight,
                self.hyper)

    def user_data(self) -> np.ndarray:
        """All arrays packed into one float64 buffer behind an int64 header (what the C callbacks read)."""
        n_expanded = sum(math.prod(shape) for shape in self.posterior_shapes().values())
        parts = [self.cell.view(np.float64), self.codes, self.pattern_cell.view(np.float64),
                 self.pattern_group.view(np.float64), self.n_one, self.n_zero, self.row_pattern.view(np.float64),
                 self.all_one, self.w_obs, self.w_val, self.weight, self.hyper, self.centred.view(np.float64),
                 self.guide]  # the guide right after the centring (the kernels find it there)
        offsets, position = [], HEADER
        for part in parts:
            offsets.append(position)
            position += part.size
        # the centring's offset sits in the sizes (slot 7; the guide follows it), the twelve table offsets after them
        header = np.array([position, self.n_factors, len(self.codes), len(self.weight), self.n_groups, self.n_dim,
                           n_expanded, offsets[-2], *offsets[:-2]], dtype=np.int64)
        return np.concatenate([header.view(np.float64), *(np.ravel(p) for p in parts)])


def streams_problem(dataset, config) -> StreamsProblem:
    """The tables of a dataset and the hyperparameters of a streams model file (centring as the model chooses)."""
    if not config.model_kind.has_fast_density:
        raise ValueError(f"the fast log-density covers the streams model, not {config.kind!r}")
    priors = {name: config.prior_of(name) for name in FAMILIES}
    wrong = [name for name, prior in priors.items() if prior.family != FAMILIES[name]]
    if wrong:
        raise ValueError(f"the fast log-density implements other prior families for {', '.join(wrong)}")
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
    hyper = [priors[name].params[key] for name, key in (h.split(".") for h in HYPER)]
    n_groups = len(dataset.groups)
    hyper.append(prior_constant(priors, len(cell), n_groups))

    def contiguous(array, dtype=np.float64):
        return np.ascontiguousarray(array, dtype=dtype)

    return StreamsProblem(
        cell=cell, codes=contiguous(codes), pattern_cell=contiguous(pattern_cell, np.int64),
        pattern_group=contiguous(pattern_group, np.int64), n_one=contiguous(n_one), n_zero=contiguous(n_zero),
        row_pattern=contiguous(rows[:, :N_CELLS], np.int64), all_one=contiguous(rows[:, 6:8]),
        w_obs=contiguous(rows[:, 8:10]), w_val=contiguous(rows[:, 10:12]), weight=contiguous(weight),
        n_groups=n_groups, hyper=np.asarray(hyper, dtype=np.float64), coords=model_coords(dataset),
        centred=centring(dataset, config), guide=np.ascontiguousarray(guide(dataset, config)))


def centring(dataset, config) -> np.ndarray:
    """Per factor, how its effect is sampled: 0 non-centred, 1 centred, 2 guided
    (:func:`~bayesstreams.model.centring.effect_codes`)."""
    return np.ascontiguousarray(effect_codes(dataset, config), dtype=np.int64)


def prior_constant(priors: dict, n_factors: int, n_groups: int) -> float:
    """The sum of the normalising constants of every prior term, from the declared priors.

    PyMC computes the same constant in float32 where a hyperparameter is a whole number
    (PyTensor stores ``9.0`` as a float32 constant, so ``gammaln(9.0)`` is off by ~1e-7);
    this one is exact in float64.
    """
    c = {name: prior.log_constant() for name, prior in priors.items()}
    standard = STANDARD_NORMAL.log_constant()
    # summed in this grouping on purpose: it reproduces earlier runs' densities to the last bit
    const = N_CELLS * c["mu"] + N_CELLS * c["tau"]
    const += n_factors * standard + N_CELLS * c["alpha"]
    const += 2.0 * c["lambda"] + 2.0 * c["kappa"] + c["rho"]
    if n_groups:
        const += c["sigma_group"] + N_CELLS * n_groups * standard
    return const


def logp(problem, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Log-density and gradient at ``theta`` (a flat vector in the problem's ``layout()``; v1 or an evidence mode)."""
    logp_grad = (modes if isinstance(problem, EvidenceProblem) else kernels).logp_grad
    grad = np.empty(problem.n_dim)
    value = logp_grad(np.ascontiguousarray(theta, dtype=np.float64), grad, *problem.arrays())
    return value, grad


def initial_point(problem: StreamsProblem, seed: int) -> np.ndarray:
    """nutpie's start for PyMC models: each prior's support point, jittered by U(-1, 1) on the sampler's scale."""
    h = problem.hyper
    given = cells_given_effects(problem.centred, problem.cell).reshape(2, 3)
    values = {"mu_std": 0.0, "beta_std": 0.0, "mu": h[0], "mu_or_u": np.where(given, 0.0, h[0]), "tau_log__": math.log(h[2]), "z": 0.0, "beta_or_z": np.where(problem.centred, h[0], 0.0),
              "alpha": h[3],
              "sigma_group_log__": math.log(h[11]), "gamma_raw": 0.0, "lambda_logodds__": math.log(h[5] / h[6]),
              "kappa_logodds__": math.log(h[7] / h[8]), "rho_logodds__": math.log(h[9] / h[10])}
    if isinstance(problem, EvidenceProblem):
        values.update(_evidence_start(problem))
    start = np.concatenate([np.broadcast_to(values[name], shape).ravel() for name, shape in problem.layout()])
    return start + np.random.default_rng(seed).uniform(-1.0, 1.0, size=start.shape)


# ---------------------------------------------------------------------------------------
# The evidence modes (MODEL.md §7): the codes of uncertain cells are summed out per stream.


@dataclass(frozen=True)
class EvidenceProblem:
    """The tables of the evidence modes' density (MODEL.md §7); the v1 fields mean what they mean in
    :class:`StreamsProblem`, with these additions.

    * *cell types*: the distinct ``(factor, support, respondent counts, discussed)`` of the cells.
      A cell's weights ``w(c)`` over the codes -1/0/+1 depend on its type and the parameters only,
      so they are computed once per type: ``log w(c) = log code_prob[k, c] (+ log sigma_c or
      log(1 - sigma_c)) (+ sum_r counts_r log confusion[c, r])``, zero outside the support
      (consensus).  ``type_n`` counts the cells of each type (their ``log Z`` is a sum over cells).
    * *patterns* (per stream): the fixed codes (cells with one possible code: ``codes``), the group
      and the uncertain cells' types, ``slot_type[pattern_start[j]:pattern_start[j + 1]]``; the
      stream's ``qt`` enumerates the ``3^m`` joint codes of those ``m`` types.
    * *rows*: as in :class:`StreamsProblem`, with ``row_state`` per stream: 0 a latent stream (enters
      the coupling with ``qt``), 1/2 an observed stream coded 1/0 that enters through
      ``P(t = 1 | S)`` (stream error only; -1 in ``row_pattern`` where a stream does not enter).
    * ``flags``: which of :data:`EV_FLAGS` the options use; ``ev_hyper`` the evidence priors.
    """

    cell: np.ndarray
    codes: np.ndarray
    pattern_cell: np.ndarray
    pattern_group: np.ndarray
    n_one: np.ndarray
    n_zero: np.ndarray
    pattern_start: np.ndarray
    slot_type: np.ndarray
    type_factor: np.ndarray
    type_support: np.ndarray
    type_counts: np.ndarray
    type_discussed: np.ndarray
    type_n: np.ndarray
    row_pattern: np.ndarray
    row_state: np.ndarray
    all_one: np.ndarray
    w_obs: np.ndarray
    w_val: np.ndarray
    weight: np.ndarray
    n_groups: int
    hyper: np.ndarray
    ev_hyper: np.ndarray
    flags: np.ndarray
    coords: dict
    centred: np.ndarray
    guide: np.ndarray

    @property
    def n_factors(self) -> int:
        return self.cell.shape[0]

    def features(self) -> dict[str, bool]:
        return {name: bool(flag) for name, flag in zip(EV_FLAGS, self.flags)}

    def layout(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each block of the parameter vector, named like PyMC's value variables."""
        blocks = StreamsProblem.layout(self)
        f = self.features()
        if f["code_prob"]:
            blocks.append(("code_prob_simplex__", (self.n_factors, 2)))
        if f["salience"]:
            blocks += [("salience_zero_logodds__", ()), ("salience_nonzero_logodds__", ())]
        if f["latent"]:
            blocks.append(("confusion_simplex__", (3, 2)))
        if f["stream_error"]:
            blocks.append(("stream_error_logodds__", ()))
        return blocks

    @property
    def n_dim(self) -> int:
        return sum(math.prod(shape) for _, shape in self.layout())

    def posterior_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each posterior variable of one draw, in the order the expand kernel writes them."""
        shapes = StreamsProblem.posterior_shapes(self)
        f = self.features()
        wanted = {"code_prob": f["code_prob"], "salience_zero": f["salience"], "salience_nonzero": f["salience"],
                  "confusion": f["latent"], "stream_error": f["stream_error"]}
        sizes = {"code_prob": (self.n_factors, 3), "confusion": (3, 3)}
        return {**shapes, **{name: sizes.get(name, ()) for name in EV_EXPANDED if wanted[name]}}

    def tables(self) -> tuple:
        """The array arguments of the evidence kernels after the sizes, in the packed order."""
        return (self.cell, self.codes, self.pattern_cell, self.pattern_group, self.n_one, self.n_zero,
                self.pattern_start, self.slot_type, self.type_factor, self.type_support, self.type_counts,
                self.type_discussed, self.type_n, self.row_pattern, self.row_state, self.all_one, self.w_obs,
                self.w_val, self.weight, self.hyper, self.ev_hyper, self.flags)

    def arrays(self) -> tuple:
        """The data arguments of :func:`bayesstreams.fast.modes.logp_grad` after ``theta`` and ``grad``."""
        return (self.n_groups, self.centred, self.guide, *self.tables())

    def user_data(self) -> np.ndarray:
        """All arrays packed into one float64 buffer behind an int64 header (what the C callbacks read)."""
        n_expanded = sum(math.prod(shape) for shape in self.posterior_shapes().values())
        parts = [np.ascontiguousarray(p).ravel() for p in (*self.tables(), self.centred, self.guide)]
        parts = [p.view(np.float64) if p.dtype == np.int64 else p for p in parts]
        offsets, position = [], EV_HEADER
        for part in parts:
            offsets.append(position)
            position += part.size
        offsets.pop()  # the guide's: right after the centring
        sizes = [position, self.n_dim, n_expanded, self.n_groups, offsets.pop(), self.n_factors,
                 len(self.codes), len(self.weight), len(self.type_factor), len(self.slot_type)]
        header = np.zeros(EV_HEADER, dtype=np.int64)
        header[:len(sizes)] = sizes
        header[16:16 + len(offsets)] = offsets
        return np.concatenate([header.view(np.float64), *parts])


def evidence_problem(dataset, config) -> EvidenceProblem:
    """The tables of a dataset and the hyperparameters of a streams model file under an evidence mode."""
    options = config.evidence_options
    if not config.model_kind.has_fast_density:
        raise ValueError(f"the fast log-density covers the streams model, not {config.kind!r}")
    priors = {name: config.prior_of(name) for name in FAMILIES}
    wrong = [name for name, prior in priors.items() if prior.family != FAMILIES[name]]
    features = config.evidence_features
    flags = np.array([int(name in features) for name in EV_FEATURES], dtype=np.int64)
    ev_families = {"code_prob": "dirichlet", "salience_zero": "beta", "salience_nonzero": "beta",
                   "confusion": "dirichlet_diagonal", "stream_error": "beta"}
    used = {"code_prob": flags[0], "salience_zero": flags[1], "salience_nonzero": flags[1], "confusion": flags[2],
            "stream_error": flags[3]}
    ev_priors = {name: config.prior_of(name) for name in ev_families if used[name]}
    wrong += [name for name, prior in ev_priors.items() if prior.family != ev_families[name]]
    if wrong:
        raise ValueError(f"the fast log-density implements other prior families for {', '.join(wrong)}")
    t = evidence_tables(dataset, options)
    terms, s_obs, s_val = t["terms"], t["s_obs"], t["s_val"]
    case_pattern, n_patterns = t["case_pattern"], len(t["pattern_cell"])
    observed = s_obs == 1.0
    n_one = np.bincount(case_pattern[observed], weights=s_val[observed], minlength=n_patterns)
    n_zero = np.bincount(case_pattern[observed], weights=1.0 - s_val[observed], minlength=n_patterns)
    if options["stream_error"]:  # every stream enters the coupling, an observed one through P(t = 1 | S)
        enters = np.ones_like(observed)
        state = np.where(observed, np.where(s_val == 1.0, 1, 2), 0)
        all_one = np.ones_like(terms.all_one)
    else:  # as in v1: a latent stream, where every observed stream of its phase is 1
        enters = (~observed) & (np.repeat(terms.all_one, 3, axis=1) == 1.0)
        state = np.zeros_like(case_pattern)
        all_one = terms.all_one
    key = np.column_stack([np.where(enters, case_pattern, -1), np.where(enters, state, 0), all_one, terms.w_obs,
                           terms.w_val])
    rows, weight = np.unique(key.astype(np.int64), axis=0, return_counts=True)
    hyper = [priors[name].params[key] for name, key in (h.split(".") for h in HYPER)]
    n_groups = len(dataset.groups)
    hyper.append(prior_constant(priors, len(t["cell"]), n_groups))
    ev_hyper = np.zeros(EV_HYPER_SIZE)
    log3, constant = math.log(3.0), 0.0
    if flags[0]:
        ev_hyper[0:3] = ev_priors["code_prob"].concentration()
        constant += len(t["cell"]) * (ev_priors["code_prob"].log_constant() + log3)
    if flags[1]:
        for at, name in ((3, "salience_zero"), (5, "salience_nonzero")):
            ev_hyper[at:at + 2] = ev_priors[name].params["alpha"], ev_priors[name].params["beta"]
            constant += ev_priors[name].log_constant()
    if flags[2]:
        ev_hyper[7:16] = ev_priors["confusion"].concentration().ravel()
        constant += 3 * (ev_priors["confusion"].log_constant() + log3)
    if flags[3]:
        ev_hyper[16:18] = ev_priors["stream_error"].params["alpha"], ev_priors["stream_error"].params["beta"]
        constant += ev_priors["stream_error"].log_constant()
    ev_hyper[18] = constant
    coords = model_coords(dataset)
    coords.update(code_coords())

    def contiguous(array, dtype=np.float64):
        return np.ascontiguousarray(array, dtype=dtype)

    return EvidenceProblem(
        cell=t["cell"], codes=contiguous(t["codes"]), pattern_cell=contiguous(t["pattern_cell"], np.int64),
        pattern_group=contiguous(t["pattern_group"], np.int64), n_one=contiguous(n_one), n_zero=contiguous(n_zero),
        pattern_start=contiguous(t["pattern_start"], np.int64), slot_type=contiguous(t["slot_type"], np.int64),
        type_factor=contiguous(t["type_factor"], np.int64), type_support=contiguous(t["type_support"]),
        type_counts=contiguous(t["type_counts"]), type_discussed=contiguous(t["type_discussed"]),
        type_n=contiguous(t["type_n"]), row_pattern=contiguous(rows[:, :N_CELLS], np.int64),
        row_state=contiguous(rows[:, N_CELLS:2 * N_CELLS], np.int64), all_one=contiguous(rows[:, 12:14]),
        w_obs=contiguous(rows[:, 14:16]), w_val=contiguous(rows[:, 16:18]), weight=contiguous(weight),
        n_groups=n_groups, hyper=np.asarray(hyper, dtype=np.float64), ev_hyper=ev_hyper, flags=flags,
        coords=coords, centred=centring(dataset, config), guide=np.ascontiguousarray(guide(dataset, config)))


def _evidence_start(problem: EvidenceProblem) -> dict:
    """The support points of the evidence priors on PyMC's unconstrained scale (the Dirichlet and Beta means)."""
    h = problem.ev_hyper

    def simplex(rows):  # PyMC's simplex transform: log p[:-1] - mean(log p)
        log_p = np.log(rows / rows.sum(axis=-1, keepdims=True))
        return log_p[..., :-1] - log_p.mean(axis=-1, keepdims=True)

    def logodds(a, b):
        return math.log(a / b) if a > 0 and b > 0 else 0.0

    return {"code_prob_simplex__": simplex(h[0:3]) if h[0] > 0 else 0.0,
            "salience_zero_logodds__": logodds(h[3], h[4]), "salience_nonzero_logodds__": logodds(h[5], h[6]),
            "confusion_simplex__": simplex(h[7:16].reshape(3, 3)) if h[7] > 0 else 0.0,
            "stream_error_logodds__": logodds(h[16], h[17])}
