"""Factors, phases and streams: the codebook of a dataset.

A codebook maps each factor id to exactly one phase and one stream, with Dutch and
English labels and, optionally, an *action* in both languages: what a case (a municipality,
an organisation ...) can do to bring the factor to ``+1``, the words levers and plans are phrased
with.  A factor with ``actionable = false`` is context: shown and modelled, never a lever, a plan
step or an action.  It is read from ``codebook.toml`` (or a ``codebook`` sheet of an xlsx).

The ``[dataset]`` table holds the study's own words (:data:`DATASET_KEYS`): its title and source
per language, the name of its unit (``unit_en``/``units_en``, ``unit_nl``/``units_nl``), of its
evidence (``evidence_en``/``evidence_nl``), the agenda a theme reaches in phase 1 (``agenda_en``/``agenda_nl``,
e.g. "local agenda"), where an approach is secured in phase 2 (``home_en``/``home_nl``, e.g. "the
organisation") and the phases it has (``phases = [1]`` or ``[1, 2]``).
Reports and briefs take every such word from there.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.data.limits import read_bounded
from bayesstreams.errors import InputError, Violation

PHASES: tuple[int, ...] = (1, 2)
STREAMS: tuple[str, ...] = ("problem", "policy", "politics")
FACTOR_ID = re.compile(r"^[a-z][a-z0-9_]*$")
FACTOR_KEYS = ("phase", "stream", "label_nl", "label_en", "description", "action_nl", "action_en", "action_source",
               "actionable")
ACTION_KEYS = ("action_nl", "action_en")
# Column names of the case table and the wide layout: a factor id may not take them.
RESERVED_IDS = frozenset({"case_id", "name", "w1", "w2", "level", "group", "respondent", "section", "quote",
                          "factor", "code"} | {f"s{p}_{s}" for p in PHASES for s in STREAMS})
DATASET_KEYS = ("title", "title_nl", "title_en", "source", "source_nl", "source_en", "licence", "license", "description",
                "unit_en", "units_en", "unit_nl", "units_nl", "evidence_en", "evidence_nl", "agenda_en", "agenda_nl",
                "home_en", "home_nl", "phases")
# The study's own words, as {placeholder: [dataset] key stem}: i18n texts say {study_units}, never "municipalities".
STUDY_WORDS = {"study_unit": "unit", "study_units": "units", "study_evidence": "evidence", "study_agenda": "agenda",
               "study_home": "home"}
# What an import writes where the user has not said it yet: `validate` warns while any is left.
PLACEHOLDER = "TODO"


@dataclass(frozen=True)
class Factor:
    """One coded factor and the phase and stream it moves."""

    id: str
    phase: int
    stream: str
    label_nl: str = ""
    label_en: str = ""
    description: str = ""
    action_nl: str = ""
    action_en: str = ""
    action_source: str = ""
    actionable: bool = True  # False: context a case cannot change (shown and modelled, never a lever)

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` ("en" or "nl"), falling back to the id."""
        text = self.label_nl if lang == "nl" else self.label_en
        return text or self.label_en or self.label_nl or self.id

    def action(self, lang: str = "en") -> str:
        """What to do to bring the factor to ``+1``, in ``lang``; "" when the codebook gives none.

        There is no fallback to the other language (the codebook gives both or neither); the
        outputs word a missing action from the label and say that it is not the codebook's.

        Examples
        --------
        >>> book = load_codebook("data/trafficking_nl_2020/codebook.toml")
        >>> book["p1_insight"].action("nl")[:21]
        'Laat in kaart brengen'
        >>> Factor("a", 1, "problem").action("en")
        ''
        """
        return self.action_nl if lang == "nl" else self.action_en


