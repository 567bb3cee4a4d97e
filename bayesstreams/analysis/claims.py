"""Verdicts on the source study's claims (MODEL.md §8): supported, contradicted, or the data cannot tell.

Each claim of ``claims.toml`` (:mod:`bayesstreams.data.claims`) names a query; the query's
posterior is read from the measured prior dependence
(:class:`bayesstreams.analysis.prior_dependence.PriorDependence`, which holds the default
posterior summary and the prior-driven flag of every headline number):

=====================  ==================================================  ===========
query                  quantity                                            reference
=====================  ==================================================  ===========
``factor_effect``      ACE of the factor on the window, for its widest      0
                       step inside its observed codes
``phase_dependency``   ``mean_i [1 - P(W2 | W1=0) / P(W2 | W1=1)]``          0.5
                       (``1 - rho`` in the streams model)
``stream_necessity``   ``mean_i [1 - P(W_p | S_s=0) / P(W_p | S_s=1)]``      0.5
=====================  ==================================================  ===========

The two necessities lie in [0, 1] by construction (so "above 0" would be structural
certainty, not evidence); their reference 0.5 reads "phase 1 (the stream) at least doubles
the chance of phase 2 (the window)".  The verdict, in this order:

1. *the data cannot tell* when the claim rests on a factor with no data (never coded, or
   the same code in every case once not discussed counts as 0), when the number is
   prior-driven, or when its 90% interval holds the reference;
2. *supported* when the 90% interval lies on the expected side of the reference;
3. *contradicted* when it lies on the other side.

**The source check** (issue 23): a claim is *supported* only when it also holds, with its 90%
interval on the expected side of the reference, in the study's ``nostreams`` companion (the data
without the coded stream states that are not from a separate source: windows and codes only,
:mod:`bayesstreams.data.sources`) and in its ``streamerror`` companion (each coded stream state
may be wrong).  A claim the main run supports that fails either becomes
*supported only through the coded stream states* (``supported_streams_only``); the verdict keeps
both summaries (``without_streams``, ``with_stream_error``) for the report's side-by-side columns,
and names a companion the study does not hold (``source_missing``) instead of passing silently.

Every verdict carries the reason as a key and the numbers to fill it with, and the prior's
summary of the same quantity (from the run's prior draws), which the report shows beside it.
The words are reporting's (:func:`bayesstreams.reporting.claims_text.explain` makes the
sentence in the report's language); this module returns the verdict data only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.claim_size import necessity_draws, raw_against_model, size_test
from bayesstreams.analysis.prior_dependence import headline_draws, run_headline_draws
from bayesstreams.analysis.quantiles import column_quantiles
from bayesstreams.analysis.queries import STEPS, run_baseline
from bayesstreams.analysis.ranks import headline_contrasts
from bayesstreams.data.claims import Claim
from bayesstreams.data.support import no_data_factors, support_arrays

SUPPORTED, CONTRADICTED, CANNOT_TELL = "supported", "contradicted", "cannot_tell"
SUPPORTED_STREAMS_ONLY = "supported_streams_only"
SOURCE_ROLES = ("nostreams", "streamerror")  # the companions of the source check, in column order
REFERENCE = {"factor_effect": 0.0, "phase_dependency": 0.5, "stream_necessity": 0.5}
DEPENDENCY_CLAIM_ID = "phase2_needs_phase1"


@dataclass
class Verdict:
    """The model's verdict on one claim, with its reason and the numbers behind it."""

    claim_id: str
    section: str
    text_nl: str
    text_en: str
    query: str
    expected: str
    quantity: str
    index: str
    reference: float
    verdict: str
    reason: str
    mean: float | None = None
    q05: float | None = None
    q95: float | None = None
    prior_mean: float | None = None
    prior_q05: float | None = None
    prior_q95: float | None = None
    prior_driven: bool = False
    shift_ratio: float | None = None
    factor: str = ""
    details: dict = field(default_factory=dict)
    # the source check: the same quantity in the nostreams / streamerror companion ({mean, q05, q95, holds}),
    # None where the study does not hold that companion (then named in source_missing)
    without_streams: dict | None = None
    with_stream_error: dict | None = None
    source_missing: tuple = ()
    main_verdict: str = ""  # the main run's verdict before the source check
    # a claim of size (analysis.claim_size): the size verdict, apart from the sign's, and where the raw
    # table separates the window but the model calls the effect small, the computed reasons
    size: dict | None = None
    raw_disagreement: dict | None = None

    def text(self, lang: str) -> str:
        return self.text_nl if lang == "nl" else self.text_en


