"""Posterior QCA (MODEL.md §11): the classical set-theoretic quantities as posterior distributions.

Per posterior draw of a run, :func:`~bayesstreams.analysis.qca.latent.draw_latent` completes the
data (not-discussed codes under the run's evidence mode, stream states nobody coded, windows not
known); the classical formulas (``measures``, ``truth_table``, ``minimise``) are then applied to
each completed data set.  Every case takes part in every draw: nothing is dropped for being
unknown.  What comes out, per outcome:

* **truth table**: every configuration (row), with the classical row beside ``P(observed)`` (some
  case in it), the mean number of cases, incl's mean and 90% interval (over the draws where the
  row has a case) and ``P(in solution)``: the probability that the row is a positive row (OUT = 1),
  i.e. that the conservative solution explains it;
* **necessity**: each condition, its negation and the outcome's required conditions with inclN,
  covN and RoN (mean, 90% interval) and ``P(inclN >= nec_cut)``;
* **terms**: each term of the classical solutions with inclS, PRI, covS, covU (mean, 90% interval),
  ``P(pass)`` (``inclS >= incl_cut``) and ``P(in solution)`` (the term is a prime implicant of a
  model of the same solution when the draw's truth table is minimised);
* **solutions**: the solutions the draws' truth tables give, each with its probability;
* **readings**: where the Bayesian model and the set-theoretic reading part, as data (a key and
  its numbers; the words are ``reporting/qca_text.py``'s): a necessity that no case could have
  refuted, cases the classical table had to drop, a verdict that the unknown cells can turn.

The per-draw values are a labelled ``xarray.Dataset`` (``draws``); the tables summarise it.
When every cell, stream and window is known (and the coded states are the truth), every draw is
the data and each posterior value equals the classical one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.qca.latent import DEFAULT_DRAWS, draw_latent
from bayesstreams.analysis.qca.measures import cov_nec, cov_suf, incl_nec, incl_suf, pri, ron, unique_coverage
from bayesstreams.analysis.qca.membership import RULES, required_conditions, stream_column
from bayesstreams.analysis.qca.minimise import Term, parse_expectations
from bayesstreams.analysis.qca.result import QCAResult, models_of, qca
from bayesstreams.analysis.qca.truth_table import TOLERANCE, case_rows, row_bits, row_fit
from bayesstreams.data.codebook import PHASES, STREAMS

NEC_CUT = 0.9  # consistency of necessity a condition needs to count as necessary (Schneider & Wagemann 2012)
LEVEL = 0.9
UNTESTED = 1.0  # fewer expected cases than this that could refute a necessity: the data cannot test it
# every key a reading can have (reporting words each one: ``qca_reading_<key>`` in the i18n tables)
READINGS = ("necessity_untested", "necessity_tested", "dropped_cases", "necessity_turns", "term_turns",
            "solution_unstable")


@dataclass
class PosteriorQCA:
    """The posterior QCA of one outcome of a run (see the module docstring).

    Attributes
    ----------
    classical : the classical :class:`QCAResult` of the run's dataset, for comparison.
    draws : ``xarray.Dataset`` of per-draw values: ``row_incl``, ``row_pri``, ``row_n``, ``row_out``
        (draw, row); ``inclN``, ``covN``, ``RoN`` (draw, condition); ``inclS``, ``PRI``, ``covS``,
        ``covU``, ``in_solution`` (draw, term); ``solution`` (draw, kind): the draw's solution.
    truth_table, necessity, terms, solutions : pandas summaries.
    readings : where the model and the set-theoretic reading part (key, numbers).
    """

    outcome: str
    conditions: tuple[str, ...]
    classical: QCAResult
    draws: object
    truth_table: object
    necessity: object
    terms: object
    solutions: object
    readings: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready values (NaN as ``None``): the summaries, the readings and the settings."""
        def records(frame):
            return [{k: (None if isinstance(v, float) and np.isnan(v) else (v.item() if hasattr(v, "item") else v))
                     for k, v in row.items()} for row in frame.to_dict("records")]

        return {"outcome": self.outcome, "conditions": list(self.conditions), "settings": dict(self.settings),
                "truth_table": records(self.truth_table), "necessity": records(self.necessity),
                "terms": records(self.terms), "solutions": records(self.solutions),
                "readings": [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in self.readings]}


