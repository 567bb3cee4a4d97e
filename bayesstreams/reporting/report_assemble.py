"""Assemble a run's report: every number the report shows, selected, labelled and ordered into one :class:`Report`.

Nothing statistical is computed here.  Every number comes from the query tables
(:func:`bayesstreams.analysis.queries.query_tables`), the contraction table
(:func:`bayesstreams.analysis.contraction.what_the_data_taught`), the run's diagnostics (run.json)
or the model comparison (:func:`bayesstreams.checks.compare.compare_fits`); the view modules
(``*_view.py``, :mod:`~bayesstreams.reporting.evidence`) turn them into records and this module
puts them together.  The same :class:`Report` fills the HTML and Markdown templates and becomes
``summary.json`` (:func:`summary`), so the three carry the same numbers.
"""

from __future__ import annotations


from dataclasses import asdict, dataclass, field
from typing import Callable

from bayesstreams.analysis.claims import claim_verdicts, dependency_verdict, source_levers
from bayesstreams.analysis.contraction import what_the_data_taught
from bayesstreams.analysis.identification import cases_needed, rho_identification
from bayesstreams.analysis.mode_comparison import mode_comparison, not_discussed_reliance, run_effect_ranks, run_mode
from bayesstreams.analysis.qca.latent import draw_latent
from bayesstreams.analysis.qca.posterior import posterior_qca
from bayesstreams.analysis.prior_dependence import prior_dependence
from bayesstreams.analysis.queries import DEFAULT_MIN_GAIN, query_tables, run_baseline
from bayesstreams.data.codebook import PHASES
from bayesstreams.data.sources import basis_counts
from bayesstreams.reporting import evidence
from bayesstreams.reporting.agreement_view import agreement_view
from bayesstreams.reporting.cases_view import CaseResult, case_advice_rows, case_results, run_case_advice
from bayesstreams.reporting.codes_view import CodeTable, code_table
from bayesstreams.reporting.effects_view import Dependency, FactorEffect, PriorFlags, dependency, factor_effects, step_flags
from bayesstreams.reporting.i18n import study_translator
from bayesstreams.reporting.identification_text import identification_lines
from bayesstreams.reporting.modes_view import case_not_discussed, modes_view
from bayesstreams.reporting.qca_view import qca_view
from bayesstreams.reporting.run_view import (Comparison, DiagnosticsSummary, Reproducibility, Taught, comparison,
                                             diagnostics_summary, reproducibility, taught)
from bayesstreams.reporting.support_view import data_support_view, rank_rows, ranked_highlights
from bayesstreams.reporting.view import Highlight, index_words

REPORT_FORMAT = "bayesstreams-report/1"
QCA_DRAWS = 1000  # posterior draws of the set-theoretic section (each completes the data once)
N_HIGHLIGHTS = 3


@dataclass
class Report:
    """Every number and label the report shows; ``summary.json`` is :func:`summary` of it."""

    lang: str
    dataset_name: str
    title: str
    source: str
    model_name: str
    model_kind: str
    n_cases: int
    n_factors: int
    codes: CodeTable
    factors: list[FactorEffect]
    highlights_w1: list[Highlight]
    highlights_w2: list[Highlight]
    dependency: Dependency
    cases: list[CaseResult]
    taught: Taught
    diagnostics: DiagnosticsSummary
    reproducibility: Reproducibility
    comparison: Comparison | None = None
    lever_threshold: float = 0.05
    missing_companions: list = field(default_factory=list)  # [{role, why, text}]: what the study lacks
    data_support: object = None  # reporting.support_view.DataSupport: "what the data can tell"
    agreement: object = None  # reporting.agreement_view.AgreementView: Krippendorff's alpha between respondents
    ranks: list = field(default_factory=list)  # reporting.support_view.RankRow per window and ranked factor
    prior_check: object = None          # evidence.PriorCheck: the headline numbers under each prior check
    structural: object = None           # evidence.Structural: probabilities next to their prior value
    dependency_verdict: object = None   # evidence.ClaimView: "phase 2 needs phase 1", computed
    claims: list = field(default_factory=list)  # evidence.ClaimView per claim of claims.toml
    stream_sources: dict = field(default_factory=dict)  # data.sources.basis_counts: where the stream states come from
    source_levers: list = field(default_factory=list)  # [{case, factor, main, nostreams, streamerror}]: the source check
    rests_summary: list = field(default_factory=list)  # fragility_text.summary_lines, when the fragility was checked
    rests_on: list = field(default_factory=list)  # [{kind, subject, label, lines}] per conclusion a single change overturns
    find_out_next: list = field(default_factory=list)  # voi_text.next_view: per query its top candidates, when computed
    rho_density: list = field(default_factory=list)  # prior and posterior density of rho (figure table)
    advice: list = field(default_factory=list)  # per case: advice given what is known (MODEL.md §9), with its text
    modes: object = None  # modes_view.ModesView: "what if not discussed means ...", the modes side by side
    phases: list = field(default_factory=lambda: [1, 2])  # the study's phases: nothing is said of another
    qca: object = None  # qca_view.QCAView: truth tables and necessity per window, classical and posterior (streams only)
    # what would identify rho (analysis.identification): one such case's effect, and how many it would take
    identification: dict | None = None
    identification_needed: dict | None = None
    identification_text: list = field(default_factory=list)

    @property
    def has_streams(self) -> bool:
        """Stream activation exists only in the streams model."""
        return _has_streams(self.cases)


