"""The mapping file of a QDA import: which QDA code means which factor code, stream state or window.

A mapping is a TOML file (``bayesstreams import template`` writes a starting one)::

    codebook = "codebook.toml"          # the dataset's codebook, relative to this file

    [cases]
    from = "cases"                      # the project's cases; "sets": its document sets (or folders);
                                        # "variable": a source variable; "sources": each source a case
    # variable = "Gemeente"             # with from = "variable"
    [cases.ids]                         # optional: QDA case name -> case_id (others are not imported)
    "Gemeente 1" = "g1"

    [respondents]
    # from = "coders"                   # the coder (Coding/@creatingUser) is the respondent
    # variable = "Respondent"           # a source variable names the respondent
                                        # default: the source (one interview = one respondent), and
                                        # "source / coder" when two or more people coded the project

    [codes]
    "Fase 1/Probleemstroom/Inzicht/+" = { factor = "p1_insight", code = 1 }
    "Fase 1/Stromen/Probleemstroom in beweging" = { phase = 1, stream = "problem", in_motion = 1 }
    "Fase 1/Venster/open" = { phase = 1, window = 1 }

    [ignore]
    codes = ["Memo's"]                  # codes deliberately left out (not listed as unmapped)

    [matrix]                            # only for `import matrix`
    columns = "cases"                   # or "documents" (then [matrix.documents] names their cases)
    separator = "\\\\"                  # how the export joins a code path (MAXQDA: \\, NVivo: \\)

Every problem is located at its line of the mapping file and reported at once.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.data.codebook import STREAMS, Codebook, load_codebook, toml_error_location
from bayesstreams.data.limits import read_bounded
from bayesstreams.errors import InputError, Violation

_TOP = {"codebook", "cases", "respondents", "codes", "ignore", "matrix"}
CASES_FROM = ("cases", "sets", "variable", "sources")
RESPONDENTS_FROM = ("sources", "coders", "variable")
_TABLE_KEYS = {"cases": ("from", "variable", "ids"), "respondents": ("from", "variable"), "ignore": ("codes",),
               "matrix": ("columns", "separator", "documents", "sheet")}
_KINDS = {frozenset({"factor", "code"}): "factor", frozenset({"phase", "stream", "in_motion"}): "stream",
          frozenset({"phase", "window"}): "window"}


@dataclass(frozen=True)
class Target:
    """What one QDA code means: a factor code, an observed stream state or a window."""

    kind: str
    factor: str = ""
    value: int = 0
    phase: int = 0
    stream: str = ""
    line: int | None = None


@dataclass(frozen=True)
class MatrixOptions:
    """How a code-by-document (or code-by-case) matrix export is laid out."""

    columns: str = "cases"
    separator: str = "\\"
    documents: dict[str, str] = field(default_factory=dict)
    sheet: str = ""


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    file: str
    codebook: Codebook
    codebook_path: Path
    codes: dict[str, Target]
    ignore: tuple[str, ...]
    case_from: str = "cases"
    case_variable: str = ""
    case_ids: dict[str, str] = field(default_factory=dict)
    respondent_variable: str = ""
    respondent_from: str = "sources"
    matrix: MatrixOptions = field(default_factory=MatrixOptions)
    lines: dict[str, int] = field(default_factory=dict)
    unread: tuple[str, ...] = ()  # code paths whose target is invalid (checked against the project all the same)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


def key_lines(text: str) -> dict[str, int]:
    """First line on which each quoted or bare TOML key is written (for located messages)."""
    lines: dict[str, int] = {}
    section = ""
    for number, line in enumerate(text.split("\n"), start=1):
        match = re.match(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_.-]+))\s*=', line)
        if match:
            key = match.group(1) if match.group(1) is not None else match.group(2)
            key = key.replace('\\"', '"').replace("\\\\", "\\")
            lines.setdefault(key, number)
            if section:  # also as "cases.from": a key such as "from" is in more than one table
                lines.setdefault(f"{section}.{key}", number)
        header = re.match(r"^\s*\[\s*([A-Za-z0-9_.]+)\s*\]", line)
        if header:
            section = header.group(1)
            lines.setdefault(f"[{section}]", number)
    return lines


def _target(file: str, line: int | None, path: str, entry, codebook: Codebook | None, problems: list[Violation],
            codebook_file: str = "") -> Target | None:
    def bad(column: str, message: str) -> None:
        problems.append(Violation(file, line, column, message))

    if not isinstance(entry, dict):
        bad(path, "must be an inline table such as { factor = \"p1_insight\", code = 1 }")
        return None
    kind = _KINDS.get(frozenset(entry))
    if kind is None:
        bad(path, f"keys {sorted(entry)} name no target; use {{ factor, code }}, {{ phase, stream, in_motion }} "
                  f"or {{ phase, window }}")
        return None
    before = len(problems)  # every bad field of the entry is reported, not only the first
    if kind == "factor":
        factor, value = entry["factor"], entry["code"]
        if not isinstance(factor, str):
            bad("factor", f"factor must be a text such as \"p1_insight\", got {factor!r}")
        elif codebook is not None and factor not in codebook:  # None: the codebook could not be read
            close = difflib.get_close_matches(str(factor), list(codebook.ids), n=1)
            bad("factor", f"factor {factor!r} is not in the codebook {codebook_file}"
                          + (f" (did you mean {close[0]!r}?)" if close else ""))
        if type(value) is not int or value not in (-1, 0, 1):  # 1.0 and true are not codes
            bad("code", f"code {value!r} is not -1, 0 or 1")
        return Target("factor", factor=factor, value=value, line=line) if len(problems) == before else None
    phase = entry["phase"]
    if type(phase) is not int or phase not in (1, 2):
        bad("phase", f"phase {phase!r} is not 1 or 2")
    value = entry["in_motion" if kind == "stream" else "window"]
    if type(value) is not int or value not in (0, 1):
        bad("in_motion" if kind == "stream" else "window", f"value {value!r} is not 0 or 1")
    if kind == "stream" and (not isinstance(entry["stream"], str) or entry["stream"] not in STREAMS):
        bad("stream", f"stream {entry['stream']!r} is not one of {', '.join(STREAMS)}")
    if len(problems) > before:
        return None
    return Target(kind, value=value, phase=phase, stream=entry.get("stream", ""), line=line)


def _read_toml(path: Path) -> tuple[dict, str]:
    file = str(path)
    if not path.is_file():
        raise InputError(Violation(file, None, None, "mapping file does not exist"))
    try:
        text = read_bounded(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Violation(file, None, None, "mapping file is not UTF-8")) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        row, message = toml_error_location(exc)
        raise InputError(Violation(file, row, None, f"not valid TOML: {message}")) from None


def _table(data: dict, key: str, file: str, lines: dict, problems: list[Violation]) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(Violation(file, lines.get(key), key, f"{key} must be a table"))
        return {}
    allowed = _TABLE_KEYS.get(key)
    for name in value if allowed else ():
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            problems.append(Violation(file, lines.get(f"{key}.{name}", lines.get(name)), f"{key}.{name}",
                                      f"unknown key {name!r} in [{key}] (allowed: {', '.join(allowed)})"
                                      + (f"; did you mean {close[0]!r}?" if close else "")))
    return value


def _strings(table: dict, header: str, file: str, lines: dict, problems: list[Violation]) -> dict[str, str]:
    key = header.rsplit(".", 1)[1]
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        problems.append(Violation(file, lines.get(f"[{header}]"), header, f"[{header}] must map names to non-empty text"))
        return {}
    return dict(value)


def _options(data: dict, file: str, lines: dict, problems: list[Violation]) -> dict:
    cases = _table(data, "cases", file, lines, problems)
    respondents = _table(data, "respondents", file, lines, problems)
    matrix = _table(data, "matrix", file, lines, problems)
    case_from = cases.get("from", "cases")
    if case_from not in CASES_FROM:
        problems.append(Violation(file, lines.get("cases.from", lines.get("from")), "from",
                                  f"cases.from {case_from!r} is not one of {', '.join(map(repr, CASES_FROM))}"))
        case_from = "cases"  # reported; the default lets the other checks of this pass go on
    respondent_from = respondents.get("from", "variable" if respondents.get("variable") else "sources")
    if respondent_from not in RESPONDENTS_FROM:
        problems.append(Violation(file, lines.get("respondents.from", lines.get("[respondents]")), "from",
                                  f"respondents.from {respondent_from!r} "
                                  f"is not one of {', '.join(map(repr, RESPONDENTS_FROM))}"))
        respondent_from = "sources"
    if respondent_from == "variable" and not respondents.get("variable"):
        problems.append(Violation(file, lines.get("[respondents]"), "variable",
                                  "respondents.from = 'variable' needs respondents.variable"))
    if case_from == "variable" and not cases.get("variable"):
        problems.append(Violation(file, lines.get("from"), "variable", "cases.from = 'variable' needs cases.variable"))
    columns = matrix.get("columns", "cases")
    if columns not in ("cases", "documents"):
        problems.append(Violation(file, lines.get("matrix.columns", lines.get("columns")), "columns",
                                  f"matrix.columns {columns!r} is not 'cases' or 'documents'"))
        columns = "cases"
    return dict(
        case_from=case_from, case_variable=str(cases.get("variable", "")),
        case_ids={str(k): v for k, v in _strings(cases, "cases.ids", file, lines, problems).items()},
        respondent_variable=str(respondents.get("variable", "")) if respondent_from == "variable" else "",
        respondent_from=respondent_from,
        matrix=MatrixOptions(columns=columns, separator=str(matrix.get("separator", "\\")),
                             documents=_strings(matrix, "matrix.documents", file, lines, problems),
                             sheet=str(matrix.get("sheet", ""))),
    )


def read_mapping(path: str | Path, codebook: str | Path | None = None) -> tuple[Mapping, list[Violation]]:
    """The mapping as far as it is valid, and every problem of it (one pass; see :func:`load_mapping`).

    The importers check the valid part against the project (codes it lacks, cases, variables) and
    report those problems together with these.  A file that is missing or not TOML is raised at once:
    nothing else of it can be read.
    """
    path = Path(path)
    file = str(path)
    data, text = _read_toml(path)
    lines = key_lines(text)
    problems = [Violation(file, lines.get(k, lines.get(f"[{k}]")), k, f"unknown key {k!r} (allowed: {', '.join(sorted(_TOP))})")
                for k in data if k not in _TOP]
    book = codebook_path = None
    if codebook is None and not isinstance(data.get("codebook"), str):
        problems.append(Violation(file, lines.get("codebook"), "codebook", "the mapping names no codebook "
                                  "(codebook = \"codebook.toml\"); or pass --codebook FILE"))
    else:
        codebook_path = Path(codebook) if codebook is not None else path.parent / data["codebook"]
        try:
            book = load_codebook(codebook_path)
        except InputError as exc:  # the codebook's own problems, beside the mapping's
            problems += exc.violations
    codes = _table(data, "codes", file, lines, problems)
    targets, unread = {}, []
    for code_path, entry in codes.items():
        target = _target(file, lines.get(code_path), code_path, entry, book, problems, str(codebook_path))
        if target is not None:
            targets[code_path] = target
        else:
            unread.append(code_path)
    ignore = _table(data, "ignore", file, lines, problems).get("codes", [])
    if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
        problems.append(Violation(file, lines.get("ignore.codes", lines.get("codes")), "codes",
                                  "ignore.codes must be a list of code paths"))
        ignore = []
    options = _options(data, file, lines, problems)
    if not codes and not problems:
        problems.append(Violation(file, lines.get("[codes]"), "codes", "the mapping maps no codes ([codes] is empty)"))
    mapping = Mapping(file, book, codebook_path, targets, tuple(ignore), lines=lines, unread=tuple(unread), **options)
    return mapping, problems


def distinct(problems: list[Violation]) -> list[Violation]:
    """``problems`` without repeats, in order: one line per distinct problem."""
    return list(dict.fromkeys(problems))


def load_mapping(path: str | Path, codebook: str | Path | None = None) -> Mapping:
    """Read and validate a mapping file.

    Parameters
    ----------
    path
        The mapping TOML.
    codebook
        A ``codebook.toml`` to use instead of the one the mapping names (``codebook = ...``).

    Raises
    ------
    InputError
        Every problem at once, each located at its line: unknown keys (at the top and in each
        table), a target that is neither factor, stream nor window, a factor the codebook lacks
        (naming the codebook), a code outside -1/0/1, every bad field of an entry, and the
        codebook's own problems.
    """
    mapping, problems = read_mapping(path, codebook)
    if problems:
        raise InputError(distinct(problems))
    return mapping
