"""Turn coded QDA material into a dataset folder: mapped codes become cells, quotes their provenance.

Both importers (REFI-QDA projects, code-matrix exports) reduce their input to :class:`Evidence`
records, one per (case, respondent, QDA code) with its quote and location; this module applies the
mapping, finds conflicts, validates the result against the data contract in memory, and only then
writes ``codebook.toml``, ``cases.csv``, ``codes.csv`` and ``streams.csv`` atomically.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.atomic import atomic_folder, atomic_write_text
from bayesstreams.data.codebook import PHASES, STREAMS, imported_codebook_text
from bayesstreams.data.dataset import CASES_FILE, CODES_FILE, STREAMS_FILE, build_dataset
from bayesstreams.data.io import RawTable, write_csv
from bayesstreams.data.qda.mapping import Mapping, Target
from bayesstreams.data.schema import validate_tables
from bayesstreams.errors import InputError, Violation

QUOTE_WORDS = 25
CODE_COLUMNS = ["case_id", "factor", "code", "respondent", "source", "section", "quote"]
_RESERVED_CASE_COLUMNS = {"case_id", "name", "w1", "w2"}


@dataclass(frozen=True)
class Evidence:
    """One QDA code applied in one case by one respondent, with where it was found."""

    case: str
    respondent: str
    source: str
    code_path: str
    quote: str
    where: str
    file: str
    line: int | None
    column: str | None = None

    def located(self) -> str:
        return f"{self.file}:{'' if self.line is None else self.line}"


@dataclass
class ImportTables:
    """The dataset tables an import produced, before validation, and what it left out."""

    cases: list[dict]
    codes: list[dict]
    streams: list[dict]
    unmapped: dict[str, int] = field(default_factory=dict)
    collected: dict[str, int] = field(default_factory=dict)  # mapped code -> codings of codes under it


def cut_quote(text: str, words: int = QUOTE_WORDS) -> str:
    """The first ``words`` words of a coded text on one line, with an ellipsis when cut."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def column_name(variable: str) -> str:
    """A case-table column for a QDA variable (``Inwoners (band)`` -> ``inwoners_band``)."""
    slug = re.sub(r"[^0-9a-z]+", "_", variable.strip().lower()).strip("_") or "variable"
    return f"qda_{slug}" if slug in _RESERVED_CASE_COLUMNS else slug


def check_mapped_codes_exist(mapping: Mapping, known: list[str], where: str) -> list[Violation]:
    """A mapping that names a code the project (or matrix) lacks is an error at the mapping's line."""
    problems = []
    for path in list(mapping.codes) + list(mapping.unread) + list(mapping.ignore):
        if path not in known:
            close = difflib.get_close_matches(path, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Violation(mapping.file, mapping.line_of(path), path, f"code {path!r} is not in {where}{hint}"))
    return problems


def resolve(mapping: Mapping, path: str) -> tuple[Target | None, str]:
    """What a code path means: its own mapping, else its nearest mapped (or ignored) ancestor's.

    A mapped parent code collects the codings of every code under it that the mapping does not name
    itself (NVivo users often code on children such as ``Inzicht/+/sterk``).  Returns the target (None
    when unmapped or ignored) and the path that decided it (``""`` when none did).
    """
    parts = path.split("/")
    for end in range(len(parts), 0, -1):
        prefix = "/".join(parts[:end])
        if prefix in mapping.codes:
            return mapping.codes[prefix], prefix
        if prefix in mapping.ignore:
            return None, prefix
    return None, ""


def _conflict(ev: Evidence, first: tuple[int, Evidence], what: str, value: int, signed: bool) -> Violation:
    old_value, old = first
    show = (lambda v: f"{v:+d}" if v else "0") if signed else str
    return Violation(ev.file, ev.line, ev.column or ev.code_path,
                     f"{what}: {ev.code_path!r} gives {show(value)} but {old.code_path!r} gave {show(old_value)} "
                     f"(at {old.located()})")


class _Cells:
    """Collects mapped evidence per cell, stream and window, and the conflicts between them."""

    def __init__(self, mapping: Mapping, case_ids: dict[str, str]):
        self.mapping = mapping
        self.case_ids = case_ids
        self.factors: dict[tuple[str, str, str], tuple[int, Evidence]] = {}
        self.streams: dict[tuple[str, int, str], tuple[int, Evidence]] = {}
        self.windows: dict[tuple[str, int], tuple[int, Evidence]] = {}
        self.unmapped: dict[str, int] = {}
        self.collected: dict[str, int] = {}
        self.problems: list[Violation] = []

    def add(self, ev: Evidence) -> None:
        target, via = resolve(self.mapping, ev.code_path)
        if target is None:
            if not via:
                self.unmapped[ev.code_path] = self.unmapped.get(ev.code_path, 0) + 1
            return
        if via != ev.code_path:
            self.collected[via] = self.collected.get(via, 0) + 1
        case_id = self.case_ids[ev.case]
        if target.kind == "factor":
            key, store = (case_id, target.factor, ev.respondent), self.factors
            what = f"case {case_id!r}, factor {target.factor!r}" + (f", respondent {ev.respondent!r}" if ev.respondent else "")
        elif target.kind == "stream":
            key, store = (case_id, target.phase, target.stream), self.streams
            what = f"case {case_id!r}, phase-{target.phase} {target.stream} stream"
        else:
            key, store = (case_id, target.phase), self.windows
            what = f"case {case_id!r}, phase-{target.phase} window"
        self._put(store, key, target, ev, what)

    def _put(self, store: dict, key: tuple, target: Target, ev: Evidence, what: str) -> None:
        if key in store and store[key][0] != target.value:
            self.problems.append(_conflict(ev, store[key], what, target.value, target.kind == "factor"))
        store.setdefault(key, (target.value, ev))


