"""Prior dependence measured (MODEL.md §8): is a number the data's or the prior's?

Every headline number (and every parameter scalar) is computed three ways:

* under the run's own prior (the *default* posterior);
* under a wider prior: a *check run*, the same data refitted with the shipped
  ``models/<kind>-wide.toml`` (``mu ~ N(0.5, 3)``, ``tau ~ HN(2)``, and in the streams model
  leak and miss ``~ Beta(1, 3)`` and ``rho ~ Beta(0.5, 0.5)``; see ``study.wide``);
* under the run's prior raised to the powers :data:`ALPHAS` (0.5 and 2), by importance
  weighting the default posterior draws with ``(alpha - 1) * log prior`` (Pareto-smoothed
  weights from ``arviz_stats``, as in its ``psense``; only the top-level priors of
  :func:`bayesstreams.model.priors.scaled_priors` are scaled).  A power is read only where
  its Pareto ``k`` is below 0.7 (:data:`~bayesstreams.inference.power.KHAT_LIMIT`); where it
  is not, the wide-prior refit decides alone.

A number is **prior-driven** when any of these holds (``reason`` names which):

1. ``contraction``: it is a parameter and its posterior standard deviation is more than
   :data:`SD_LIMIT` (0.8) times its prior standard deviation: the data removed less than a
   fifth of the prior's spread, so the interval is mostly the prior's;
2. ``wide`` / ``power``: a check moves its posterior mean by more than a quarter of its
   default 90% interval (``shift_ratio = shift / (half width) > SHIFT_LIMIT = 0.5``);
3. ``rho``: it is a function of a prior-driven ``rho`` (:data:`INHERITS`): the dependency
   necessity is ``1 - rho`` and the dependency effect ``E[P(W2 | W1 = 1)] (1 - rho)``.

Why each rule is needed: a posterior that equals its prior is moved by no check whose prior
has the same centre (rho's flat prior is symmetric around 0.5, as is any wider Beta(a, a), and
power-scaling a flat density changes nothing), so the shift rules alone certify pure prior as
data; the contraction rule sees it.  Contraction is not applied to the queries: their prior
spread is that of prior predictive chances, which the data can widen as well as narrow.
Why a quarter of the 90% interval: a shift that size moves the mean halfway to the interval's
edge, so a reader who took the default interval at its word would place the number visibly
wrong.  The flag is computed here once and read by the report, the brief, ``bayesstreams
score`` and ``summary.json``.  A number that is not flagged is not thereby certified as the
data's: the rule sees what these checks can see, and the outputs say only how many are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.contraction import _query_draws, scalar_labels
from bayesstreams.analysis.quantiles import column_quantiles
from bayesstreams.analysis.ranks import COMMON, headline_contrasts
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.support import support_arrays
from bayesstreams.errors import RunError
from bayesstreams.analysis.queries import (CONTRASTS, ace_draws, baseline, model_kind, run_baseline, run_prior_baseline,
                                           windows)

from bayesstreams.inference.power import (ALPHAS, KHAT_LIMIT, MIN_POWER_DRAWS, power_scaled_weights,  # noqa: F401
                                          power_weights, scaled_log_prior, usable_power_weights)
from bayesstreams.model.kinds import kind_of_draws
SHIFT_LIMIT = 0.5  # shift / (half the 90% interval width) above which a number is prior-driven: a quarter interval
SD_LIMIT = 0.8  # posterior sd / prior sd above which a parameter barely contracted from its prior
INHERITS = {"dependency_effect": "rho", "dependency_necessity": "rho"}  # queries proportional to (1 - rho)
QUERY_NAMES = ("ace_w1", "ace_w2", "ace_step_w1", "ace_step_w2", "ace_common_w1", "ace_common_w2", "dependency_effect", "dependency_necessity",
               "stream_necessity", "p_w1", "p_w2")
HEADLINE = (*QUERY_NAMES, "mu", "rho", "delta")  # what "headline numbers" counts: queries, stream means, dependency
SKIPPED = ("z", "gamma_raw", "gamma")  # the non-centring and group offsets: not read as findings


def stream_labels() -> list[str]:
    """``"1, problem"``, ... : the label of each (phase, stream) scalar in C order."""
    return [f"{p}, {s}" for p in PHASES for s in STREAMS]


def stream_necessity_draws(draws: dict, dataset, base=None) -> np.ndarray:
    """Per draw, (sample, phase * stream): how much each window's chance needs each stream.

    ``1 - P(W_p | stream s not in motion) / P(W_p | stream s in motion)`` averaged over
    the cases; with the streams model's coupling (MODEL.md §2) the ratio is
    ``lambda / (lambda + (1 - lambda)(1 - kappa) prod_{other streams} q)``.  1: no window
    without the stream; 0: the stream does not matter.
    """
    base = base if base is not None else baseline(draws, dataset)
    lam, kap = base.draws["lambda"], base.draws["kappa"]
    out = np.empty((base.q.shape[0], len(PHASES), len(STREAMS)))
    for p in range(len(PHASES)):
        for s in range(len(STREAMS)):
            lp, kp = lam[:, p, None], kap[:, p, None]
            on = lp + (1.0 - lp) * (1.0 - kp) * base.q_others(p, s)
            out[:, p, s] = (1.0 - lp / on).mean(axis=1)
    return out.reshape(len(out), -1)


def dependency_necessity_draws(draws: dict, dataset, base=None) -> np.ndarray:
    """Per draw: ``mean_i [1 - P(W2 | do(W1=0)) / P(W2 | do(W1=1))]``; ``1 - rho`` in the streams model.

    1 means phase 2 needs phase 1 (the thesis's first conclusion), 0 that it ignores it.
    """
    w = windows(base if base is not None else baseline(draws, dataset))
    return (1.0 - w.p2_closed / w.p2_open).mean(axis=1)


CASE_CHANCES = ("p_w1", "p_w2")


def headline_draws(draws: dict, dataset, names=None, base=None) -> dict[str, tuple[list[str], np.ndarray]]:
    """Every quantity the flag is computed for: name -> (scalar labels, (sample, n) draws).

    Parameters (all but :data:`SKIPPED`) and the headline queries of :data:`QUERY_NAMES`:
    ACE (+1 vs -1) per factor on W1 (phase-1 factors) and W2, the ACE of each factor's
    observed step (:func:`step_ace_draws`), the dependency effect and necessity, each
    stream's necessity (streams model), per-case P(W1) and P(W2).  ``names`` limited to
    :data:`CASE_CHANCES` computes the per-case chances only (what ``score`` flags), without
    the effects of every factor.  ``base`` is a :class:`~bayesstreams.analysis.queries.Baseline`
    of ``draws`` on ``dataset`` to share (``run.baseline``); every query here reads one baseline.
    """
    base = base if base is not None else baseline(draws, dataset)
    if names is not None and set(names) <= set(CASE_CHANCES):
        w = windows(base)
        chances = {"p_w1": w.p1, "p_w2": w.p2}
        return {name: (list(dataset.case_ids), chances[name]) for name in names}
    kind = model_kind(draws)
    out = {}
    for name, values in draws.items():
        if name in SKIPPED:
            continue
        values = np.asarray(values, dtype=float)
        out[name] = (scalar_labels(name, values.shape[1:], dataset, kind), values.reshape(len(values), -1))
    factors = np.asarray(dataset.factor_ids)
    labels = {"ace_w1": list(factors[np.asarray(dataset.factor_phase) == 0]), "ace_w2": list(factors),
              "dependency_effect": [""], "p_w1": list(dataset.case_ids), "p_w2": list(dataset.case_ids)}
    for name, values in _query_draws(draws, dataset, base).items():
        out[name] = (labels[name], np.asarray(values, dtype=float).reshape(len(values), -1))
    out.update(step_ace_draws(draws, dataset, base))
    out["dependency_necessity"] = ([""], dependency_necessity_draws(draws, dataset, base)[:, None])
    if kind_of_draws(draws).has_streams:
        out["stream_necessity"] = (stream_labels(), stream_necessity_draws(draws, dataset, base))
    return out


def run_headline_draws(run, names=None, group: str = "posterior") -> dict[str, tuple[list[str], np.ndarray]]:
    """:func:`headline_draws` of ``run``'s posterior (or, ``group="prior"``, its prior draws; ``{}`` without
    any) on its own dataset, computed once per run and kept in ``run.memo``.

    The report, the brief, the claims, the mode comparison and the robustness check all read a run's
    headline draws (a companion's too: a study's companions are runs in memory, so what a companion
    contributes is computed once, with it).  The arrays are shared: read them, never write into them.
    """
    key = ("headline_draws", group, None if names is None else tuple(names))
    found = run.memo.get(key)
    if found is None:
        if group == "prior":
            found = headline_draws(run.prior, run.dataset, names, run_prior_baseline(run)) if run.prior else {}
        else:
            found = headline_draws(run.posterior, run.dataset, names, run_baseline(run))
        run.memo[key] = found
    return found


def step_ace_draws(draws: dict, dataset, base=None) -> dict[str, tuple[list[str], np.ndarray]]:
    """Each factor's ACE for its headline step and, where that is another step, for the common step ``0 -> +1``.

    ``ace_step_w1``, ``ace_step_w2`` (MODEL.md §8, "contrasts stay in the data"): the step is
    :func:`bayesstreams.analysis.ranks.headline_contrasts`'s, the widest of ``-1 -> +1``,
    ``0 -> +1``, ``-1 -> 0`` inside the codes coded for the factor (not discussed is never an
    observed code); factors without one are left out.  These are the effects claims are judged on.
    ``ace_common_w1``, ``ace_common_w2``: the ACE of ``0 -> +1``, the step every factor is ranked on
    (:data:`bayesstreams.analysis.ranks.COMMON`), for the factors with data support whose headline
    step is another one (for the rest it is their ``ace_step``), so that a ranked headline carries
    a measured flag and no number is counted twice.
    """
    steps = headline_contrasts(dataset)
    no_data = support_arrays(dataset).no_data
    labels = [label for label, _, _ in CONTRASTS]
    ace = ace_draws(draws, dataset, base)
    phase = np.asarray(dataset.factor_phase)

    def pick(keep, contrast_of):
        values = (np.stack([ace[:, k, w, labels.index(contrast_of(k))] for k in keep], axis=1) if keep
                  else np.empty((len(ace), 0)))
        return [dataset.factor_ids[k] for k in keep], values

    out = {}
    for w in range(2):
        reach = [k for k in range(len(steps)) if w == 1 or phase[k] == 0]
        out[f"ace_step_w{w + 1}"] = pick([k for k in reach if steps[k] is not None], lambda k: steps[k])
        out[f"ace_common_w{w + 1}"] = pick([k for k in reach if not no_data[k] and steps[k] != COMMON],
                                           lambda k: COMMON)
    return out


def _summary(values: np.ndarray) -> dict[str, np.ndarray]:
    q05, q95 = column_quantiles(values, [0.05, 0.95])
    return {"mean": values.mean(axis=0), "q05": q05, "q95": q95}


@dataclass
class PriorDependence:
    """The measured prior dependence of every scalar; :meth:`flag` is the one prior-driven flag.

    ``rows`` are dicts with ``name, index, mean, q05, q95, half_width``, per check
    ``<check>_mean`` (and ``_q05``, ``_q95`` for a refit), ``shift_wide``, ``shift_power``,
    ``shift_ratio``, ``sd_ratio`` (posterior over prior sd; parameters with prior draws, else
    None), ``reason`` (the rules that flag it, e.g. ``"contraction"``, ``"wide"``, ``"power"``,
    ``"rho"``; empty when none does) and ``prior_driven``; ``checks`` names the checks that
    entered the flag (``"contraction"`` when prior draws were given, ``"wide"`` when a check run
    was given, ``"power"`` when at least one power had Pareto ``k`` below 0.7); ``compared``
    names every model shown side by side; ``power_khat`` the Pareto ``k`` of each power
    (``{alpha: k}``; a power at ``k >= 0.7`` is shown nowhere and decides nothing).
    """

    rows: list[dict]
    checks: list[str]
    compared: list[str] = field(default_factory=list)
    power_khat: dict = field(default_factory=dict)

    def __post_init__(self):
        self._by_key = {(r["name"], r["index"]): r for r in self.rows}

    def row(self, name: str, index: str = "") -> dict | None:
        """The row of one scalar, or None when it was not measured."""
        return self._by_key.get((name, str(index)))

    def flag(self, name: str, index: str = "") -> bool:
        """True when the scalar is prior-driven; False when no rule flags it or it was not measured."""
        row = self.row(name, index)
        return bool(row and row["prior_driven"])

    def frame(self):
        """The rows as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows)

    def count(self, names=HEADLINE) -> tuple[int, int]:
        """How many scalars of ``names`` are prior-driven, and how many there are."""
        rows = [r for r in self.rows if r["name"] in names]
        return sum(r["prior_driven"] for r in rows), len(rows)


