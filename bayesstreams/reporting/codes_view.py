"""The report's first table: the coded data, case by factor, grouped by phase and stream, with the quotes behind the codes."""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.reporting.view import _num


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


def case_infos(dataset) -> list[CaseInfo]:
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
                         [_num(v) for v in dataset.w[:, p]]) for p in range(len(PHASES))
              if PHASES[p] in dataset.phases]  # a phase the study does not have is no block
    infos = case_infos(dataset)
    names = {c.case_id: c.name for c in infos}
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    quote_rows = [Quote(names.get(r["case_id"], r["case_id"]), labels.get(r["factor"], r["factor"]), _num(r["code"]),
                        str(r.get("section", "") or ""), str(r["quote"]))
                  for records in quotes.values() for r in records]
    return CodeTable(infos, phases, int(dataset.x.size), int(sum(c.n_not_discussed for c in infos)),
                     any(c.level for c in infos), any(c.group for c in infos), quote_rows)
