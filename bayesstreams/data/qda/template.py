"""Write a starting mapping file that lists every code of a QDA project, for the user to edit.

Every code is written as a commented line with a guess (the code value from a last path part
such as ``+``, ``-1`` or ``0``; the factor whose label is closest to the parent code when a
codebook is given), so the user uncomments and corrects lines instead of typing paths.  Nothing
is mapped until a line is uncommented: a guess never enters a dataset unread.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from bayesstreams.atomic import atomic_write_text, refuse_existing
from bayesstreams.data.codebook import Codebook, load_codebook
from bayesstreams.data.qda.qdpx import read_qdpx

_VALUES = {"+": 1, "+1": 1, "1": 1, "plus": 1, "-": -1, "-1": -1, "min": -1, "minus": -1, "0": 0}


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string, whatever it holds: JSON's escapes are TOML's, except DEL, which
    TOML refuses raw (a code named with a DEL or a line break must not break the template)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 4}


def _overlap(part: str, label: str) -> float:
    """Share of the code name's words that start, or are started by, a word of the label."""
    words, label_words = _words(part), _words(label)
    if not words:
        return 0.0
    return sum(any(u.startswith(w) or w.startswith(u) for u in label_words) for w in words) / len(words)


def _phase(parts: list[str]) -> int | None:
    for part in parts:
        match = re.search(r"(?:fase|phase)\s*([12])", part.lower())
        if match:
            return int(match.group(1))
    return None


def _guess_factor(parts: list[str], codebook: Codebook | None) -> str:
    """The factor whose id or label shares most words with the code's own name (then its parents)."""
    if codebook is None:
        return "FACTOR_ID"
    phase = _phase(parts)
    factors = [f for f in codebook.factors if phase is None or int(f.phase) == phase]
    for part in reversed(parts):
        scored = [(max(_overlap(part, t) for t in (f.id.replace("_", " "), f.label_nl, f.label_en) if t), f.id)
                  for f in factors]
        best = max(scored, default=(0.0, ""))
        if best[0] >= 0.5:
            return best[1]
    return "FACTOR_ID"


_OPEN = {"open", "opened", "geopend", "ja", "yes", "in beweging", "in motion", "beweging"}


def _guess_target(parts: list[str], value: int | None, codebook: Codebook | None) -> str:
    """An inline-table guess: a window or stream target when the path says so, else a factor code."""
    low = [p.lower() for p in parts]
    phase = _phase(parts) or 1
    state = 1 if any(w in low[-1] for w in _OPEN) else 0
    if any("venster" in p or "window" in p for p in low):
        return f"{{ phase = {phase}, window = {state} }}"
    stream = next((s for s, words in (("problem", ("probleem", "problem")), ("policy", ("beleid", "policy")),
                                      ("politics", ("politiek", "politic"))) if any(w in low[-1] for w in words)), None)
    if stream and any(w in low[-1] for w in ("beweging", "motion", "stil", "still")):
        return f"{{ phase = {phase}, stream = {_toml_string(stream)}, in_motion = {state} }}"
    factor = _guess_factor(parts[:-1] if value is not None else parts, codebook)
    return f"{{ factor = {_toml_string(factor)}, code = {1 if value is None else value} }}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _code_line(path: str, count: int, below: int, codebook: Codebook | None) -> str:
    parts = path.split("/")
    value = _VALUES.get(parts[-1].strip().lower())
    used = _plural(count, "coding")
    if below:  # a mapped parent takes in the codings of the codes under it that are not mapped themselves
        used += f"; mapped, it collects the {_plural(below, 'coding')} under it"
    return f"# {_toml_string(path)} = {_guess_target(parts, value, codebook)}  # {used}"