def latent_memberships(latent, dataset, rule: str = "crisp") -> dict[str, np.ndarray]:
    """The columns of :func:`~bayesstreams.analysis.qca.membership.dataset_memberships` per draw: (draw, case).

    Windows and stream states are the drawn ones; a factor's membership is the rule's value of its drawn code.
    """
    columns: dict[str, np.ndarray] = {}
    for p, phase in enumerate(PHASES):
        columns[f"w{phase}"] = latent.w[:, :, p]
    for p, phase in enumerate(PHASES):
        for s, stream in enumerate(STREAMS):
            columns[stream_column(stream, phase)] = latent.s[:, :, p, s]
    mapping = RULES[rule]
    for j, factor in enumerate(dataset.factor_ids):
        code = latent.x[:, :, j]
        columns[factor] = np.select([code == c for c in mapping], list(mapping.values()), np.nan)
    return columns


def _column(columns, name: str) -> np.ndarray:
    values = columns[name.lstrip("~")]
    return 1.0 - values if name.startswith("~") else values


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, 5%, 95%) over the finite values; NaN when none is."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if not values.size:
        return np.nan, np.nan, np.nan
    low, high = np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(values.mean()), float(low), float(high)


def _solve_draws(k: int, out: np.ndarray, n: np.ndarray, n_cut: int, expectations) -> list[list]:
    """The models of each draw's truth table, minimised once per distinct table (a cache by pattern)."""
    cache: dict = {}
    found = []
    for d in range(out.shape[0]):
        on = tuple(np.flatnonzero(out[d] == 1))
        remainders = tuple(np.flatnonzero(n[d] < n_cut))
        key = (on, remainders)
        if key not in cache:
            try:
                cache[key] = models_of(k, list(on), list(remainders), expectations)
            except ValueError:  # a chart too large to list every cover: this draw has no solution to show
                cache[key] = []
        found.append(cache[key])
    return found


def _classical_terms(classical: QCAResult) -> list[tuple[str, str, str, Term]]:
    """(solution, model, expression, Term) of every term of the classical models, rebuilt from their expressions."""
    names = list(classical.conditions)
    out = []
    for row in classical.terms.to_dict("records"):
        mask = value = 0
        for literal in row["term"].split("*") if row["term"] != "1" else []:
            negated = literal.startswith("~")
            j = names.index(literal.lstrip("~"))
            bit = 1 << (len(names) - 1 - j)
            mask |= bit
            value |= 0 if negated else bit
        out.append((row["solution"], row["model"], row["term"], Term(mask, value)))
    return out


