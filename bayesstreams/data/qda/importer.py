"""The two imports as functions: a REFI-QDA project or a code-matrix export plus a mapping -> a dataset folder.

``import_qdpx`` and ``import_matrix`` are what ``bayesstreams import qdpx|matrix`` call.  Each
reads and checks everything first (project or matrix, mapping, codebook, conflicts, the data
contract) and writes the dataset folder only when all of it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bayesstreams.atomic import refuse_existing
from bayesstreams.data.qda.matrix import matrix_evidence
from bayesstreams.data.qda.tables import (Evidence, ImportTables, build_tables, check_mapped_codes_exist,
                                           to_dataset, write_tables)
from bayesstreams.data.qda.mapping import Mapping, distinct, read_mapping
from bayesstreams.data.qda.cases import CaseAssignment, assign_cases, check_coders, respondent, respondent_rule
from bayesstreams.data.qda.qdpx import QdaProject, read_qdpx
from bayesstreams.data.qda.summary import ImportSummary, empty_mapped_codes, summarize_qdpx
from bayesstreams.errors import InputError, Violation

if TYPE_CHECKING:
    from bayesstreams.data.dataset import Dataset


@dataclass
class ImportResult:
    """What an import wrote: the validated dataset, the codes the mapping does not name, notes, warnings
    (a mapped code with no coding anywhere) and, for a project, what was read and left out."""

    dataset: "Dataset"
    out: Path
    unmapped: dict[str, int]
    notes: list[str]
    warnings: list[str] = field(default_factory=list)
    summary: ImportSummary | None = None

    @property
    def n_coded_cells(self) -> int:
        """Cells of the imported dataset with a code (not "not discussed")."""
        return int((self.dataset.x == self.dataset.x).sum())

    @property
    def n_stream_states(self) -> int:
        """Stream states the import coded."""
        return int((self.dataset.s == self.dataset.s).sum())


def qdpx_evidence(project: QdaProject, mapping: Mapping) -> tuple[list[Evidence], list[str], dict, list[str]]:
    """Evidence records of a project under a mapping, the case names, case variables and notes."""
    evidence, cases, _ = _qdpx_evidence(project, mapping)
    return evidence, cases.names, cases.variables, cases.notes + list(project.notes)


def _qdpx_evidence(project: QdaProject, mapping: Mapping,
                   earlier: list[Violation] = ()) -> tuple[list[Evidence], CaseAssignment, str]:
    """The evidence; the mapping's own problems (``earlier``) and those against the project raised together."""
    problems = list(earlier) + check_mapped_codes_exist(mapping, list(project.code_paths()), project.file)
    variable = mapping.respondent_variable
    if variable and not any(variable in s.variables for s in project.sources):
        problems.append(Violation(mapping.file, mapping.line_of("respondents.variable") or mapping.line_of("variable"),
                                  "variable", f"no source of the project has the respondent variable {variable!r}"))
    try:
        cases = assign_cases(project, mapping)
        check_coders(project, mapping, cases.case_of)
    except InputError as exc:  # cases, then coders (who coded depends on which sources are imported)
        problems += exc.violations
    if problems:
        raise InputError(distinct(problems))
    rule = respondent_rule(project, mapping, cases.case_of)
    wanted = set(cases.names)
    evidence = []
    for source in project.sources:
        case = cases.case_of.get(source.guid)
        if case is None or case not in wanted:
            continue
        for coding in source.codings:
            for index, guid in enumerate(coding.code_guids):
                evidence.append(Evidence(case, respondent(source, coding.coder(index), mapping, rule), source.name,
                                         project.codes[guid].path, coding.text, coding.where, project.file,
                                         coding.line, "Coding"))
    return evidence, cases, rule


def _finish(tables: ImportTables, mapping: Mapping, out: Path, source: str, force: bool,
            notes: list[str]) -> ImportResult:
    refuse_existing(out, force)
    dataset = to_dataset(tables, mapping, out, source)
    write_tables(tables, mapping, out, force)
    return ImportResult(dataset, out, tables.unmapped, notes)


