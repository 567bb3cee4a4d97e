"""Which case each source of a REFI-QDA project belongs to, and who is the respondent of each coding.

Cases come from the mapping's ``[cases] from``:

* ``"cases"``: the project's ``<Cases>`` (NVivo classifications), each with the sources it holds;
* ``"sets"``: its ``<Sets>`` of sources (MAXQDA document groups; folders exported as sets);
* ``"variable"``: the value of a source variable (``[cases] variable``);
* ``"sources"``: each source is a case (most real NVivo projects have no cases or sets: one
  document per organisation, per meeting or per year); the source's variables become case columns.

The respondent of a coding comes from ``[respondents] from``: ``"sources"`` (the default: one
interview is one respondent; when two or more people coded the project, ``"source / coder"``, so
two coders of one interview are two respondents and disagree instead of conflicting), ``"coders"``
(``Coding/@creatingUser``, resolved to the user's name from ``<Users>``: what ``bayesstreams
agreement`` compares between coders) or ``"variable"`` (a source variable).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.data.qda.mapping import Mapping
from bayesstreams.data.qda.qdpx import QdaProject, QdaSource
from bayesstreams.errors import InputError, Violation


@dataclass(frozen=True)
class CaseAssignment:
    """Source guid -> QDA case name, the case names in order, case variables by name, and notes."""

    case_of: dict[str, str]
    names: list[str]
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _from_variable(project: QdaProject, mapping: Mapping) -> tuple[dict[str, str], list[str], dict]:
    variable = mapping.case_variable
    if not any(variable in s.variables for s in project.sources):
        raise InputError(Violation(mapping.file, mapping.line_of("cases.variable") or mapping.line_of("variable"),
                                   "variable", f"no source of the project has the variable {variable!r}"))
    case_of = {s.guid: s.variables[variable] for s in project.sources if s.variables.get(variable, "")}
    return case_of, list(dict.fromkeys(case_of.values())), {}


def _from_sources(project: QdaProject, mapping: Mapping) -> tuple[dict[str, str], list[str], dict]:
    wanted = [s for s in project.sources if not mapping.case_ids or s.name in mapping.case_ids]
    seen: dict[str, QdaSource] = {}
    problems = []
    for source in wanted:
        if source.name in seen:
            problems.append(Violation(project.file, source.line, "name", f"two sources are named {source.name!r} "
                                      f"(the other at line {seen[source.name].line}); with [cases] from = 'sources' "
                                      "each source's name is its case: rename one"))
        seen.setdefault(source.name, source)
    if problems:
        raise InputError(problems)
    return {s.guid: s.name for s in wanted}, [s.name for s in wanted], {s.name: s.variables for s in wanted}


def _from_groups(project: QdaProject, mapping: Mapping) -> tuple[dict[str, str], list[str], dict]:
    groups = project.sets if mapping.case_from == "sets" else project.cases
    cases = [c for c in groups if not mapping.case_ids or c.name in mapping.case_ids]
    case_of: dict[str, str] = {}
    problems = []
    for case in cases:
        for guid in case.source_guids:
            if guid in case_of and case_of[guid] != case.name:
                problems.append(Violation(project.file, case.line, "SourceRef",
                                          f"a source is in case {case_of[guid]!r} and in case {case.name!r}; "
                                          "list the cases to import in [cases.ids]"))
            case_of.setdefault(guid, case.name)
    if problems:
        raise InputError(problems)
    return case_of, [c.name for c in cases], {c.name: c.variables for c in cases}


def assign_cases(project: QdaProject, mapping: Mapping) -> CaseAssignment:
    """The cases of ``project`` under ``mapping``; located errors when they cannot be told."""
    reader = {"variable": _from_variable, "sources": _from_sources}.get(mapping.case_from, _from_groups)
    case_of, names, variables = reader(project, mapping)
    if mapping.case_ids:
        missing = [n for n in mapping.case_ids if n not in names]
        if missing:
            raise InputError([Violation(mapping.file, mapping.line_of(n), n, f"case {n!r} is not in {project.file}")
                              for n in missing])
        names = [n for n in mapping.case_ids if n in names]
    notes = [f"{project.file}:{s.line}:TextSource: source {s.name!r} belongs to no imported case; its codings are "
             "not imported" for s in project.sources if s.guid not in case_of and s.codings]
    return CaseAssignment(case_of, names, variables, notes)


def coders(project: QdaProject, case_of: dict[str, str] | None = None) -> dict[str, int]:
    """Codings per coder (``""``: codings that do not say who made them), over the sources in ``case_of``."""
    counts: dict[str, int] = {}
    for source in project.sources:
        if case_of is not None and source.guid not in case_of:
            continue
        for coding in source.codings:
            for index in range(len(coding.code_guids)):
                counts[coding.coder(index)] = counts.get(coding.coder(index), 0) + 1
    return counts


def respondent_rule(project: QdaProject, mapping: Mapping, case_of: dict[str, str]) -> str:
    """``"sources"``, ``"sources and coders"``, ``"coders"`` or ``"variable"``: how respondents are named."""
    if mapping.respondent_from != "sources":
        return mapping.respondent_from
    named = [c for c in coders(project, case_of) if c]
    return "sources and coders" if len(named) >= 2 else "sources"


def respondent(source: QdaSource, coder: str, mapping: Mapping, rule: str) -> str:
    """The respondent of one coding under ``rule`` (see :func:`respondent_rule`)."""
    if rule == "variable":
        return source.variables.get(mapping.respondent_variable, "")
    if rule == "coders":
        return coder
    if rule == "sources and coders" and coder:
        return f"{source.name} / {coder}"
    return source.name


def check_coders(project: QdaProject, mapping: Mapping, case_of: dict[str, str]) -> None:
    """With ``[respondents] from = "coders"`` every imported coding must say who made it."""
    if mapping.respondent_from != "coders":
        return
    problems = []
    for source in project.sources:
        if source.guid not in case_of:
            continue
        for coding in source.codings:
            if not all(coding.coder(i) for i in range(len(coding.code_guids))):
                problems.append(Violation(project.file, coding.line, "creatingUser",
                                          f"a coding in source {source.name!r} does not say who made it (no "
                                          "creatingUser); [respondents] from = 'coders' needs one on every coding"))
    if not problems and len([c for c in coders(project, case_of) if c]) == 0:
        problems.append(Violation(mapping.file, mapping.line_of("[respondents]"), "from",
                                  f"[respondents] from = 'coders', but no coding of {project.file} names its coder"))
    if problems:
        raise InputError(problems)
