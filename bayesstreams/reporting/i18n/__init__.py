"""One translation table per language: ``en.json`` and ``nl.json`` in this folder, with the same keys.

Templates, figures and briefs take every user-facing word from here; factor labels come
from the codebook (``label_en`` / ``label_nl``).  A missing key is an error, never a
silent fallback to another language.

The study's own words
    A text never names the kind of case or evidence: it says ``{study_unit}``,
    ``{study_units}`` or ``{study_evidence}`` (``{Study_units}`` at the start of a sentence),
    and a translator made for a data set (:func:`study_translator`) puts in the words of its
    codebook's ``[dataset]`` table (gemeente/municipality, kabinet/cabinet, interviews,
    documents ...).  Where the data set gives none, the table's own ``study_unit``,
    ``study_units`` and ``study_evidence`` ("case", "cases", "sources") stand in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from bayesstreams.errors import BayesStreamsError

LANGUAGES: tuple[str, ...] = ("en", "nl")
FOLDER = Path(__file__).parent


def check_language(lang: str) -> str:
    """``lang`` if a translation table exists for it, else a one-line error."""
    if lang not in LANGUAGES:
        raise BayesStreamsError(f"language {lang!r} is not available (choose {' or '.join(LANGUAGES)})")
    return lang


@lru_cache(maxsize=None)
def _load(lang: str) -> dict[str, str]:
    return json.loads((FOLDER / f"{lang}.json").read_text(encoding="utf-8"))


def table(lang: str) -> dict[str, str]:
    """A copy of the translation table of ``lang`` (key -> text)."""
    return dict(_load(check_language(lang)))


STUDY_PLACEHOLDERS: tuple[str, ...] = ("study_unit", "study_units", "study_evidence", "study_agenda", "study_home")


class Translator:
    """Callable key -> text in one language, with the study's words put in; ``KeyError`` names a missing key."""

    def __init__(self, lang: str, study: dict[str, str] | None = None):
        self.lang = check_language(lang)
        self._words = _load(lang)
        given = {k: v for k, v in (study or {}).items() if k in STUDY_PLACEHOLDERS and v}
        self.study = {name: given.get(name) or self._words[name] for name in STUDY_PLACEHOLDERS}
        self._fill = {}
        for name, word in self.study.items():
            self._fill["{" + name + "}"] = word
            self._fill["{" + name[0].upper() + name[1:] + "}"] = word[:1].upper() + word[1:]

    def __call__(self, key: str) -> str:
        try:
            text = self._words[key]
        except KeyError:
            raise KeyError(f"translation key {key!r} is missing from i18n/{self.lang}.json") from None
        if "tudy_" in text:
            for placeholder, word in self._fill.items():
                text = text.replace(placeholder, word)
        return text

    def has(self, key: str) -> bool:
        """Whether ``key`` exists (for names that may be unknown, e.g. parameters of a future model)."""
        return key in self._words


def translator(lang: str, study: dict[str, str] | None = None) -> Translator:
    """The translator of ``lang``; ``study`` maps ``study_unit`` etc. to the study's own words."""
    return Translator(lang, study)


def study_translator(lang: str, dataset) -> Translator:
    """The translator of ``lang`` speaking of ``dataset``'s cases and evidence in its codebook's words.

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> t = study_translator("nl", load_dataset("data/trafficking_nl_2020"))
    >>> t("brief_similar")
    'Meest vergelijkbare gemeenten in het onderzoek'
    >>> translator("en")("brief_similar")
    'Most similar cases in the study'
    """
    codebook = getattr(dataset, "codebook", None)
    return Translator(lang, codebook.study_words(lang) if codebook is not None else None)