@dataclass(frozen=True)
class Codebook:
    """An ordered, validated set of factors plus optional dataset metadata."""

    factors: tuple[Factor, ...]
    dataset: dict = field(default_factory=dict)
    # Where each factor is declared (file and line), so warnings about a factor can point there.
    file: str = field(default="", compare=False)
    lines: dict = field(default_factory=dict, compare=False)

    def location(self, factor_id: str) -> tuple[str, int | None]:
        """File and line that declare ``factor_id`` (line ``None`` where not known)."""
        return self.file, self.lines.get(factor_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.factors)

    @property
    def context(self) -> frozenset:
        """Ids of the context factors (``actionable = false``): modelled, never a lever, plan step or action."""
        return frozenset(f.id for f in self.factors if not f.actionable)

    def __getitem__(self, factor_id: str) -> Factor:
        for factor in self.factors:
            if factor.id == factor_id:
                return factor
        raise KeyError(factor_id)

    def __contains__(self, factor_id: object) -> bool:
        return any(f.id == factor_id for f in self.factors)

    def actions(self) -> dict[str, dict[str, str]]:
        """Per factor id its action in each language and its ``source`` note ("" where the codebook gives none).

        A context factor has none: the codebook refuses an action beside ``actionable = false``.
        """
        return {f.id: {"en": f.action_en, "nl": f.action_nl, "source": f.action_source} for f in self.factors}

    def describe(self, key: str, lang: str = "en") -> str:
        """Dataset metadata ``key`` (e.g. ``title``, ``source``) in ``lang``: ``{key}_{lang}``, else ``key``, else "".

        A value still holding the import's :data:`PLACEHOLDER` counts as not given.
        """
        meta = self.dataset
        text = str(meta.get(f"{key}_{lang}") or meta.get(key) or "")
        return "" if PLACEHOLDER in text else text

    def study_words(self, lang: str = "en") -> dict[str, str]:
        """The study's unit, evidence, agenda and home words in ``lang``, as i18n placeholders (only those it gives).

        Examples
        --------
        >>> load_codebook("data/trafficking_nl_2020/codebook.toml").study_words("nl")["study_units"]
        'gemeenten'
        """
        words = {name: self.describe(stem, lang) for name, stem in STUDY_WORDS.items()}
        return {name: text for name, text in words.items() if text}

    @property
    def phases(self) -> tuple[int, ...]:
        """The phases of the study: ``[dataset] phases`` where given, else those with factors."""
        declared = self.dataset.get("phases")
        if isinstance(declared, list) and declared and all(p in PHASES for p in declared):
            return tuple(sorted(set(int(p) for p in declared)))
        return tuple(sorted({f.phase for f in self.factors}))

    def placeholders(self) -> list[str]:
        """The ``[dataset]`` keys an import left for the user to fill in (still :data:`PLACEHOLDER`)."""
        return [key for key, value in self.dataset.items() if isinstance(value, str) and PLACEHOLDER in value]

    def to_toml_dict(self) -> dict:
        """The codebook as the nested dict that ``codebook.toml`` holds."""
        out: dict = {}
        if self.dataset:
            out["dataset"] = dict(self.dataset)
        out["factors"] = {f.id: _factor_dict(f) for f in self.factors}
        return out


def _factor_dict(factor: Factor) -> dict:
    """One factor as its ``codebook.toml`` table; the optional action keys only where given."""
    entry = {"phase": factor.phase, "stream": factor.stream, "label_nl": factor.label_nl,
             "label_en": factor.label_en, "description": factor.description}
    for key in ("action_nl", "action_en", "action_source"):
        if getattr(factor, key):
            entry[key] = getattr(factor, key)
    if not factor.actionable:
        entry["actionable"] = False
    return entry


