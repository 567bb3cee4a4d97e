"""Assemble a run's report: dataclasses holding every number the report shows, then write it.

Nothing statistical is computed here.  Every number comes from the query tables
(:func:`bayesstreams.analysis.queries.query_tables`), the contraction table
(:func:`bayesstreams.analysis.contraction.what_the_data_taught`), the run's diagnostics (run.json)
or the model comparison (:func:`bayesstreams.checks.compare.compare_fits`); this module
selects, labels and orders them.  The same :class:`Report` fills the HTML and Markdown
templates and becomes ``summary.json``, so the three carry the same numbers.

Written by :func:`write_report`::

    report.html      one self-contained file: inline CSS, inline SVG figures, no script
    report.md        the same content; figures in figures/*.svg beside it
    summary.json     every number shown (raw, unrounded), NaN as null
    figures/         factor_effects.svg, streams_01.svg, ... (one per case)
    tables/          factors.csv, cases.csv, ranks.csv, and report.xlsx with every table of the report, one
                     sheet each (text cells guarded against formula injection)
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bayesstreams.data.codebook import PHASES, STREAMS

SUMMARY = ("mean", "q05", "q25", "q75", "q95")
REPORT_FORMAT = "bayesstreams-report/1"
N_LEVERS = 3
N_HIGHLIGHTS = 3
# Terms of the report explained in its glossary (keys gloss_term_<name> and gloss_<name>), in reading order
GLOSSARY = ("probability", "interval", "pp", "effect", "q", "window_p", "lever", "prior", "posterior",
            "prior_driven", "contraction", "diagnostics", "seed", "data_hash")


def _num(value) -> float | None:
    """A float, or None for missing (NaN/None): what JSON and the templates read as "not available"."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


@dataclass
class Interval:
    """Posterior mean and the bounds of the 50% (q25-q75) and 90% (q05-q95) intervals."""

    mean: float | None
    q05: float | None
    q25: float | None
    q75: float | None
    q95: float | None

    @classmethod
    def of(cls, row) -> Interval:
        """From a query-table row (or dict) holding the summary columns."""
        return cls(*(_num(row[k]) for k in SUMMARY))


# ---------------------------------------------------------------------------- what was analysed


@dataclass
class CaseInfo:
    """A case as the data describe it: name, level, group, observed windows, factors not discussed."""

    case_id: str
    name: str
    level: str
    group: str
    n_not_discussed: int
    w1: float | None
    w2: float | None


@dataclass
class CodeCell:
    """One coded cell (None: not discussed) and the quote(s) behind it."""

    code: float | None
    quote: str


@dataclass
class CodeRow:
    """One factor's codes across the cases."""

    factor: str
    label: str
    cells: list[CodeCell]


@dataclass
class StreamBlock:
    """The factors of one phase and stream, and the coded state of that stream per case."""

    phase: int
    stream: str
    rows: list[CodeRow]
    observed: list[float | None]


@dataclass
class PhaseBlock:
    """The three streams of one phase and the coded window per case."""

    phase: int
    streams: list[StreamBlock]
    windows: list[float | None]


@dataclass
class Quote:
    """A quote behind a code, for the appendix."""

    case: str
    factor: str
    code: float | None
    section: str
    quote: str


@dataclass
class CodeTable:
    """The case x factor codes grouped by phase and stream (like the source study's Bijlage 1)."""

    cases: list[CaseInfo]
    phases: list[PhaseBlock]
    n_cells: int
    n_not_discussed: int
    has_levels: bool
    has_groups: bool
    quotes: list[Quote]


def _cell_quotes(dataset) -> dict[tuple[str, str], list[dict]]:
    found: dict[tuple[str, str], list[dict]] = {}
    for record in dataset.codes:
        if str(record.get("quote", "") or "").strip():
            found.setdefault((record["case_id"], record["factor"]), []).append(record)
    return found


def _case_infos(dataset) -> list[CaseInfo]:
    names, levels, groups = (dataset.case_column(c) for c in ("name", "level", "group"))
    return [CaseInfo(c, names[i] or c, levels[i], groups[i], int(dataset.n_not_discussed[i]),
                     _num(dataset.w[i, 0]), _num(dataset.w[i, 1])) for i, c in enumerate(dataset.case_ids)]