def template_text(project_path: Path, codes: dict[str, int], cases: list[str], sets: list[str], variables: list[str],
                  codebook_ref: str, codebook: Codebook | None, sources: list[str] = (),
                  coders: list[str] = ()) -> str:
    """The mapping text for a project's ``codes`` (path -> number of codings), cases, sets, source variables,
    sources and coders (the users named on its codings)."""
    lines = [f"# Mapping for `bayesstreams import` generated from {_toml_string(project_path.name)} ({len(codes)} codes).",
             "# Uncomment the codes that carry a factor code, a stream state or a window, and correct the guesses:",
             '#   { factor = "p1_insight", code = 1 }  |  { phase = 1, stream = "problem", in_motion = 1 }'
             "  |  { phase = 1, window = 1 }",
             "# Codes left commented are listed as unmapped on import; put deliberate omissions in [ignore].",
             f"codebook = {_toml_string(codebook_ref)}", "", "[cases]"]
    groups = cases or sets
    shown = ", ".join(_toml_string(c) for c in groups[:8]) + (", ..." if len(groups) > 8 else "")
    choice = "cases" if cases else "sets" if sets else "variable" if variables else "sources" if sources else "cases"
    lines.append(("" if choice == "cases" else "# ") + f'from = "cases"  # the project\'s cases'
                 + (f" ({len(cases)}): {shown}" if cases else ": none"))
    if sets:
        lines.append(("" if choice == "sets" else "# ") + f'from = "sets"  # document groups (MAXQDA)'
                     + (f" ({len(sets)}): {shown}" if choice == "sets" else ""))
    if variables:
        mark = "" if choice == "variable" else "# "
        lines.append(f'{mark}from = "variable"  # the case (municipality) named by a source variable')
        lines.append(f"{mark}variable = {_toml_string(variables[0])}  # source variables: "
                     + ", ".join(_toml_string(v) for v in variables))
    if sources:
        listed = ", ".join(_toml_string(c) for c in sources[:8]) + (", ..." if len(sources) > 8 else "")
        lines.append(("" if choice == "sources" else "# ") + f'from = "sources"  # each source a case '
                     f"({len(sources)}): {listed}")
    cases = groups if choice != "sources" else list(sources)
    lines += ["# [cases.ids]  # optional: QDA case (or set) name = case_id; only the listed ones are imported"]
    lines += [f"# {_toml_string(c)} = {_toml_string(f'c{i + 1}')}" for i, c in enumerate(cases)]
    lines += ["", "[respondents]", "# variable = \"Respondent\"  # default: each source (interview) is one respondent"]
    if len(coders) >= 2:
        lines += [f"# from = \"coders\"  # the coders ({', '.join(_toml_string(c) for c in coders)}) as respondents, "
                  "for `bayesstreams agreement`; by default each source and coder is one respondent"]
    lines += ["", "[codes]",
              "# A mapped parent code collects the codings of the codes under it that are not mapped themselves."]
    lines += [_code_line(path, count, sum(n for p, n in codes.items() if p.startswith(path + "/")), codebook)
              for path, count in codes.items()]
    lines += ["", "[ignore]", "codes = []", ""]
    return "\n".join(lines)


def write_template(project: str | Path, out: str | Path, *, codebook: str | Path | None = None,
                   force: bool = False) -> Path:
    """Write a starting mapping for ``project`` (a ``.qdpx``) to ``out``.

    Parameters
    ----------
    project
        The REFI-QDA project whose codes, cases and source variables are listed.
    out
        The mapping TOML to write.
    codebook
        A ``codebook.toml``: the template refers to it and guesses factors from its labels.
    force
        Replace an existing ``out``.
    
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
    >>> path = write_template(tmp / "demo.qdpx", tmp / "map.toml")
    >>> "Inzicht/+" in path.read_text()
    True
    """
    project, out = Path(project), Path(out)
    refuse_existing(out, force)
    qda = read_qdpx(project, texts=False)  # codes and codings only: the mapping needs no quote
    counts = {code.path: 0 for code in qda.codes.values()}
    for source in qda.sources:
        for coding in source.codings:
            for guid in coding.code_guids:
                counts[qda.codes[guid].path] += 1
    variables = list(dict.fromkeys(v for s in qda.sources for v in s.variables))
    book = load_codebook(codebook) if codebook else None
    ref = os.path.relpath(Path(codebook).resolve(), out.resolve().parent) if codebook else "codebook.toml"
    users = sorted({c.coder(i) for s in qda.sources for c in s.codings for i in range(len(c.code_guids))} - {""})
    text = template_text(project, counts, [c.name for c in qda.cases], [s.name for s in qda.sets], variables,
                         Path(ref).as_posix(), book, [s.name for s in qda.sources], users)
    atomic_write_text(out, text, replace=force)  # another process may have written it meanwhile
    return out
