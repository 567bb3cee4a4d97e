"""Where a REFI-QDA selection starts and ends in its text: the writer's way of counting characters.

REFI-QDA 1.5 counts ``startPosition`` / ``endPosition`` of a ``PlainTextSelection`` in characters
of the plain text, but the programs that write it count differently:

* **NVivo** (Windows and Mac) counts **UTF-16 code units**: a character outside the Basic
  Multilingual Plane (an emoji, a rare CJK ideograph) is two, so read as code points every such
  character before a selection shifts its quote; a CRLF line break is two.
* **ATLAS.ti** counts a **CRLF line break as one** character.
* QualCoder and the standard itself count **code points** (Python's ``len``).

:func:`read_positions` turns the positions of one source into code-point slices of its text.  It
tries the convention of the writer named by the project's ``origin`` first; when the writer is
unknown, or its convention does not fit, it tries every convention and keeps those that fit every
selection of the source (inside the text, never inside a surrogate pair).  Conventions that cut
the same quotes are one; of several that cut different quotes, the one whose quotes begin and end
on word boundaries more often is taken (a coder selects words; a shifted selection cuts them), and
when that does not decide, the source is refused: a quote is never silently cut from the wrong place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Convention:
    """One way of counting characters: UTF-16 code units or code points; a CRLF as one or two."""

    name: str
    utf16: bool
    crlf_as_one: bool


CODE_POINTS = Convention("code points", False, False)
UTF16 = Convention("UTF-16 code units", True, False)
CODE_POINTS_CRLF = Convention("code points, CRLF as one", False, True)
UTF16_CRLF = Convention("UTF-16 code units, CRLF as one", True, True)
CONVENTIONS = (CODE_POINTS, UTF16, CODE_POINTS_CRLF, UTF16_CRLF)
# What a user types (--positions, read_qdpx(positions=...)).
OPTION_NAMES = {"code-points": CODE_POINTS, "utf-16": UTF16, "crlf-as-one": CODE_POINTS_CRLF,
                "utf-16-crlf-as-one": UTF16_CRLF}
# The writer named by <Project origin="...">, and how it counts (tried in this order).
_WRITERS = ((re.compile(r"nvivo", re.I), "NVivo", (UTF16,)),
            (re.compile(r"atlas\.?ti", re.I), "ATLAS.ti", (CODE_POINTS_CRLF, UTF16_CRLF)),
            (re.compile(r"qualcoder|taguette|quirkos", re.I), None, (CODE_POINTS,)))
_NON_BMP = re.compile("[\U00010000-\U0010ffff]")


def writer_conventions(origin: str) -> tuple[str, tuple[Convention, ...]]:
    """The writer's name and its conventions, from the project's ``origin``; ``("", ())`` when unknown."""
    for pattern, name, conventions in _WRITERS:
        match = pattern.search(origin or "")
        if match:
            return name or match.group(0), conventions
    return "", ()


def _boundaries(text: str, convention: Convention) -> np.ndarray | None:
    """(code points + 1,) the convention's position of each code-point boundary; None when they are the same."""
    wide = convention.utf16 and _NON_BMP.search(text) is not None
    folded = convention.crlf_as_one and "\r\n" in text
    if not wide and not folded:
        return None
    units = np.ones(len(text), dtype=np.int64)
    if wide:
        units[[m.start() for m in _NON_BMP.finditer(text)]] = 2
    if folded:
        units[[m.start() + 1 for m in re.finditer("\r\n", text)]] = 0  # the LF of a CRLF counts nothing
    return np.concatenate([[0], np.cumsum(units)])


def _to_code_point(boundaries: np.ndarray | None, length: int, position: int) -> int | None:
    """The code-point index at ``position``; None outside the text or inside a surrogate pair."""
    if boundaries is None:
        return position if 0 <= position <= length else None
    if not 0 <= position <= boundaries[-1]:
        return None
    index = int(np.searchsorted(boundaries, position, side="right")) - 1
    return index if boundaries[index] == position else None


def text_length(text: str, convention: Convention) -> int:
    """How long ``text`` is in ``convention``."""
    boundaries = _boundaries(text, convention)
    return len(text) if boundaries is None else int(boundaries[-1])


def _cuts(text: str, spans: list[tuple[int, int]], convention: Convention) -> list[tuple[int, int]] | int:
    """Code-point slices of ``spans`` in ``convention``, or the index of the first span that does not fit."""
    boundaries = _boundaries(text, convention)
    out = []
    for index, (start, end) in enumerate(spans):
        a, b = _to_code_point(boundaries, len(text), start), _to_code_point(boundaries, len(text), end)
        if a is None or b is None or a > b:
            return index
        out.append((a, b))
    return out


def _on_words(text: str, cuts: list[tuple[int, int]]) -> int:
    """How many selection ends fall on a word boundary (not between two letters or digits)."""
    def inside(i: int) -> bool:
        return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()
    return sum((not inside(a)) + (not inside(b)) for a, b in cuts)


@dataclass(frozen=True)
class Reading:
    """How the positions of one source were read.

    ``cuts`` are code-point slices (start, end) per selection, or None when the source is refused;
    then ``problem`` says why and ``problem_index`` which selection it names.  ``note`` says when
    the convention was not the writer's own (detected from the positions).
    """

    convention: Convention | None
    cuts: list[tuple[int, int]] | None
    note: str = ""
    problem: str = ""
    problem_index: int = 0