def _stream_block(dataset, lang: str, p: int, s: int, quotes: dict) -> StreamBlock:
    rows = []
    for k, factor in enumerate(dataset.codebook.factors):
        if (factor.phase, factor.stream) != (PHASES[p], STREAMS[s]):
            continue
        cells = [CodeCell(_num(dataset.x[i, k]), " / ".join(str(r["quote"]) for r in quotes.get((c, factor.id), [])))
                 for i, c in enumerate(dataset.case_ids)]
        rows.append(CodeRow(factor.id, factor.label(lang), cells))
    return StreamBlock(PHASES[p], STREAMS[s], rows, [_num(v) for v in dataset.s[:, p, s]])


def code_table(dataset, lang: str) -> CodeTable:
    """The coded data as the report's first table, with the quotes behind the codes."""
    quotes = _cell_quotes(dataset)
    phases = [PhaseBlock(PHASES[p], [_stream_block(dataset, lang, p, s, quotes) for s in range(len(STREAMS))],
                         [_num(v) for v in dataset.w[:, p]]) for p in range(len(PHASES))]
    infos = _case_infos(dataset)
    names = {c.case_id: c.name for c in infos}
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    quote_rows = [Quote(names.get(r["case_id"], r["case_id"]), labels.get(r["factor"], r["factor"]), _num(r["code"]),
                        str(r.get("section", "") or ""), str(r["quote"]))
                  for records in quotes.values() for r in records]
    return CodeTable(infos, phases, int(dataset.x.size), int(sum(c.n_not_discussed for c in infos)),
                     any(c.level for c in infos), any(c.group for c in infos), quote_rows)


# ---------------------------------------------------------------------------- effects and dependency


@dataclass
class FactorEffect:
    """A factor's effects: ACE (+1 vs -1) on each window it reaches and its coefficient ``beta``."""

    factor: str
    label: str
    phase: int
    stream: str
    ace_w1: Interval | None
    ace_w1_prior_driven: bool
    ace_w2: Interval
    ace_w2_prior_driven: bool
    ace_w2_path: str
    beta: Interval
    beta_p_positive: float | None
    beta_prior_driven: bool
    support: str = "data"
    support_kind: str = "data"
    steps: list = field(default_factory=list)  # StepEffect per window and step (reporting.support_view)

    @property
    def no_data(self) -> bool:
        """Every number of this factor is the prior's ("no data: prior only", MODEL.md §8)."""
        return self.support_kind == "no_data"

    def extrapolated(self, window: str, step: str = "-1 -> +1") -> bool:
        """Whether ``step`` on ``window`` starts or ends at a code never observed for this factor."""
        return any(s.extrapolated for s in self.steps if s.window == window and s.step == step)


@dataclass
class Dependency:
    """The phase dependency: its parameter (``rho`` or ``delta``) and the average effect of W1 on W2."""

    parameter: str
    value: Interval
    value_prior_driven: bool
    effect: Interval
    effect_p_positive: float | None
    effect_prior_driven: bool


class PriorFlags:
    """The measured prior-driven flag of a quantity (:mod:`bayesstreams.analysis.prior_dependence`).

    ``source`` ("parameter" or "query") is kept for the callers' readability; names of
    parameters and queries do not collide, so the flag is looked up by name and index.
    """

    def __init__(self, measured):
        self._measured = measured

    def __call__(self, source: str, name: str, index: str = "") -> bool:
        return self._measured.flag(name, index)


def _ace_row(own, window: str):
    hit = own[(own["quantity"] == "ace") & (own["window"] == window) & (own["contrast"] == "+1 vs -1")]
    return hit.iloc[0] if len(hit) else None


def factor_effects(table, dataset, lang: str, flags: PriorFlags, support=None) -> list[FactorEffect]:
    """One :class:`FactorEffect` per factor, grouped by phase and stream (codebook order within).

    ``support`` (a :class:`~bayesstreams.reporting.support_view.DataSupport`) labels each factor;
    the per-step effects come from the ``step`` rows of ``table``.
    """
    from bayesstreams.reporting.support_view import SUPPORT_KINDS, step_effects

    order = sorted(range(len(dataset.factor_ids)), key=lambda k: (dataset.factor_phase[k], dataset.factor_stream[k], k))
    out = []
    for k in order:
        factor = dataset.codebook.factors[k]
        own = table[table["factor"] == factor.id]
        beta = own[own["quantity"] == "beta"].iloc[0]
        w1, w2 = _ace_row(own, "W1"), _ace_row(own, "W2")
        reaches_w1 = w1 is not None and w1["path"] != "none"  # a phase-2 factor cannot move W1
        out.append(FactorEffect(
            factor.id, factor.label(lang), factor.phase, factor.stream,
            Interval.of(w1) if reaches_w1 else None, reaches_w1 and flags("query", "ace_w1", factor.id),
            Interval.of(w2), flags("query", "ace_w2", factor.id), str(w2["path"]),
            Interval.of(beta), _num(beta["p_gt_0"]), flags("parameter", "beta", factor.id)))
        if support is not None:
            out[-1].support = support.label_of(factor.id)
            out[-1].support_kind = SUPPORT_KINDS[out[-1].support]
        out[-1].steps = step_effects(table, factor.id, reaches_w1)
    return out


