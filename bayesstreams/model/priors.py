"""Priors, declared once: each renders itself to PyMC, to a NumPy draw and to a log density.

A model kind (:mod:`bayesstreams.model.streams`, :mod:`bayesstreams.model.additive`) lists
its parameters as :class:`Parameter` records, each with named dims and, for the top-level
parameters, a default :class:`Prior`.  A model file (``models/*.toml``) may change a prior's
hyperparameters but not its family: the model's structure (and the hand-written fast
density) depends on the family.  Everything that needs a prior -- the PyMC model, the
prior group of a run, simulation, SBC, power-scaling sensitivity, the numba density --
reads it from here, so a prior is never written twice.

Examples
--------
>>> import numpy as np
>>> prior = Prior("normal", {"mu": 0.5, "sigma": 1.0})
>>> prior.draw(np.random.default_rng(1), 3).shape
(3,)
>>> round(float(prior.logpdf(np.array([0.5]))[0]), 4)
-0.9189
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# family -> (hyperparameters in order, the ones that must be > 0)
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "normal": (("mu", "sigma"), ("sigma",)),
    "halfnormal": (("sigma",), ("sigma",)),
    "beta": (("alpha", "beta"), ("alpha", "beta")),
    # rows over the codes -1, 0, +1 (MODEL.md §7): symmetric, and a confusion matrix whose row t has
    # ``a_diagonal`` on its own code t and ``a`` elsewhere
    "dirichlet": (("a",), ("a",)),
    "dirichlet_diagonal": (("a", "a_diagonal"), ("a", "a_diagonal")),
}
N_CODES = 3


@dataclass(frozen=True)
class Prior:
    """One prior distribution: a family and its hyperparameters.

    Parameters
    ----------
    family
        ``"normal"``, ``"halfnormal"``, ``"beta"``, ``"dirichlet"`` or ``"dirichlet_diagonal"``
        (:data:`FAMILIES`).  The Dirichlet families are over rows of 3 codes (last axis); their
        log density is one value per row.
    params
        Hyperparameters by name, e.g. ``{"mu": 0.5, "sigma": 1.0}``.

    Examples
    --------
    >>> tau = Prior("halfnormal", {"sigma": 2.0})
    >>> round(tau.variance(), 4), bool(tau.logpdf(-1.0) == float("-inf"))
    (1.4535, True)
    >>> import pymc as pm
    >>> with pm.Model():
    ...     rv = tau.pymc(pm, "tau", dims=None)
    >>> rv.name
    'tau'
    """

    family: str
    params: dict = field(hash=False)

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown prior family {self.family!r} (known: {', '.join(FAMILIES)})")

    def with_params(self, params: dict) -> Prior:
        """The same family with (some) hyperparameters replaced."""
        return Prior(self.family, {**self.params, **params})

    def concentration(self) -> np.ndarray:
        """Dirichlet concentrations: one row of 3 (``dirichlet``) or a 3 x 3 matrix by row (``dirichlet_diagonal``)."""
        p = self.params
        if self.family == "dirichlet":
            return np.full(N_CODES, float(p["a"]))
        return np.full((N_CODES, N_CODES), float(p["a"])) + (p["a_diagonal"] - p["a"]) * np.eye(N_CODES)

    def pymc(self, pm, name: str, dims=None):
        """The PyMC random variable ``name`` with this prior (call inside a model context)."""
        if self.family.startswith("dirichlet"):
            return pm.Dirichlet(name, a=self.concentration(), dims=dims)
        dist = {"normal": pm.Normal, "halfnormal": pm.HalfNormal, "beta": pm.Beta}[self.family]
        return dist(name, **self.params, dims=dims)

    def draw(self, rng: np.random.Generator, size) -> np.ndarray:
        """NumPy draws of shape ``size`` (the calls, and so the random stream, are fixed per family)."""
        p = self.params
        if self.family == "normal":
            return rng.normal(p["mu"], p["sigma"], size=size)
        if self.family == "halfnormal":
            return np.abs(rng.normal(0.0, p["sigma"], size=size))
        if self.family == "dirichlet":
            return rng.dirichlet(self.concentration(), size=tuple(np.atleast_1d(size))[:-1])
        if self.family == "dirichlet_diagonal":
            rows = [rng.dirichlet(row, size=tuple(np.atleast_1d(size))[:-2]) for row in self.concentration()]
            return np.stack(rows, axis=-2)
        return rng.beta(p["alpha"], p["beta"], size=size)

    def logpdf(self, values) -> np.ndarray:
        """Log density at ``values`` (elementwise), with all normalising constants."""
        v = np.asarray(values, dtype=float)
        p = self.params
        if self.family == "normal":
            return -0.5 * ((v - p["mu"]) / p["sigma"]) ** 2 - math.log(p["sigma"]) - 0.5 * math.log(2 * math.pi)
        if self.family == "halfnormal":
            inside = -0.5 * (v / p["sigma"]) ** 2 - math.log(p["sigma"]) + 0.5 * math.log(2 / math.pi)
            return np.where(v >= 0, inside, -np.inf)
        if self.family.startswith("dirichlet"):
            conc = self.concentration()
            with np.errstate(divide="ignore", invalid="ignore"):
                kernel = ((conc - 1.0) * np.log(v)).sum(axis=-1)
            inside = np.all(v > 0, axis=-1) & (np.abs(v.sum(axis=-1) - 1.0) < 1e-9)
            return np.where(inside, kernel + self.log_constant(), -np.inf)
        a, b = p["alpha"], p["beta"]
        lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (a - 1) * np.log(v) + (b - 1) * np.log1p(-v) - lbeta
        return np.where((v > 0) & (v < 1), inside, -np.inf)

    def log_constant(self) -> float:
        """The normalising constant of the log density (what is left at the kernel's zero)."""
        p = self.params
        if self.family == "normal":
            return -math.log(p["sigma"]) - 0.5 * math.log(2 * math.pi)
        if self.family == "halfnormal":
            return -math.log(p["sigma"]) + 0.5 * math.log(2 / math.pi)
        if self.family.startswith("dirichlet"):  # every row holds the same multiset of concentrations
            row = np.atleast_2d(self.concentration())[0]
            return math.lgamma(float(row.sum())) - sum(math.lgamma(float(c)) for c in row)
        a, b = p["alpha"], p["beta"]
        return -(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def variance(self) -> float:
        """The prior variance (for contraction and scale checks)."""
        p = self.params
        if self.family == "normal":
            return p["sigma"] ** 2
        if self.family == "halfnormal":
            return p["sigma"] ** 2 * (1 - 2 / math.pi)
        if self.family.startswith("dirichlet"):  # of one entry (the diagonal one of a confusion row)
            row = np.atleast_2d(self.concentration())[0]
            a, b = float(row[0]), float(row.sum() - row[0])
            return a * b / ((a + b) ** 2 * (a + b + 1))
        a, b = p["alpha"], p["beta"]
        return a * b / ((a + b) ** 2 * (a + b + 1))


STANDARD_NORMAL = Prior("normal", {"mu": 0.0, "sigma": 1.0})


@dataclass(frozen=True)
class Parameter:
    """A parameter of a model kind.

    Attributes
    ----------
    name : the name in runs (posterior and prior groups).
    dims : named dims (``phase``, ``stream``, ``factor``, ``group``, ...).
    prior : the default prior of a top-level parameter, set by a model file; ``None`` for
        the standard-normal raw parameters of a non-centred hierarchy (``z``, ``gamma_raw``)
        and for deterministic ones (``beta``, ``gamma``).
    role : ``"prior"`` (top level, power-scaled in sensitivity checks), ``"raw"``
        (standard normal, defines the hierarchy) or ``"derived"`` (deterministic).
    groups_only : present only when the dataset has groups.
    evidence : the evidence feature (MODEL.md §7) the parameter belongs to: ``"code_prob"``,
        ``"salience"``, ``"confusion"`` or ``"stream_error"``; ``""`` for parameters of every mode.
    """

    name: str
    dims: tuple[str, ...]
    prior: Prior | None = None
    role: str = "prior"
    groups_only: bool = False
    evidence: str = ""


def draw_prior(config, factor_phase: np.ndarray, factor_stream: np.ndarray, n_groups: int, n_draws: int,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n_draws`` prior draws of every parameter of ``config``'s model kind (first axis = draw).

    Parameters
    ----------
    config
        A :class:`~bayesstreams.model.config.ModelConfig` (kind and priors).
    factor_phase, factor_stream
        Phase and stream index of each factor.
    n_groups
        Number of groups (0: no group offsets).
    n_draws
        Number of draws.
    rng
        The random generator; the same seed gives the same draws.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesstreams.model.config import load_config
    >>> draws = draw_prior(load_config(), np.array([0, 1]), np.array([0, 2]), 0, 5, np.random.default_rng(1))
    >>> draws["beta"].shape, draws["rho"].shape
    ((5, 2), (5,))
    """
    return config.model_kind.draw_prior(config, factor_phase, factor_stream, n_groups, n_draws, rng)


def pooled_draws(config, factor_phase, factor_stream, n_draws: int, rng) -> dict[str, np.ndarray]:
    """Draws of ``mu``, ``tau``, ``z`` and ``beta = mu[p,s] + tau[p,s] z`` (MODEL.md §2, shared by the kinds)."""
    mu = config.prior_of("mu").draw(rng, (n_draws, 2, 3))
    tau = config.prior_of("tau").draw(rng, (n_draws, 2, 3))
    z = rng.normal(0.0, 1.0, size=(n_draws, len(factor_phase)))
    return {"mu": mu, "tau": tau, "z": z, "beta": mu[:, factor_phase, factor_stream] + tau[:, factor_phase, factor_stream] * z}


def group_draws(config, group_dims: tuple[int, ...], n_groups: int, n_draws: int, rng) -> dict[str, np.ndarray]:
    """Draws of the group offsets ``gamma = sigma_group * gamma_raw`` (empty without groups)."""
    if not n_groups:
        return {}
    sigma = config.prior_of("sigma_group").draw(rng, (n_draws,))
    raw = rng.normal(0.0, 1.0, size=(n_draws, *group_dims, n_groups))
    return {"sigma_group": sigma, "gamma_raw": raw,
            "gamma": sigma.reshape(-1, *([1] * (len(group_dims) + 1))) * raw}


def log_prior_draws(draws: dict, config) -> dict[str, np.ndarray]:
    """Log prior density of every draw, per parameter (sample,), from the model kind's declared priors.

    Top-level parameters use their prior from the model file, the raw parameters of the
    non-centred hierarchy (``z``, ``gamma_raw``) the standard normal; deterministic ones
    (``beta``, ``gamma``) have no density of their own.
    """
    declared = {p.name: p for p in config.model_kind.parameters}
    out = {}
    for name, values in draws.items():
        parameter = declared.get(name)
        if parameter is None or parameter.role == "derived":
            continue
        density = STANDARD_NORMAL if parameter.role == "raw" else config.prior_of(name)
        values = np.asarray(values, dtype=float)
        out[name] = density.logpdf(values).reshape(len(values), -1).sum(axis=1)
    return out


def scaled_priors(config) -> list[str]:
    """The top-level priors of ``config``'s kind: the ones power-scaling raises to a power."""
    return [p.name for p in config.model_kind.parameters if p.role == "prior"]