def posterior_qca(run, outcome: str = "w2", conditions=None, incl_cut=0.8, n_cut: int = 1, pri_cut: float = 0.0,
                  dir_exp=None, membership: str = "crisp", nec_cut: float = NEC_CUT, n_draws: int | None = DEFAULT_DRAWS,
                  seed: int = 0, latent=None) -> PosteriorQCA:
    """The QCA of ``outcome`` as posterior distributions over the run's draws (see the module docstring).

    Parameters
    ----------
    run
        A fitted streams-model :class:`~bayesstreams.inference.run.Run` (its posterior and dataset).
    outcome, conditions, incl_cut, n_cut, pri_cut, dir_exp, membership
        As in :func:`~bayesstreams.analysis.qca.result.qca`; not-discussed cells are never dropped
        or set to 0 here: the run's evidence mode draws them.
    nec_cut
        The inclN a condition needs to count as necessary (``P(inclN >= nec_cut)``).
    n_draws, seed
        Posterior draws used (evenly spaced) and the seed of the latent states.
    latent
        Latent draws already made (:func:`draw_latent`), shared by several outcomes.

    Examples
    --------
    >>> post = posterior_qca(run, "w2", n_draws=100)
    >>> nec = post.necessity.set_index("condition")
    >>> float(nec.loc["w1", "classical_inclN"]), bool(0 <= nec.loc["w1", "p_necessary"] <= 1)
    (1.0, True)
    """
    import pandas as pd
    import xarray as xr

    dataset = run.dataset
    classical = qca(dataset, outcome=outcome, conditions=conditions, incl_cut=incl_cut, n_cut=n_cut, pri_cut=pri_cut,
                    dir_exp=dir_exp, membership=membership)
    conditions = list(classical.conditions)
    upper, lower = classical.settings["incl_cut"]
    if latent is None:
        latent = draw_latent(run.posterior, dataset, n_draws=n_draws, seed=seed)
    columns = latent_memberships(latent, dataset, membership)
    y = _column(columns, outcome)  # (draw, case)
    x = np.stack([_column(columns, c) for c in conditions], axis=-1)  # (draw, case, condition)
    k = len(conditions)
    n_draw = y.shape[0]
    rows = np.arange(2 ** k)
    incl, pri_ = row_fit(x, y, row_bits(rows, k))  # (draw, row)
    of_case = case_rows(x)
    n = (of_case[:, :, None] == rows[None, None, :]).sum(1)
    passes = (incl >= upper - TOLERANCE) & (pri_ >= pri_cut - TOLERANCE)
    out = np.where(n < n_cut, -1, np.where(passes, 1, np.where((incl < lower - TOLERANCE) | passes, 0, 2)))
    expectations = None if dir_exp is None else parse_expectations(dir_exp, [c.lstrip("~") for c in conditions])
    per_draw = _solve_draws(k, out, n, n_cut, expectations)
    frame_tt = _truth_frame(classical, conditions, rows, incl, pri_, n, out)
    plain = [*conditions, *(c for c in required_conditions(outcome) if c not in conditions)]
    nec_names = [*plain, *(c[1:] if c.startswith("~") else f"~{c}" for c in plain)]  # the classical table's order
    nec = {name: _column(columns, name) for name in nec_names}
    nec_draws = {"inclN": np.stack([incl_nec(v, y) for v in nec.values()], -1),
                 "covN": np.stack([cov_nec(v, y) for v in nec.values()], -1),
                 "RoN": np.stack([ron(v, y) for v in nec.values()], -1)}
    frame_nec = _necessity_frame(classical, nec_names, nec_draws, nec_cut)
    terms = _classical_terms(classical)
    term_draws, frame_terms = _terms(classical, terms, x, y, per_draw, conditions, upper)
    frame_sol = _solutions_frame(classical, per_draw, conditions)
    draws = xr.Dataset(
        {"row_incl": (("draw", "row"), incl), "row_pri": (("draw", "row"), pri_), "row_n": (("draw", "row"), n),
         "row_out": (("draw", "row"), out),
         **{name: (("draw", "condition"), value) for name, value in nec_draws.items()},
         **{name: (("draw", "term"), value) for name, value in term_draws.items()},
         "solution": (("draw", "kind"), np.array([[" | ".join(m.expression(conditions) for m in models if m.kind == kind)
                                                   or "(none)" for kind in ("conservative", "parsimonious")]
                                                  for models in per_draw], dtype=object))},
        coords={"draw": latent.draw, "row": rows + 1, "condition": nec_names,
                "term": [f"{s} {m}: {e}" for s, m, e, _ in terms], "kind": ["conservative", "parsimonious"]},
        attrs={"outcome": outcome, "membership": membership, "incl_cut": upper, "n_cut": int(n_cut),
               "evidence_mode": latent.options["not_discussed"]})
    readings = _readings(run, classical, outcome, columns, latent, frame_nec, frame_terms, frame_sol, nec_cut, upper)
    settings = {**classical.settings, "nec_cut": nec_cut, "n_draws": int(n_draw), "seed": int(seed),
                "evidence": dict(latent.options)}
    return PosteriorQCA(outcome=outcome, conditions=tuple(conditions), classical=classical, draws=draws,
                        truth_table=frame_tt, necessity=frame_nec, terms=pd.DataFrame(frame_terms),
                        solutions=frame_sol, readings=readings, settings=settings)


