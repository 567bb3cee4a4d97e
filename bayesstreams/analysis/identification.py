"""What would identify the phase dependency ``rho``, and how much one such case would help (issue 23, item 4).

``rho`` enters the streams model (MODEL.md §2) only through a case whose phase-1 window stayed
closed: ``P(W2 = 1 | W1 = 0) = pi2 * rho``.  Where every such case also has its phase-2 streams
still, ``pi2`` is small and the window says almost nothing about ``rho``; the shipped study has no
municipality without a phase-1 window whose phase-2 streams moved, so its ``rho`` stays where the
prior put it.  The case that identifies ``rho`` is therefore **a case without a phase-1 window
whose three phase-2 streams are in motion**: there ``pi2 = lambda2 + (1 - lambda2)(1 - kappa2)``
is near 1 and its phase-2 window is close to a direct draw of ``rho``.

How much would ``n`` such cases help?  They are added to the data as a record (``W1 = 0``, the
phase-2 streams coded in motion, every factor not discussed unless ``codes`` says otherwise,
phase-1 streams not coded) whose phase-2 window is not yet known.  Its outcome, the number ``j``
of the ``n`` whose phase-2 window opens, is drawn from the posterior predictive

``P(j) = C(n, j) E[L1^j L0^(n - j)] / E[(L1 + L0)^n]``

(``L1``, ``L0``: one new case's likelihood per draw with its window open / closed, from the
model's own pointwise log-likelihood), and each outcome's posterior is the saved posterior
reweighted by ``L1^j L0^(n - j)`` (Pareto-smoothed importance sampling, PSIS).  The expected
posterior sd of ``rho`` is ``sum_j P(j) sd(rho | j)``; likewise its 90% interval width and the
chance that the verdict on "phase 2 needs phase 1" changes.  Each outcome's Pareto ``k`` is kept:
where it exceeds 0.7 the reweighting is not trusted (``reliable`` is False and the outputs say so).
The Monte Carlo error of the expected sd is by batch means over :data:`N_BATCHES` contiguous
batches of draws (chains' autocorrelation and the weights' spread included).

The verdict after the new cases is judged as :mod:`bayesstreams.analysis.claims` judges it on
``1 - rho``, with the contraction part of the prior-driven rule (:mod:`~bayesstreams.analysis.prior_dependence`):
*cannot tell* while ``sd(rho) > 0.8 * prior sd`` or the 90% interval holds 0.5.  The wider-prior
and power-scaling parts of the rule cannot be re-measured on reweighted draws and are not.

Examples
--------
>>> found = rho_identification(run)            # the shipped study, one such case
>>> found.n_new, len(found.outcomes), found.expected_sd < found.sd_now
(1, 2, True)
>>> round(sum(o.probability for o in found.outcomes), 9)
1.0
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from math import comb

import numpy as np

from bayesstreams.analysis.advice import weighted_summary
from bayesstreams.analysis.claims import CANNOT_TELL, CONTRADICTED, REFERENCE, SUPPORTED
from bayesstreams.analysis.fragility import psis_weights, unreliable
from bayesstreams.analysis.prior_dependence import SD_LIMIT
from bayesstreams.errors import RunError
from bayesstreams.model.kinds import kind_of_draws, pointwise_loglik

N_BATCHES = 20  # batch means for the Monte Carlo error
MAX_NEW = 12  # the most new cases `cases_needed` tries
NEW_CASE_ID = "new_identifying_case"


@dataclass
class Outcome:
    """One outcome of the new cases: ``n_open`` of them had their phase-2 window open."""

    n_open: int
    probability: float  # posterior predictive probability of this outcome
    rho: dict  # weighted summary of rho after it: mean, q05, q25, q75, q95
    sd: float  # posterior sd of rho after it
    khat: float | None  # Pareto k of the reweighting; None: no tail fitted (the weights are not trusted)
    verdict: str  # the verdict on "phase 2 needs phase 1" after it (interval and contraction rules)


@dataclass
class RhoIdentification:
    """How much ``n_new`` cases without a phase-1 window but with moving phase-2 streams would tell about ``rho``."""

    n_new: int
    rho_now: dict  # summary of rho now (mean, q05, q25, q75, q95)
    sd_now: float
    prior_sd: float | None  # None when the run has no prior draws
    verdict_now: str  # by the same rules as the outcomes
    expected_sd: float
    expected_sd_mcse: float
    expected_width: float  # expected 90% interval width of rho after the new cases
    width_now: float
    p_verdict_changes: float
    p_open: float  # predictive chance that one such case's phase-2 window opens
    outcomes: list[Outcome] = field(default_factory=list)
    method: str = "psis"
    codes: dict = field(default_factory=dict)  # factor -> code of the new cases (absent: not discussed)
    in_data: list = field(default_factory=list)  # the cases of the data that are already of this kind

    @property
    def max_khat(self) -> float | None:
        """The largest Pareto k over the outcomes; None when some outcome had no tail fitted."""
        ks = [o.khat for o in self.outcomes]
        return None if any(k is None for k in ks) else max(ks)

    @property
    def reliable(self) -> bool:
        """Every outcome's reweighting has a fitted tail with Pareto k at most 0.7."""
        return not any(unreliable(o.khat) for o in self.outcomes)

    @property
    def sd_limit(self) -> float | None:
        """The sd below which rho would pass the contraction rule (0.8 prior sd)."""
        return None if self.prior_sd is None else SD_LIMIT * self.prior_sd

    def to_dict(self) -> dict:
        """JSON-ready data (``summary.json``, ``bayesstreams dependency --json``)."""
        out = dataclasses.asdict(self)
        out.update(max_khat=self.max_khat, reliable=self.reliable, sd_limit=self.sd_limit)
        return out