def parse_factor(file: str, row: int | None, factor_id: str, entry: dict) -> tuple[Factor | None, list[Violation]]:
    """Check one factor entry; return the factor (or None) and its violations."""
    problems: list[Violation] = []

    def bad(column: str, message: str) -> None:
        problems.append(Violation(file, row, column, message))

    if not FACTOR_ID.match(factor_id):
        bad("id", f"factor id {factor_id!r} must match ^[a-z][a-z0-9_]*$")
    elif factor_id in RESERVED_IDS:
        bad("id", f"factor id {factor_id!r} is reserved (a column name of the data contract); rename the factor")
    for key in entry:
        if key not in FACTOR_KEYS:
            bad(key, f"factor {factor_id!r}: unknown key {key!r} (allowed: {', '.join(FACTOR_KEYS)})")
    phase = entry.get("phase")
    if phase is None or phase == "":
        bad("phase", f"factor {factor_id!r} has no phase (1 or 2)")
    else:
        try:
            phase = int(str(phase).strip())
        except ValueError:
            phase = None
        if phase not in PHASES:
            bad("phase", f"factor {factor_id!r}: phase {entry.get('phase')!r} is not 1 or 2")
    stream = entry.get("stream")
    if stream is None or str(stream).strip() == "":
        bad("stream", f"factor {factor_id!r} has no stream ({', '.join(STREAMS)})")
    elif str(stream).strip() not in STREAMS:
        bad("stream", f"factor {factor_id!r}: unknown stream {stream!r} (allowed: {', '.join(STREAMS)})")
    for key in ("label_nl", "label_en", "description"):
        if key in entry and not isinstance(entry[key], str):
            bad(key, f"factor {factor_id!r}: {key} must be text")
    for key, message in _action_problems(factor_id, entry):
        bad(key, message)
    actionable = _actionable(entry.get("actionable", True))
    if actionable is None:
        bad("actionable", f"factor {factor_id!r}: actionable must be true or false, not {entry['actionable']!r}")
    if problems:
        return None, problems
    factor = Factor(
        id=factor_id,
        phase=int(phase),
        stream=str(stream).strip(),
        label_nl=str(entry.get("label_nl", "") or ""),
        label_en=str(entry.get("label_en", "") or ""),
        description=str(entry.get("description", "") or ""),
        actionable=bool(actionable),
        # one line in every output: a TOML multi-line string is joined at its line breaks
        **{key: " ".join(entry[key].split()) for key in ("action_nl", "action_en", "action_source") if key in entry},
    )
    return factor, []


