"""The additive baseline (MODEL.md §3): window log-odds add up the factor effects.

``logit P(W[i,p]) = a[p] + sum_k beta[k] x[i,k]`` (phase 2 also ``+ delta * W1``), with the
same pooling of ``beta`` as the streams model.  It is what a user would fit in bambi or
brms, fitted on the same data so that the two can be compared.  It has no streams.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.hierarchy import (GROUP_SCALE, POOLED_PARAMETERS, data_containers, group_data, group_offsets,
                                          model_coords, pooled_effects)
from bayesstreams.model.likelihood import (ObservedTerms, additive_case_loglik, additive_eta, cell_sums, logistic,
                                           numpy_math, observed_terms, pytensor_math)
from bayesstreams.model.priors import Parameter, Prior, group_draws, pooled_draws
from bayesstreams.model.windows import Baseline, Windows


class AdditiveKind:
    """Logistic windows, additive in the factor codes, with a dependency term ``delta``."""

    name = "additive"
    title = "additive baseline (MODEL.md §3)"
    dependency_parameter = "delta"
    has_streams = False
    has_fast_density = False
    has_evidence_modes = False
    parameters = (
        *POOLED_PARAMETERS,
        Parameter("a", ("phase",), Prior("normal", {"mu": 0.0, "sigma": 1.5})),
        Parameter("delta", (), Prior("normal", {"mu": 0.0, "sigma": 2.0})),
        GROUP_SCALE,
        Parameter("gamma_raw", ("phase", "group"), role="raw", groups_only=True),
        Parameter("gamma", ("phase", "group"), role="derived", groups_only=True),
    )

    def matches(self, draws: dict) -> bool:
        return all(name in draws for name in ("a", "beta", "delta"))

    def data(self, dataset, held_out=(), config=None) -> dict[str, np.ndarray]:
        """The ``pm.Data`` arrays (codes, windows, groups); the additive model never reads stream states."""
        w = np.array(dataset.w, dtype=float)
        w[list(held_out)] = np.nan
        terms = observed_terms(np.full((len(w), 2, 3), np.nan), w)
        return {"w_obs": terms.w_obs, "w_val": terms.w_val, "x": np.asarray(dataset.x_filled, dtype=float),
                **group_data(dataset)}

    def build(self, dataset, config, loglik_weight: float = 1.0):
        """The PyMC model of ``dataset`` with its data in ``pm.Data``."""
        import pymc as pm
        import pytensor.tensor as pt

        with pm.Model(coords=model_coords(dataset)) as model:
            shared = data_containers(pm, self.data(dataset))
            beta = pooled_effects(pm, dataset, config)
            a = config.prior_of("a").pymc(pm, "a", dims="phase")
            delta = config.prior_of("delta").pymc(pm, "delta")
            eta_w = a[None, :] + pt.dot(shared["x"], beta[:, None] * np.eye(2)[dataset.factor_phase])
            gamma = group_offsets(pm, dataset, config, ("phase",))
            if gamma is not None:
                eta_w = eta_w + shared["has_group"][:, None] * gamma[:, shared["group_index"]].T
            terms = ObservedTerms(None, None, None, shared["w_obs"], shared["w_val"])
            loglik = additive_case_loglik(eta_w, delta, terms, pytensor_math())
            pm.Potential("loglik", loglik_weight * loglik.sum())
        return model

    def draw_prior(self, config, factor_phase, factor_stream, n_groups: int, n_draws: int, rng) -> dict:
        out = pooled_draws(config, factor_phase, factor_stream, n_draws, rng)
        out["a"] = config.prior_of("a").draw(rng, (n_draws, 2))
        out["delta"] = config.prior_of("delta").draw(rng, (n_draws,))
        out.update(group_draws(config, (2,), n_groups, n_draws, rng))
        return out

    def reference_loglik(self, dataset, draws: dict, chunk: int = 250) -> np.ndarray:
        """Log-likelihood (sample, case) in NumPy, in chunks to bound memory."""
        terms = observed_terms(dataset.s, dataset.w)
        out = np.empty((draws["beta"].shape[0], dataset.n_cases))
        for start in range(0, len(out), chunk):
            part = {k: v[start:start + chunk] for k, v in draws.items()}
            eta_w = additive_eta(part, dataset.x_filled, dataset.factor_phase, dataset.group)
            out[start:start + chunk] = additive_case_loglik(eta_w, part["delta"][:, None], terms, numpy_math())
        return out

    def baseline(self, draws: dict, x, phase, stream, group, records=None, qt=None, sums=None) -> Baseline:
        """Window log-odds at the codes; a not-discussed code (NaN) counts as 0 (the additive model has no evidence modes).

        ``sums``: the per-cell sums of ``beta x`` (:func:`~bayesstreams.model.likelihood.cell_sums`, the default)."""
        x = np.nan_to_num(np.asarray(x, dtype=float))
        return Baseline(self.name, draws, x, phase, stream, additive_eta(draws, x, phase, group, sums))

    def not_discussed_bounds(self, draws: dict, x, phase, stream, group, records=None, qt=None, eta=None,
                             q=None, sums=None, windows=None) -> dict:
        """Per draw, the lowest and highest P(W1) and P(W2) over every completion of the not-discussed cells.

        ``P(W1)`` rises with ``beta_k x_k`` of the phase-1 cells; ``P(W2) = P(W2 | W1=0) + P(W1) *
        (P(W2 | W1=1) - P(W2 | W1=0))`` with the phase-2 cells' ``beta_k x_k`` and, through ``P(W1)``,
        with the phase-1 cells' in the direction of ``sign(delta)``.  So the extremes shift each
        window's log-odds by ``-/+ sum |beta_k|`` over the not-discussed cells of its phase.
        Returns ``{"p_w1": (low, high), "p_w2": (low, high)}``, each (sample, case); ``eta`` the
        :meth:`baseline`'s of the same draws and cases when at hand (not computed again); ``q`` is
        not used (the kind has no streams).
        """
        x = np.asarray(x, dtype=float)
        missing = np.isnan(x).astype(float)
        eta = additive_eta(draws, np.nan_to_num(x), phase, group, sums) if eta is None else eta
        room = (sums or cell_sums)(missing, np.abs(draws["beta"]), np.eye(2)[np.asarray(phase)])
        towards = np.sign(draws["delta"])[:, None]  # which way P(W1) moves P(W2)
        out = {}
        for side in (-1.0, 1.0):
            p1 = self._windows(draws, eta + side * room).p1
            moved = eta.copy()
            moved[..., 0] += side * towards * room[..., 0]
            moved[..., 1] += side * room[..., 1]
            out[side] = (p1, self._windows(draws, moved).p2)
        return {"p_w1": (out[-1.0][0], out[1.0][0]), "p_w2": (out[-1.0][1], out[1.0][1])}

    @staticmethod
    def _windows(draws: dict, eta: np.ndarray) -> Windows:
        return Windows(logistic(eta[..., 0]), logistic(eta[..., 1] + draws["delta"][:, None]), logistic(eta[..., 1]))

    def windows(self, base: Baseline) -> Windows:
        return self._windows(base.draws, base.eta)

    def do_factor(self, base: Baseline, k: int, value, cases=None) -> Windows:
        """Windows under ``do(x[:, k] = value)``: factor ``k`` shifts its own phase's window log-odds.

        ``cases`` (an index array): these cases only, each element computed as for all cases.
        """
        cols = slice(None) if cases is None else np.asarray(cases, dtype=int)
        value = np.broadcast_to(np.asarray(value, dtype=float), base.x[cols, k].shape)
        eta = base.eta[:, cols].copy()
        eta[..., int(base.factor_phase[k])] += base.draws["beta"][:, k, None] * (value - base.x[cols, k])[None, :]
        return self._windows(base.draws, eta)


KIND = AdditiveKind()
