"""Claims of the source study as data: read and validate ``claims.toml`` (docs/DATA.md).

A dataset folder may hold ``claims.toml`` beside its codebook: the conclusions of the
study the data come from, each mapped to a query of the model and an expected direction,
so that the report can set every conclusion against what the data tell
(:mod:`bayesstreams.analysis.claims`).  The format::

    [[claim]]
    id = "insight_drives_phase1"          # unique; letters, digits, _ and -
    section = "6.1.1"                     # where the thesis says it
    text_nl = "Inzicht in aard en omvang is bepalend voor agendering."
    text_en = "Insight into nature and extent drives agenda setting."
    query = "factor_effect"               # factor_effect | phase_dependency | stream_necessity
    factor = "p1_insight"                 # factor_effect: a factor of the codebook ...
    window = "W1"                         # ... and the window (W1, W2) it is claimed to move
    expected = "positive"                 # positive | negative
    size = "decisive"                     # optional, factor_effect only: important | decisive
    at_least_pp = 20                      # with size: the effect (percentage points) the word claims

A claim about size (MODEL.md §8, issue 23 item 5) is tested on sign and size separately
(:mod:`bayesstreams.analysis.claims`): ``important`` holds when the effect is at least
``at_least_pp`` points; ``decisive`` when it is at least ``at_least_pp`` points *or* the factor is
necessary for the window (its higher code at least doubles the window's chance).  ``size`` and
``at_least_pp`` come together; the size must be above 0 and at most 100 points.

``stream_necessity`` takes ``phase`` (1, 2) and ``stream`` (problem, policy, politics);
``phase_dependency`` takes no further key.  Every problem is reported at once, located by
file, line and key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bayesstreams.data.codebook import PHASES, STREAMS, load_codebook
from bayesstreams.data.limits import read_bounded
from bayesstreams.errors import InputError, Violation

CLAIMS_FILE = "claims.toml"
QUERIES = {"factor_effect": ("factor", "window"), "phase_dependency": (), "stream_necessity": ("phase", "stream")}
TEXT_KEYS = ("id", "section", "text_nl", "text_en")
DIRECTIONS = ("positive", "negative")
WINDOWS = ("W1", "W2")
SIZES = ("important", "decisive")
SIZE_KEYS = ("size", "at_least_pp")  # factor_effect claims only
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Claim:
    """One conclusion of the source study, mapped to a query and an expected direction."""

    id: str
    section: str
    text_nl: str
    text_en: str
    query: str
    expected: str
    factor: str = ""
    window: str = ""
    phase: int = 0
    stream: str = ""
    size: str = ""                   # "", "important" or "decisive"
    at_least_pp: float | None = None  # the effect in percentage points the size word claims

    def text(self, lang: str) -> str:
        """The claim in ``lang`` (``"nl"`` or ``"en"``)."""
        return self.text_nl if lang == "nl" else self.text_en

    def to_toml_dict(self) -> dict:
        """The claim as a ``[[claim]]`` table (only the keys its query takes)."""
        out = {"id": self.id, "section": self.section, "text_nl": self.text_nl, "text_en": self.text_en,
               "query": self.query, "expected": self.expected}
        out.update({key: getattr(self, key) for key in QUERIES[self.query]})
        if self.size:
            out.update(size=self.size, at_least_pp=self.at_least_pp)
        return out


def _claim_lines(text: str) -> list[int]:
    """1-based line of each ``[[claim]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"^\s*\[\[\s*claim\s*\]\]", line)]


def _key_line(text: str, start: int | None, key: str) -> int | None:
    """The line of ``key = ...`` in the block starting at line ``start`` (the header line when not found)."""
    if start is None:
        return None
    lines = text.splitlines()
    for n in range(start, len(lines)):
        if re.match(r"^\s*\[", lines[n]):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[n]):
            return n + 1
    return start


