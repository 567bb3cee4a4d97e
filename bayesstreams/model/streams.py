"""The streams model (MODEL.md §2): factors move streams, coupled streams open windows.

One object, :data:`KIND`, holds everything that is particular to this model: its
parameters with dims and default priors, the PyMC model of a dataset (data in ``pm.Data``,
so one builder serves a fit, SBC and exact leave-one-out refits), prior draws in NumPy,
window probabilities per draw (at the codes and under ``do(x_k = v)``), the pointwise
log-likelihood of saved draws, and its hand-written fast density (:mod:`bayesstreams.fast`).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model import evidence as ev
from bayesstreams.model.hierarchy import (CELL, GROUP_SCALE, POOLED_PARAMETERS, data_containers, group_data,
                                          group_offsets, model_coords, pooled_effects, stream_design)
from bayesstreams.model.likelihood import (ObservedTerms, case_loglik, cell_sums, logistic, numpy_case_loglik,
                                           numpy_math, observed_terms, pytensor_math, stream_eta, window_probability)
from bayesstreams.model.priors import Parameter, Prior, group_draws, pooled_draws
from bayesstreams.model.windows import Baseline, Windows

TERM_NAMES = ("s_obs", "s_val", "all_one", "w_obs", "w_val")


class StreamsKind:
    """The two-phase streams model with leak, miss and phase dependency."""

    name = "streams"
    title = "streams model (MODEL.md §2)"
    dependency_parameter = "rho"
    has_streams = True
    has_fast_density = True  # numba kernels for v1 and every evidence mode (bayesstreams.fast.registry picks them)
    has_evidence_modes = True
    parameters = (
        *POOLED_PARAMETERS,
        Parameter("alpha", CELL, Prior("normal", {"mu": 0.0, "sigma": 1.5})),
        Parameter("lambda", ("phase",), Prior("beta", {"alpha": 1.0, "beta": 9.0})),
        Parameter("kappa", ("phase",), Prior("beta", {"alpha": 1.0, "beta": 9.0})),
        Parameter("rho", (), Prior("beta", {"alpha": 1.0, "beta": 1.0})),
        GROUP_SCALE,
        Parameter("gamma_raw", (*CELL, "group"), role="raw", groups_only=True),
        Parameter("gamma", (*CELL, "group"), role="derived", groups_only=True),
        # the evidence model (MODEL.md §7), each only under the options that use it
        Parameter("code_prob", ("factor", "code"), Prior("dirichlet", {"a": 1.0}), evidence="code_prob"),
        Parameter("salience_zero", (), Prior("beta", {"alpha": 2.0, "beta": 2.0}), evidence="salience"),
        Parameter("salience_nonzero", (), Prior("beta", {"alpha": 2.0, "beta": 2.0}), evidence="salience"),
        Parameter("confusion", ("true_code", "reported_code"), Prior("dirichlet_diagonal", {"a": 1.0, "a_diagonal": 8.0}),
                  evidence="confusion"),
        Parameter("stream_error", (), Prior("beta", {"alpha": 1.0, "beta": 19.0}), evidence="stream_error"),
    )
    evidence_parameters = ("code_prob", "salience_zero", "salience_nonzero", "confusion", "stream_error")

    def matches(self, draws: dict) -> bool:
        """Whether ``draws`` hold this kind's parameters."""
        return all(name in draws for name in ("alpha", "beta", "lambda", "kappa", "rho"))

    # ------------------------------------------------------------------ the PyMC model

    def data(self, dataset, held_out=(), config=None) -> dict[str, np.ndarray]:
        """The ``pm.Data`` arrays of ``dataset``; cases in ``held_out`` lose every observation (exact LOO).

        Under an evidence mode (MODEL.md §7, ``config``) the cells' evidence arrays come too.
        """
        s, w = np.array(dataset.s, dtype=float), np.array(dataset.w, dtype=float)
        held_out = list(held_out)
        s[held_out], w[held_out] = np.nan, np.nan
        terms = observed_terms(s, w)
        data = {name: np.asarray(getattr(terms, name), dtype=float) for name in TERM_NAMES}
        data["x"] = np.asarray(dataset.x_filled, dtype=float)
        if config is not None and not ev.is_v1(config.evidence_options):
            found = ev.evidence_data(dataset.x, ev.respondent_counts(dataset, dataset.x))
            data.update(ev_support=found.support, ev_discussed=found.discussed, ev_counts=found.counts)
        return {**data, **group_data(dataset)}

    def build(self, dataset, config, loglik_weight: float = 1.0):
        """The PyMC model of ``dataset``; ``loglik_weight`` scales the likelihood (1: the model itself)."""
        import pymc as pm
        import pytensor.tensor as pt

        coords = model_coords(dataset)
        if not ev.is_v1(config.evidence_options):
            coords.update(ev.code_coords())
        with pm.Model(coords=coords) as model:
            shared = data_containers(pm, self.data(dataset, config=config))
            beta = pooled_effects(pm, dataset, config)
            alpha = config.prior_of("alpha").pymc(pm, "alpha", dims=CELL)
            x = shared["x"]
            eta = alpha[None, :, :] + pt.dot(x, beta[:, None] * stream_design(dataset)).reshape((x.shape[0], 2, 3))
            gamma = group_offsets(pm, dataset, config, CELL)
            group_eta = None
            if gamma is not None:
                group_eta = shared["has_group"][:, None, None] * gamma[:, :, shared["group_index"]].transpose(2, 0, 1)
                eta = eta + group_eta
            lam = config.prior_of("lambda").pymc(pm, "lambda", dims="phase")
            kap = config.prior_of("kappa").pymc(pm, "kappa", dims="phase")
            rho = config.prior_of("rho").pymc(pm, "rho")
            terms = ObservedTerms(*(shared[name] for name in TERM_NAMES))
            options = config.evidence_options
            if ev.is_v1(options):
                loglik = case_loglik(eta, lam[None, :], kap[None, :], rho, terms, pytensor_math())
            else:
                loglik = self._evidence_loglik(pm, dataset, config, shared, alpha, beta, lam, kap, rho, terms, group_eta)
            pm.Potential("loglik", loglik_weight * loglik.sum())
        return model

    def _evidence_loglik(self, pm, dataset, config, shared, alpha, beta, lam, kap, rho, terms, group_eta):
        """The PyTensor log-likelihood per case of MODEL.md §7 (the codes summed out per stream)."""
        params = {"alpha": alpha[None], "beta": beta[None], "lambda": lam[None], "kappa": kap[None], "rho": rho[None]}
        for name in self.evidence_parameters:
            parameter = next(p for p in self.parameters if p.name == name)
            if parameter.evidence in config.evidence_features:
                params[name] = config.prior_of(name).pymc(pm, name, dims=parameter.dims or None)[None]
        data = ev.EvidenceData(shared["ev_support"], shared["ev_discussed"], shared["ev_counts"])
        loglik = ev.evidence_case_loglik(config.evidence_options, data, params, terms, dataset.factor_phase,
                                         dataset.factor_stream, shared["x"], pytensor_math(),
                                         None if group_eta is None else group_eta[None], split=False)
        return loglik[0]

    # ------------------------------------------------------------------ NumPy

    def draw_prior(self, config, factor_phase, factor_stream, n_groups: int, n_draws: int, rng) -> dict:
        """Prior draws of every parameter (first axis = draw); the order of the random calls is fixed."""
        out = pooled_draws(config, factor_phase, factor_stream, n_draws, rng)
        out["alpha"] = config.prior_of("alpha").draw(rng, (n_draws, 2, 3))
        for name, shape in (("lambda", (n_draws, 2)), ("kappa", (n_draws, 2)), ("rho", (n_draws,))):
            out[name] = config.prior_of(name).draw(rng, shape)
        out.update(group_draws(config, (2, 3), n_groups, n_draws, rng))
        features = config.evidence_features
        for parameter in self.parameters:  # after the v1 draws, so the v1 prior stream is unchanged
            if parameter.evidence in features:
                shape = {"code_prob": (len(factor_phase), 3), "confusion": (3, 3)}.get(parameter.name, ())
                out[parameter.name] = config.prior_of(parameter.name).draw(rng, (n_draws, *shape))
        return out

    def reference_loglik(self, dataset, draws: dict, chunk: int = 250) -> np.ndarray:
        """Log-likelihood (sample, case) in NumPy from :mod:`bayesstreams.model.likelihood`, in chunks."""
        terms = observed_terms(dataset.s, dataset.w)
        out = np.empty((draws["beta"].shape[0], dataset.n_cases))
        options = ev.options_of_draws(draws)
        if not ev.is_v1(options):
            data = ev.evidence_data(dataset.x, ev.respondent_counts(dataset, dataset.x))
        for start in range(0, len(out), chunk):
            part = {k: v[start:start + chunk] for k, v in draws.items()}
            if not ev.is_v1(options):
                group_eta = group_eta_numpy(part.get("gamma"), dataset.group, dataset.n_cases)
                out[start:start + chunk] = ev.evidence_case_loglik(
                    options, data, part, terms, dataset.factor_phase, dataset.factor_stream, dataset.x_filled,
                    numpy_math(), group_eta)
                continue
            eta = stream_eta(part["alpha"], part["beta"], dataset.x_filled, dataset.factor_phase,
                             dataset.factor_stream, part.get("gamma"), dataset.group)
            out[start:start + chunk] = numpy_case_loglik(eta, part["lambda"], part["kappa"], part["rho"], terms)
        return out

    def baseline(self, draws: dict, x, phase, stream, group, records=None, qt=None, sums=None) -> Baseline:
        """Stream log-odds ``eta``, ``q = logistic(eta)`` and ``pibar`` of every draw and case.

        ``x`` may hold NaN (not discussed).  Under an evidence mode (MODEL.md §7, read from the
        draws) ``q`` is ``qt``, the expected ``q`` over the latent codes given each cell's evidence
        weights, and ``eta = logit(qt)``; ``records`` (the dataset) gives the respondents' codes.
        ``sums``: the per-cell sums of ``beta x`` (:func:`~bayesstreams.model.likelihood.cell_sums`, the default).
        """
        x = np.asarray(x, dtype=float)
        options = ev.options_of_draws(draws)
        if ev.is_v1(options):
            eta = stream_eta(draws["alpha"], draws["beta"], np.nan_to_num(x), phase, stream, draws.get("gamma"), group,
                             sums)
            q = logistic(eta)
        else:
            counts = ev.respondent_counts(records, x) if records is not None else None
            data = ev.evidence_data(x, counts)
            group_eta = group_eta_numpy(draws.get("gamma"), group, x.shape[0])
            q = np.stack([np.stack([ev.stream_q(options, data, draws, np.nan_to_num(x), p, s, phase, stream, group_eta,
                                                qt=qt) for s in range(3)], axis=-1) for p in range(2)], axis=-2)
            eta = np.log(q) - np.log1p(-q)
        pibar = window_probability(q, draws["lambda"], draws["kappa"])
        base = Baseline(self.name, draws, np.nan_to_num(x), phase, stream, eta, q, pibar)
        if not ev.is_v1(options):
            base.cache["evidence"] = (options, data, group_eta, qt)
        return base

    def not_discussed_bounds(self, draws: dict, x, phase, stream, group, records=None, qt=None, eta=None,
                             q=None, sums=None, windows=None) -> dict:
        """Per draw, the lowest and highest P(W1) and P(W2) over every completion of the not-discussed cells.

        ``P(W_p)`` rises with each ``q`` of its phase, ``P(W2) = pibar2 (rho + (1 - rho) P(W1))``
        with ``P(W1)``, and ``q`` with ``beta_k x_k``: so per draw the lowest chance of both windows
        sets every not-discussed cell to ``-sign(beta_k)`` (a shift of ``-|beta_k|``), the highest to
        ``+sign(beta_k)``.  The other cells keep their evidence (a point mass, or under latent
        respondents their respondents' codes); a completed cell is a point mass in every mode.
        Returns ``{"p_w1": (low, high), "p_w2": (low, high)}``, each (sample, case); ``qt`` as in
        :meth:`baseline`.  ``eta`` is the :meth:`baseline`'s ``eta`` of the same draws and cases when at
        hand (it is the stream log-odds at the filled codes: not computed again); read in the default mode only.
        ``q`` is that baseline's ``q`` (``logistic(eta)``) when at hand: a stream with no not-discussed cell
        keeps it (its shift is exactly 0), so only the streams a completion moves are computed per side.
        ``sums`` as in :meth:`baseline`.  ``windows(q, moved, values, draws) -> (P(W1), P(W2))``, each
        (sample, case), computes one side's windows from ``q`` with its flat cells ``moved`` (a draw's
        ``case * 6`` row) at ``values`` (sample, cell), by these operations in their order (a caller hands in
        :func:`bayesstreams.fast.registry.bound_windows`' kernel); where ``q`` is at hand only, and NumPy here by default.
        """
        x = np.asarray(x, dtype=float)
        missing = np.isnan(x)
        filled = np.where(missing, 0.0, x)
        onehot = np.zeros((x.shape[1], 6))
        onehot[np.arange(x.shape[1]), np.asarray(phase) * 3 + np.asarray(stream)] = 1.0
        # (sample, case, phase, stream): the largest shift of each stream's log-odds the completions allow
        room = (sums or cell_sums)(missing.astype(float), np.abs(draws["beta"]), onehot)
        room = room.reshape(room.shape[0], x.shape[0], 2, 3)
        options = ev.options_of_draws(draws)
        out = {}
        if ev.is_v1(options) and eta is None:  # the same for both sides: once
            eta = stream_eta(draws["alpha"], draws["beta"], filled, phase, stream, draws.get("gamma"), group, sums)
        q_now = q
        moved = None
        if ev.is_v1(options) and q_now is not None:  # (case, phase * stream) cells a completion can shift
            moved = np.flatnonzero((missing.astype(float) @ onehot).reshape(-1) > 0)
        for side in (-1.0, 1.0):
            if moved is not None:
                n_draws = q_now.shape[0]
                values = logistic(eta.reshape(n_draws, -1)[:, moved] + side * room.reshape(n_draws, -1)[:, moved])
                if windows is not None:
                    out[side] = windows(q_now, moved, values, draws)
                    continue
                q = q_now.copy()
                q.reshape(n_draws, -1)[:, moved] = values
            elif ev.is_v1(options):
                q = logistic(eta + side * room)
            else:
                counts = ev.respondent_counts(records, x) if records is not None else None
                data = ev.evidence_data(filled, counts)
                offset = side * room
                group_eta = group_eta_numpy(draws.get("gamma"), group, x.shape[0])
                offset = offset if group_eta is None else offset + group_eta
                q = np.stack([np.stack([ev.stream_q(options, data, draws, filled, p, s, phase, stream, offset,
                                                    point=missing, qt=qt) for s in range(3)], axis=-1)
                              for p in range(2)], axis=-2)
            pibar = window_probability(q, draws["lambda"], draws["kappa"])
            w = self._windows(draws, pibar[..., 0], pibar[..., 1])
            out[side] = (w.p1, w.p2)
        return {"p_w1": (out[-1.0][0], out[1.0][0]), "p_w2": (out[-1.0][1], out[1.0][1])}

    @staticmethod
    def _windows(draws: dict, pibar1: np.ndarray, pibar2: np.ndarray) -> Windows:
        return Windows(pibar1, pibar2, pibar2 * draws["rho"][:, None])

    def windows(self, base: Baseline) -> Windows:
        """Window probabilities at the coded factor values."""
        return self._windows(base.draws, base.pibar[..., 0], base.pibar[..., 1])

    def do_factor(self, base: Baseline, k: int, value, cases=None) -> Windows:
        """Windows under ``do(x[:, k] = value)``: only factor ``k``'s stream moves, W2 also through W1.

        ``cases`` (an index array): the windows of these cases only, each element computed as for all
        cases (no case's window reads another's); ``value`` then one for all or one per case given.
        """
        if cases is not None and "evidence" in base.cache:  # the evidence kernel reads every case: all, then these
            whole = self.do_factor(base, k, value)
            return Windows(whole.p1[:, cases], whole.p2_open[:, cases], whole.p2_closed[:, cases])
        cols = slice(None) if cases is None else np.asarray(cases, dtype=int)
        value = np.broadcast_to(np.asarray(value, dtype=float), base.x[cols, k].shape)
        p, s = int(base.factor_phase[k]), int(base.factor_stream[k])
        if "evidence" in base.cache:  # the other uncertain cells of the stream stay summed out
            options, data, group_eta, qt = base.cache["evidence"]
            q_new = ev.stream_q(options, data, base.draws, base.x, p, s, base.factor_phase, base.factor_stream,
                                group_eta, do=(k, value), qt=qt)
        else:
            shift = base.draws["beta"][:, k, None] * (value - base.x[cols, k])[None, :]
            q_new = logistic(base.eta[:, cols, p, s] + shift)
        lam, kap = base.draws["lambda"][:, p, None], base.draws["kappa"][:, p, None]
        pibar = [base.pibar[:, cols, 0], base.pibar[:, cols, 1]]
        pibar[p] = lam + (1.0 - lam) * (1.0 - kap) * base.q_others(p, s)[:, cols] * q_new
        return self._windows(base.draws, pibar[0], pibar[1])

    def do_factors(self, base: Baseline, value: float, ks=None) -> Windows:
        """:meth:`do_factor` of the factors ``ks`` (default all) at once: windows (sample, factor, case)
        under ``do(x[:, k] = value)``.

        Each element is computed by the same operations as :meth:`do_factor`'s (tests hold them
        equal); under an evidence mode a stream's interventions share one kernel call
        (:func:`bayesstreams.model.evidence.stream_q_do_each`).
        """
        ks = np.arange(base.x.shape[1]) if ks is None else np.asarray(ks, dtype=int)
        n_factors = len(ks)
        phase, stream = np.asarray(base.factor_phase)[ks], np.asarray(base.factor_stream)[ks]
        if "evidence" in base.cache:
            options, data, group_eta, qt = base.cache["evidence"]
            found = {}
            for p, s in sorted({(int(a), int(b)) for a, b in zip(phase, stream)}):
                found.update(ev.stream_q_do_each(options, data, base.draws, base.x, p, s, base.factor_phase,
                                                 base.factor_stream, value, group_eta, qt=qt))
            q_new = np.stack([found[int(k)] for k in ks], axis=1)
        else:
            eta = np.moveaxis(base.eta[:, :, phase, stream], 2, 1)
            shift = base.draws["beta"][:, ks, None] * (value - base.x[:, ks].T)[None, :, :]
            q_new = logistic(eta + shift)
        others = np.stack([base.q_others(int(p), int(s)) for p, s in zip(phase, stream)], axis=1)
        lam, kap = base.draws["lambda"][:, phase, None], base.draws["kappa"][:, phase, None]
        moved = lam + (1.0 - lam) * (1.0 - kap) * others * q_new
        pibar = [np.repeat(base.pibar[:, None, :, p], n_factors, axis=1) for p in range(2)]
        for p in range(2):
            mine = phase == p
            pibar[p][:, mine] = moved[:, mine]
        return Windows(pibar[0], pibar[1], pibar[1] * base.draws["rho"][:, None, None])


def group_eta_numpy(gamma, group, n_cases: int):
    """Group offsets (draw, case, phase, stream) in NumPy, or ``None`` without groups."""
    if gamma is None:
        return None
    out = np.zeros((gamma.shape[0], n_cases, 2, 3))
    has = np.asarray(group) >= 0
    out[:, has] = np.moveaxis(gamma[:, :, :, np.asarray(group)[has]], 3, 1)
    return out


KIND = StreamsKind()
