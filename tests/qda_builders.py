"""Build small REFI-QDA projects (.qdpx) and code-matrix exports the way the three programs write them.

The differences that matter to a reader are reproduced, not the programs' every attribute:

* **NVivo**: lower-case GUIDs; plain texts in ``sources/<guid>.txt`` with a byte-order mark and
  CRLF line ends, referenced as ``internal://<guid>.txt``; cases (classification) with
  ``SourceRef`` and ``VariableValue``; PDFs as ``PDFSource`` with a ``Representation`` text;
  positions in **UTF-16 code units** (an emoji is two, a CRLF two); ``origin="NVivo 14"``.
* **ATLAS.ti**: GUIDs in braces, upper case; texts in ``sources/`` with CRLF line ends, positions
  counting a **CRLF as one** character; no cases; the municipality as a document variable;
  ``origin="ATLAS.ti 23"``.
* **MAXQDA**: upper-case GUIDs, texts under ``sources/`` without a byte-order mark, ``Users``,
  no cases, document groups as ``Sets`` (as in a real MAXQDA 24 export); document variables;
  positions in code points.
* **QualCoder**: lower-case GUIDs, ``plainTextPath="<name>.txt"`` relative to ``sources/`` (no
  ``internal://``), positions in code points, ``Users`` and ``creatingUser`` on every coding.

``endPosition`` is exclusive.  Positions are computed here from the text with the writer's
counting rule written out (not with :mod:`bayesstreams.data.qda.positions`).
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

NS = "urn:QDA-XML:project:1.0"
FLAVOURS = ("nvivo", "atlas", "maxqda", "qualcoder")
ORIGINS = {"nvivo": "NVivo 14", "atlas": "ATLAS.ti 23", "maxqda": "MAXQDA 24 (Release 24.7.0)",
           "qualcoder": "QualCoder 3.6"}


def position(text: str, index: int, flavour: str) -> int:
    """Where code point ``index`` of ``text`` is, counted as ``flavour`` counts."""
    before = text[:index]
    if flavour == "nvivo":
        return len(before.encode("utf-16-le")) // 2
    if flavour == "atlas":
        return len(before.replace("\r\n", "\n"))
    return len(before)


@dataclass
class Src:
    """A source: its text and the (quote, code path) codings on it; ``pdf`` for a PDF source."""

    name: str
    text: str
    codings: list[tuple]  # (quote, code path) or (quote, code path, coder)
    variables: dict[str, str] = field(default_factory=dict)
    pdf: bool = False
    whole: list[str] = field(default_factory=list)


@dataclass
class Spec:
    codes: list[str]
    sources: list[Src]
    cases: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    sets: dict[str, list[str]] = field(default_factory=dict)


class _Guids:
    def __init__(self, flavour: str, seed: int = 0):
        self.flavour = flavour
        self.n = seed

    def __call__(self) -> str:
        self.n += 1
        g = str(uuid.UUID(int=self.n * 7919 + 12345))
        if self.flavour in ("nvivo", "qualcoder"):
            return g
        if self.flavour == "atlas":
            return "{" + g.upper() + "}"
        return g.upper()


def _code_tree(paths: list[str], guid) -> tuple[str, dict[str, str]]:
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path.split("/"):
            node = node.setdefault(part, {})
    guids: dict[str, str] = {}

    def render(node: dict, prefix: str, depth: int) -> str:
        out = ""
        for name, children in node.items():
            path = f"{prefix}/{name}" if prefix else name
            guids[path] = guid()
            codable = "true" if not children or path in paths else "false"
            inner = render(children, path, depth + 1)
            pad = "  " * depth
            if inner:
                out += f'{pad}<Code guid="{guids[path]}" name={quoteattr(name)} isCodable="{codable}">\n{inner}{pad}</Code>\n'
            else:
                out += f'{pad}<Code guid="{guids[path]}" name={quoteattr(name)} isCodable="{codable}"/>\n'
        return out

    return render(tree, "", 3), guids


def _selections(text: str, codings: list[tuple], code_guids: dict, guid, flavour: str, users: dict[str, str]) -> str:
    out = ""
    for quote, path, *coder in codings:
        quote = quote.replace("\n", "\r\n") if "\r\n" in text else quote  # the text as stored
        start = text.index(quote)
        name = coder[0] if coder else ("coder" if flavour == "qualcoder" else "")
        user = f' creatingUser="{users[name]}"' if name else ""
        out += (f'<PlainTextSelection guid="{guid()}" name={quoteattr(quote[:30])} '
                f'startPosition="{position(text, start, flavour)}" endPosition="{position(text, start + len(quote), flavour)}">'
                f'<Coding guid="{guid()}"{user}><CodeRef targetGUID="{code_guids[path]}"/>'
                f"</Coding></PlainTextSelection>\n")
    return out


def build_qdpx(path: Path, spec: Spec, flavour: str) -> Path:
    """Write ``spec`` as a ``.qdpx`` the way ``flavour`` (nvivo, atlas, maxqda) writes one."""
    guid = _Guids(flavour)
    codes_xml, code_guids = _code_tree(spec.codes, guid)
    names = sorted({k for s in spec.sources for k in s.variables} | {k for _, v in spec.cases.values() for k in v})
    var_guids = {n: guid() for n in names}
    files: dict[str, bytes] = {}
    src_guids: dict[str, str] = {}
    sources_xml = ""
    folder = "sources"
    coders = list(dict.fromkeys(c[2] for s in spec.sources for c in s.codings if len(c) > 2))
    if flavour in ("maxqda", "qualcoder") and not coders:
        coders = ["coder"]
    users = {name: guid() for name in coders}

    def values(variables: dict[str, str]) -> str:
        return "".join(f'<VariableValue><VariableRef targetGUID="{var_guids[k]}"/><TextValue>{escape(v)}</TextValue>'
                       f"</VariableValue>" for k, v in variables.items())

    def text_source(tag: str, g: str, name: str, text: str, codings, whole) -> str:
        if flavour in ("nvivo", "atlas"):
            text = text.replace("\n", "\r\n")   # stored with CRLF; each program counts the text as stored
        sel = _selections(text, codings, code_guids, guid, flavour, users)
        whole_xml = "".join(f'<Coding guid="{guid()}"><CodeRef targetGUID="{code_guids[p]}"/></Coding>' for p in whole)
        data = text.encode("utf-8")
        file = f"{g.strip('{}')}.txt" if flavour != "qualcoder" else f"{name.replace(' ', '_')}.txt"
        files[f"{folder}/{file}"] = (b"\xef\xbb\xbf" + data) if flavour == "nvivo" else data
        attrs = f' richTextPath="internal://{g}.docx"' if flavour == "nvivo" else ""
        where = file if flavour == "qualcoder" else f"internal://{file}"
        return f'<{tag} guid="{g}" name={quoteattr(name)} plainTextPath="{where}"{attrs}>\n{sel}{whole_xml}'

    for src in spec.sources:
        g = guid()
        src_guids[src.name] = g
        if src.pdf:
            files[f"{folder}/{g}.pdf"] = b"%PDF-1.4 test"
            rep = text_source("Representation", guid(), src.name, src.text, src.codings, src.whole)
            sources_xml += (f'<PDFSource guid="{g}" name={quoteattr(src.name)} path="internal://{g}.pdf">\n'
                            f"{rep}</Representation>\n{values(src.variables)}</PDFSource>\n")
        else:
            sources_xml += text_source("TextSource", g, src.name, src.text, src.codings, src.whole)
            sources_xml += f"{values(src.variables)}</TextSource>\n"
    variables_xml = "".join(f'<Variable guid="{var_guids[n]}" name={quoteattr(n)} typeOfVariable="Text"/>' for n in names)
    cases_xml = "".join(
        f'<Case guid="{guid()}" name={quoteattr(name)}>{values(variables)}'
        + "".join(f'<SourceRef targetGUID="{src_guids[s]}"/>' for s in members) + "</Case>\n"
        for name, (members, variables) in spec.cases.items())
    users_xml = ("<Users>" + "".join(f'<User guid="{g}" name={quoteattr(n)}/>' for n, g in users.items())
                 + "</Users>\n") if users else ""
    # MAXQDA writes document groups as sets; "Alle documenten" overlaps the municipalities on purpose
    groups = {**spec.sets, "Alle documenten": list(src_guids)} if flavour == "maxqda" else spec.sets
    sets = ("<Sets>" + "".join(f'<Set guid="{guid()}" name={quoteattr(name)}>'
                               + "".join(f'<MemberSource targetGUID="{src_guids.get(m, m)}"/>' for m in members)
                               + "</Set>" for name, members in groups.items()) + "</Sets>\n") if groups else ""
    origin = f' origin="{ORIGINS[flavour]}"' if ORIGINS.get(flavour) else ""
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name="test"{origin}>\n{users_xml}'
           f"<CodeBook>\n<Codes>\n{codes_xml}</Codes>\n</CodeBook>\n"
           + (f"<Variables>{variables_xml}</Variables>\n" if names else "")
           + (f"<Cases>\n{cases_xml}</Cases>\n" if spec.cases else "")
           + f"<Sources>\n{sources_xml}</Sources>\n{sets}</Project>\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def rewrite_qde(path: Path, edit) -> Path:
    """Apply ``edit(xml_text) -> xml_text`` to the project.qde of an archive (to break it on purpose)."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["project.qde"] = edit(members["project.qde"].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