@dataclass
class FigureParts:
    """What the report's figures and their texts read (:mod:`bayesstreams.reporting.report_figures`), the same
    objects the finished :class:`Report` holds: known before the rest of the report is assembled."""

    factors: list[FactorEffect]
    highlights_w1: list[Highlight]
    highlights_w2: list[Highlight]
    dependency: Dependency
    cases: list[CaseResult]
    rho_density: list

    @property
    def has_streams(self) -> bool:
        """Stream activation exists only in the streams model."""
        return _has_streams(self.cases)


def _has_streams(cases) -> bool:
    """Stream activation exists only in the streams model: whether any case has stream states."""
    return any(case.streams for case in cases)


def build_report(run, lang: str = "en", compare_run=None, check_run=None, agnostic_run=None, mode_runs=None,
                 sources: dict | None = None, on_figures: Callable[[FigureParts], None] | None = None) -> Report:
    """Assemble the report of a loaded run.

    ``compare_run`` adds a PSIS-LOO comparison; ``check_run`` (the wide-prior refit, see
    ``study.wide``) and power-scaling measure the prior dependence;
    ``agnostic_run`` is shown beside them; ``mode_runs`` (the same data under the other
    not-discussed modes, ``study.modes``) fill "what if not discussed means ..."; ``sources``
    (``study.source_runs()``: the refits without the coded stream states and with stream_error)
    make the claims' source check and its side-by-side columns.  ``on_figures`` is called with the
    figures' inputs (:class:`FigureParts`) as soon as they are known, before the slower sections
    (the source check, the case advice, the set-theoretic section), so that their figures can be
    drawn meanwhile (:func:`bayesstreams.reporting.report.draft_report`).
    """
    dataset = run.dataset
    tables = query_tables(run)
    measured = prior_dependence(run, check_run, agnostic_run)
    flags = PriorFlags(measured)
    t = study_translator(lang, dataset)
    support = data_support_view(dataset, lang)
    effects = factor_effects(tables["factor_importance"], dataset, lang, flags, support)
    ranks = run_effect_ranks(run)  # the mode comparison reads the same table
    phases = list(dataset.phases)
    windows = [f"W{p}" for p in phases]  # a window the study does not have gets no ranking, headline or step
    ranks = ranks[ranks["window"].isin(windows)]
    for effect in effects:
        effect.steps = [s for s in effect.steps if s.window in windows]
    by_id = {e.factor: e for e in effects}
    highlights = {w: step_flags(ranked_highlights(ranks, w, by_id, N_HIGHLIGHTS), w, flags) if w in windows else []
                  for w in ("W1", "W2")}
    reliance = not_discussed_reliance(run)
    cases = case_results(tables, dataset, lang, flags, no_data=frozenset(support.no_data))
    for case in cases:
        case.not_discussed = [n for n in case_not_discussed(reliance, case.case_id) if n.window in windows]
        case.streams = [s for s in case.streams if s.phase in phases]
    depends, rho_density = dependency(tables["phase_dependency"], flags), evidence.dependency_density(run)
    if on_figures is not None:
        on_figures(FigureParts(effects, highlights["W1"], highlights["W2"], depends, cases, rho_density))
    learned = what_the_data_taught(run)
    if tuple(dataset.phases) != (1, 2):  # a one-phase study: nothing about the other window
        learned = learned[[_of_phases(r.name, r.index, dataset.phases) for r in learned.itertuples()]]
    verdicts = claim_verdicts(run, dataset.claims, measured, sources=sources)  # no-data factors: data.support's
    claims = [evidence.claim_view(v, lang, t) for v in verdicts if _claim_in(v, windows)]
    others = list((mode_runs or {}).values())
    modes = modes_view(mode_comparison(run, others, measured) if others else None, run_mode(run),
                       code_table(dataset, lang), {w: [h.factor for h in hs] for w, hs in highlights.items()},
                       index_words(dataset, lang), claims)
    return Report(
        lang=lang, dataset_name=dataset.name, title=dataset.codebook.describe("title", lang),
        source=dataset.codebook.describe("source", lang), model_name=run.config.name, model_kind=run.config.kind,
        n_cases=dataset.n_cases, n_factors=len(dataset.factor_ids), codes=code_table(dataset, lang),
        factors=effects, highlights_w1=highlights["W1"], highlights_w2=highlights["W2"],
        dependency=depends, cases=cases,
        taught=taught(learned, index_words(dataset, lang), flags), diagnostics=diagnostics_summary(run.info),
        reproducibility=reproducibility(run.info),
        comparison=comparison(run, compare_run), lever_threshold=DEFAULT_MIN_GAIN, data_support=support,
        agreement=agreement_view(dataset, lang),
        ranks=rank_rows(ranks, by_id),
        prior_check=_one_phase_prior_check(evidence.prior_check(measured, check_run.config.name if check_run else "",
                                                                agnostic_run.config.name if agnostic_run else "",
                                                                index_words(dataset, lang)), phases),
        structural=evidence.structural(run),
        dependency_verdict=evidence.claim_view(dependency_verdict(run, measured), lang, t),
        claims=claims, stream_sources=basis_counts(dataset) if sources else {},
        source_levers=_source_levers(run, sources, lang) if sources else [],
        rho_density=rho_density, advice=case_advice_rows(run, lang, flags), modes=modes,
        phases=phases, qca=qca_view(_posterior_qca(run), lang), **_identification(run, phases, t, lang))


