"""Report data for "what the data can tell" (MODEL.md §8): data support, the raw view, steps and rankings.

Nothing is computed here: the numbers come from :func:`bayesstreams.data.support.data_support`,
:func:`bayesstreams.data.raw_view.raw_view`, :func:`bayesstreams.analysis.ranks.effect_ranks` and
the per-step rows of :func:`bayesstreams.analysis.queries.factor_importance`; this module labels
and orders them for the report, the brief and ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.data.raw_view import raw_view
from bayesstreams.data.support import LABEL_DATA, LABEL_NO_DATA, LABEL_SEPARATING, aliased_factors, data_support
from bayesstreams.reporting.view import Highlight, Interval, _num

# each support label as the suffix of its translation key (t("support_" ~ kind))
SUPPORT_KINDS = {LABEL_DATA: "data", LABEL_NO_DATA: "no_data", LABEL_SEPARATING: "separating"}
STEP_ORDER = ("-1 -> 0", "0 -> +1", "-1 -> +1")


@dataclass
class CodeCounts:
    """Raw codes of one factor among some cases: ``-1``, ``0``, ``+1`` and not discussed."""

    n_cases: int
    n_minus: int
    n_zero: int
    n_plus: int
    n_not_discussed: int


@dataclass
class Alias:
    """Another factor with the same (``sign`` +1) or exactly opposite (-1) codes in every case."""

    factor: str
    label: str
    sign: int


@dataclass
class SupportRow:
    """One factor: its code counts, its support label, what it separates, its codes against each window."""

    factor: str
    label: str
    phase: int
    stream: str
    support: str
    support_kind: str
    counts: CodeCounts
    separates_window: int
    separates_stream: int
    w1_open: CodeCounts
    w1_closed: CodeCounts
    w2_open: CodeCounts
    w2_closed: CodeCounts
    aliases: list = field(default_factory=list)  # Alias per factor its codes cannot be told apart from


@dataclass
class WindowCross:
    """The coded W1 x W2 table: ``n[w1][w2]`` over the states open, closed, unknown."""

    n: dict
    reached_with: int
    of_with: int
    reached_without: int
    of_without: int


@dataclass
class DataSupport:
    """Everything the "what the data can tell" section shows."""

    rows: list[SupportRow]
    windows: WindowCross
    no_data: list[str]
    separating: list[str]
    aliased: list = field(default_factory=list)  # (Alias, Alias) per pair, each pair once

    def label_of(self, factor: str) -> str:
        """The support label of ``factor``."""
        return next(r.support for r in self.rows if r.factor == factor)

    def aliases_of(self, factor: str) -> list:
        """The :class:`Alias` records of ``factor`` (empty when the data can tell its effect apart)."""
        return next((r.aliases for r in self.rows if r.factor == factor), [])


def _counts(row) -> CodeCounts:
    return CodeCounts(int(row.get("n_cases", row["n_minus"] + row["n_zero"] + row["n_plus"] + row["n_not_discussed"])),
                      int(row["n_minus"]), int(row["n_zero"]), int(row["n_plus"]), int(row["n_not_discussed"]))


def data_support_view(dataset, lang: str) -> DataSupport:
    """The support table and the raw view of ``dataset`` as report data."""
    table = data_support(dataset)
    view = raw_view(dataset)
    by_window = {(r["factor"], r["window"], r["state"]): r for _, r in view.codes.iterrows()}
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    aliased = aliased_factors(dataset)
    rows = []
    for _, r in table.iterrows():
        f = r["factor"]
        rows.append(SupportRow(f, labels[f], int(r["phase"]), str(r["stream"]), str(r["label"]),
                               SUPPORT_KINDS[r["label"]], _counts(r), int(r["separates_window"]),
                               int(r["separates_stream"]),
                               *(_counts(by_window[f, w, s]) for w in ("W1", "W2") for s in ("open", "closed")),
                               [Alias(o, labels[o], sign) for o, sign in aliased.get(f, [])]))
    split = view.phase2_given_phase1()
    cross = {a: {b: view.n(a, b) for b in ("open", "closed", "unknown")} for a in ("open", "closed", "unknown")}
    order = list(dataset.factor_ids)
    pairs = [(Alias(f, labels[f], sign), Alias(o, labels[o], sign)) for f in order for o, sign in aliased.get(f, [])
             if order.index(o) > order.index(f)]
    return DataSupport(rows, WindowCross(cross, *split["with"], *split["without"]),
                       [r.factor for r in rows if r.support == LABEL_NO_DATA],
                       [r.factor for r in rows if r.support == LABEL_SEPARATING], pairs)


@dataclass
class StepEffect:
    """The ACE of one step of a factor's code on one window, and whether the step leaves the observed codes."""

    window: str
    step: str
    mean: float | None
    q05: float | None
    q25: float | None
    q75: float | None
    q95: float | None
    extrapolated: bool
    prior_driven: bool = False  # the measured flag where this step is a headline number (+1 vs -1, the observed step)