def dependency(table, flags: PriorFlags) -> Dependency:
    """The phase-dependency rows of the query tables."""
    parameter = table[table["quantity"] != "dependency_effect"].iloc[0]
    effect = table[table["quantity"] == "dependency_effect"].iloc[0]
    name = str(parameter["quantity"])
    return Dependency(name, Interval.of(parameter), flags("parameter", name),
                      Interval.of(effect), _num(effect["p_gt_0"]), flags("query", "dependency_effect"))


@dataclass
class Highlight:
    """A factor among the strongest for a window: posterior-mean ACE of its observed ``step``, rank probabilities.

    Built by :func:`bayesstreams.reporting.support_view.ranked_highlights`.
    """

    factor: str
    label: str
    ace: Interval
    prior_driven: bool
    step: str = "-1 -> +1"
    p_rank1: float | None = None
    p_top3: float | None = None
    support_kind: str = "data"


# ---------------------------------------------------------------------------- cases


@dataclass
class StreamState:
    """A stream of a case: the posterior probability ``q`` that it is in motion, and its coded state."""

    phase: int
    stream: str
    q: Interval
    observed: float | None
    bottleneck: bool


@dataclass
class WindowChance:
    """A window of a case: its predicted probability (from the codes only) and its observed state."""

    phase: int
    p: Interval
    observed: float | None
    prior_driven: bool


@dataclass
class Lever:
    """Setting a factor to +1: the gain in P(W2) (and in P(W1) for a phase-1 factor)."""

    rank: int
    factor: str
    label: str
    phase: int
    stream: str
    code: float | None
    gain_w2: Interval
    gain_w1: Interval | None
    p_gain: float | None
    threshold: float
    action: str = ""  # what to do: the codebook's action, or the words made from the label (marked as such)


@dataclass
class CaseResult:
    """Per case: window chances, stream activation and the best levers."""

    case_id: str
    name: str
    level: str
    group: str
    n_not_discussed: int
    windows: list[WindowChance]
    p_w2_given_w1: Interval
    streams: list[StreamState]
    levers: list[Lever]
    not_discussed: list = field(default_factory=list)  # modes_view.CaseNotDiscussed per window

    @property
    def weakest(self) -> list[StreamState]:
        """The bottleneck stream of each phase (empty for the additive model)."""
        return [s for s in self.streams if s.bottleneck]


def _case_streams(activation, case_id: str) -> list[StreamState]:
    if activation is None:
        return []
    own = activation[activation["case_id"] == case_id]
    return [StreamState(int(r["phase"]), str(r["stream"]), Interval.of(r), _num(r["observed"]), bool(r["bottleneck"]))
            for _, r in own.iterrows()]


def _case_levers(levers, case_id: str, labels: dict, n: int, no_data=frozenset(), actions: dict | None = None) -> list[Lever]:
    """The ``n`` best levers on W2, ranked again after the factors without data are left out (MODEL.md §9).

    ``actions`` maps a factor id to what to do about it (:func:`~bayesstreams.reporting.advice_text.action_text`).
    """
    own = levers[(levers["case_id"] == case_id) & ~levers["factor"].isin(list(no_data))]
    on_w1 = {r["factor"]: r for _, r in own[own["window"] == "W1"].iterrows()}
    best = own[own["window"] == "W2"].sort_values("rank").head(n)
    return [Lever(rank, r["factor"], labels[r["factor"]], int(r["phase"]), str(r["stream"]),
                  _num(r["code"]), Interval.of(r),
                  Interval.of(on_w1[r["factor"]]) if r["factor"] in on_w1 else None,
                  _num(r["p_gain_gt_threshold"]), float(r["threshold"]), (actions or {}).get(r["factor"], ""))
            for rank, (_, r) in enumerate(best.iterrows(), start=1)]