def _identification(run, phases, t, lang: str) -> dict:
    """What would identify rho (streams model, both phases): the numbers and their sentences."""
    if tuple(phases) != (1, 2) or "rho" not in run.posterior or not run_baseline(run).has_streams:
        return {}
    found = rho_identification(run).to_dict()
    needed = cases_needed(run)
    needed = needed.to_dict() if needed is not None else None
    return {"identification": found, "identification_needed": needed,
            "identification_text": identification_lines(found, needed, t, lang)}


def _of_phases(name: str, index, phases) -> bool:
    """Whether a parameter or query (``name`` at ``index``) belongs to the study's phases only."""
    for p in (1, 2):
        if p in phases:
            continue
        if f"w{p}" in str(name) or name in ("dependency_effect", "rho", "delta"):
            return False
        if str(index) == str(p) or str(index).startswith(f"{p}, "):
            return False
    return True


def _one_phase_prior_check(check, phases):
    """The headline numbers of the study's phases only, counted again."""
    if tuple(phases) == (1, 2):
        return check
    check.rows = [r for r in check.rows if _of_phases(r.name, r.index, phases)]
    check.n_total, check.n_prior_driven = len(check.rows), sum(r.prior_driven for r in check.rows)
    return check


def _claim_in(verdict, windows: list[str]) -> bool:
    """Whether a claim speaks of the study's windows only ("phase 2 needs phase 1" needs both)."""
    if verdict.query == "phase_dependency":
        return "W2" in windows and "W1" in windows
    quantity = str(verdict.quantity).lower()  # ace_w1, ace_w2, ...
    return not any(f"w{p}" in quantity and f"W{p}" not in windows for p in (1, 2))


def _source_levers(run, sources: dict, lang: str) -> list[dict]:
    """Each case's first lever beside its gain without the coded stream states and with stream_error, labelled."""
    if not run_baseline(run).has_streams:
        return []
    words = index_words(run.dataset, lang)
    return [{**row, "case": words.get(row["case_id"], row["case_id"]), "label": words.get(row["factor"], row["factor"])}
            for row in source_levers(run, sources, run_case_advice)]


def _posterior_qca(run) -> list:
    """The posterior QCA of each window with its phase's streams (none for a kind without streams)."""
    if not run_baseline(run).has_streams:
        return []
    latent = draw_latent(run.posterior, run.dataset, n_draws=QCA_DRAWS, seed=run.seed)
    return [posterior_qca(run, f"w{phase}", latent=latent) for phase in PHASES if phase in run.dataset.phases]


def summary(report: Report) -> dict:
    """The report as JSON-ready data: every number shown, unrounded; missing numbers are None."""
    data = asdict(report)
    for case, result in zip(data["cases"], report.cases):
        case["weakest"] = [asdict(s) for s in result.weakest]
    return {"format": REPORT_FORMAT, **data}