def _check_claim(entry: dict, codebook, where, seen: dict) -> tuple[Claim | None, list[Violation]]:
    problems = []

    def bad(key: str, message: str) -> None:
        problems.append(where(key, message))

    query = entry.get("query")
    if query not in QUERIES:
        bad("query", f"query must be one of {', '.join(QUERIES)} (got {query!r})")
        return None, problems
    allowed = set(TEXT_KEYS) | {"query", "expected"} | set(QUERIES[query])
    if query == "factor_effect":
        allowed |= set(SIZE_KEYS)
    else:
        for key in sorted(set(entry) & set(SIZE_KEYS)):
            bad(key, f"{key} states a size in percentage points: only a factor_effect claim takes it")
    for key in sorted(set(entry) - allowed):
        bad(key, f"unknown key {key!r} for a {query} claim (keys: {', '.join(sorted(allowed))})")
    for key in TEXT_KEYS:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            bad(key, f"{key} is required and must be non-empty text")
    claim_id = entry.get("id")
    if isinstance(claim_id, str) and claim_id.strip():
        if not ID_PATTERN.match(claim_id):
            bad("id", f"id {claim_id!r} may hold only letters, digits, '_' and '-'")
        elif claim_id in seen:
            bad("id", f"duplicate claim id {claim_id!r} (first at line {seen[claim_id]})")
    if entry.get("expected") not in DIRECTIONS:
        bad("expected", f"expected must be one of {', '.join(DIRECTIONS)} (got {entry.get('expected')!r})")
    if query == "factor_effect":
        factor, window = entry.get("factor"), entry.get("window")
        if factor not in codebook.ids:
            bad("factor", f"factor {factor!r} is not in the codebook")
        if window not in WINDOWS:
            bad("window", f"window must be W1 or W2 (got {window!r})")
        elif factor in codebook.ids and window == "W1" and codebook.factors[codebook.ids.index(factor)].phase == 2:
            bad("window", f"factor {factor!r} belongs to phase 2 and cannot move W1")
    if query == "factor_effect":
        _check_size(entry, bad)
    if query == "stream_necessity":
        if entry.get("phase") not in PHASES or isinstance(entry.get("phase"), bool):
            bad("phase", f"phase must be 1 or 2 (got {entry.get('phase')!r})")
        if entry.get("stream") not in STREAMS:
            bad("stream", f"stream must be one of {', '.join(STREAMS)} (got {entry.get('stream')!r})")
    if problems:
        return None, problems
    fields = {k: entry[k] for k in allowed if k in entry}
    if "at_least_pp" in fields:
        fields["at_least_pp"] = float(fields["at_least_pp"])
    return Claim(**fields), []


def _check_size(entry: dict, bad) -> None:
    """``size`` and ``at_least_pp`` come together: a size word and the points it claims (0 < N <= 100)."""
    size, points = entry.get("size"), entry.get("at_least_pp")
    if size is not None and size not in SIZES:
        bad("size", f"size must be one of {', '.join(SIZES)} (got {size!r})")
    if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))
                               or not 0 < points <= 100):
        bad("at_least_pp", f"at_least_pp must be a number of percentage points above 0 and at most 100 (got {points!r})")
    if size is not None and points is None:
        bad("size", f"size {size!r} needs at_least_pp: the effect in percentage points the word claims")
    if points is not None and size is None:
        bad("at_least_pp", "at_least_pp needs size (important or decisive)")


def claims_from_text(text: str, codebook, file: str = CLAIMS_FILE) -> tuple[Claim, ...]:
    """Parse and validate the text of a ``claims.toml`` against a codebook.

    Raises
    ------
    InputError
        With every problem, each located by file, line and key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise InputError(Violation(file, int(found.group(1)) if found else None, None,
                                   f"not valid TOML: {exc}")) from None
    problems = [Violation(file, None, key, f"unknown top-level key {key!r}: claims are [[claim]] tables")
                for key in data if key != "claim"]
    entries = data.get("claim", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(problems + [Violation(file, None, "claim", "claims must be [[claim]] tables")])
    headers = _claim_lines(text)
    claims, seen = [], {}
    for n, entry in enumerate(entries):
        start = headers[n] if n < len(headers) else None

        def where(key, message, start=start):
            return Violation(file, _key_line(text, start, key), key, message)

        claim, found = _check_claim(entry, codebook, where, seen)
        problems += found
        if claim is not None:
            seen[claim.id] = start
            claims.append(claim)
    if problems:
        raise InputError(problems)
    return tuple(claims)


def load_claims(path, codebook=None) -> tuple[Claim, ...]:
    """Read and validate a ``claims.toml`` (a file, or a dataset folder holding one).

    Parameters
    ----------
    path
        ``claims.toml`` or the folder it sits in.
    codebook
        The dataset's :class:`~bayesstreams.data.codebook.Codebook` (factor ids are checked);
        default: the ``codebook.toml`` beside the claims file.

    Returns
    -------
    tuple of Claim
        In file order; empty when a folder holds no ``claims.toml``.

    Examples
    --------
    >>> [c.id for c in load_claims("data/trafficking_nl_2020")][:2]
    ['phase2_needs_phase1', 'insight_drives_phase1']
    >>> load_claims("data/trafficking_nl_2020/claims.toml")[1].factor
    'p1_insight'
    """
    path = Path(path)
    if path.is_dir():
        path = path / CLAIMS_FILE
        if not path.is_file():
            return ()
    if codebook is None:
        codebook = load_codebook(path.parent / "codebook.toml")
    try:
        text = read_bounded(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Violation(str(path), None, None, "claims file is not valid UTF-8")) from None
    except OSError as exc:
        raise InputError(Violation(str(path), None, None, f"cannot read the claims file ({exc.strerror})")) from None
    return claims_from_text(text, codebook, str(path))


def claims_toml(claims) -> str:
    """``claims.toml`` text of some claims (for run snapshots)."""
    import tomli_w

    return tomli_w.dumps({"claim": [c.to_toml_dict() for c in claims]})