def identifying_case(dataset, codes: dict | None = None):
    """A one-case dataset: no phase-1 window, the three phase-2 streams in motion, the phase-2 window unknown.

    ``codes`` (factor id -> -1, 0 or 1) codes the case; every other factor is not discussed.
    """
    unknown = set(codes or {}) - set(dataset.factor_ids)
    if unknown:
        raise RunError(f"codes of the identifying case: unknown factor(s) {', '.join(sorted(unknown))}")
    x = np.full((1, len(dataset.factor_ids)), np.nan)
    for factor, code in (codes or {}).items():
        if code not in (-1, 0, 1):
            raise RunError(f"codes of the identifying case: {factor} = {code!r}; a code is -1, 0 or 1")
        x[0, dataset.factor_ids.index(factor)] = float(code)
    s = np.full((1,) + dataset.s.shape[1:], np.nan)
    s[0, 1, :] = 1.0
    return dataclasses.replace(dataset, cases=[{"case_id": NEW_CASE_ID, "name": NEW_CASE_ID}], codes=[], x=x,
                               w=np.array([[0.0, np.nan]]), s=s, group=np.array([-1]), warnings=[], stream_basis={})


def new_case_loglik(run, codes: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per draw, the log-likelihood of one identifying case with its phase-2 window open and closed."""
    case = identifying_case(run.dataset, codes)
    out = []
    for w2 in (1.0, 0.0):
        case.w[0, 1] = w2
        out.append(pointwise_loglik(case, run.config.kind, run.posterior)[:, 0])
    return out[0], out[1]


def _sd(values: np.ndarray, weights: np.ndarray) -> float:
    mean = float(weights @ values)
    return float(np.sqrt(max(weights @ (values - mean) ** 2, 0.0)))


def _verdict(summary: dict, sd: float, prior_sd: float | None) -> str:
    """The dependency verdict on ``1 - rho`` (claims' rule) with the contraction part of the prior-driven rule."""
    if prior_sd is not None and sd > SD_LIMIT * prior_sd:
        return CANNOT_TELL
    low, high = 1.0 - summary["q95"], 1.0 - summary["q05"]
    reference = REFERENCE["phase_dependency"]
    if low <= reference <= high:
        return CANNOT_TELL
    return SUPPORTED if low > reference else CONTRADICTED


def _log_mean_exp(values: np.ndarray) -> float:
    top = values.max()
    return float(top + np.log(np.mean(np.exp(values - top))))


def _expected_sd_batches(rho: np.ndarray, log_ratios: list[np.ndarray], probabilities: np.ndarray) -> float:
    """Batch-means Monte Carlo error of ``sum_j P(j) sd(rho | j)``."""
    estimates = []
    for part in np.array_split(np.arange(len(rho)), N_BATCHES):
        total = 0.0
        for p, log_ratio in zip(probabilities, log_ratios):
            w = np.exp(log_ratio[part] - log_ratio[part].max())
            total += p * _sd(rho[part], w / w.sum())
        estimates.append(total)
    return float(np.std(estimates, ddof=1) / np.sqrt(len(estimates)))


def rho_identification(run, n_new: int = 1, codes: dict | None = None, loglik=None) -> RhoIdentification:
    """The expected posterior of ``rho`` after ``n_new`` cases without a phase-1 window but with moving phase-2 streams.

    Parameters
    ----------
    run
        A streams-model run (``posterior``, ``prior``, ``dataset``, ``config``); a study's main run.
    n_new
        How many such cases are added (their phase-2 windows drawn from the posterior predictive).
    codes
        The new cases' factor codes (factor id -> -1, 0, 1); others not discussed.
    loglik
        ``new_case_loglik(run, codes)`` when already computed (``cases_needed`` shares it).

    Returns
    -------
    RhoIdentification
        ``rho`` now and per outcome, the expected sd and 90% width after, ``P(verdict changes)``,
        each outcome's Pareto k and the Monte Carlo error of the expected sd.

    Examples
    --------
    >>> found = rho_identification(run, n_new=3)
    >>> [o.n_open for o in found.outcomes], found.method
    ([0, 1, 2, 3], 'psis')
    """
    if n_new < 1:
        raise RunError(f"n_new = {n_new}: at least one new case")
    if "rho" not in run.posterior or not kind_of_draws(run.posterior).has_streams:
        raise RunError("only the streams model has a phase dependency rho to identify "
                       f"(this run is a {run.config.kind} model)")
    rho = np.asarray(run.posterior["rho"], dtype=float).reshape(-1)
    ll1, ll0 = loglik if loglik is not None else new_case_loglik(run, codes)
    log_ratios = [j * ll1 + (n_new - j) * ll0 for j in range(n_new + 1)]
    log_total = _log_mean_exp(n_new * np.logaddexp(ll1, ll0))
    probabilities = np.array([comb(n_new, j) * np.exp(_log_mean_exp(r) - log_total) for j, r in enumerate(log_ratios)])
    probabilities /= probabilities.sum()  # exact up to rounding: the outcomes exhaust the new cases' windows
    prior = (run.prior or {}).get("rho")
    prior_sd = float(np.std(np.asarray(prior, dtype=float))) if prior is not None else None
    even = np.full(len(rho), 1.0 / len(rho))
    now, sd_now = weighted_summary(rho, even), _sd(rho, even)
    outcomes = []
    for j, (p, log_ratio) in enumerate(zip(probabilities, log_ratios)):
        weights, khat = psis_weights(log_ratio)
        summary, sd = weighted_summary(rho, weights), _sd(rho, weights)
        outcomes.append(Outcome(j, float(p), summary, sd, khat, _verdict(summary, sd, prior_sd)))
    verdict_now = _verdict(now, sd_now, prior_sd)
    p_one = float(np.exp(_log_mean_exp(ll1) - _log_mean_exp(np.logaddexp(ll1, ll0))))
    return RhoIdentification(
        n_new=n_new, rho_now=now, sd_now=sd_now, prior_sd=prior_sd, verdict_now=verdict_now,
        expected_sd=float(sum(o.probability * o.sd for o in outcomes)),
        expected_sd_mcse=_expected_sd_batches(rho, log_ratios, probabilities),
        expected_width=float(sum(o.probability * (o.rho["q95"] - o.rho["q05"]) for o in outcomes)),
        width_now=now["q95"] - now["q05"],
        p_verdict_changes=float(sum(o.probability for o in outcomes if o.verdict != verdict_now)),
        p_open=p_one, outcomes=outcomes, codes=dict(codes or {}), in_data=identifying_cases(run.dataset))


def identifying_cases(dataset) -> list[str]:
    """The cases of the data that identify rho: no phase-1 window, all three phase-2 streams coded in motion."""
    s2 = np.asarray(dataset.s, dtype=float)[:, 1, :]
    hit = (np.asarray(dataset.w, dtype=float)[:, 0] == 0) & np.all(s2 == 1, axis=1)
    return [dataset.case_ids[i] for i in np.flatnonzero(hit)]


def cases_needed(run, max_new: int = MAX_NEW, codes: dict | None = None) -> RhoIdentification | None:
    """The smallest number of such cases whose expected sd of ``rho`` passes the contraction rule (0.8 prior sd).

    None when the run has no prior draws or ``max_new`` cases do not reach it (an answer whose
    reweighting is unreliable is returned with ``reliable`` False: the caller says so).

    Examples
    --------
    >>> needed = cases_needed(run)
    >>> needed is None or needed.expected_sd <= needed.sd_limit
    True
    """
    loglik = new_case_loglik(run, codes) if "rho" in run.posterior else None
    for n in range(1, max_new + 1):
        found = rho_identification(run, n, codes, loglik=loglik)
        if found.sd_limit is None:
            return None
        if found.expected_sd <= found.sd_limit:
            return found
    return None