def _code_rows(cells: _Cells, order: list[str], factor_ids: tuple[str, ...]) -> list[dict]:
    rows = []
    for (case_id, factor, respondent), (value, ev) in cells.factors.items():
        section = ev.source + (f", {ev.where}" if ev.where else "")
        rows.append({"case_id": case_id, "factor": factor, "code": str(value), "respondent": respondent,
                     "source": ev.source, "section": section, "quote": cut_quote(ev.quote)})
    coded = {(r["case_id"], r["factor"]) for r in rows}
    rows += [dict.fromkeys(CODE_COLUMNS, "") | {"case_id": c, "factor": f}
             for c in order for f in factor_ids if (c, f) not in coded]
    position = {c: i for i, c in enumerate(order)}
    fpos = {f: j for j, f in enumerate(factor_ids)}
    return sorted(rows, key=lambda r: (position[r["case_id"]], fpos[r["factor"]], r["respondent"]))


def build_tables(evidence: list[Evidence], case_names: list[str], case_variables: dict[str, dict[str, str]],
                 mapping: Mapping) -> ImportTables:
    """Apply the mapping to the evidence; raise :class:`InputError` on conflicting codes.

    ``case_names`` are the QDA case names in output order; ``mapping.case_ids`` renames them
    (a name it does not list keeps its name as ``case_id``).
    """
    case_ids = {name: mapping.case_ids.get(name, name) for name in case_names}
    cells = _Cells(mapping, case_ids)
    for ev in evidence:
        cells.add(ev)
    if cells.problems:
        raise InputError(cells.problems)
    order = [case_ids[n] for n in case_names]
    variable_columns = list(dict.fromkeys(column_name(v) for vs in case_variables.values() for v in vs))
    cases = []
    for name in case_names:
        case_id = case_ids[name]
        row = {"case_id": case_id, "name": name}
        for phase in PHASES:
            value = cells.windows.get((case_id, int(phase)))
            row[f"w{phase}"] = "" if value is None else str(value[0])
        row |= dict.fromkeys(variable_columns, "")
        row |= {column_name(k): v for k, v in case_variables.get(name, {}).items()}
        cases.append(row)
    streams = [{"case_id": c, "phase": str(p), "stream": s, "in_motion": str(v)}
               for (c, p, s), (v, _) in sorted(cells.streams.items(),
                                               key=lambda kv: (order.index(kv[0][0]), kv[0][1], STREAMS.index(kv[0][2])))]
    return ImportTables(cases, _code_rows(cells, order, mapping.codebook.ids), streams,
                        dict(sorted(cells.unmapped.items())), dict(cells.collected))


def _raw(file: str, rows: list[dict], columns: list[str]) -> RawTable:
    return RawTable(file, tuple(columns), tuple({c: r.get(c, "") for c in columns} for r in rows),
                    tuple(range(2, len(rows) + 2)))


def _columns(rows: list[dict], fallback: list[str]) -> list[str]:
    return list(rows[0]) if rows else fallback


def to_dataset(tables: ImportTables, mapping: Mapping, out: Path, source: str):
    """Validate the tables against the data contract in memory; errors name the files to be written."""
    if not tables.cases:
        raise InputError(Violation(source, None, None, "no cases to import (check [cases] in the mapping)"))
    cases = _raw(str(out / CASES_FILE), tables.cases, _columns(tables.cases, ["case_id", "w1", "w2"]))
    codes = _raw(str(out / CODES_FILE), tables.codes, CODE_COLUMNS)
    streams = _raw(str(out / STREAMS_FILE), tables.streams, ["case_id", "phase", "stream", "in_motion"])
    validated = validate_tables(mapping.codebook, cases, codes, streams)
    return build_dataset(out.name, source, mapping.codebook, validated)


def write_tables(tables: ImportTables, mapping: Mapping, out: Path, force: bool) -> None:
    """Write the dataset folder atomically: all four files appear together, or nothing does."""
    with atomic_folder(out, force=force) as tmp:
        # the factors of the mapped codebook, never its study's title and source (placeholders validate warns about)
        atomic_write_text(tmp / "codebook.toml",
                          imported_codebook_text(mapping.codebook_path.read_text(encoding="utf-8-sig"), mapping.codebook))
        columns = _columns(tables.cases, ["case_id", "w1", "w2"])
        write_csv(tmp / "cases.csv", columns, [[r[c] for c in columns] for r in tables.cases])
        write_csv(tmp / "codes.csv", CODE_COLUMNS, [[r[c] for c in CODE_COLUMNS] for r in tables.codes])
        write_csv(tmp / "streams.csv", ["case_id", "phase", "stream", "in_motion"],
                  [[r["case_id"], r["phase"], r["stream"], r["in_motion"]] for r in tables.streams])
