"""What a REFI-QDA import read and what it left out: codes, codings, sources, coders, positions.

An import that says only "wrote 3 cases" leaves a researcher to guess whether the 63 codings under
a parent code, the sources outside every case or the second coder's work went in.  The summary
counts each of them from the project and the mapping (never from the written files), so that
``bayesstreams import qdpx`` can print it and ``ImportResult.summary`` can be read in Python.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from bayesstreams.data.qda.cases import CaseAssignment, coders
from bayesstreams.data.qda.mapping import Mapping
from bayesstreams.data.qda.qdpx import QdaProject
from bayesstreams.data.qda.tables import resolve


@dataclass(frozen=True)
class ImportSummary:
    """Counts of an import; every "left out" count says why.

    Attributes
    ----------
    codes, codes_mapped, codes_ignored : codes in the project's codebook; codes the mapping names, or
        ignores, that the project has.
    collected : mapped code -> codings of codes under it that it took in (a mapped parent collects its
        descendants' codings).
    empty_mapped : mapped codes with no coding in the project, on themselves or under them.
    codings : code applications read (text, PDF and whole-source codings).
    codings_imported : of them, mapped and in an imported case.
    codings_unmapped, codings_ignored, codings_outside : left out: code not mapped; code ignored;
        source in no imported case.
    media_codings : codings on picture, audio and video sources (not read).
    sources, sources_imported : text and PDF sources; those in an imported case.
    sources_outside : names of coded sources in no imported case.
    coders : user name -> codings (``""``: codings that do not say who made them).
    respondents : how respondents were named (``sources``, ``sources and coders``, ``coders``, ``variable``).
    positions : how sources' selection positions were counted -> number of sources.
    """

    codes: int
    codes_mapped: int
    codes_ignored: int
    collected: dict[str, int]
    empty_mapped: list[str]
    codings: int
    codings_imported: int
    codings_unmapped: int
    codings_ignored: int
    codings_outside: int
    media_codings: int
    sources: int
    sources_imported: int
    sources_outside: list[str]
    coders: dict[str, int]
    respondents: str
    positions: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as lines for the terminal (English; the import's messages are English)."""
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        out = [f"read: {n(self.codes, 'code')} ({self.codes_mapped} mapped, {self.codes_ignored} ignored), "
               f"{n(self.codings, 'coding')}, {n(self.sources, 'source')}"
               + (f", {n(len([c for c in self.coders if c]), 'coder')}" if any(self.coders) else "")]
        out.append(f"imported: {n(self.codings_imported, 'coding')} from {n(self.sources_imported, 'source')}")
        left = [(self.codings_unmapped, "code not mapped"), (self.codings_ignored, "code ignored"),
                (self.codings_outside, "source in no imported case"),
                (self.media_codings, "on picture, audio or video sources")]
        if any(count for count, _ in left):
            out.append("left out: " + "; ".join(f"{n(count, 'coding')} ({why})" for count, why in left if count))
        for path, count in self.collected.items():
            out.append(f"collected: {path!r} took in {n(count, 'coding')} of the codes under it")
        if self.sources_outside:
            shown = ", ".join(repr(s) for s in self.sources_outside[:5])
            more = f" and {len(self.sources_outside) - 5} more" if len(self.sources_outside) > 5 else ""
            out.append(f"sources in no imported case: {shown}{more}")
        named = {c: k for c, k in self.coders.items() if c}
        if named:
            out.append("coders: " + ", ".join(f"{c} ({n(k, 'coding')})" for c, k in named.items())
                       + (f"; {n(self.coders[''], 'coding')} without a coder" if "" in self.coders else "")
                       + f"; respondents: {self.respondents}")
        if self.positions:
            out.append("positions counted as: " + ", ".join(f"{way} ({n(k, 'source')})"
                                                             for way, k in self.positions.items()))
        return out

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def _paths_used(project: QdaProject) -> Counter:
    return Counter(project.codes[g].path for s in project.sources for c in s.codings for g in c.code_guids)


def summarize_qdpx(project: QdaProject, mapping: Mapping, cases: CaseAssignment, respondents: str,
                   collected: dict[str, int]) -> ImportSummary:
    """Count what ``project`` holds and what the import under ``mapping`` took from it."""
    used = _paths_used(project)
    paths = set(project.code_paths())
    wanted = set(cases.names)
    imported = unmapped = ignored = outside = 0
    imported_sources = set()
    for source in project.sources:
        in_case = cases.case_of.get(source.guid) in wanted
        for coding in source.codings:
            for guid in coding.code_guids:
                target, via = resolve(mapping, project.codes[guid].path)
                if not in_case:
                    outside += 1
                elif target is not None:
                    imported += 1
                    imported_sources.add(source.guid)
                elif via:
                    ignored += 1
                else:
                    unmapped += 1
    return ImportSummary(
        codes=len(paths), codes_mapped=len(paths & set(mapping.codes)), codes_ignored=len(paths & set(mapping.ignore)),
        collected=dict(collected), empty_mapped=empty_mapped_codes(project, mapping, used),
        codings=sum(used.values()), codings_imported=imported, codings_unmapped=unmapped, codings_ignored=ignored,
        codings_outside=outside, media_codings=project.media_codings, sources=len(project.sources),
        sources_imported=len(imported_sources),
        sources_outside=[s.name for s in project.sources if cases.case_of.get(s.guid) not in wanted and s.codings],
        coders=dict(sorted(coders(project, cases.case_of).items(), key=lambda kv: (kv[0] == "", kv[0]))),
        respondents=respondents,
        positions=dict(Counter(s.positions for s in project.sources if s.positions)))


def empty_mapped_codes(project: QdaProject, mapping: Mapping, used: Counter | None = None) -> list[str]:
    """Mapped codes of the project with no coding anywhere in it, neither on themselves nor under them."""
    used = _paths_used(project) if used is None else used
    return [path for path in mapping.codes
            if not any(p == path or p.startswith(path + "/") for p in used)]