def case_results(tables: dict, dataset, lang: str, flags: PriorFlags, n_levers: int = N_LEVERS,
                 no_data=frozenset()) -> list[CaseResult]:
    """Per case: window chances, stream activation, weakest streams and the best levers (none without data)."""
    from bayesstreams.reporting.advice_text import action_text
    from bayesstreams.reporting.i18n import translator

    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    actions = {f.id: action_text(f.action(lang), f.label(lang), translator(lang)) for f in dataset.codebook.factors}
    predictions = tables["case_predictions"]
    out = []
    for info in _case_infos(dataset):
        own = predictions[predictions["case_id"] == info.case_id].set_index("quantity")
        windows = [WindowChance(p, Interval.of(own.loc[f"p_w{p}"]), getattr(info, f"w{p}"),
                                flags("query", f"p_w{p}", info.case_id)) for p in PHASES]
        out.append(CaseResult(info.case_id, info.name, info.level, info.group, info.n_not_discussed, windows,
                              Interval.of(own.loc["p_w2_given_w1"]),
                              _case_streams(tables.get("stream_activation"), info.case_id),
                              _case_levers(tables["levers"], info.case_id, labels, n_levers, no_data, actions)))
    return out


# ---------------------------------------------------------------------------- what the data taught


@dataclass
class TaughtRow:
    """The contraction of one scalar (a parameter or a headline query)."""

    source: str
    name: str
    index: str
    prior_sd: float | None
    posterior_sd: float | None
    contraction: float | None
    prior_driven: bool
    label: str = ""


@dataclass
class TaughtCount:
    """How many scalars of one quantity there are and how many are prior-driven."""

    source: str
    name: str
    n: int
    n_prior_driven: int


@dataclass
class Taught:
    """Prior-to-posterior contraction, counted per quantity and listed in full."""

    threshold: float
    n_total: int
    n_prior_driven: int
    counts: list[TaughtCount]
    rows: list[TaughtRow]


def index_words(dataset, lang: str) -> dict[str, str]:
    """Reader's words for the parts of a contraction index: phases, streams, factor labels, case names."""
    from bayesstreams.reporting.i18n import translator

    t = translator(lang)
    names = dict(zip(dataset.case_ids, (n or c for n, c in zip(dataset.case_column("name"), dataset.case_ids))))
    return {**{str(p): t(f"phase_short_{p}") for p in PHASES}, **{s: t(f"stream_title_{s}") for s in STREAMS},
            **{f.id: f.label(lang) for f in dataset.codebook.factors}, **names}


def taught(frame, words: dict[str, str] | None = None, flags: PriorFlags | None = None) -> Taught:
    """The contraction table of :func:`bayesstreams.analysis.contraction.what_the_data_taught` as report data.

    ``words`` turns the parts of an index ("1, problem", a factor id, a case id) into the
    reader's words (see :func:`index_words`); parts without an entry stay as they are.
    Contraction is descriptive: the ``prior_driven`` mark of each row is the measured flag
    (``flags``, :mod:`bayesstreams.analysis.prior_dependence`), the one every part of the report shows.
    """
    from bayesstreams.analysis.contraction import PRIOR_DRIVEN_BELOW

    words = words or {}

    def label(index: str) -> str:
        return ", ".join(words.get(part, part) for part in index.split(", ")) if index else ""

    rows = [TaughtRow(r.source, r.name, str(r.index), _num(r.prior_sd), _num(r.posterior_sd), _num(r.contraction),
                      flags(r.source, r.name, str(r.index)) if flags else bool(r.prior_driven),
                      label(str(r.index))) for r in frame.itertuples()]
    counts: dict[tuple[str, str], TaughtCount] = {}
    for row in rows:
        count = counts.setdefault((row.source, row.name), TaughtCount(row.source, row.name, 0, 0))
        count.n += 1
        count.n_prior_driven += row.prior_driven
    return Taught(PRIOR_DRIVEN_BELOW, len(rows), sum(r.prior_driven for r in rows), list(counts.values()), rows)


# ---------------------------------------------------------------------------- diagnostics, comparison, provenance


@dataclass
class DiagnosticRow:
    """One sampler check: its worst value, the target and whether it passed."""

    check: str
    value: float | None
    target: str
    passed: bool
    op: str = ""
    limit: float | None = None


@dataclass
class DiagnosticsSummary:
    """All sampler checks; ``failed`` names the checks that failed (the banner lists them)."""

    passed: bool
    failed: list[str]
    n_samples: int | None
    rows: list[DiagnosticRow]


