"""Does the predicted value of information come true? (issue 24 item 4; MODEL.md §10)

One simulation: draw one parameter set (the *truth*) from the model file's prior, a study of
``n_cases`` from it (true codes from ``code_prob``, a share not discussed at random, part of the
stream states hidden), and fit it.  For a few candidates (:data:`ROLES`) and target queries
(``1 - rho``, a phase-1 factor's effect on W1, the first lever of a case with a window to open),
:func:`bayesstreams.analysis.voi.next_evidence` predicts the expected reduction of each query's 90%
interval width.  Then each candidate is **acquired**: its outcome is drawn from the truth, not from
the posterior, added to the data, and the data are **refitted** exactly; the realised reduction is
the width on the fit minus the width on the refit.

* ``reveal``: the hidden cell's true code (the simulator drew it before hiding it);
* ``check``: a second coder's reading of a coded cell, from the same reading model the prediction
  assumes (:data:`bayesstreams.analysis.voi.CHECK_DISAGREE`), at the true parameters;
* ``reveal own`` / ``check own``: the same for a cell of the lever case, in its target phase;
* ``new``: a new municipality simulated from the truth (``model.simulate``, not the log-likelihood
  the prediction reads) until it has the profile's known parts (rejection).

**What must hold.**  With the truth drawn from the prior, the preposterior identity says the mean
realised reduction equals the mean predicted one (per fixed truth it need not: a study whose truth
is unusual is surprised more).  A new municipality of a profile is found with a chance that
depends on the truth: its acquisition is weighted by ``p(profile | truth) / p(profile | data)``
(mean 1 given the data), which is what makes the identity exact for it.  The paired difference
``realised - predicted`` per simulation has mean zero; its standard error over simulations is the
Monte Carlo error of the check (it holds the refit's and the reweighting's sampling noise too).

**Negative control**: revealing a phase-2 cell cannot tell about a phase-1 factor's effect on W1 (with
every W1 observed, the posterior of the phase-1 parameters does not depend on phase-2 codes), so its
value is zero up to Monte Carlo noise, predicted and realised.  The ``open`` municipality (phase-1
window open, phase 2 to find out) tells almost nothing of ``1 - rho``.

The candidates are chosen from the data, never by their predicted value (a choice by a noisy
estimate would favour candidates whose value is overestimated).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from bayesstreams.analysis import voi
from bayesstreams.analysis.fragility import K_MAX
from bayesstreams.checks.check_folder import write_check_folder
from bayesstreams.checks.plots import voi_figure
from bayesstreams.errors import RunError
from bayesstreams.inference.fit import fit, resolve_model
from bayesstreams.model.modes import mode_of
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.simulate import (draw_true_codes, hide_streams, record_codes, simulate_outcomes,
                                         simulated_dataset, simulation_codebook)

EFFECT_FACTOR = "f1_problem_1"
ROLES = ("reveal", "check", "reveal own", "check own", "new gap", "new open", "reveal phase 2")
CONTROL = ("reveal phase 2", "effect")  # the negative control: (role, query kind)
REJECTION_BATCH = 2000
REJECTION_TRIES = 50


@dataclass
class VoiValidation:
    """One row per simulation, candidate role and query (pandas), their summary, the ranking agreement, the settings."""

    rows: object
    summary: object
    ranking: object
    settings: dict


def open_profile(dataset) -> voi.Profile:
    """A municipality whose phase-1 window is open, phase 2 to find out (codes and streams not asked)."""
    nan = float("nan")
    return voi.Profile("phase-1 window open", (nan,) * len(dataset.factor_ids), (nan,) * 6, (1.0, nan), "open")


def gap_profile(dataset) -> voi.Profile:
    """The design's gap: phase-1 window closed, phase-2 streams moving (:func:`voi.proposed_profiles`' first)."""
    return voi.proposed_profiles(dataset)[0]


def choose_candidates(dataset, factor: str, rng, case: str | None = None) -> dict:
    """Per role, the candidate of this simulation (chosen from the data alone; a role without a cell is left out).

    ``reveal``: a not-discussed cell of ``factor`` (else of its stream); ``check``: a coded cell of
    ``factor``; ``reveal own`` / ``check own``: a not-discussed / coded cell of ``case`` in the phase
    of its first window not yet open (what its first lever is about); ``reveal phase 2``: a
    not-discussed cell of a phase-2 factor; ``new gap`` and ``new open``: one new municipality of
    :func:`gap_profile` and :func:`open_profile`.
    """
    k = dataset.factor_ids.index(factor)
    same_stream = (dataset.factor_phase == dataset.factor_phase[k]) & (dataset.factor_stream == dataset.factor_stream[k])
    missing = np.isnan(dataset.x)
    everyone = range(len(dataset.case_ids))
    own, target = [], []
    if case is not None:
        own = [dataset.case_ids.index(case)]
        target = np.flatnonzero(dataset.factor_phase == (0 if dataset.w[own[0], 0] != 1 else 1))
    out = {}
    for role, columns, rows, want_missing in (
            ("reveal", [k], everyone, True), ("reveal", np.flatnonzero(same_stream), everyone, True),
            ("check", [k], everyone, False), ("reveal own", target, own, True), ("check own", target, own, False),
            ("reveal phase 2", np.flatnonzero(dataset.factor_phase == 1), everyone, True)):
        if role in out:
            continue
        taken = {(c.case_id, c.factor) for c in out.values()}  # one role per cell
        cells = [(i, j) for j in columns for i in rows
                 if missing[i, j] == want_missing and (dataset.case_ids[i], dataset.factor_ids[j]) not in taken]
        if cells:
            i, j = cells[rng.integers(len(cells))]
            out[role] = voi.Candidate(role.split()[0], dataset.case_ids[i], factor=dataset.factor_ids[j],
                                      old=float(dataset.x[i, j]))
    out["new gap"] = voi.Candidate("new", profile=gap_profile(dataset), n=1)
    out["new open"] = voi.Candidate("new", profile=open_profile(dataset), n=1)
    return out


def truth_run(run, params: dict):
    """``run`` with one draw, the truth, as its posterior: what the outcome chances are at the true parameters."""
    posterior = {name: np.asarray(params[name], dtype=float)[None] for name in run.posterior}
    return dataclasses.replace(run, posterior=posterior, prior={}, log_likelihood=None, memo={})


def profile_chance(group) -> np.ndarray:
    """Per draw, the chance of a new municipality with the profile's known parts (the sum over its outcomes)."""
    return np.exp(np.stack([o.log_ratio for o in group])).sum(axis=0)


