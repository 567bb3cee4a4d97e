"""Read a REFI-QDA project (``.qdpx``) into plain records: codes by path, sources, selections, cases.

The REFI-QDA 1.5 project schema (``Project.xsd``, namespace ``urn:QDA-XML:project:1.0``) is the
contract: a ``.qdpx`` is a zip archive with ``project.qde`` (the XML) and a ``sources/`` folder
holding the plain texts that ``plainTextPath="internal://..."`` points at.  NVivo, ATLAS.ti and
MAXQDA all export it.  Only the parts a causal coding needs are read (codebook, text and PDF
sources with their selections and codings, cases, sets of documents, variables); each element that is read is
checked against the schema's names, required attributes and types, and every problem is
reported at once, located as ``project.qdpx[project.qde]:line:attribute``.

Character positions count from 0 in the source's plain text (a leading byte-order mark is not
counted); ``endPosition`` is one past the last character.  How they count depends on the writer
(NVivo: UTF-16 code units; ATLAS.ti: a CRLF as one; the standard: code points), which
:mod:`bayesstreams.data.qda.positions` finds from the project's ``origin`` or from the positions
themselves; a selection that fits no way of counting is a located error.  Only the quote depends
on that reading, never the codes.

``plainTextPath`` is ``internal://name`` (NVivo, ATLAS.ti, MAXQDA) or a path relative to the
archive's ``sources/`` folder (QualCoder: ``plainTextPath="board_2017.txt"``); a path that leaves
the archive (absolute, another scheme, ``..``) is refused.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from bayesstreams.data.limits import check_regular_file, check_zip, read_member
from bayesstreams.data.qda.positions import OPTION_NAMES, Convention, read_positions, text_length
from bayesstreams.data.qda.xml_located import Element, parse_located
from bayesstreams.errors import InputError, Violation

NAMESPACE = "urn:QDA-XML:project:1.0"
PROJECT_FILE = "project.qde"
_GUID = re.compile(r"^(\{)?[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?(1)\})$")

# Children the schema allows, by the schema type of the element (Representation is a TextSource).
_CHILDREN = {
    "Project": {"Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                "Description", "NoteRef"},
    "Users": {"User"}, "CodeBook": {"Codes"}, "Codes": {"Code"}, "Code": {"Description", "NoteRef", "Code"},
    "Variables": {"Variable"}, "Variable": {"Description"},
    "Cases": {"Case"}, "Case": {"Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef"},
    "Sources": {"TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource"},
    "TextSource": {"Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"},
    "PlainTextSelection": {"Description", "Coding", "NoteRef"},
    "PDFSource": {"Description", "PDFSelection", "Representation", "Coding", "NoteRef", "VariableValue"},
    "PDFSelection": {"Description", "Representation", "Coding", "NoteRef"},
    "Coding": {"CodeRef", "NoteRef"},
    "Sets": {"Set"}, "Set": {"Description", "MemberCode", "MemberSource", "MemberNote"},
    "VariableValue": {"VariableRef", "TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
                      "DateTimeValue"},
}
_REQUIRED = {
    "User": ("guid",), "Code": ("guid", "name", "isCodable"), "Variable": ("guid", "name", "typeOfVariable"), "Case": ("guid",),
    "TextSource": ("guid",), "PDFSource": ("guid",), "PictureSource": ("guid",), "AudioSource": ("guid",),
    "VideoSource": ("guid",), "PlainTextSelection": ("guid", "startPosition", "endPosition"),
    "PDFSelection": ("guid", "page"), "Coding": ("guid",), "CodeRef": ("targetGUID",), "SourceRef": ("targetGUID",),
    "VariableRef": ("targetGUID",), "Set": ("guid", "name"), "MemberSource": ("targetGUID",),
}
_GUID_ATTRIBUTES = ("guid", "targetGUID")
_MEDIA = ("PictureSource", "AudioSource", "VideoSource")
# Elements that others point at by GUID: a duplicate would make a reference ambiguous.
_REFERENCED = {"Code", "Variable", "Case", "Set", "TextSource", "PDFSource", *_MEDIA}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|\\)|^[A-Za-z]:[\\/]|^[\\/]")


@dataclass(frozen=True)
class QdaCode:
    """A code of the codebook; ``path`` joins the names from the top code down with ``/``."""

    guid: str
    name: str
    path: str
    line: int


@dataclass(frozen=True)
class QdaCoding:
    """One application of codes to a stretch of a source (or to the whole source: no positions).

    ``coders[i]`` is who applied ``code_guids[i]`` (``Coding/@creatingUser`` as a user name from
    ``<Users>``, the GUID when the project does not name it, ``""`` when the coding does not say).
    """

    code_guids: tuple[str, ...]
    text: str
    where: str
    line: int
    coders: tuple[str, ...] = ()

    def coder(self, index: int) -> str:
        """Who applied the ``index``-th code ("" when unknown)."""
        return self.coders[index] if index < len(self.coders) else ""


@dataclass(frozen=True)
class QdaSource:
    """A text or PDF source (one interview, one document) with its codings and variable values."""

    guid: str
    name: str
    codings: tuple[QdaCoding, ...]
    variables: dict[str, str]
    line: int
    positions: str = ""


@dataclass(frozen=True)
class QdaCase:
    """A case (or a set of documents, MAXQDA's document group): the sources it holds, its variable values."""

    guid: str
    name: str
    source_guids: tuple[str, ...]
    variables: dict[str, str]
    line: int


@dataclass(frozen=True)
class QdaProject:
    """What :func:`read_qdpx` found; ``file`` locates messages (``archive.qdpx[project.qde]``)."""

    file: str
    name: str
    origin: str
    codes: dict[str, QdaCode]
    sources: tuple[QdaSource, ...]
    cases: tuple[QdaCase, ...]
    sets: tuple[QdaCase, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    users: dict[str, str] = field(default_factory=dict)
    media_codings: int = 0

    def code_paths(self) -> dict[str, QdaCode]:
        """Codes keyed by path, in codebook order."""
        return {code.path: code for code in self.codes.values()}


class _Reader:
    """Walks the located tree, collecting every schema problem before raising."""

    def __init__(self, file: str, archive: zipfile.ZipFile, origin: str = "", positions: Convention | None = None,
                 texts: bool = True):
        self.file = file
        self.archive = archive
        self.origin = origin
        self.positions = positions
        self.texts = texts
        self.conventions: dict[str, str] = {}  # source guid -> how its positions were read
        self.users: dict[str, str] = {}  # user guid -> name
        self.media_codings = 0
        self.members = {name.lower(): name for name in archive.namelist()}
        self.problems: list[Violation] = []
        self.variables: dict[str, str] = {}
        self.seen_guids: dict[str, int] = {}
        self.notes: list[str] = []

    def bad(self, element: Element, column: str | None, message: str) -> None:
        self.problems.append(Violation(self.file, element.line, column, message))

    def check(self, element: Element, kind: str | None = None) -> bool:
        """Schema names, required attributes and GUID form of one element; False when unusable."""
        kind = kind or element.tag
        ok = True
        if element.ns != NAMESPACE:
            self.bad(element, element.tag, f"element <{element.tag}> is not in the REFI-QDA namespace {NAMESPACE}")
            ok = False
        for name in _REQUIRED.get(kind, ()):
            if element.attrib.get(name, "") == "":
                self.bad(element, name, f"<{element.tag}> lacks the required attribute {name!r}")
                ok = False
        for name in _GUID_ATTRIBUTES:
            value = element.attrib.get(name)
            if value is not None and value != "" and not _GUID.match(value):
                self.bad(element, name, f"{name} {value!r} is not a GUID")
                ok = False
        allowed = _CHILDREN.get(kind)
        for child in element.children if allowed is not None else ():
            if child.tag not in allowed:
                self.bad(child, child.tag, f"<{child.tag}> is not allowed inside <{element.tag}> "
                                           f"(the schema allows {', '.join(sorted(allowed))})")
        guid = element.attrib.get("guid")
        if guid and element.tag in _REFERENCED:
            key = guid.strip("{}").lower()
            if key in self.seen_guids:
                self.bad(element, "guid", f"guid {guid} is used twice (first at line {self.seen_guids[key]})")
                ok = False
            self.seen_guids.setdefault(key, element.line)
        return ok

    def integer(self, element: Element, name: str) -> int | None:
        text = element.attrib.get(name, "")
        if re.fullmatch(r"[+-]?\d+", text.strip()):
            return int(text)
        if text != "":
            self.bad(element, name, f"{name} {text!r} is not an integer")
        return None

    # ------------------------------------------------------------------ codebook and variables
    def codes(self, project: Element) -> dict[str, QdaCode]:
        found: dict[str, QdaCode] = {}
        book = project.find("CodeBook")
        if book is None:
            return found
        self.check(book)
        for codes in book.findall("Codes"):
            self.check(codes)
            for code in codes.findall("Code"):
                self._code(code, "", found)
        return found

    def _code(self, element: Element, parent: str, found: dict[str, QdaCode]) -> None:
        if not self.check(element):
            return
        if element.attrib["isCodable"] not in ("true", "false", "1", "0"):
            self.bad(element, "isCodable", f"isCodable {element.attrib['isCodable']!r} is not a boolean")
        name = element.attrib["name"]
        path = f"{parent}/{name}" if parent else name
        guid = _key(element.attrib["guid"])
        found[guid] = QdaCode(guid, name, path, element.line)
        for child in element.findall("Code"):
            self._code(child, path, found)

    def read_users(self, project: Element) -> None:
        block = project.find("Users")
        if block is None:
            return
        self.check(block)
        for user in block.findall("User"):
            if self.check(user):
                self.users[_key(user.attrib["guid"])] = user.attrib.get("name", "") or user.attrib["guid"]

    def _coder(self, element: Element, fallback: str = "") -> str:
        guid = element.attrib.get("creatingUser", "")
        if not guid:
            return fallback
        if not _GUID.match(guid):
            self.bad(element, "creatingUser", f"creatingUser {guid!r} is not a GUID")
            return fallback
        return self.users.get(_key(guid), guid.strip("{}"))

    def read_variables(self, project: Element) -> None:
        block = project.find("Variables")
        if block is None:
            return
        self.check(block)
        for variable in block.findall("Variable"):
            if self.check(variable):
                self.variables[_key(variable.attrib["guid"])] = variable.attrib["name"]

    def values(self, element: Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in element.findall("VariableValue"):
            self.check(value)
            ref = value.find("VariableRef")
            if ref is None:
                self.bad(value, "VariableRef", "<VariableValue> lacks its <VariableRef>")
                continue
            if not self.check(ref):
                continue
            name = self.variables.get(_key(ref.attrib["targetGUID"]))
            if name is None:
                self.bad(ref, "targetGUID", f"variable {ref.attrib['targetGUID']} is not in <Variables>")
                continue
            content = next((c for c in value.children if c.tag != "VariableRef"), None)
            out[name] = content.text.strip() if content is not None else ""
        return out

    # ------------------------------------------------------------------ sources
    def sources(self, project: Element, codes: dict[str, QdaCode]) -> tuple[QdaSource, ...]:
        block = project.find("Sources")
        if block is None:
            return ()
        self.check(block)
        out = []
        for element in block.children:
            if element.tag in _MEDIA:
                self.check(element, None)
                self._note_media(element)
                continue
            if element.tag not in ("TextSource", "PDFSource") or not self.check(element):
                continue
            name = element.attrib.get("name", "") or element.attrib["guid"]
            codings = self._whole(element, codes)
            if element.tag == "TextSource":
                codings += self._text_codings(element, codes)
            else:
                codings += self._pdf_codings(element, codes)
            out.append(QdaSource(_key(element.attrib["guid"]), name, tuple(codings), self.values(element),
                                 element.line))
        return tuple(out)

    def _note_media(self, element: Element) -> None:
        count = _count(element, "Coding")
        self.media_codings += count
        if count:
            name = element.attrib.get("name", "") or element.attrib.get("guid", "")
            self.notes.append(f"{self.file}:{element.line}:{element.tag}: {count} coding(s) on {element.tag} "
                              f"{name!r} are not imported (only text and PDF sources carry quotes)")

    def _code_refs(self, holder: Element, codes: dict[str, QdaCode]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The codes applied to ``holder`` and who applied each (the coding's creatingUser, else the holder's)."""
        refs, coders = [], []
        for coding in holder.findall("Coding"):
            self.check(coding)
            ref = coding.find("CodeRef")
            if ref is None:
                self.bad(coding, "CodeRef", "<Coding> lacks its <CodeRef>")
                continue
            if not self.check(ref):
                continue
            target = _key(ref.attrib["targetGUID"])
            if target not in codes:
                self.bad(ref, "targetGUID", f"code {ref.attrib['targetGUID']} is not in the codebook")
                continue
            refs.append(target)
            coders.append(self._coder(coding, self._coder(holder) if holder.tag.endswith("Selection") else ""))
        return tuple(refs), tuple(coders)

    def _whole(self, element: Element, codes: dict[str, QdaCode]) -> list[QdaCoding]:
        refs, coders = self._code_refs(element, codes)
        return [QdaCoding(refs, "", "whole source", element.line, coders)] if refs else []

    def _text_codings(self, element: Element, codes: dict[str, QdaCode]) -> list[QdaCoding]:
        selections = []
        for selection in element.findall("PlainTextSelection"):
            if not self.check(selection):
                continue
            start, end = self.integer(selection, "startPosition"), self.integer(selection, "endPosition")
            if start is None or end is None:
                continue
            if start > end:
                self.bad(selection, "endPosition", f"selection {start}-{end} ends before it starts")
                continue
            selections.append((selection, start, end, self._code_refs(selection, codes)))
        if not selections or not self.texts:
            return [QdaCoding(refs[0], "", f"{start}-{end}", sel.line, refs[1])
                    for sel, start, end, refs in selections if refs[0]]
        text = self._plain_text(element)
        if text is None:
            return []
        cuts = self._cuts(element, text, selections)
        if cuts is None:
            return []
        return [QdaCoding(refs[0], text[a:b], f"{start}-{end}", sel.line, refs[1])
                for (sel, start, end, refs), (a, b) in zip(selections, cuts) if refs[0]]

    def _cuts(self, element: Element, text: str, selections: list) -> list[tuple[int, int]] | None:
        """Code-point slices of the selections, in the writer's way of counting; None (and a problem) if none fits."""
        name = element.attrib.get("name", "") or element.attrib["guid"]
        reading = read_positions(text, [(start, end) for _, start, end, _ in selections], self.origin, self.positions,
                                 name)
        if reading.cuts is None:
            selection, start, _, _ = selections[reading.problem_index]
            longest = max(text_length(text, c) for c in OPTION_NAMES.values())
            self.bad(selection, "startPosition" if not 0 <= start <= longest else "endPosition", reading.problem)
            return None
        self.conventions[_key(element.attrib["guid"])] = reading.convention.name
        if reading.note:
            self.notes.append(f"{self.file}:{element.line}:{element.tag}: positions of source {name!r}: {reading.note}")
        return reading.cuts

    def _pdf_codings(self, element: Element, codes: dict[str, QdaCode]) -> list[QdaCoding]:
        out = []
        representation = element.find("Representation")
        if representation is not None and self.check(representation, "TextSource"):
            out += self._whole(representation, codes)
            out += self._text_codings(representation, codes)
            way = self.conventions.pop(_key(representation.attrib["guid"]), None)
            if way:
                self.conventions[_key(element.attrib["guid"])] = way
        for selection in element.findall("PDFSelection"):
            if not self.check(selection):
                continue
            page = self.integer(selection, "page")
            inner = selection.find("Representation")
            content = inner.find("PlainTextContent") if inner is not None else None
            text = content.text if content is not None else ""
            refs, coders = self._code_refs(selection, codes)
            if refs:
                out.append(QdaCoding(refs, text or "", f"page {page}", selection.line, coders))
        return out

    def _plain_text(self, element: Element) -> str | None:
        """The source's plain text: inline ``PlainTextContent`` or the archive member; None when unreadable."""
        inline = element.find("PlainTextContent")
        if inline is not None:
            return inline.text
        path = element.attrib.get("plainTextPath", "")
        if not path:
            self.bad(element, "plainTextPath", "a source with selections needs PlainTextContent or plainTextPath")
            return None
        name = archive_name(path)
        if name is None:
            self.bad(element, "plainTextPath", f"plainTextPath {path!r} is outside the archive; export the "
                                               "project with its sources (internal:// or a path inside sources/)")
            return None
        member = self.members.get(f"sources/{name}".lower()) or self.members.get(name.lower())
        if member is None:
            self.bad(element, "plainTextPath", f"plainTextPath {path!r}: sources/{name} is not in the archive")
            return None
        raw = read_member(self.archive, member, str(self.archive.filename))
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.bad(element, "plainTextPath", f"{member} is not UTF-8 text (byte {exc.start})")
            return None

    # ------------------------------------------------------------------ cases
    def cases(self, project: Element, sources: tuple[QdaSource, ...], block_tag: str = "Cases",
              tag: str = "Case", ref_tag: str = "SourceRef") -> tuple[QdaCase, ...]:
        """The project's cases, or (with ``Sets``/``Set``/``MemberSource``) its sets of sources."""
        block = project.find(block_tag)
        if block is None:
            return ()
        self.check(block)
        known = {s.guid for s in sources} | self._media_guids(project)
        out = []
        for case in block.findall(tag):
            if not self.check(case):
                continue
            refs = []
            for ref in case.findall(ref_tag):
                if not self.check(ref):
                    continue
                target = _key(ref.attrib["targetGUID"])
                if target not in known:
                    self.bad(ref, "targetGUID", f"source {ref.attrib['targetGUID']} is not in <Sources>")
                    continue
                refs.append(target)
            out.append(QdaCase(_key(case.attrib["guid"]), case.attrib.get("name", "") or case.attrib["guid"],
                               tuple(refs), self.values(case), case.line))
        return tuple(out)

    @staticmethod
    def _media_guids(project: Element) -> set[str]:
        block = project.find("Sources")
        return {_key(e.attrib.get("guid", "")) for e in (block.children if block is not None else []) if e.tag in _MEDIA}


def archive_name(path: str) -> str | None:
    r"""The archive member a ``plainTextPath`` names (relative to ``sources/``); None when it leaves the archive.

    >>> archive_name("internal://0c5e.txt"), archive_name("board_2017.txt"), archive_name("texts\\a.txt")
    ('0c5e.txt', 'board_2017.txt', 'texts/a.txt')
    >>> archive_name("../secret.txt"), archive_name("file:///etc/passwd"), archive_name("C:\\a.txt")
    (None, None, None)
    """
    if path.startswith("internal://"):
        path = path[len("internal://"):].lstrip("/\\")
    elif _SCHEME.match(path):
        return None
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _key(guid: str) -> str:
    """GUIDs compare without braces and case (MAXQDA writes upper case, others lower)."""
    return guid.strip().strip("{}").lower()


def _count(element: Element, tag: str) -> int:
    return (element.tag == tag) + sum(_count(child, tag) for child in element.children)


def open_project_xml(path: Path) -> tuple[zipfile.ZipFile, bytes, str]:
    """The archive, the bytes of its ``project.qde`` and the location name; located errors otherwise."""
    if not path.is_file():
        raise InputError(Violation(str(path), None, None, "file does not exist"))
    check_regular_file(path)
    if not zipfile.is_zipfile(path):
        raise InputError(Violation(str(path), None, None, "not a REFI-QDA project: a .qdpx is a zip archive"))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InputError(Violation(str(path), None, None, f"not a readable zip archive ({exc})")) from None
    try:
        check_zip(archive, str(path))
    except InputError:
        archive.close()
        raise
    members = [n for n in archive.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
    if not members:
        archive.close()
        raise InputError(Violation(str(path), None, None,
                                   f"no {PROJECT_FILE} in the archive (a .qdpx holds project.qde and sources/)"))
    member = next((m for m in members if m.lower() == PROJECT_FILE), members[0])
    try:
        data = read_member(archive, member, str(path))
    except InputError:
        archive.close()
        raise
    return archive, data, f"{path}[{member}]"


def read_qdpx(path: str | Path, *, positions: str | None = None, texts: bool = True) -> QdaProject:
    """Read a ``.qdpx`` project.

    Parameters
    ----------
    path
        The REFI-QDA project archive.
    positions
        How the selections' positions count characters, whatever the project's writer says:
        ``"code-points"``, ``"utf-16"``, ``"crlf-as-one"`` or ``"utf-16-crlf-as-one"``; by default
        the writer's way (from ``origin``) or the one the positions fit (:mod:`~bayesstreams.data.qda.positions`).
    texts
        Read the sources' texts and cut the quotes; ``False`` reads codes, codings and cases only
        (what a mapping template needs), so a project whose texts are missing can still be listed.

    Returns
    -------
    QdaProject
        Codes by GUID (with their paths), text and PDF sources with their codings, cases.

    Raises
    ------
    InputError
        Not a zip, no ``project.qde``, XML that is not well formed or does not follow the schema
        in the parts read, references to codes, sources or variables that do not exist, and
        selections that point outside their source; all located, all at once.
    """
    path = Path(path)
    archive, data, file = open_project_xml(path)
    with archive:
        root = parse_located(data, file)
        if positions is not None and positions not in OPTION_NAMES:
            raise InputError(Violation(str(path), None, "positions", f"positions {positions!r} is not one of "
                                                                     f"{', '.join(OPTION_NAMES)}"))
        reader = _Reader(file, archive, root.attrib.get("origin", ""),
                         OPTION_NAMES[positions] if positions else None, texts)
        if root.tag != "Project" or root.ns != NAMESPACE:
            raise InputError(Violation(file, root.line, root.tag, f"the root element is <{root.tag}>; a REFI-QDA "
                                                                   f"project has <Project xmlns=\"{NAMESPACE}\">"))
        reader.check(root)
        reader.read_users(root)
        codes = reader.codes(root)
        reader.read_variables(root)
        sources = tuple(replace(s, positions=reader.conventions.get(s.guid, "")) for s in reader.sources(root, codes))
        cases = reader.cases(root, sources)
        sets = reader.cases(root, sources, "Sets", "Set", "MemberSource")
    if reader.problems:
        raise InputError(reader.problems)
    return QdaProject(file, root.attrib.get("name", ""), root.attrib.get("origin", ""), codes, sources, cases,
                      sets, tuple(reader.notes), dict(reader.users), reader.media_codings)