def diagnostics_summary(info: dict) -> DiagnosticsSummary:
    """The sampler checks recorded in run.json; a run without them counts as failed."""
    from bayesstreams.inference.diagnostics import BFMI_MIN, ESS_MIN, RHAT_MAX

    d = info.get("diagnostics") or {}
    limits = {"rhat_max": RHAT_MAX, "ess_min": ESS_MIN, "bfmi_min": BFMI_MIN, **d.get("thresholds", {})}
    specs = (("rhat", "rhat_max", "<=", limits["rhat_max"]), ("ess_bulk", "ess_bulk_min", ">=", limits["ess_min"]),
             ("ess_tail", "ess_tail_min", ">=", limits["ess_min"]), ("divergences", "divergences", "=", 0),
             ("bfmi", "bfmi_min", ">=", limits["bfmi_min"]))
    checks = d.get("checks", {})
    rows = [DiagnosticRow(check, _num(d.get(value)), f"{op} {limit}", bool(checks.get(check, False)), op, _num(limit))
            for check, value, op, limit in specs]
    failed = [r.check for r in rows if not r.passed]
    return DiagnosticsSummary(bool(d.get("passed", False)) and not failed, failed, d.get("n_samples"), rows)


@dataclass
class ComparisonRow:
    """One model's leave-one-case-out elpd (see :mod:`bayesstreams.checks.compare`)."""

    model: str
    elpd: float | None
    se: float | None
    p_loo: float | None
    elpd_diff: float | None
    se_diff: float | None
    max_k: float | None
    n_k_high: int
    method: str


@dataclass
class Comparison:
    """Leave-one-case-out elpd of the report's run and the compared run (best first)."""

    target: str
    k_threshold: float
    rows: list[ComparisonRow]


def comparison(run, compare_run) -> Comparison | None:
    """PSIS-LOO of the two runs through :func:`bayesstreams.checks.compare.compare_fits`."""
    if compare_run is None:
        return None
    from bayesstreams.checks.compare import K_THRESHOLD, compare_fits

    table = compare_fits([run, compare_run], exact="none").table
    rows = [ComparisonRow(str(r["model"]), _num(r["elpd"]), _num(r["se"]), _num(r["p_loo"]), _num(r["elpd_diff"]),
                          _num(r["se_diff"]), _num(r["max_k"]), int(r["n_k_high"]), str(r["method"]))
            for _, r in table.iterrows()]
    return Comparison(str(table["target"].iloc[0]), K_THRESHOLD, rows)


@dataclass
class Reproducibility:
    """Command, seed, hashes, sampler settings and versions of the run."""

    command: str
    seed: int | None
    data_hash: str
    model_hash: str
    sampler: str
    settings: dict
    versions: dict
    created: str


def reproducibility(info: dict) -> Reproducibility:
    """What a reader needs to rerun the analysis, from run.json."""
    return Reproducibility(str(info.get("command", "")), info.get("seed"), str(info.get("dataset", {}).get("hash", "")),
                           str(info.get("model", {}).get("hash", "")), str(info.get("sampler", "")),
                           dict(info.get("settings", {})), {str(k): str(v) for k, v in info.get("versions", {}).items()},
                           str(info.get("created", "")))


# ---------------------------------------------------------------------------- the report


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
    rho_density: list = field(default_factory=list)  # prior and posterior density of rho (figure table)
    advice: list = field(default_factory=list)  # per case: advice given what is known (MODEL.md §9), with its text
    modes: object = None  # modes_view.ModesView: "what if not discussed means ...", the modes side by side

    @property
    def has_streams(self) -> bool:
        """Stream activation exists only in the streams model."""
        return any(case.streams for case in self.cases)


def case_advice_rows(run, lang: str) -> list[dict]:
    """Per case of the run: its advice given what is known (JSON-ready) and its lines of text (streams model)."""
    if not run.kind.has_streams:
        return []
    from bayesstreams.analysis.advice import advice_to_dict, case_advice
    from bayesstreams.reporting.advice_text import advice_lines

    labels = {f.id: {lang: f.label(lang)} for f in run.dataset.codebook.factors}
    actions = run.dataset.codebook.actions()
    rows = []
    for case_id, name in zip(run.dataset.case_ids, run.dataset.case_column("name")):
        data = advice_to_dict(case_advice(run, case_id), labels, lang, actions)
        rows.append({"case_id": case_id, "name": name or case_id, "lines": advice_lines(data, lang), "advice": data})
    return rows


