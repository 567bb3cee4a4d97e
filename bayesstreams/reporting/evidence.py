"""The report's view of what the data can tell: prior checks side by side, structural certainty, claims.

Nothing statistical is computed here: the numbers come from
:mod:`bayesstreams.analysis.prior_dependence` (the one prior-driven flag),
:mod:`bayesstreams.analysis.structural` (probabilities under the prior) and
:mod:`bayesstreams.analysis.claims` (verdicts); this module selects and labels them for the
report, the brief and ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.analysis.prior_dependence import ALPHAS
from bayesstreams.analysis.structural import density_table, run_prior_probabilities
from bayesstreams.reporting.claims_text import claim_text, explain, interval_text, size_short
from bayesstreams.reporting.numbers import style
from bayesstreams.reporting.view import _num

SIDE_BY_SIDE = ("ace_w1", "ace_w2", "ace_step_w1", "ace_step_w2", "dependency_effect", "dependency_necessity", "stream_necessity", "rho", "delta", "mu",
                "p_w1", "p_w2")


@dataclass
class SideBySide:
    """One headline number under the default prior, the wide prior, power-scaling and the agnostic prior."""

    name: str
    index: str
    label: str
    mean: float | None
    q05: float | None
    q95: float | None
    wide_mean: float | None
    wide_q05: float | None
    wide_q95: float | None
    power_low_mean: float | None
    power_high_mean: float | None
    agnostic_mean: float | None
    agnostic_q05: float | None
    agnostic_q95: float | None
    shift_ratio: float | None
    prior_driven: bool


@dataclass
class PriorCheck:
    """Which checks measured the prior dependence, what they found, and every headline number side by side."""

    checks: list[str]
    wide_model: str
    agnostic_model: str
    n_prior_driven: int
    n_total: int
    rows: list[SideBySide]


@dataclass
class ClaimView:
    """A claim of the source study and the model's verdict on it, with the reason as a sentence."""

    claim_id: str
    section: str
    text: str
    query: str
    quantity: str
    index: str
    verdict: str
    reason: str
    mean: float | None
    q05: float | None
    q95: float | None
    prior_mean: float | None
    prior_q05: float | None
    prior_q95: float | None
    prior_driven: bool
    main_verdict: str = ""           # before the source check
    main_interval: str = ""          # the 90% intervals side by side: main run, without coded streams, stream_error
    without_streams_interval: str = ""
    with_stream_error_interval: str = ""
    source_checked: bool = False     # the study has at least one source-check companion
    size_verdict: str = ""           # a claim of size: its size verdict in short words ("" for other claims)
    size: dict | None = None         # the size test's numbers (analysis.claim_size), for summary.json
    raw_disagreement: dict | None = None  # where the raw table separates the window but the model calls it small


@dataclass
class Structural:
    """Probabilities next to their prior value; ``structural`` rows are ~certain under the prior too."""

    dependency_p_prior: float | None
    dependency_p_posterior: float | None
    dependency_structural: bool
    rows: list[dict]


def _get(row: dict, key: str):
    return _num(row.get(key))


def prior_check(measured, wide_model: str = "", agnostic_model: str = "", labels: dict | None = None) -> PriorCheck:
    """The side-by-side table of the headline numbers (:data:`SIDE_BY_SIDE`) from a measured prior dependence.

    ``labels`` names the parts of an index for the reader (factor id -> label, case id -> name, phase and
    stream -> their words, as :func:`bayesstreams.reporting.view.index_words` gives them); parts without
    an entry show as they are.
    """
    low, high = (f"power_{a:g}_mean" for a in ALPHAS)
    ag = agnostic_model
    labels = labels or {}

    def label(index: str) -> str:
        return ", ".join(labels.get(part, part) for part in str(index).split(", ")) if index else ""

    rows = [SideBySide(r["name"], r["index"], label(r["index"]), _get(r, "mean"), _get(r, "q05"), _get(r, "q95"), _get(r, "wide_mean"),
                       _get(r, "wide_q05"), _get(r, "wide_q95"), _get(r, low), _get(r, high),
                       _get(r, f"{ag}_mean"), _get(r, f"{ag}_q05"), _get(r, f"{ag}_q95"),
                       _get(r, "shift_ratio"), bool(r["prior_driven"]))
            for r in measured.rows if r["name"] in SIDE_BY_SIDE]
    n, total = measured.count()
    return PriorCheck(list(measured.checks), wide_model, agnostic_model, n, total, rows)


def claim_view(verdict, lang: str, t) -> ClaimView:
    """A :class:`~bayesstreams.analysis.claims.Verdict` in the report's language."""
    unit, decimal = t("unit_pp"), style(lang).decimal
    main = {"q05": verdict.q05, "q95": verdict.q95} if verdict.q05 is not None else None
    return ClaimView(verdict.claim_id, verdict.section, claim_text(verdict, lang, t), verdict.query, verdict.quantity,
                     verdict.index, verdict.verdict, explain(verdict, t), verdict.mean, verdict.q05, verdict.q95,
                     verdict.prior_mean, verdict.prior_q05, verdict.prior_q95, verdict.prior_driven,
                     main_verdict=verdict.main_verdict or verdict.verdict,
                     main_interval=interval_text(main, verdict.query, unit, decimal, t),
                     without_streams_interval=interval_text(verdict.without_streams, verdict.query, unit, decimal, t),
                     with_stream_error_interval=interval_text(verdict.with_stream_error, verdict.query, unit, decimal, t),
                     source_checked=bool(verdict.main_verdict), size_verdict=size_short(verdict, t),
                     size=verdict.size, raw_disagreement=verdict.raw_disagreement)


def structural(run) -> Structural:
    """P(> 0) under prior and posterior for the headline probabilities; the dependency effect's pair first."""
    rows = run_prior_probabilities(run)
    dependency = next((r for r in rows if r["name"] == "dependency_effect"), None)
    return Structural(dependency["prior_p"] if dependency else None,
                      dependency["posterior_p"] if dependency else None,
                      bool(dependency and dependency["structural"]), rows)


def dependency_density(run) -> list[dict]:
    """Prior and posterior density of rho on a shared grid (streams model; empty otherwise)."""
    if "rho" not in run.posterior:
        return []
    return density_table(run.prior.get("rho") if run.prior else None, run.posterior["rho"])