def _lengths(text: str) -> str:
    shown = {c.name: text_length(text, c) for c in CONVENTIONS}
    if len(set(shown.values())) == 1:
        return f"{len(text)} characters"
    return ", ".join(f"{n} {name}" for name, n in shown.items())


def _pick(text: str, spans, fitting: dict[Convention, list[tuple[int, int]]]) -> Reading | None:
    """One reading of the fitting conventions, or None when they cut different quotes and words cannot tell."""
    distinct: dict[tuple, Convention] = {}
    for convention, cuts in fitting.items():
        distinct.setdefault(tuple(text[a:b] for a, b in cuts), convention)
    if len(distinct) == 1:
        convention = next(iter(distinct.values()))
        return Reading(convention, fitting[convention])
    scored = sorted(((_on_words(text, fitting[c]), c) for c in distinct.values()), key=lambda s: -s[0])
    if scored[0][0] > scored[1][0]:
        best = scored[0][1]
        return Reading(best, fitting[best], note=f"read as {best.name}: those positions start and end on words "
                                                 f"({scored[0][0]} of {2 * len(spans)} selection ends, against "
                                                 f"{scored[1][0]} as {scored[1][1].name})")
    return None


def read_positions(text: str, spans: list[tuple[int, int]], origin: str = "",
                   convention: Convention | None = None, source: str = "") -> Reading:
    """Code-point slices of a source's selection ``spans`` (start, end as written), read in the writer's convention.

    Parameters
    ----------
    text
        The source's plain text (a leading byte-order mark removed).
    spans
        ``(startPosition, endPosition)`` of every selection of the source, as written.
    origin
        The project's ``origin`` attribute (``"NVivo 14"``, ``"ATLAS.ti 23"``, ...).
    convention
        Read in this convention, whatever the writer (the user's override).
    source
        The source's name, for the problem's wording.

    Returns
    -------
    Reading
        The convention and the slices, or the problem (a selection that fits no convention, or
        conventions that cut different quotes).

    Examples
    --------
    NVivo counts the emoji as two: read as code points the quote would lose its first letter.

    >>> text = "Top 👍 nieuws: de raad stemt in."
    >>> reading = read_positions(text, [(15, 32)], origin="NVivo 14")
    >>> reading.convention.name, text[slice(*reading.cuts[0])]
    ('UTF-16 code units', 'de raad stemt in.')
    """
    if convention is not None:
        tried: tuple[Convention, ...] = (convention,)
        writer = f"--positions {convention.name!r}"
    else:
        name, tried = writer_conventions(origin)
        writer = f"{name} ({', '.join(c.name for c in tried)})" if name else ""
    if not spans:
        return Reading(tried[0] if tried else CODE_POINTS, [])
    hinted = {c: cuts for c in tried if not isinstance(cuts := _cuts(text, spans, c), int)}
    if hinted:
        return _pick(text, spans, hinted) or _ambiguous(text, spans, hinted, writer, source)
    if convention is not None:
        return _misfit(text, spans, {convention: _cuts(text, spans, convention)}, writer, source)
    results = {c: _cuts(text, spans, c) for c in CONVENTIONS}
    fitting = {c: cuts for c, cuts in results.items() if not isinstance(cuts, int)}
    if not fitting:
        return _misfit(text, spans, results, writer, source)
    reading = _pick(text, spans, fitting)
    if reading is None:
        return _ambiguous(text, spans, fitting, writer, source)
    if not reading.note and len(fitting) == len(CONVENTIONS) and not writer:
        return reading  # every way of counting cuts the same quotes: nothing to say
    said = (f"the project was written by {writer}, but its positions do not fit that; "
            if writer else "the project does not say which program wrote it; ")
    how = reading.note or (f"read as {reading.convention.name}, the only way they fit" if len(fitting) == 1 else
                           f"read as {reading.convention.name}, which cuts the same quotes as every way they fit")
    return Reading(reading.convention, reading.cuts, note=said + how)


def _misfit(text: str, spans, results: dict, writer: str, source: str) -> Reading:
    first = max(results.values())  # the convention that fits longest fails last: name its selection
    start, end = spans[first]
    tried = ", ".join(c.name for c in results)
    return Reading(None, None, problem_index=first,
                   problem=f"selection {start}-{end} points outside its source {source!r} ({_lengths(text)}): it fits no "
                           f"way of counting characters (tried {tried}"
                           + (f"; the writer is {writer}" if writer else "") + ")")


def _ambiguous(text: str, spans, fitting: dict, writer: str, source: str) -> Reading:
    conventions = list(fitting)
    index = next(i for i in range(len(spans)) if len({tuple(fitting[c][i]) for c in conventions}) > 1)
    start, end = spans[index]
    quotes = " or ".join(f"{text[slice(*fitting[c][index])]!r} ({c.name})" for c in conventions[:3])
    return Reading(None, None, problem_index=index,
                   problem=f"selection {start}-{end} of source {source!r} cuts {quotes}, and its positions fit each as well"
                           + (f" (the writer is {writer})" if writer else
                              " (the project does not say which program wrote it)")
                           + f"; say how they count with --positions {'|'.join(OPTION_NAMES)}")