def _step_flags(highlights: list, window: str, flags: PriorFlags) -> list:
    """A headline shows the ACE of the factor's observed step: it carries that number's measured flag."""
    for h in highlights:
        h.prior_driven = flags("query", f"ace_step_{window.lower()}", h.factor)
    return highlights


def build_report(run, lang: str = "en", compare_run=None, check_run=None, agnostic_run=None, mode_runs=None) -> Report:
    """Assemble the report of a loaded run.

    ``compare_run`` adds a PSIS-LOO comparison; ``check_run`` (the wide-prior refit, see
    ``study.wide``) and power-scaling measure the prior dependence;
    ``agnostic_run`` is shown beside them; ``mode_runs`` (the same data under the other
    not-discussed modes, ``study.modes``) fill "what if not discussed means ...".
    """
    from bayesstreams.analysis.claims import claim_verdicts, dependency_verdict
    from bayesstreams.analysis.contraction import what_the_data_taught
    from bayesstreams.analysis.prior_dependence import prior_dependence
    from bayesstreams.analysis.queries import DEFAULT_MIN_GAIN, query_tables, run_baseline
    from bayesstreams.analysis.ranks import effect_ranks
    from bayesstreams.analysis.mode_comparison import mode_comparison, not_discussed_reliance, run_mode
    from bayesstreams.reporting.support_view import data_support_view, rank_rows, ranked_highlights
    from bayesstreams.reporting.agreement_view import agreement_view
    from bayesstreams.reporting import evidence
    from bayesstreams.reporting.modes_view import case_not_discussed, modes_view
    from bayesstreams.reporting.i18n import translator

    dataset = run.dataset
    tables = query_tables(run)
    learned = what_the_data_taught(run)
    measured = prior_dependence(run, check_run, agnostic_run)
    flags = PriorFlags(measured)
    t = translator(lang)
    verdicts = claim_verdicts(run, dataset.claims, measured)  # no-data factors: data.support's
    support = data_support_view(dataset, lang)
    effects = factor_effects(tables["factor_importance"], dataset, lang, flags, support)
    ranks = effect_ranks(run.posterior, dataset, base=run_baseline(run))
    by_id = {e.factor: e for e in effects}
    highlights = {"W1": _step_flags(ranked_highlights(ranks, "W1", by_id, N_HIGHLIGHTS), "W1", flags),
                  "W2": _step_flags(ranked_highlights(ranks, "W2", by_id, N_HIGHLIGHTS), "W2", flags)}
    claims = [evidence.claim_view(v, lang, t) for v in verdicts]
    reliance = not_discussed_reliance(run)
    cases = case_results(tables, dataset, lang, flags, no_data=frozenset(support.no_data))
    for case in cases:
        case.not_discussed = case_not_discussed(reliance, case.case_id)
    others = list((mode_runs or {}).values())
    modes = modes_view(mode_comparison(run, others, measured) if others else None, run_mode(run),
                       code_table(dataset, lang), {w: [h.factor for h in hs] for w, hs in highlights.items()},
                       index_words(dataset, lang), claims)
    return Report(
        lang=lang, dataset_name=dataset.name, title=dataset.codebook.describe("title", lang),
        source=dataset.codebook.describe("source", lang), model_name=run.config.name, model_kind=run.config.kind,
        n_cases=dataset.n_cases, n_factors=len(dataset.factor_ids), codes=code_table(dataset, lang),
        factors=effects, highlights_w1=highlights["W1"], highlights_w2=highlights["W2"],
        dependency=dependency(tables["phase_dependency"], flags), cases=cases,
        taught=taught(learned, index_words(dataset, lang), flags), diagnostics=diagnostics_summary(run.info),
        reproducibility=reproducibility(run.info),
        comparison=comparison(run, compare_run), lever_threshold=DEFAULT_MIN_GAIN, data_support=support,
        agreement=agreement_view(dataset, lang),
        ranks=rank_rows(ranks, by_id),
        prior_check=evidence.prior_check(measured, check_run.config.name if check_run else "",
                                         agnostic_run.config.name if agnostic_run else "",
                                         index_words(dataset, lang)),
        structural=evidence.structural(run),
        dependency_verdict=evidence.claim_view(dependency_verdict(run, measured), lang, t),
        claims=claims, rho_density=evidence.dependency_density(run), advice=case_advice_rows(run, lang), modes=modes)