def _target(claim) -> tuple[str, str]:
    if claim.query == "factor_effect":
        return ("ace_step_w1" if claim.window == "W1" else "ace_step_w2"), claim.factor
    if claim.query == "phase_dependency":
        return "dependency_necessity", ""
    return "stream_necessity", f"{claim.phase}, {claim.stream}"


def _prior_summaries(run, dataset) -> dict:
    prior = run.prior
    if not prior:
        return {}
    out = {}
    found = run_headline_draws(run, group="prior") if dataset is run.dataset else headline_draws(prior, dataset)
    for name, (labels, values) in found.items():
        q05, q95 = column_quantiles(values, [0.05, 0.95])
        for j, label in enumerate(labels):
            out[name, label] = (float(values[:, j].mean()), float(q05[j]), float(q95[j]))
    return out


def judge(claim, row: dict | None, reference: float, no_data: set[str], prior: tuple | None = None) -> Verdict:
    """The verdict on one claim from its quantity's row of the prior-dependence table (see the module docstring)."""
    name, index = _target(claim)
    prior = prior or (None, None, None)
    base = dict(claim_id=claim.id, section=claim.section, text_nl=claim.text_nl, text_en=claim.text_en,
                query=claim.query, expected=claim.expected, quantity=name, index=index, reference=reference,
                factor=claim.factor, prior_mean=prior[0], prior_q05=prior[1], prior_q95=prior[2])
    if row is not None:
        base.update(mean=row["mean"], q05=row["q05"], q95=row["q95"], prior_driven=bool(row["prior_driven"]),
                    shift_ratio=row["shift_ratio"])
    if claim.factor and claim.factor in no_data:
        return Verdict(**base, verdict=CANNOT_TELL, reason="no_data")
    if row is None:
        return Verdict(**base, verdict=CANNOT_TELL, reason="no_query")
    if row["prior_driven"]:
        return Verdict(**base, verdict=CANNOT_TELL, reason="prior_driven")
    if row["q05"] <= reference <= row["q95"]:
        return Verdict(**base, verdict=CANNOT_TELL, reason="spans")
    above = row["q05"] > reference
    agrees = above == (claim.expected == "positive")
    return Verdict(**base, verdict=SUPPORTED if agrees else CONTRADICTED, reason="above" if above else "below")


def claim_verdicts(run, claims, measured, no_data: set[str] | None = None, with_prior: bool = True,
                   sources: dict | None = None) -> list[Verdict]:
    """The verdict on every claim of the source study.

    Parameters
    ----------
    run
        A loaded run (``posterior``, ``prior``, ``dataset``).
    claims
        :class:`bayesstreams.data.claims.Claim` records (``run.dataset.claims``).
    measured
        The run's :class:`~bayesstreams.analysis.prior_dependence.PriorDependence`.
    no_data
        Factor ids without data support (default: :func:`bayesstreams.data.support.no_data_factors`
        of the run's data, the labels the report's data-support table shows).
    with_prior
        Also summarise each quantity under the run's prior draws (``prior_mean``, ...); False
        leaves them None and skips that work (the mode comparison needs the verdicts only).
    sources
        ``{"nostreams": Run | None, "streamerror": Run | None}``: the source check's companions
        (see the module docstring); None skips the check (the verdicts of the main run alone).
        A role given as None is a companion the study lacks: named in ``source_missing``.

    Returns
    -------
    list of Verdict
        In the claims' order.

    Examples
    --------
    >>> from bayesstreams.analysis.prior_dependence import prior_dependence
    >>> verdicts = claim_verdicts(run, run.dataset.claims, prior_dependence(run))
    >>> [v.claim_id for v in verdicts][:2]
    ['phase2_needs_phase1', 'insight_drives_phase1']
    >>> verdicts[0].verdict, verdicts[0].reason     # rho's posterior is about its prior
    ('cannot_tell', 'prior_driven')
    """
    no_data = no_data_factors(run.dataset) if no_data is None else set(no_data)
    priors = _prior_summaries(run, run.dataset) if with_prior else {}
    details = _factor_details(run.dataset)
    out = []
    for claim in claims:
        name, index = _target(claim)
        verdict = judge(claim, measured.row(name, index), REFERENCE[claim.query], no_data, priors.get((name, index)))
        verdict.details = details.get(claim.factor, {}) if claim.factor else {}
        out.append(verdict)
    sized = [(c, v) for c, v in zip(claims, out) if getattr(c, "size", "")]
    if sized:
        judge_sizes(run, sized, no_data, priors)
    if sources is not None:
        source_check(out, sources)
    return out