def step_effects(importance, factor: str, reaches_w1: bool, rows: list[dict] | None = None) -> list[StepEffect]:
    """Per window the factor reaches, the three steps in :data:`STEP_ORDER` (from ``factor_importance``;
    ``rows``: the factor's rows of it as records, when the caller has them)."""
    if rows is None:
        rows = importance[importance["factor"] == factor].to_dict("records")
    own = {(r["window"], r["step"]): r for r in reversed(rows) if r["quantity"] == "ace"}  # the first row wins
    out = []
    for window in ("W1", "W2") if reaches_w1 else ("W2",):
        for step in STEP_ORDER:
            r = own[window, step]
            out.append(StepEffect(window, step, *(_num(r[k]) for k in ("mean", "q05", "q25", "q75", "q95")),
                                  bool(r["extrapolated"])))
    return out


@dataclass
class RankRow:
    """One factor's place in the ranking of effects on one window, with its probabilities."""

    window: str
    factor: str
    label: str
    step: str
    mean: float
    rank: int
    p_rank1: float
    p_top3: float
    support_kind: str
    aliases: list = field(default_factory=list)  # labels of the factors it cannot be told apart from
    extrapolated: bool = False  # 0 or +1 was never coded for the factor: the common step leaves its codes
    # the second column: the factor's observed-range step (None where it has one coded value only)
    observed_step: str | None = None
    observed_mean: float | None = None
    observed_rank: int | None = None
    observed_p_rank1: float | None = None
    observed_p_top3: float | None = None


def _rank(value) -> int | None:
    value = _num(value)
    return None if value is None else int(value)


def rank_rows(ranks, effects: dict) -> list[RankRow]:
    """Every row of :func:`bayesstreams.analysis.ranks.effect_ranks` as report data (W1 first, by rank on the common step)."""
    return [RankRow(str(r["window"]), str(r["factor"]), effects[r["factor"]].label, str(r["step"]), float(r["mean"]),
                    int(r["rank"]), float(r["p_rank1"]), float(r["p_top3"]), effects[r["factor"]].support_kind,
                    list(effects[r["factor"]].aliases), bool(r["extrapolated"]),
                    r["observed_step"] if isinstance(r["observed_step"], str) else None, _num(r["observed_mean"]),
                    _rank(r["observed_rank"]), _num(r["observed_p_rank1"]), _num(r["observed_p_top3"]))
            for _, r in ranks.iterrows()]


def ranked_highlights(ranks, window: str, effects: dict, n: int) -> list:
    """The ``n`` factors with the largest posterior-mean ACE on ``window`` over the common step ``0 -> +1``.

    ``effects`` maps factor id -> its :class:`~bayesstreams.reporting.effects_view.FactorEffect`; the
    interval shown is the ACE of that step, with ``P(rank 1)`` and ``P(top 3)`` on it.  Factors
    without data support are not in ``ranks`` and so never reach a headline.
    """
    out = []
    for _, r in ranks[ranks["window"] == window].sort_values("rank").head(n).iterrows():
        e = effects[r["factor"]]
        step = next(s for s in e.steps if s.window == window and s.step == r["step"])
        prior = e.ace_w1_prior_driven if window == "W1" else e.ace_w2_prior_driven
        out.append(Highlight(e.factor, e.label, Interval(step.mean, step.q05, step.q25, step.q75, step.q95), prior,
                             str(r["step"]), float(r["p_rank1"]), float(r["p_top3"]), e.support_kind,
                             bool(r["extrapolated"])))
    return out