def summary(report: Report) -> dict:
    """The report as JSON-ready data: every number shown, unrounded; missing numbers are None."""
    data = asdict(report)
    for case, result in zip(data["cases"], report.cases):
        case["weakest"] = [asdict(s) for s in result.weakest]
    return {"format": REPORT_FORMAT, **data}


# ---------------------------------------------------------------------------- figures and files


def forest_table(report: Report, t=None):
    """The factor effects as the long table :func:`bayesstreams.reporting.figures.forest_plot` draws.

    With a translator ``t``, the label of a factor without data says so ("no data: prior only").
    """
    import pandas as pd

    rows = []
    for e in report.factors:
        label = f"{e.label} ({t('support_no_data')})" if t is not None and e.no_data else e.label
        for window, ace, prior in (("W1", e.ace_w1, e.ace_w1_prior_driven), ("W2", e.ace_w2, e.ace_w2_prior_driven)):
            if ace is not None:
                rows.append({"factor": e.factor, "label": label, "phase": e.phase, "stream": e.stream,
                             "window": window, **asdict(ace), "prior_driven": prior})
    return pd.DataFrame.from_records(rows)


def stream_tables(streams: list[StreamState], windows: list[WindowChance]):
    """The ``(streams, windows)`` tables :func:`bayesstreams.reporting.figures.stream_diagram` draws for one case."""
    import pandas as pd

    nan = float("nan")
    stream_frame = pd.DataFrame.from_records([
        {"phase": s.phase, "stream": s.stream, **asdict(s.q), "observed": nan if s.observed is None else s.observed,
         "bottleneck": s.bottleneck} for s in streams])
    window_frame = pd.DataFrame.from_records([
        {"phase": w.phase, **asdict(w.p), "observed": nan if w.observed is None else w.observed,
         "prior_driven": w.prior_driven} for w in windows])
    return stream_frame, window_frame


def figure_texts(report: Report, t) -> dict:
    """Title, description and caption of every figure (:class:`~bayesstreams.reporting.figure_text.FigureText`)."""
    from bayesstreams.reporting.figure_text import forest_text, rho_text, stream_text

    out = {"factor_effects.svg": forest_text(report, t)}
    if report.rho_density:
        out["rho_prior_posterior.svg"] = rho_text(report.dependency, t)
    if report.has_streams:
        for n, case in enumerate(report.cases, start=1):
            out[stream_figure_name(n)] = stream_text(case.name, case.streams, case.windows, t)
    return out


def figures(report: Report, t, texts: dict | None = None) -> dict[str, str]:
    """SVG text of every figure, keyed by file name under ``figures/``, each with its title and description."""
    from bayesstreams.reporting.figures import forest_plot, stream_diagram, to_svg

    texts = texts or figure_texts(report, t)

    def svg(fig, name: str) -> str:
        return to_svg(fig, texts[name].title, texts[name].desc, ident=name.removesuffix(".svg").replace("_", "-"))

    out = {"factor_effects.svg": svg(forest_plot(forest_table(report, t), t), "factor_effects.svg")}
    if report.rho_density:
        import pandas as pd

        from bayesstreams.reporting.figures import prior_posterior_plot

        table = pd.DataFrame.from_records(report.rho_density)
        out["rho_prior_posterior.svg"] = svg(prior_posterior_plot(table, t), "rho_prior_posterior.svg")
    if report.has_streams:
        for n, case in enumerate(report.cases, start=1):
            name = stream_figure_name(n)
            out[name] = svg(stream_diagram(*stream_tables(case.streams, case.windows), t, name=case.name), name)
    return out


def stream_figure_name(n: int) -> str:
    """File name of the stream diagram of the ``n``-th case (1-based; names never carry user text)."""
    return f"streams_{n:02d}.svg"


def _csv_text(value) -> str:
    from bayesstreams.data.export import spreadsheet_safe

    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else spreadsheet_safe(str(value))