def _truth_frame(classical, conditions, rows, incl, pri_, n, out):
    import pandas as pd

    known = classical.truth_table.set_index("row")
    records = []
    for r in rows:
        present = n[:, r] > 0
        mean, low, high = _interval(np.where(present, incl[:, r], np.nan))
        entry = {"row": int(r + 1), **dict(zip(conditions, (int(b) for b in row_bits(r, len(conditions)))))}
        entry.update({"classical_OUT": known["OUT"].get(r + 1, "?"), "classical_n": int(known["n"].get(r + 1, 0)),
                      "classical_incl": float(known["incl"].get(r + 1, np.nan)),
                      "p_observed": float(present.mean()), "n_mean": float(n[:, r].mean()),
                      "incl_mean": mean, "incl_q05": low, "incl_q95": high,
                      "PRI_mean": _interval(np.where(present, pri_[:, r], np.nan))[0],
                      "p_in_solution": float((out[:, r] == 1).mean()),
                      "p_contradiction": float((out[:, r] == 2).mean())})
        records.append(entry)
    frame = pd.DataFrame(records)
    # the rows that a case could fill: observed classically or in some draw
    return frame[(frame["p_observed"] > 0) | (frame["classical_n"] > 0)].reset_index(drop=True)


def _necessity_frame(classical, names, draws, nec_cut):
    import pandas as pd

    known = classical.necessity.set_index("condition")
    records = []
    for j, name in enumerate(names):
        entry = {"condition": name,
                 "classical_inclN": float(known["inclN"].get(name, np.nan)),
                 "classical_n": int(known["n"].get(name, 0)),
                 "classical_n_outcome": int(known["n_outcome"].get(name, 0))}
        for measure in ("inclN", "covN", "RoN"):
            mean, low, high = _interval(draws[measure][:, j])
            entry.update({f"{measure}_mean": mean, f"{measure}_q05": low, f"{measure}_q95": high})
        values = draws["inclN"][:, j]
        entry["p_necessary"] = float((values >= nec_cut - TOLERANCE).mean())
        entry["p_all_cases"] = float((values >= 1.0 - TOLERANCE).mean())
        records.append(entry)
    return pd.DataFrame(records)


def _terms(classical, terms, x, y, per_draw, conditions, upper):
    """Per-draw fit of every classical term (and covU within its model), and one summary row per term."""
    n_draw = y.shape[0]
    membership = np.stack([t.membership(x) for _, _, _, t in terms], axis=1) if terms else np.zeros((n_draw, 0, y.shape[1]))
    draws = {"inclS": incl_suf(membership, y[:, None, :]), "PRI": pri(membership, y[:, None, :]),
             "covS": cov_suf(membership, y[:, None, :]), "covU": np.full((n_draw, len(terms)), np.nan),
             "in_solution": np.zeros((n_draw, len(terms)))}
    for key in {(s, m) for s, m, _, _ in terms}:
        own = [i for i, (s, m, _, _) in enumerate(terms) if (s, m) == key]
        draws["covU"][:, own] = unique_coverage(membership[:, own, :], y)
    for i, (solution, _, _, term) in enumerate(terms):
        draws["in_solution"][:, i] = [any(term in m.terms for m in models if m.kind == solution) for models in per_draw]
    known = classical.terms.to_dict("records")
    records = []
    for i, (solution, model, expression, _) in enumerate(terms):
        entry = {"solution": solution, "model": model, "term": expression,
                 "classical_inclS": known[i]["inclS"], "classical_covS": known[i]["covS"]}
        for measure in ("inclS", "PRI", "covS", "covU"):
            mean, low, high = _interval(draws[measure][:, i])
            entry.update({f"{measure}_mean": mean, f"{measure}_q05": low, f"{measure}_q95": high})
        entry["p_pass"] = float((draws["inclS"][:, i] >= upper - TOLERANCE).mean())
        entry["p_in_solution"] = float(draws["in_solution"][:, i].mean())
        records.append(entry)
    return draws, records