def _actionable(value) -> bool | None:
    """``actionable`` as a bool (TOML true/false, or an xlsx cell's text); None when it is neither."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "true", "yes", "1", "1.0"):
        return True
    if text in ("false", "no", "0", "0.0"):
        return False
    return None


def _action_problems(factor_id: str, entry: dict) -> list[tuple[str, str]]:
    """The action rules: text, not blank, both languages or neither; a source note only beside an action."""
    found = []
    for key in ("action_nl", "action_en", "action_source"):
        if key not in entry:
            continue
        if not isinstance(entry[key], str):
            found.append((key, f"factor {factor_id!r}: {key} must be text"))
        elif not entry[key].strip():
            found.append((key, f"factor {factor_id!r}: {key} is empty (leave the key out, or write the action)"))
    given = [key for key in ACTION_KEYS if key in entry]
    if len(given) == 1:
        other = ACTION_KEYS[1 - ACTION_KEYS.index(given[0])]
        found.append((other, f"factor {factor_id!r} has {given[0]} but no {other}: give the action in both languages"))
    if "action_source" in entry and not given:
        found.append(("action_source", f"factor {factor_id!r}: action_source without action_nl and action_en"))
    if given and _actionable(entry.get("actionable", True)) is False:
        found.append(("actionable", f"factor {factor_id!r} is not actionable (context) but has an action: "
                                    "leave out the action or the actionable = false"))
    return found


def _toml_lines(text: str) -> dict[str, int]:
    """Line numbers of ``[factors.<id>]`` headers, so errors can point at them."""
    lines: dict[str, int] = {}
    # split on "\n" only: TOML strings may hold U+2028 and other characters splitlines() breaks at
    for number, line in enumerate(text.split("\n"), start=1):
        match = re.match(r"^\s*\[\s*factors\.\"?([^\]\"]+)\"?\s*\]", line)
        if match:
            lines.setdefault(match.group(1).strip(), number)
    return lines


def toml_error_location(exc: Exception) -> tuple[int | None, str]:
    """Line and message of a TOML syntax error (Python < 3.14 has the line only in the text)."""
    text = str(exc)
    row = getattr(exc, "lineno", None)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if row is None and match:
        row = int(match.group(1))
    message = text.split(" (at")[0]
    if match:
        message += f" (column {match.group(2)})"
    return row, message


@dataclass(frozen=True)
class CodebookRead:
    """A codebook as far as it could be read: its valid factors, its problems, every declared id.

    Loading a dataset keeps checking the other tables against the valid factors when the
    codebook has problems, so that every violation is reported in one pass; codes of a
    declared but invalid factor are then skipped, not reported again as unknown.
    """

    codebook: Codebook | None
    problems: tuple[Violation, ...] = ()
    declared: frozenset = frozenset()

    @property
    def invalid(self) -> frozenset:
        """Factor ids the codebook declares but could not accept."""
        valid = set(self.codebook.ids) if self.codebook is not None else set()
        return frozenset(self.declared - valid)

    def result(self) -> Codebook:
        """The codebook, or :class:`InputError` with every problem."""
        if self.problems or self.codebook is None:
            raise InputError(list(self.problems))
        return self.codebook


def codebook_from_mapping(file: str, data: dict, lines: dict[str, int] | None = None) -> Codebook:
    """Validate a parsed ``codebook.toml`` mapping; raise :class:`InputError` listing every problem."""
    return read_mapping(file, data, lines).result()


def read_mapping(file: str, data: dict, lines: dict[str, int] | None = None) -> CodebookRead:
    """Validate a parsed ``codebook.toml`` mapping, keeping the valid factors beside the problems."""
    lines = lines or {}
    problems: list[Violation] = []
    for key in data:
        if key not in ("factors", "dataset"):
            problems.append(Violation(file, None, key, f"unknown table [{key}] (allowed: [dataset], [factors.<id>])"))
    dataset = data.get("dataset", {})
    if not isinstance(dataset, dict):
        problems.append(Violation(file, None, "dataset", "[dataset] must be a table"))
        dataset = {}
    problems += _dataset_problems(file, dataset)
    factors_table = data.get("factors")
    if not isinstance(factors_table, dict) or not factors_table:
        problems.append(Violation(file, None, "factors", "the codebook defines no [factors.<id>] tables"))
        return CodebookRead(None, tuple(problems))
    factors: list[Factor] = []
    for factor_id, entry in factors_table.items():
        row = lines.get(factor_id)
        if not isinstance(entry, dict):
            problems.append(Violation(file, row, factor_id, f"factors.{factor_id} must be a table"))
            continue
        factor, found = parse_factor(file, row, factor_id, entry)
        problems.extend(found)
        if factor is not None:
            factors.append(factor)
    codebook = Codebook(factors=tuple(factors), dataset=dict(dataset), file=file, lines=dict(lines))
    return CodebookRead(codebook, tuple(problems), frozenset(factors_table))


def _dataset_problems(file: str, dataset: dict) -> list[Violation]:
    """The ``[dataset]`` rules: known keys, text values, ``phases`` a non-empty list of 1 and 2."""
    problems = []
    for key, value in dataset.items():
        if key not in DATASET_KEYS:
            problems.append(Violation(file, None, f"dataset.{key}",
                                      f"[dataset]: unknown key {key!r} (allowed: {', '.join(DATASET_KEYS)})"))
        elif key == "phases":
            if not (isinstance(value, list) and value and all(p in PHASES for p in value)):
                problems.append(Violation(file, None, "dataset.phases",
                                          f"[dataset]: phases must be [1] or [1, 2], not {value!r}"))
        elif not isinstance(value, str):
            problems.append(Violation(file, None, f"dataset.{key}", f"[dataset]: {key} must be text"))
    return problems


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a ``codebook.toml``; raise :class:`InputError` listing every problem.

    Examples
    --------
    >>> book = load_codebook("data/trafficking_nl_2020/codebook.toml")
    >>> len(book.factors), book.factors[0].id
    (23, 'p1_media')
    """
    return read_codebook(path).result()


def read_codebook(path: str | Path) -> CodebookRead:
    """Read a ``codebook.toml`` as far as possible (see :class:`CodebookRead`)."""
    try:
        return _read_codebook(Path(path))
    except InputError as exc:
        return CodebookRead(None, tuple(exc.violations))


