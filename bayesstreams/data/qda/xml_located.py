"""A small XML tree whose elements remember their line, read with the standard library's expat.

``xml.etree`` drops line numbers, and a user who gets "selection points outside its source"
needs the line of ``project.qde`` to look at.  The tree is deliberately plain (tag, namespace,
attributes, text, children, line) and refuses document type declarations, so an archive cannot
define entities (no entity-expansion attacks, no external entities).  Nesting depth and the
size of one attribute value or text are bounded (:mod:`bayesstreams.data.limits`), so a
hostile archive ends in one located error, not in a RecursionError or a MemoryError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from bayesstreams.data.limits import limit, over, shown
from bayesstreams.errors import InputError, Violation


@dataclass
class Element:
    """One XML element: local ``tag``, namespace ``ns``, attributes, text content and children."""

    tag: str
    ns: str
    attrib: dict[str, str]
    line: int
    children: list["Element"] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The character data directly inside the element (not inside its children)."""
        return "".join(self.text_parts)

    def find(self, tag: str) -> "Element | None":
        """The first child with local name ``tag``, or None."""
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list["Element"]:
        """All children with local name ``tag``, in document order."""
        return [c for c in self.children if c.tag == tag]


def _split(name: str) -> tuple[str, str]:
    ns, _, tag = name.rpartition(" ")
    return ns, tag


def parse_located(data: bytes, file: str) -> Element:
    """Parse ``data`` into an :class:`Element` tree; a syntax error becomes a located :class:`InputError`."""
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[Element] = []
    root: list[Element] = []
    depth, size = limit("xml_depth"), limit("xml_text_bytes")
    text_size: list[int] = []  # characters of text so far, per open element

    def refuse(message: str) -> None:
        raise InputError(Violation(file, parser.CurrentLineNumber, None, message))

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, tag = _split(name)
        if len(stack) >= depth:
            refuse(f"elements nested more than {shown(depth)} deep {over('xml_depth')}")
        for key, value in attrs.items():
            if len(value) > size:
                refuse(f"attribute {_split(key)[1]!r} of <{tag}> holds {len(value)} characters {over('xml_text_bytes')}")
        element = Element(tag, ns, {_split(k)[1]: v for k, v in attrs.items()}, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)
        text_size.append(0)

    def end(_name: str) -> None:
        stack.pop()
        text_size.pop()

    def chars(text: str) -> None:
        if stack:
            text_size[-1] += len(text)
            if text_size[-1] > size:
                refuse(f"the text of <{stack[-1].tag}> is longer than {shown(size)} characters {over('xml_text_bytes')}")
            stack[-1].text_parts.append(text)

    def doctype(*_args) -> None:
        raise InputError(Violation(file, parser.CurrentLineNumber, None,
                                   "a DOCTYPE declaration is not allowed in a REFI-QDA project"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise InputError(Violation(file, exc.lineno, None,
                                   f"not well-formed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})")) from None
    return root[0]