def simulate_profile(params: dict, profile: voi.Profile, dataset, rng,
                     batches: int | None = None) -> tuple[np.ndarray | None, int, int]:
    """New municipalities from the truth until one has the profile's known codes, stream states and windows.

    Returns its windows (``None`` if none was found) and how many were drawn and kept: the share
    kept estimates the profile's chance under the truth.  ``batches``: draw that many batches of
    :data:`REJECTION_BATCH` whatever is found (to measure the share).
    """
    known_x, known_s, known_w = np.array(profile.x), np.array(profile.s).reshape(2, 3), np.array(profile.w)
    drawn = kept = 0
    found = None
    for _ in range(batches or REJECTION_TRIES):
        x = draw_true_codes(params, REJECTION_BATCH, rng)
        x = np.where(np.isnan(known_x), x, known_x)
        s, w = simulate_outcomes(params, x, dataset.factor_phase, dataset.factor_stream, rng)
        match = (np.all((s == known_s) | np.isnan(known_s), axis=(1, 2))
                 & np.all((w == known_w) | np.isnan(known_w), axis=1))
        drawn, kept = drawn + REJECTION_BATCH, kept + int(match.sum())
        if found is None and match.any():
            found = w[np.flatnonzero(match)[0]]
        if found is not None and batches is None:
            break
    return found, drawn, kept


def acquire(run, cand: voi.Candidate, group: list, params: dict, x_true: np.ndarray, rng):
    """The outcome of ``cand`` drawn from the truth: ``(outcome or None, weight)`` (see the module docstring).

    ``group`` is the candidate's outcomes on the fit (:func:`voi.outcomes`); the weight is 1 but for
    a new municipality, ``p(profile | truth) / p(profile | data)``.
    """
    labels = [o.label for o in group]
    if cand.kind == "reveal":
        i, k = run.dataset.case_ids.index(cand.case_id), run.dataset.factor_ids.index(cand.factor)
        code = x_true[i, k]
        return group[labels.index(f"{int(code):+d}" if code else "0")], 1.0  # the outcome labels of voi
    at_truth = voi.outcomes(truth_run(run, params), [cand])[0]
    if cand.kind == "check":
        p = np.array([float(o.p_draw[0]) for o in at_truth])
        return group[rng.choice(len(group), p=p / p.sum())], 1.0
    weight = float(profile_chance(at_truth)[0] / profile_chance(group).mean())
    windows, _, _ = simulate_profile(params, cand.profile, run.dataset, rng)
    if windows is None:  # the truth (almost) never gives such a municipality: its weight is (almost) 0
        return None, 0.0
    unknown = [j for j in range(2) if np.isnan(cand.profile.w[j])]
    label = " ".join(f"W{j + 1}={int(windows[j])}" for j in unknown)
    return group[labels.index(label)], weight