def _solutions_frame(classical, per_draw, conditions):
    """Each solution the draws give (per kind), with its probability and whether it is the classical one."""
    import pandas as pd

    known = {kind: " | ".join(classical.solutions[classical.solutions["solution"] == kind]["expression"]) or "(none)"
             for kind in ("conservative", "parsimonious", "intermediate")}
    records = []
    kinds = ["conservative", "parsimonious"] + (["intermediate"] if (classical.solutions["solution"] == "intermediate").any()
                                                or classical.settings.get("dir_exp") is not None else [])
    for kind in kinds:
        counts: dict[str, int] = {}
        for models in per_draw:
            text = " | ".join(m.expression(conditions) for m in models if m.kind == kind) or "(none)"
            counts[text] = counts.get(text, 0) + 1
        for text, count in sorted(counts.items(), key=lambda item: -item[1]):
            records.append({"solution": kind, "expression": text, "probability": count / len(per_draw),
                            "classical": text == known[kind]})
    return pd.DataFrame(records, columns=["solution", "expression", "probability", "classical"])


def _readings(run, classical, outcome, columns, latent, frame_nec, frame_terms, frame_sol, nec_cut, upper) -> list[dict]:
    """Where the model and the set-theoretic reading part, as keys with their numbers."""
    readings = []
    if classical.dropped:
        readings.append({"key": "dropped_cases", "outcome": outcome, "n": len(classical.dropped),
                         "cases": ", ".join(classical.dropped)})
    for row in frame_nec.to_dict("records"):
        classical_yes = row["classical_inclN"] >= nec_cut - TOLERANCE
        if np.isfinite(row["classical_inclN"]) and classical_yes != (row["p_necessary"] >= 0.5):
            readings.append({"key": "necessity_turns", "condition": row["condition"], "outcome": outcome,
                             "classical": row["classical_inclN"], "p": row["p_necessary"], "cut": nec_cut})
    for row in frame_terms:
        classical_yes = row["classical_inclS"] >= upper - TOLERANCE
        if classical_yes != (row["p_pass"] >= 0.5):
            readings.append({"key": "term_turns", "term": row["term"], "outcome": outcome,
                             "classical": row["classical_inclS"], "p": row["p_pass"], "cut": upper})
    for row in frame_sol[frame_sol["classical"]].to_dict("records"):
        if row["probability"] < 0.5 and row["expression"] != "(none)":
            readings.append({"key": "solution_unstable", "solution": row["solution"], "expression": row["expression"],
                             "outcome": outcome, "p": row["probability"]})
    first, last = f"w{PHASES[0]}", f"w{PHASES[-1]}"
    if outcome == last and first in columns:
        readings.append(_dependency_reading(run, frame_nec, columns, latent, first, last))
    return readings


def _dependency_reading(run, frame_nec, columns, latent, first, last) -> dict:
    """Phase 1 necessary for phase 2: the set-theoretic consistency beside what could have refuted it and rho.

    A case refutes "no phase 2 without phase 1" only by opening phase 2 without phase 1; under the
    model that needs its phase-2 streams all in motion (or a leak).  ``could_refute`` is, per draw,
    the number of cases without the phase-1 window whose phase-2 streams were all in motion: the
    rows of the truth table that could tell.  The model's answer is ``rho`` (MODEL.md §2).
    """
    row = frame_nec.set_index("condition").loc[first]
    closed = columns[first] == 0
    coupled = latent.s[:, :, -1, :].all(-1)
    could = (closed & coupled).sum(-1)
    rho = np.asarray(run.posterior["rho"], float)
    prior = np.asarray(run.prior["rho"], float) if run.prior and "rho" in run.prior else None
    mean, low, high = _interval(rho)
    reading = {"key": "necessity_untested" if could.mean() < UNTESTED else "necessity_tested",
               "condition": first, "outcome": last, "classical": row["classical_inclN"],
               "n_outcome": row["classical_n_outcome"], "p_all_cases": row["p_all_cases"],
               "could_refute_mean": float(could.mean()), "p_none_could_refute": float((could == 0).mean()),
               "n_closed": float(closed.sum(-1).mean()),
               "rho_mean": mean, "rho_q05": low, "rho_q95": high}
    if prior is not None:
        p_mean, p_low, p_high = _interval(prior)
        reading.update(rho_prior_mean=p_mean, rho_prior_q05=p_low, rho_prior_q95=p_high)
    return reading

