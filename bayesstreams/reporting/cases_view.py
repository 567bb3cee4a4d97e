"""The report's per-case results: window chances, stream activation, the best levers and the advice given what is known."""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.analysis.advice import advice_to_dict, cases_advice
from bayesstreams.data.codebook import PHASES
from bayesstreams.reporting.advice_text import action_text, advice_lines
from bayesstreams.reporting.codes_view import case_infos
from bayesstreams.reporting.effects_view import PriorFlags
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.view import Interval, StreamState, WindowChance, _num

N_LEVERS = 3


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


def _case_levers(own, labels: dict, n: int, actions: dict | None = None) -> list[Lever]:
    """The ``n`` best levers on W2 of one case's rows of the levers table, the factors without data already left out
    (ranked again without them, MODEL.md §9).

    ``actions`` maps a factor id to what to do about it (:func:`~bayesstreams.reporting.advice_text.action_text`).
    """
    on_w1 = {r["factor"]: r for _, r in own[own["window"] == "W1"].iterrows()}
    best = own[own["window"] == "W2"].sort_values("rank").head(n)
    return [Lever(rank, r["factor"], labels[r["factor"]], int(r["phase"]), str(r["stream"]),
                  _num(r["code"]), Interval.of(r),
                  Interval.of(on_w1[r["factor"]]) if r["factor"] in on_w1 else None,
                  _num(r["p_gain_gt_threshold"]), float(r["threshold"]), (actions or {}).get(r["factor"], ""))
            for rank, (_, r) in enumerate(best.iterrows(), start=1)]


def _by_case(table, keep=None) -> dict:
    """``table``'s rows (those ``keep`` marks) per case id, each in the table's order: one pass, not one filter per case."""
    table = table if keep is None else table[keep]
    return {case: rows for case, rows in table.groupby("case_id", sort=False)}


def case_results(tables: dict, dataset, lang: str, flags: PriorFlags, n_levers: int = N_LEVERS,
                 no_data=frozenset()) -> list[CaseResult]:
    """Per case: window chances, stream activation, weakest streams and the best levers (none without data)."""
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    actions = {f.id: action_text(f.action(lang), f.label(lang), translator(lang)) for f in dataset.codebook.factors}
    predictions = _by_case(tables["case_predictions"])
    levers = tables["levers"]
    levers = _by_case(levers, ~levers["factor"].isin(list(no_data)))
    empty = tables["levers"].iloc[:0]
    out = []
    for info in case_infos(dataset):
        own = predictions[info.case_id].set_index("quantity")
        windows = [WindowChance(p, Interval.of(own.loc[f"p_w{p}"]), getattr(info, f"w{p}"),
                                flags("query", f"p_w{p}", info.case_id)) for p in PHASES]
        out.append(CaseResult(info.case_id, info.name, info.level, info.group, info.n_not_discussed, windows,
                              Interval.of(own.loc["p_w2_given_w1"]),
                              _case_streams(tables.get("stream_activation"), info.case_id),
                              _case_levers(levers.get(info.case_id, empty), labels, n_levers, actions)))
    return out


def run_case_advice(run, case_id: str):
    """The advice of one case of ``run`` (default threshold and gain), kept in ``run.memo``: the report's advice rows
    and the claims' source check read the same advice of the main run (and a companion's once).

    The first case asked for computes every case's advice at once on the batch path that ``score`` and the
    brief take (:func:`~bayesstreams.analysis.advice.cases_advice`, equal to
    :func:`~bayesstreams.analysis.advice.case_advice` of each case up to rounding): the report and the
    brief give the same numbers, in a third of the time of one case at a time.
    """
    key = ("case_advice", case_id)
    if key not in run.memo:
        for case, advice in cases_advice(run).items():
            run.memo.setdefault(("case_advice", case), advice)
    return run.memo[key]


def case_advice_rows(run, lang: str, flags=None) -> list[dict]:
    """Per case of the run: its advice given what is known (JSON-ready) and its lines of text (streams model).

    ``flags`` (:class:`~bayesstreams.reporting.effects_view.PriorFlags`) marks ``P(phase 1 was necessary for
    phase 2)``, which is ``1 - rho``, with the dependency necessity's measured flag.
    """
    if not run.kind.has_streams:
        return []
    labels = {f.id: {lang: f.label(lang)} for f in run.dataset.codebook.factors}
    actions = run.dataset.codebook.actions()
    rows = []
    for case_id, name in zip(run.dataset.case_ids, run.dataset.case_column("name")):
        data = advice_to_dict(run_case_advice(run, case_id), labels, lang, actions)
        if data.get("phase1_necessary") is not None and flags is not None:
            data["phase1_necessary"]["prior_driven"] = bool(flags("query", "dependency_necessity"))
        rows.append({"case_id": case_id, "name": name or case_id, "lines": advice_lines(data, lang), "advice": data})
    return rows