def write_tables(report: Report, folder: Path) -> None:
    """``tables/factors.csv``, ``tables/cases.csv`` and ``tables/ranks.csv``: the report's main tables for spreadsheets."""
    from bayesstreams.data.io import write_csv

    header = ["factor", "label", "phase", "stream", *(f"ace_w1_{k}" for k in SUMMARY), "ace_w1_prior_driven",
              *(f"ace_w2_{k}" for k in SUMMARY), "ace_w2_prior_driven", *(f"beta_{k}" for k in SUMMARY),
              "beta_p_positive", "support"]
    empty = dict.fromkeys(SUMMARY)
    rows = [[e.factor, e.label, e.phase, e.stream, *(asdict(e.ace_w1) if e.ace_w1 else empty).values(),
             e.ace_w1_prior_driven, *asdict(e.ace_w2).values(), e.ace_w2_prior_driven, *asdict(e.beta).values(),
             e.beta_p_positive, e.support] for e in report.factors]
    write_csv(folder / "factors.csv", header, [[_csv_text(v) for v in row] for row in rows])
    header = ["case_id", "name", "level", "group", "n_not_discussed", *(f"p_w1_{k}" for k in SUMMARY), "w1",
              *(f"p_w2_{k}" for k in SUMMARY), "w2"]
    rows = [[c.case_id, c.name, c.level, c.group, c.n_not_discussed, *asdict(c.windows[0].p).values(),
             c.windows[0].observed, *asdict(c.windows[1].p).values(), c.windows[1].observed] for c in report.cases]
    write_csv(folder / "cases.csv", header, [[_csv_text(v) for v in row] for row in rows])
    header = ["window", "factor", "label", "step", "mean", "rank", "p_rank1", "p_top3", "support"]
    rows = [[r.window, r.factor, r.label, r.step, r.mean, r.rank, r.p_rank1, r.p_top3, r.support_kind]
            for r in report.ranks]
    write_csv(folder / "ranks.csv", header, [[_csv_text(v) for v in row] for row in rows])


def render_report(report: Report, svgs: dict[str, str], t, texts: dict | None = None) -> tuple[str, str]:
    """``(report.html, report.md)`` text: figures inline in the HTML, linked as files in the Markdown."""
    from bayesstreams.reporting.render import render, trusted

    texts = texts or figure_texts(report, t)
    common = {"r": report, "stream_figure_name": stream_figure_name, "captions": texts, "glossary": GLOSSARY}
    html = render("report.html", t, figures={k: trusted(v) for k, v in svgs.items()}, **common)
    markdown = render("report.md", t, figures={k: trusted(f"figures/{k}") for k in svgs}, **common)
    return html, markdown


def write_report(study, out_dir, lang: str = "en", compare_run=None, force: bool = False) -> Path:
    """Write a run's report: ``report.html``, ``report.md`` (+ ``figures/``, ``tables/`` with ``report.xlsx``), ``summary.json``.

    Parameters
    ----------
    study
        A :class:`~bayesstreams.inference.study.Study` (``bs.load_study(folder)``): the run and its
        companions.  The wide-prior refit (with power-scaling) measures the prior dependence, the
        agnostic refit is shown beside it, and the runs under the other not-discussed modes fill
        "what if not discussed means ..."; a companion the study does not hold is named as
        missing in the report.
    out_dir
        The report folder; written atomically (complete or not at all).
    lang
        ``"en"`` or ``"nl"``: the language of every word; factor labels from the codebook.
    compare_run
        Optional second run of the same data (a loaded run): adds a PSIS-LOO model comparison.
    force
        Replace an existing ``out_dir``.

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> folder = write_report(study, tmp / "report", lang="nl")
    >>> sorted(p.name for p in folder.iterdir() if p.is_file())
    ['report.html', 'report.md', 'summary.json']
    """
    from bayesstreams.atomic import atomic_folder, atomic_write_bytes, atomic_write_text, refuse_existing
    from bayesstreams.reporting.companions_text import missing_lines, missing_rows
    from bayesstreams.reporting.workbook import workbook_bytes
    from bayesstreams.reporting.i18n import translator

    t = translator(lang)
    out_dir = Path(out_dir)
    refuse_existing(out_dir, force)  # before the work, not after it
    report = build_report(study.run, lang, compare_run, study.wide, study.agnostic, study.modes)
    report.missing_companions = [{**row, "text": text} for row, text in
                                 zip(missing_rows(study), missing_lines(study, lang))]
    texts = figure_texts(report, t)
    svgs = figures(report, t, texts)
    html, markdown = render_report(report, svgs, t, texts)
    with atomic_folder(out_dir, force=force) as tmp:
        atomic_write_text(tmp / "report.html", html)
        atomic_write_text(tmp / "report.md", markdown)
        atomic_write_text(tmp / "summary.json", json.dumps(summary(report), indent=1, ensure_ascii=False,
                                                           allow_nan=False) + "\n")
        for name, svg in svgs.items():
            atomic_write_text(tmp / "figures" / name, svg)
        write_tables(report, tmp / "tables")
        atomic_write_bytes(tmp / "tables" / "report.xlsx", workbook_bytes(report, t))
    return out_dir