def widths(run, queries: list, dataset, case_dataset) -> dict:
    """Each query's 90% interval width on ``run``'s draws, read as the prediction reads them.

    The effects and the dependency are read on the study's data (``dataset``); a case's lever on the
    data after the acquisition (``case_dataset``, the study's cases only), as :func:`voi.next_evidence`
    recomputes the lever where the case's own data change.
    """
    out = {}
    for data, wanted in ((dataset, [q for q in queries if q.kind != "case"]),
                         (case_dataset, [q for q in queries if q.kind == "case"])):
        if wanted:
            reading = dataclasses.replace(run, dataset=data, memo={})
            now = voi.next_evidence(reading, queries=wanted, candidates_of=lambda c: False).now
            out.update({key: float(stats["width"]) for key, stats in now.items()})
    return out


def _study_cases(dataset, original):
    n = len(original.case_ids)
    return dataclasses.replace(dataset, cases=dataset.cases[:n], x=dataset.x[:n], w=dataset.w[:n], s=dataset.s[:n],
                               group=dataset.group[:n], codes=[c for c in dataset.codes
                                                               if c["case_id"] in set(original.case_ids)])


def simulate_study(config, codebook, n_cases: int, p_missing: float, observed_streams: float, rng):
    """One truth from the prior and a study drawn from it: ``(params, true codes, dataset)``."""
    shape = simulated_dataset(codebook, np.zeros((1, len(codebook.factors))), np.zeros((1, 2, 3)), np.zeros((1, 2)))
    params = {k: np.asarray(v)[0] for k, v in draw_prior(config, shape.factor_phase, shape.factor_stream, 0, 1,
                                                          rng).items()}
    x_true = draw_true_codes(params, n_cases, rng)
    s, w = simulate_outcomes(params, x_true, shape.factor_phase, shape.factor_stream, rng)
    x, _ = record_codes(x_true, params, rng, p_missing)
    return params, x_true, simulated_dataset(codebook, x, hide_streams(s, observed_streams, rng), w, name="voi-validation")


def one_simulation(config, codebook, n_cases: int, p_missing: float, observed_streams: float, rng, fit_settings,
                   seed: int, factor: str = EFFECT_FACTOR) -> list[dict]:
    """The rows of one simulated study: per role and query, the predicted and the realised reduction."""
    params, x_true, dataset = simulate_study(config, codebook, n_cases, p_missing, observed_streams, rng)
    run = fit(dataset, config, seed=seed, **fit_settings)
    queries = [voi.Query("dependency"), voi.Query("effect", factor, "W1")]
    to_open = [c for i, c in enumerate(dataset.case_ids) if not (dataset.w[i] == 1).all()]
    queries += [voi.Query("case", to_open[0])] if to_open else []
    chosen = choose_candidates(dataset, factor, rng, to_open[0] if to_open else None)
    keys = {c.key: role for role, c in chosen.items()}
    found = voi.next_evidence(run, queries=queries, candidates_of=lambda c: c.key in keys,
                              profiles=[gap_profile(dataset), open_profile(dataset)], sizes=(1,))
    frame = found.frame.set_index(["query", "candidate"])
    before = {q.key: float(found.now[q.key]["width"]) for q in queries if q.key in found.now}
    rows = []
    for cand, group in zip(found.candidates, found.outcomes):
        outcome, weight = acquire(run, cand, group, params, x_true, rng)
        after, label = dict(before), None
        if outcome is not None:
            label = outcome.label
            acquired = voi.outcome_dataset(dataset, cand, outcome)
            if acquired is not dataset:  # a check that finds the same code leaves the data, and the fit, as they are
                refit = fit(acquired, config, seed=seed, **fit_settings)
                after = widths(refit, queries, dataset, _study_cases(acquired, dataset))
        for q in queries:
            if q.key not in before:
                continue
            row = frame.loc[(q.key, cand.key)]
            rows.append({"role": keys[cand.key], "query": q.kind, "query_key": q.key, "candidate": cand.key,
                         "outcome": label, "weight": weight, "width_now": before[q.key],
                         "predicted": float(row["expected_reduction"]),
                         "predicted_se": float(row["expected_reduction_se"]), "max_k": float(row["max_k"]),
                         "realised": before[q.key] - after[q.key]})
    return rows