def _ratio(worst: np.ndarray, half: np.ndarray) -> np.ndarray:
    """``worst / half``; a constant (half width 0) counts as moved only when the check moves it beyond rounding."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(half > 0, worst / np.where(half > 0, half, 1.0), np.where(worst > 1e-12, np.inf, 0.0))


def _sd_ratio(values: np.ndarray, prior_values: np.ndarray | None) -> np.ndarray:
    """Posterior sd over prior sd per column; NaN where there is no prior draw or the prior is a constant."""
    if prior_values is None or prior_values.shape[1] != values.shape[1]:
        return np.full(values.shape[1], np.nan)
    prior_sd = prior_values.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prior_sd > 0, values.std(axis=0) / np.where(prior_sd > 0, prior_sd, 1.0), np.nan)


def _reasons(sd_ratio: float, shifts: dict, half: float) -> list[str]:
    out = ["contraction"] if sd_ratio == sd_ratio and sd_ratio > SD_LIMIT else []
    return out + [check for check, shift in shifts.items() if _ratio(np.array([shift]), np.array([half]))[0] > SHIFT_LIMIT]


def measure(default: dict, dataset, wide: dict | None = None, weights: dict | None = None,
            others: dict | None = None, names=None, base=None, prior: dict | None = None,
            power_khat: dict | None = None, headlines: dict | None = None) -> PriorDependence:
    """The prior dependence of every scalar from draws (the kernel of :func:`prior_dependence`).

    Parameters
    ----------
    default
        Posterior draws of the run (name -> (sample, ...) array).
    dataset
        The cases the queries are computed for (the run's dataset or a profile).
    wide
        Posterior draws of the wide-prior refit of the same data, or None.
    weights
        ``{alpha: (sample,) normalised weights}`` of the default draws (power-scaling), or None;
        only powers whose Pareto ``k`` is below 0.7 (:func:`~bayesstreams.inference.power.usable_power_weights`).
    others
        Further posteriors shown side by side only (e.g. ``{"streams-agnostic": draws}``);
        they do not enter the flag.
    names
        Only these quantities (:func:`headline_draws`); None for all.
    base
        A :class:`~bayesstreams.analysis.queries.Baseline` of ``default`` on ``dataset`` to share.
    prior
        The run's prior draws, for the contraction rule on the parameters (None: that rule is not applied).
    power_khat
        ``{alpha: k}`` of every power computed (reported, including those left out of ``weights``).
    headlines
        Headline draws already computed (:func:`run_headline_draws`), keyed ``""`` for ``default`` and
        ``"wide"`` or the name in ``others`` for a refit; what is missing here is computed.
    """
    headlines = headlines or {}
    own_draws = headlines.get("") or headline_draws(default, dataset, names, base)
    refits = {"wide": wide, **(others or {})}
    refit_draws = {key: headlines.get(key) or headline_draws(d, dataset, names)
                   for key, d in refits.items() if d is not None}
    rows = []
    for name, (labels, values) in own_draws.items():
        own = _summary(values)
        half = (own["q95"] - own["q05"]) / 2.0
        shifts = {"wide": np.zeros(values.shape[1]), "power": np.zeros(values.shape[1])}
        extra: dict[str, np.ndarray] = {}
        for key, found in refit_draws.items():
            if name in found and found[name][1].shape[1] == values.shape[1]:
                for stat, v in _summary(found[name][1]).items():
                    extra[f"{key}_{stat}"] = v
        if "wide_mean" in extra:
            shifts["wide"] = np.abs(extra["wide_mean"] - own["mean"])
        for alpha, w in (weights or {}).items():
            moved = w @ values
            extra[f"power_{alpha:g}_mean"] = moved
            shifts["power"] = np.maximum(shifts["power"], np.abs(moved - own["mean"]))
        ratio = _ratio(np.maximum(shifts["wide"], shifts["power"]), half)
        in_prior = name in (prior or {}) and name in default
        sd = _sd_ratio(values, np.asarray(prior[name], dtype=float).reshape(len(prior[name]), -1) if in_prior else None)
        for j, label in enumerate(labels):
            reasons = _reasons(sd[j], {k: v[j] for k, v in shifts.items()}, half[j])
            rows.append({"name": name, "index": label, "mean": float(own["mean"][j]), "q05": float(own["q05"][j]),
                         "q95": float(own["q95"][j]), "half_width": float(half[j]),
                         **{k: float(v[j]) for k, v in extra.items()},
                         "shift_wide": float(shifts["wide"][j]), "shift_power": float(shifts["power"][j]),
                         "shift_ratio": float(ratio[j]), "sd_ratio": None if sd[j] != sd[j] else float(sd[j]),
                         "reason": ", ".join(reasons), "prior_driven": bool(reasons)})
    _inherit(rows)
    checks = (["contraction"] if prior else []) + (["wide"] if wide is not None else []) + (["power"] if weights else [])
    return PriorDependence(rows, checks, [k for k in refit_draws], dict(power_khat or {}))


def _inherit(rows: list[dict]) -> None:
    """Flag the queries of :data:`INHERITS` whose parameter barely contracted (rule 3 of the module docstring)."""
    contracted = {r["name"] for r in rows if r["index"] == "" and "contraction" in r["reason"]}
    for row in rows:
        parameter = INHERITS.get(row["name"])
        if parameter in contracted:
            row["reason"] = ", ".join(filter(None, (row["reason"], parameter)))
            row["prior_driven"] = True


def flag_draws(values: np.ndarray, weights: dict | None = None, wide: np.ndarray | None = None) -> np.ndarray:
    """The prior-driven flag (n,) of per-draw quantities that are not headline numbers (a case comparison's gains).

    ``values`` (sample, n) are computed from the run's draws, ``weights`` are its usable power-scaling weights
    (:func:`bayesstreams.inference.power.usable_power_weights`), ``wide`` (sample', n) the same quantities from the
    wide-prior refit's draws.  The rule is :func:`measure`'s shift rule: either check moves the mean by more than a
    quarter of the 90% interval (these quantities have no prior of their own, so the contraction rule does not apply).
    """
    values = np.asarray(values, dtype=float)
    own = _summary(values)
    half = (own["q95"] - own["q05"]) / 2.0
    worst = np.zeros(values.shape[1])
    if wide is not None:
        worst = np.abs(np.asarray(wide, dtype=float).mean(axis=0) - own["mean"])
    for w in (weights or {}).values():
        worst = np.maximum(worst, np.abs(w @ values - own["mean"]))
    return _ratio(worst, half) > SHIFT_LIMIT  # a constant moved only by rounding is not


def prior_dependence(run, check_run=None, agnostic_run=None, dataset=None, alphas=ALPHAS,
                     names=None, base=None) -> PriorDependence:
    """Measure how much the prior drives every headline number of a run (MODEL.md §8).

    Parameters
    ----------
    run
        A loaded run (``posterior``, ``prior``, ``dataset``, ``config``, ``info``).
    check_run
        The wide-prior refit of the same data (``study.wide``),
        or None for contraction and power-scaling alone.
    agnostic_run
        Optionally the agnostic refit (``models/streams-agnostic.toml``): shown side by
        side, not part of the flag.
    dataset
        The cases to compute per-case numbers for (default: the run's; a profile for ``score``).
    alphas
        Powers of the prior for power-scaling (each read only where its Pareto ``k < 0.7``).
    names
        Only these quantities (:func:`headline_draws`); None for all.
    base
        The :class:`~bayesstreams.analysis.queries.Baseline` of ``run.posterior`` on ``dataset`` when the
        caller has it (``score`` does): shared, not computed again.  Default: the run's own on its
        dataset, else computed here.

    Returns
    -------
    PriorDependence
        One row per scalar with the default summary, the checks' means and the flag.

    Examples
    --------
    >>> measured = prior_dependence(run)          # no wide refit given: contraction and power-scaling
    >>> measured.checks[0], measured.count()[1]   # 108 headline numbers of the shipped study
    ('contraction', 108)
    >>> row = measured.row("ace_w1", "p1_insight")
    >>> row["prior_driven"] == bool(row["reason"])
    True
    """
    for other in (check_run, agnostic_run):
        if other is not None and not run.same_data(other):
            raise RunError(f"{other.label}: was fitted to other data than {run.label}; "
                           "a prior check must refit the same data")
    dataset = run.dataset if dataset is None else dataset
    weights = usable_power_weights(run, alphas) or None
    others = {agnostic_run.config.name: agnostic_run.posterior} if agnostic_run is not None else None
    # on the run's own data its headline draws come from run_headline_draws (memoised, or stored with a
    # companion), which reads its baseline itself: none is computed here unless a caller shares one
    shared = base
    headlines = None
    if dataset is run.dataset:  # each run's (and companion's) headline draws are computed once and kept with it
        headlines = {"": run_headline_draws(run, names)}
        if check_run is not None:
            headlines["wide"] = run_headline_draws(check_run, names)
        if agnostic_run is not None:
            headlines[agnostic_run.config.name] = run_headline_draws(agnostic_run, names)
    return measure(run.posterior, dataset, check_run.posterior if check_run is not None else None, weights, others,
                   names, shared, prior=run.prior or None,
                   power_khat={alpha: run.power_khat[alpha] for alpha in alphas if alpha in run.power_khat},
                   headlines=headlines)


def prior_dependence_sentence(measured: PriorDependence) -> str:
    """A plain sentence: how many headline numbers are prior-driven, under which rules (never a word on the rest)."""
    n, total = measured.count()
    words = {"contraction": "their posterior is barely narrower than their prior",
             "wide": "a wider prior refit moves them", "power": "power-scaling the prior moves them"}
    checks = " or ".join(words[c] for c in measured.checks)
    return (f"{n} of {total} headline numbers are prior-driven by the rule of MODEL.md §8 "
            f"({checks or 'no check'}; a move counts when it exceeds a quarter of the 90% interval).")
