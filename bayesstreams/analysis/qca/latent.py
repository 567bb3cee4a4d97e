"""Draws of what the data leave unknown, from a run's posterior: latent codes, true stream states, windows.

The posterior QCA (MODEL.md §11) needs, per posterior draw of the parameters, one complete data
set: every not-discussed (or, under latent respondents, every) factor code, every stream state
and every window, drawn from their joint distribution given the parameters and all that is known
of the case.  Under the streams model (MODEL.md §2, §7) that joint is exact and small, so it is
sampled directly (no MCMC over discrete states):

* per stream ``(p, s)``, the joint codes ``x`` of its cells (the ``3^m`` combinations of the cells
  uncertain in the run's evidence mode) carry the mass ``prod_k w[i,k](x_k)`` and give
  ``q(x) = logistic(alpha + sum_k beta_k x_k)``; the true stream state ``t`` has the mass
  ``M(t) = sum_x mass(x) Bern(t | q(x))``, times the record of the stream (a coded state is the truth,
  or under ``stream_error`` the truth flipped with probability ``epsilon``);
* per phase, the 8 joint states of its three streams set ``pi = lambda + (1-lambda)(1-kappa) all(t)``,
  and the windows follow ``W1 ~ Bern(pi1)``, ``W2 ~ Bern(pi2 (W1 + (1 - W1) rho))``; a known window
  keeps only the states that agree with it;
* the 256 joint states ``(t of phase 1, t of phase 2, W1, W2)`` are drawn from their normalised
  mass, then each stream's codes from ``mass(x) Bern(t | q(x))``.

Everything known comes back unchanged (a coded stream without ``stream_error``, a known window, a
point-mass code).  NumPy, vectorised over draws and cases.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from bayesstreams.errors import RunError
from bayesstreams.model.evidence import CODES, cell_weights, evidence_data, respondent_counts
from bayesstreams.model.likelihood import logistic, numpy_math
from bayesstreams.model.modes import options_of_draws
from bayesstreams.model.streams import group_eta_numpy

DEFAULT_DRAWS = 1000
STATES = np.array(list(itertools.product((0, 1), repeat=3)), dtype=int)  # (8, stream): first stream slowest


@dataclass(frozen=True)
class LatentDraws:
    """One complete data set per posterior draw.

    Attributes
    ----------
    x : (draw, case, factor) codes in {-1, 0, +1}.
    s : (draw, case, phase, stream) true stream states in {0, 1}.
    w : (draw, case, phase) windows in {0, 1}.
    draw : (draw,) the index of each draw among the run's posterior samples.
    options : the evidence options of the run (mode, respondents, stream error).
    """

    x: np.ndarray
    s: np.ndarray
    w: np.ndarray
    draw: np.ndarray
    options: dict


def thinned(n_samples: int, n_draws: int | None) -> np.ndarray:
    """Evenly spaced sample indices (all of them when ``n_draws`` is None or not smaller).

    >>> thinned(10, 4).tolist()
    [0, 3, 6, 9]
    """
    if n_draws is None or n_draws >= n_samples:
        return np.arange(n_samples)
    if n_draws < 1:
        raise ValueError("at least one draw")
    return np.unique(np.linspace(0, n_samples - 1, int(n_draws)).round().astype(int))


def _categorical(prob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per leading position from unnormalised probabilities over the last axis."""
    cum = np.cumsum(prob, axis=-1)
    u = rng.random(prob.shape[:-1])[..., None] * cum[..., -1:]
    return np.minimum((cum <= u).sum(-1), prob.shape[-1] - 1)


def _stream_tables(weights, eta0, beta, factors):
    """(codes (n, m), mass (draw, case, n), q (draw, case, n)) of one stream's joint codes.

    ``weights`` (draw, case, factor, 3); ``eta0`` (draw, case) the intercept (and group offset).
    Factors whose weight is a point mass in every draw and case are fixed at that code.
    """
    cell = weights[:, :, factors, :]
    several = (cell > 0).sum(-1).max(axis=(0, 1)) > 1
    free = factors[several]
    for k in factors[~several]:
        code = np.asarray(CODES)[np.argmax(weights[:, :, k, :], axis=-1)]
        eta0 = eta0 + beta[:, k, None] * code
    codes = np.array(list(itertools.product(CODES, repeat=len(free))), dtype=float).reshape(3 ** len(free), len(free))
    mass = np.ones((*eta0.shape, len(codes)))
    for j, k in enumerate(free):
        mass = mass * weights[:, :, k, :][..., np.asarray(codes[:, j] + 1, dtype=int)]
    eta = eta0[..., None] + np.einsum("dm,nm->dn", beta[:, free], codes)[:, None, :]
    return free, codes, mass, logistic(eta)