def import_qdpx(project: str | Path, mapping: str | Path, out: str | Path, *, codebook: str | Path | None = None,
                force: bool = False, positions: str | None = None) -> ImportResult:
    """Import a REFI-QDA project (``.qdpx``) as a dataset folder.

    Parameters
    ----------
    project
        The ``.qdpx`` archive exported by NVivo, ATLAS.ti, MAXQDA or any REFI-QDA program.
    mapping
        The mapping TOML (see :mod:`bayesstreams.data.qda.mapping`).
    out
        The dataset folder to write.
    codebook
        Use this ``codebook.toml`` instead of the one the mapping names.
    force
        Replace an existing ``out``.
    positions
        How the selections' positions count characters (``"code-points"``, ``"utf-16"``,
        ``"crlf-as-one"``, ``"utf-16-crlf-as-one"``); by default the writer's way, found from the
        project's ``origin`` or from the positions (:mod:`bayesstreams.data.qda.positions`).

    Returns
    -------
    ImportResult
        The validated dataset, the unmapped codes with their number of codings, and notes.

    Raises
    ------
    InputError
        Located, with nothing written: see :func:`~bayesstreams.data.qda.qdpx.read_qdpx` and the mapping.
    
    Examples
    --------
    >>> import zipfile
    >>> qde = '''<?xml version="1.0" encoding="utf-8"?>
    ... <Project xmlns="urn:QDA-XML:project:1.0" name="demo">
    ... <CodeBook><Codes>
    ...  <Code guid="00000000-0000-0000-0000-000000000001" name="Inzicht" isCodable="false">
    ...   <Code guid="00000000-0000-0000-0000-000000000002" name="+" isCodable="true"/></Code>
    ... </Codes></CodeBook>
    ... <Variables><Variable guid="00000000-0000-0000-0000-000000000003" name="Gemeente" typeOfVariable="Text"/></Variables>
    ... <Sources><TextSource guid="00000000-0000-0000-0000-000000000004" name="Interview Noord">
    ...  <PlainTextContent>Er is veel inzicht in de omvang.</PlainTextContent>
    ...  <PlainTextSelection guid="00000000-0000-0000-0000-000000000005" startPosition="6" endPosition="18">
    ...   <Coding guid="00000000-0000-0000-0000-000000000006"><CodeRef targetGUID="00000000-0000-0000-0000-000000000002"/></Coding>
    ...  </PlainTextSelection>
    ...  <VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-000000000003"/><TextValue>Noord</TextValue></VariableValue>
    ... </TextSource></Sources></Project>'''
    >>> with zipfile.ZipFile(tmp / "demo.qdpx", "w") as archive:
    ...     archive.writestr("project.qde", qde)
    >>> from pathlib import Path
    >>> book = Path("data/trafficking_nl_2020/codebook.toml").resolve()
    >>> _ = (tmp / "map.toml").write_text(f'''codebook = "{book}"
    ... [cases]
    ... from = "variable"
    ... variable = "Gemeente"
    ... [codes]
    ... "Inzicht/+" = {{ factor = "p1_insight", code = 1 }}
    ... ''')
    >>> result = import_qdpx(tmp / "demo.qdpx", tmp / "map.toml", tmp / "imported")
    >>> result.dataset.case_ids, [c["quote"] for c in result.dataset.codes if c["factor"] == "p1_insight"]
    (('Noord',), ['veel inzicht'])
    """
    rules, problems = read_mapping(mapping, codebook)
    try:
        qda = read_qdpx(project, positions=positions)
    except InputError as exc:  # the project cannot be read: the mapping's problems are still said
        raise InputError(distinct(problems + exc.violations)) from None
    evidence, cases, rule = _qdpx_evidence(qda, rules, problems)
    tables = build_tables(evidence, cases.names, cases.variables, rules)
    result = _finish(tables, rules, Path(out), str(project), force, cases.notes + list(qda.notes))
    result.summary = summarize_qdpx(qda, rules, cases, rule, tables.collected)
    result.warnings = [f"{rules.file}:{rules.line_of(path) or ''}:{path}: mapped code {path!r} has no coding in "
                       f"{qda.file}, neither on itself nor on a code under it"
                       for path in empty_mapped_codes(qda, rules)]
    return result


def import_matrix(matrix: str | Path, mapping: str | Path, out: str | Path, *, codebook: str | Path | None = None,
                  force: bool = False) -> ImportResult:
    """Import a code-by-document or code-by-case matrix export (xlsx or csv) as a dataset folder.

    Parameters are as for :func:`import_qdpx`; the mapping's ``[matrix]`` table says whether
    the columns are cases or documents and how code paths are joined.  A matrix has no text,
    so the codes carry their document as provenance but no quote.
    
    Examples
    --------
    >>> from pathlib import Path
    >>> book = Path("data/trafficking_nl_2020/codebook.toml").resolve()
    >>> _ = (tmp / "matrix.csv").write_text("Code,Gemeente Noord,Gemeente Zuid\\nInzicht/+,2,0\\nInzicht/-,0,1\\n")
    >>> _ = (tmp / "map.toml").write_text(f'''codebook = "{book}"
    ... [codes]
    ... "Inzicht/+" = {{ factor = "p1_insight", code = 1 }}
    ... "Inzicht/-" = {{ factor = "p1_insight", code = -1 }}
    ... ''')
    >>> result = import_matrix(tmp / "matrix.csv", tmp / "map.toml", tmp / "imported")
    >>> result.dataset.case_ids, result.n_coded_cells
    (('Gemeente Noord', 'Gemeente Zuid'), 2)
    """
    rules, problems = read_mapping(mapping, codebook)
    try:
        evidence, names, notes = matrix_evidence(Path(matrix), rules)
    except InputError as exc:  # the mapping's own problems first, then those against the matrix, in one pass
        raise InputError(distinct(problems + exc.violations)) from None
    if problems:
        raise InputError(distinct(problems))
    tables = build_tables(evidence, names, {}, rules)
    return _finish(tables, rules, Path(out), str(matrix), force, notes)