def judge_sizes(run, sized, no_data: set[str], priors: dict) -> None:
    """Set the size verdict (and any raw-table disagreement) of each ``(claim, verdict)`` of a claim of size (in place)."""
    draws = run_headline_draws(run)  # the same step_ace_draws of the run's baseline, computed once with the run
    steps = headline_contrasts(run.dataset)
    for claim, verdict in sized:
        k = run.dataset.factor_ids.index(claim.factor)
        labels, values = draws[verdict.quantity]
        contrast = steps[k]
        if claim.factor not in labels or contrast is None:  # no step inside the coded cells: nothing to size
            verdict.size = {"claimed": claim.size, "at_least": claim.at_least_pp / 100.0, "verdict": "cannot_tell",
                            "reason": "no_data", "effect": None, "p_at_least": None, "necessity": None}
            continue
        effect = values[:, labels.index(claim.factor)]
        necessity = run_necessity(run, claim.factor, claim.window, contrast) if claim.size == "decisive" else None
        verdict.size = size_test(claim, effect, necessity, verdict.prior_driven, claim.factor in no_data)
        verdict.raw_disagreement = raw_against_model(claim, run.dataset, contrast, verdict.size,
                                                     priors.get((verdict.quantity, verdict.index)),
                                                     verdict.prior_driven)


def run_necessity(run, factor: str, window: str, contrast: str) -> np.ndarray:
    """:func:`~bayesstreams.analysis.claim_size.necessity_draws` of ``factor`` in ``run`` (its own data), kept in
    ``run.memo`` (a companion's is stored with it: the mode comparison judges its claims of size)."""
    key = ("necessity", factor, window, contrast)
    if key not in run.memo:
        run.memo[key] = necessity_draws(run_baseline(run), run.dataset.factor_ids.index(factor), window, contrast)
    return run.memo[key]


def _holds(verdict: Verdict, summary: dict) -> bool:
    """True when the summary's 90% interval lies on the claim's expected side of its reference."""
    if verdict.expected == "positive":
        return summary["q05"] > verdict.reference
    return summary["q95"] < verdict.reference


def quantity_summaries(run, wanted) -> dict:
    """``{(name, index): {mean, q05, q95}}`` of the headline quantities ``wanted`` in ``run`` (its own data)."""
    names = {name for name, _ in wanted}
    out = {}
    for name, (labels, values) in run_headline_draws(run).items():
        if name not in names:
            continue
        q05, q95 = column_quantiles(values, [0.05, 0.95])
        for j, label in enumerate(labels):
            if (name, label) in wanted:
                out[name, label] = {"mean": float(values[:, j].mean()), "q05": float(q05[j]), "q95": float(q95[j])}
    return out


def source_check(verdicts: list[Verdict], sources: dict) -> list[Verdict]:
    """Set each verdict's source-check columns and downgrade a support that fails in a companion (in place)."""
    wanted = {(v.quantity, v.index) for v in verdicts}
    summaries = {role: quantity_summaries(other, wanted) for role, other in sources.items() if other is not None}
    missing = tuple(role for role in SOURCE_ROLES if role in sources and sources[role] is None)
    for v in verdicts:
        v.main_verdict, v.source_missing = v.verdict, missing
        for role, attribute in zip(SOURCE_ROLES, ("without_streams", "with_stream_error")):
            summary = summaries.get(role, {}).get((v.quantity, v.index))
            if summary is not None:
                setattr(v, attribute, {**summary, "holds": _holds(v, summary)})
        checked = [s for s in (v.without_streams, v.with_stream_error) if s is not None]
        if v.verdict == SUPPORTED and any(not s["holds"] for s in checked):
            v.verdict = SUPPORTED_STREAMS_ONLY
    return verdicts