def draw_latent(posterior: dict, dataset, n_draws: int | None = DEFAULT_DRAWS, seed: int = 0) -> LatentDraws:
    """Draw every unknown code, stream state and window of ``dataset`` once per (thinned) posterior draw.

    Parameters
    ----------
    posterior
        Draws of a streams-model run (``alpha``, ``beta``, ``lambda``, ``kappa``, ``rho`` and the
        evidence mode's parameters), sample first.
    dataset
        The run's dataset.
    n_draws
        How many posterior draws to use (evenly spaced); None for all.
    seed
        Seed of the draws of the latent states (the same seed gives the same draws).

    Examples
    --------
    >>> latent = draw_latent(run.posterior, run.dataset, n_draws=50)
    >>> latent.s.shape[:2], bool(np.isin(latent.w, (0, 1)).all())
    ((50, 8), True)
    """
    if "alpha" not in posterior or "lambda" not in posterior:
        raise RunError("the posterior QCA needs the streams model (stream states); this run has no streams")
    index = thinned(int(posterior["beta"].shape[0]), n_draws)
    params = {name: np.asarray(value)[index] for name, value in posterior.items()}
    rng = np.random.default_rng(seed)
    options = options_of_draws(params)
    x_rec = np.asarray(dataset.x, dtype=float)
    data = evidence_data(x_rec, respondent_counts(dataset, x_rec))
    weights = cell_weights(options, data, params, numpy_math())
    n, cases = len(index), x_rec.shape[0]
    weights = np.broadcast_to(weights, (n, *weights.shape[1:]))
    group_eta = group_eta_numpy(params.get("gamma"), dataset.group, cases)
    s_rec = np.asarray(dataset.s, dtype=float)
    w_rec = np.asarray(dataset.w, dtype=float)
    epsilon = params["stream_error"] if options["stream_error"] else None
    tables, record = {}, np.ones((n, cases, 2, 3, 2))
    for p in range(2):
        for s in range(3):
            factors = np.flatnonzero((dataset.factor_phase == p) & (dataset.factor_stream == s))
            eta0 = params["alpha"][:, p, s, None] + np.zeros((1, cases))
            if group_eta is not None:
                eta0 = eta0 + group_eta[:, :, p, s]
            tables[p, s] = _stream_tables(weights, eta0, params["beta"], factors)
            coded = ~np.isnan(s_rec[:, p, s])
            for t in (0, 1):
                agree = np.where(s_rec[:, p, s] == t, 1.0, 0.0)
                if epsilon is None:
                    record[:, coded, p, s, t] = agree[coded]
                else:
                    record[:, coded, p, s, t] = np.where(agree[coded] == 1.0, 1.0 - epsilon[:, None], epsilon[:, None])
    mass = np.empty((n, cases, 2, 3, 2))
    for (p, s), (_, _, m, q) in tables.items():
        one = (m * q).sum(-1)
        zero = (m * (1.0 - q)).sum(-1)
        total = np.where(one + zero > 0, one + zero, 1.0)
        mass[:, :, p, s, 1], mass[:, :, p, s, 0] = one / total, zero / total
    mass = mass * record
    # per phase, the 8 joint states of its streams: (draw, case, phase, 8)
    phase_mass = np.ones((n, cases, 2, len(STATES)))
    for s in range(3):
        phase_mass = phase_mass * mass[:, :, :, s, :][..., STATES[:, s]]
    coupled = STATES.all(axis=1).astype(float)
    lam, kap, rho = params["lambda"], params["kappa"], params["rho"]
    pi = lam[:, None, :, None] + ((1.0 - lam) * (1.0 - kap))[:, None, :, None] * coupled  # (draw, 1, phase, 8)
    pi1, pi2 = pi[:, :, 0, :, None, None, None], pi[:, :, 1, None, :, None, None]
    w1 = np.array([0.0, 1.0])[:, None]
    w2 = np.array([0.0, 1.0])[None, :]
    p_w1 = np.where(w1 == 1, pi1, 1.0 - pi1)
    open2 = pi2 * (w1 + (1.0 - w1) * rho[:, None, None, None, None, None])
    p_w2 = np.where(w2 == 1, open2, 1.0 - open2)
    joint = phase_mass[:, :, 0, :, None, None, None] * phase_mass[:, :, 1, None, :, None, None] * p_w1 * p_w2
    for p in range(2):  # a known window keeps the states that agree with it
        keep = np.isnan(w_rec[:, p, None]) | (np.arange(2)[None, :] == np.nan_to_num(w_rec[:, p, None]))
        shape = (1, cases, 1, 1, 2, 1) if p == 0 else (1, cases, 1, 1, 1, 2)
        joint = joint * keep.reshape(shape)
    flat = joint.reshape(n, cases, -1)
    if not (flat.sum(-1) > 0).all():
        raise RunError("a case's record has probability 0 under some posterior draw; the draws do not fit this data")
    pick = _categorical(flat, rng)
    c1, c2, v1, v2 = np.unravel_index(pick, (len(STATES), len(STATES), 2, 2))
    s_true = np.stack([STATES[c1], STATES[c2]], axis=2)  # (draw, case, phase, stream)
    w_true = np.stack([v1, v2], axis=-1).astype(float)
    x_true = np.broadcast_to(np.nan_to_num(x_rec), (n, *x_rec.shape)).copy()
    for (p, s), (free, codes, m, q) in tables.items():
        factors = np.flatnonzero((dataset.factor_phase == p) & (dataset.factor_stream == s))
        for k in factors:
            if k not in free:
                x_true[:, :, k] = np.asarray(CODES)[np.argmax(weights[:, :, k, :], axis=-1)]
        if len(free):
            t = s_true[:, :, p, s, None]
            chosen = _categorical(m * np.where(t == 1, q, 1.0 - q), rng)
            x_true[:, :, free] = codes[chosen]
    return LatentDraws(x=x_true, s=s_true.astype(float), w=w_true, draw=index, options=options)