def summarise(rows):
    """Per role and query kind: the mean predicted and realised reduction, their paired difference and its s.e.

    ``realised`` is the weighted acquisition (``weight x realised``); ``z`` is the difference over its
    standard error (about normal when the identity holds); ``z_doubled`` the same for twice the predicted
    value (the power of the check: it should be far from zero where the value is not).
    """
    import pandas as pd

    out = []
    for (role, query), group in rows.groupby(["role", "query"], sort=False):
        realised = group["weight"] * group["realised"]
        n = len(group)
        diff, doubled = realised - group["predicted"], realised - 2 * group["predicted"]
        se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        out.append({"role": role, "query": query, "n": n, "width_now": float(group["width_now"].mean()),
                    "predicted": float(group["predicted"].mean()),
                    "predicted_se": float(group["predicted"].std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                    "realised": float(realised.mean()),
                    "realised_se": float(realised.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                    "difference": float(diff.mean()), "difference_se": se, "z": _ratio(diff.mean(), se),
                    "z_doubled": _ratio(doubled.mean(), doubled.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                    "share_k_high": float((group["max_k"] > K_MAX).mean())})
    return pd.DataFrame(out)


def _ratio(mean: float, se: float) -> float:
    """``mean / se``; with no spread, 0 for a mean of 0 (the same value every time) and +-inf otherwise."""
    mean, se = float(mean), float(se)
    if not np.isfinite(se):
        return np.nan
    return mean / se if se > 0 else (0.0 if abs(mean) < 1e-15 else float(np.sign(mean) * np.inf))


def _spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    if ra.std() == 0 or rb.std() == 0:
        return np.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def ranking(rows, summary):
    """Do the candidates rank the same by predicted and by realised value?

    Per query kind: the Spearman correlation of the roles' mean predicted and mean realised
    reduction; and within each simulation, whether the role predicted best is the role that was
    realised best (a single acquisition each, so noisy), its rate beside chance (one over the roles).
    """
    import pandas as pd

    out = []
    for query, group in summary.groupby("query", sort=False):
        sims = rows[rows["query"] == query].assign(value=lambda f: f["weight"] * f["realised"])
        hits, chance, rho_sim = [], [], []
        for _, one in sims.groupby("sim"):
            if len(one) < 2:
                continue
            hits.append(float(one["role"].iloc[one["predicted"].argmax()] == one["role"].iloc[one["value"].argmax()]))
            chance.append(1.0 / len(one))
            rho_sim.append(_spearman(one["predicted"].to_numpy(), one["value"].to_numpy()))
        rho_sim = np.array([r for r in rho_sim if np.isfinite(r)])
        top = group.sort_values("predicted", ascending=False)
        out.append({"query": query, "roles": len(group),
                    "spearman_means": _spearman(group["predicted"].to_numpy(), group["realised"].to_numpy()),
                    "top_predicted": top["role"].iloc[0],
                    "top_realised": group.sort_values("realised", ascending=False)["role"].iloc[0],
                    "top1_rate": float(np.mean(hits)) if hits else np.nan,
                    "top1_se": float(np.std(hits, ddof=1) / np.sqrt(len(hits))) if len(hits) > 1 else np.nan,
                    "top1_chance": float(np.mean(chance)) if chance else np.nan,
                    "spearman_per_sim": float(rho_sim.mean()) if len(rho_sim) else np.nan,
                    "spearman_per_sim_se": float(rho_sim.std(ddof=1) / np.sqrt(len(rho_sim))) if len(rho_sim) > 1
                    else np.nan})
    return pd.DataFrame(out)


def verdict(result: VoiValidation, z_max: float = 3.5, z_rank: float = 3.0,
            control_share: float = 0.1) -> list[tuple[str, bool, str]]:
    """The criteria of the validation, each ``(name, passed, numbers)``.

    * ``agreement``: for every role and query, ``|realised - predicted|`` within ``z_max`` standard errors;
    * ``ranking``: for every query, the candidates of one simulation rank alike by predicted and by realised
      value better than chance: the mean over simulations of their Spearman correlation is more than
      ``z_rank`` standard errors above 0 (the roles' means are mostly near zero and within noise of each
      other, so their order says little; within a simulation the values differ far more);
    * ``negative control``: the control's mean predicted and realised reduction are each below
      ``control_share`` of the largest mean predicted reduction for its query, or within 3 standard errors of 0.
    """
    summary = result.summary
    out = []
    worst = summary.loc[summary["z"].abs().idxmax()]
    out.append(("agreement", bool((summary["z"].abs() <= z_max).all()),
                f"largest |z| {abs(worst['z']):.2f} ({worst['role']}, {worst['query']}); bound {z_max}"))
    ranks = result.ranking.dropna(subset=["spearman_per_sim", "spearman_per_sim_se"])  # a query of one role: no rank
    low = ranks["spearman_per_sim"] - z_rank * ranks["spearman_per_sim_se"]
    out.append(("ranking", bool(len(ranks) and (low > 0).all()),
                "; ".join(f"{q}: Spearman per simulation {m:.2f} +- {se:.2f}, top-1 {t:.2f} (chance {c:.2f})"
                          for q, m, se, t, c in ranks[["query", "spearman_per_sim", "spearman_per_sim_se",
                                                       "top1_rate", "top1_chance"]].itertuples(index=False))))
    role, query = CONTROL
    control = summary[(summary["role"] == role) & (summary["query"] == query)]
    if len(control):
        row = control.iloc[0]
        scale = control_share * summary.loc[summary["query"] == query, "predicted"].max()
        small = [abs(row[name]) <= max(scale, 3 * row[f"{name}_se"]) for name in ("predicted", "realised")]
        out.append(("negative control", bool(all(small)),
                    f"{role} for the {query}: predicted {row['predicted']:.4f}, realised {row['realised']:.4f} "
                    f"(+- {row['realised_se']:.4f}); bound {scale:.4f}"))
    return out


def voi_validation(n_sims: int = 60, n_cases: int = 8, seed: int = 1, model="streams-marginal", p_missing: float = 0.2,
                   observed_streams: float = 0.8, draws: int = 300, tune: int = 300, chains: int = 2,
                   factor: str = EFFECT_FACTOR, progress=None, start: int = 0) -> VoiValidation:
    """Run the validation (see the module docstring); ``progress(i, n)`` is called after each simulation.

    Simulation ``i`` draws from its own random stream (``seed``, ``i``), so the simulations
    ``start .. start + n_sims - 1`` of several runs pool to one run of them all (:func:`pool`).

    Examples
    --------
    >>> result = voi_validation(n_sims=1, n_cases=8, draws=100, tune=100)
    >>> set(result.rows["role"]) <= set(ROLES) and {"dependency", "effect"} <= set(result.rows["query"])
    True
    """
    import pandas as pd

    config = resolve_model(model)
    options = config.evidence_options
    if not mode_of(options).has_code_distribution or options.get("stream_error"):
        raise RunError(f"the VOI validation needs a model whose not-discussed codes have a distribution "
                       f"(marginal or salience) and no stream_error, not {config.name}")
    codebook = simulation_codebook()
    rows = []
    for i in range(start, start + n_sims):  # simulation i has its own stream: runs in pieces pool to the whole
        rng = np.random.default_rng([seed, i])
        for row in one_simulation(config, codebook, n_cases, p_missing, observed_streams, rng,
                                  {"draws": draws, "tune": tune, "chains": chains}, seed + i, factor):
            rows.append({"sim": i, **row})
        if progress is not None:
            progress(i + 1 - start, n_sims)
    frame = pd.DataFrame(rows)
    summary = summarise(frame)
    settings = {"n_sims": n_sims, "start": start, "n_cases": n_cases, "seed": seed, "model": config.name, "p_missing": p_missing,
                "observed_streams": observed_streams, "draws": draws, "tune": tune, "chains": chains,
                "factor": factor, "level": voi.LEVEL, "check_disagree": voi.CHECK_DISAGREE}
    return VoiValidation(rows=frame, summary=summary, ranking=ranking(frame, summary), settings=settings)


def pool(results: list) -> VoiValidation:
    """Several runs of the same settings but other simulations (``start``) as one."""
    import pandas as pd

    rows = pd.concat([r.rows for r in results], ignore_index=True)
    if rows.duplicated(["sim", "role", "query"]).any():
        raise RunError("pooled runs share simulations: give each its own --start")
    summary = summarise(rows)
    settings = {**results[0].settings, "n_sims": int(rows["sim"].nunique()), "start": int(rows["sim"].min())}
    return VoiValidation(rows, summary, ranking(rows, summary), settings)


def write_validation(result: VoiValidation, out, force: bool = False):
    """Write ``rows.csv``, ``summary.csv``, ``ranking.csv``, ``settings.json`` and ``predicted-realised.svg`` (atomically)."""
    title = f"{result.settings.get('n_sims', '')} studies of {result.settings.get('n_cases', '')} cases"
    return write_check_folder(out, {"rows": result.rows, "summary": result.summary, "ranking": result.ranking},
                              result.settings, force,
                              figures={"predicted-realised.svg": lambda: voi_figure(result.summary, title)})