def _read_codebook(path: Path) -> CodebookRead:
    file = str(path)
    if not path.is_file():
        raise InputError(Violation(file, None, None, "codebook file does not exist"))
    raw = read_bounded(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise InputError(Violation(file, row, None, "file is not valid UTF-8 (TOML must be UTF-8)")) from None
    if not text.strip():
        raise InputError(Violation(file, None, None, "codebook file is empty"))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        row, message = toml_error_location(exc)
        raise InputError(Violation(file, row, None, f"not valid TOML: {message}")) from None
    return read_mapping(file, data, _toml_lines(text))


# What an import asks the user to write in the [dataset] table it writes (key -> placeholder text).
IMPORT_PLACEHOLDERS = {
    "title_en": f"{PLACEHOLDER}: the title of your study, in English",
    "title_nl": f"{PLACEHOLDER}: de titel van uw onderzoek, in het Nederlands",
    "source_en": f"{PLACEHOLDER}: the citation of your study (author, year, title, where to find it)",
    "source_nl": f"{PLACEHOLDER}: de bronvermelding van uw onderzoek (auteur, jaar, titel, vindplaats)",
    "unit_en": f"{PLACEHOLDER}: what one case is, singular (e.g. municipality, cabinet, organisation)",
    "units_en": f"{PLACEHOLDER}: the same, plural (e.g. municipalities, cabinets, organisations)",
    "unit_nl": f"{PLACEHOLDER}: wat één casus is, enkelvoud (bijv. gemeente, kabinet, organisatie)",
    "units_nl": f"{PLACEHOLDER}: hetzelfde, meervoud (bijv. gemeenten, kabinetten, organisaties)",
    "evidence_en": f"{PLACEHOLDER}: what the codes come from (e.g. interviews, documents)",
    "evidence_nl": f"{PLACEHOLDER}: waar de codes uit komen (bijv. interviews, documenten)",
    "agenda_en": f"{PLACEHOLDER}: the agenda a theme reaches in phase 1 (e.g. local agenda, cabinet agenda)",
    "agenda_nl": f"{PLACEHOLDER}: de agenda die een thema in fase 1 haalt (bijv. lokale agenda, kabinetsagenda)",
    "home_en": f"{PLACEHOLDER}: where an approach is secured in phase 2 (e.g. the organisation, the ministry)",
    "home_nl": f"{PLACEHOLDER}: waar een aanpak in fase 2 wordt geborgd (bijv. de organisatie, het ministerie)",
}
# Words that describe one study, not the kind of study: an import never carries them over.
STUDY_OWN_KEYS = ("title", "title_nl", "title_en", "source", "source_nl", "source_en", "licence", "license",
                  "description")


def imported_codebook_text(text: str, codebook: Codebook, words: dict | None = None) -> str:
    """The ``codebook.toml`` an import writes: the factors as ``text`` has them, a ``[dataset]`` of the new study.

    The codebook an import maps onto was written for another study (often the shipped one), so
    its title, source, licence and description are never carried over: the new study's come from
    ``words`` (e.g. ``{"title_en": ...}``), or stay placeholders that ``validate`` warns about and
    reports leave out.  The unit and evidence words and the phases are kept where the codebook
    gives them: they describe the kind of study.

    Examples
    --------
    >>> path = Path("data/trafficking_nl_2020/codebook.toml")
    >>> new = imported_codebook_text(path.read_text(encoding="utf-8"), load_codebook(path))
    >>> book = codebook_from_mapping("codebook.toml", tomllib.loads(new))
    >>> book.describe("title", "en"), book.describe("units", "en"), len(book.factors)
    ('', 'municipalities', 23)
    """
    import tomli_w

    kept = {k: v for k, v in codebook.dataset.items() if k not in STUDY_OWN_KEYS}
    table = {key: kept.get(key, placeholder) for key, placeholder in IMPORT_PLACEHOLDERS.items()}
    table.update({k: v for k, v in kept.items() if k not in table})
    table.update({k: v for k, v in (words or {}).items() if v})
    header = ("# [dataset]: the words reports and briefs use for this study; an import leaves the study's own\n"
              f"# title and source to you (every \"{PLACEHOLDER}\" below; `bayesstreams validate` lists those left).\n")
    return header + tomli_w.dumps({"dataset": table}) + "\n" + _without_dataset_table(text).lstrip("\n")


def _without_dataset_table(text: str) -> str:
    """``text`` of a codebook.toml without its ``[dataset]`` table (the comments before other tables kept)."""
    out, skipping = [], False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("["):
            skipping = re.match(r"^\[\s*dataset\s*\]", stripped) is not None
        if not skipping:
            out.append(line)
    return "\n".join(out)