def _factor_details(dataset) -> dict[str, dict]:
    """Per factor: its headline step and whether its codes separate a stream state or a window (data.support)."""
    separating = support_arrays(dataset).separating
    return {f: {"step": STEPS.get(step) if step else None, "separating": bool(separating[k])}
            for k, (f, step) in enumerate(zip(dataset.factor_ids, headline_contrasts(dataset)))}


def dependency_verdict(run, measured) -> Verdict:
    """The verdict on "phase 2 needs phase 1", whether or not the dataset states the claim."""
    for claim in run.dataset.claims:
        if claim.query == "phase_dependency":
            return claim_verdicts(run, [claim], measured)[0]
    # no text: the claim's words are reporting's (claims_text.claim_text)
    claim = Claim(DEPENDENCY_CLAIM_ID, "", "", "", "phase_dependency", "positive")
    return claim_verdicts(run, [claim], measured)[0]


def source_effects(run, sources: dict) -> list[dict]:
    """Every headline effect (each factor's ACE over its headline step, per window) in the main run and in
    the source check's companions: ``[{window, factor, main, nostreams, streamerror}]`` (summaries, None
    where the study lacks the companion or the companion has no such effect).

    ``kept_*`` says whether an effect whose main 90% interval excludes 0 still does, on the same side,
    in that companion (None when the main interval holds 0 or the companion is missing).
    """
    names = {"W1": "ace_step_w1", "W2": "ace_step_w2"}
    main = quantity_summaries(run, {(n, f) for n in names.values() for f in run.dataset.factor_ids})
    others = {role: quantity_summaries(other, set(main)) for role, other in sources.items() if other is not None}
    rows = []
    for (name, factor), summary in main.items():
        row = {"window": "W1" if name == "ace_step_w1" else "W2", "factor": factor, "main": summary}
        sign = 1 if summary["q05"] > 0 else -1 if summary["q95"] < 0 else 0
        for role in SOURCE_ROLES:
            other = others.get(role, {}).get((name, factor)) if role in others else None
            row[role] = other
            row[f"kept_{role}"] = (None if other is None or not sign else
                                   bool(other["q05"] > 0 if sign > 0 else other["q95"] < 0))
        rows.append(row)
    return rows


def source_levers(run, sources: dict, advice_of) -> list[dict]:
    """Each case's first lever in the main run and the same factor's gain in the source check's companions.

    ``advice_of(run, case)`` is the case advice (:func:`bayesstreams.analysis.advice.case_advice`).
    ``[{case_id, factor, main, nostreams, streamerror}]``: gain summaries of the target window; a
    companion's None where the study lacks it (or the factor is no longer below +1 there).
    """
    rows = []
    for case in run.dataset.case_ids:
        advice = advice_of(run, case)
        if not advice.levers:
            continue
        first = advice.levers[0]
        row = {"case_id": case, "factor": first["factor"], "target": advice.target, "main": first["gain"]}
        for role in SOURCE_ROLES:
            other = sources.get(role)
            gain = None
            if other is not None:
                theirs = run_lever_gains(other, case, advice_of)
                gain = next((g for factor, g in theirs["gains"] if factor == first["factor"]),
                            None) if theirs["target"] == advice.target else None
            row[role] = gain
        rows.append(row)
    return rows


def lever_gains(advice) -> dict:
    """What the source check reads of a companion's case advice: ``{"target", "gains": [[factor, gain], ...]}``.

    The gains of its levers, then of its find-out-first factors, in the advice's order (the first of a
    factor is the one read); JSON-ready, so that a companion's stored memo holds it
    (:mod:`bayesstreams.analysis.companion_memo`).
    """
    return {"target": advice.target,
            "gains": [[e["factor"], e["gain"]] for e in advice.levers + advice.find_out_first]}


def run_lever_gains(run, case: str, advice_of) -> dict:
    """:func:`lever_gains` of ``advice_of(run, case)``, computed once per run and case and kept in ``run.memo``.

    A companion's entry is stored with it (:mod:`bayesstreams.analysis.companion_memo`): a later report
    on the same companion reads it instead of computing the case's advice again.
    """
    key = ("lever_gains", case)
    if key not in run.memo:
        run.memo[key] = lever_gains(advice_of(run, case))
    return run.memo[key]
