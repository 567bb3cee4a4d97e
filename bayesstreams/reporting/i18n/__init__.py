"""One translation table per language: ``en.json`` and ``nl.json`` in this folder, with the same keys.

Templates, figures and briefs take every user-facing word from here; factor labels come
from the codebook (``label_en`` / ``label_nl``).  A missing key is an error, never a
silent fallback to another language.
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


class Translator:
    """Callable key -> text in one language; ``KeyError`` names a missing key."""

    def __init__(self, lang: str):
        self.lang = check_language(lang)
        self._words = _load(lang)

    def __call__(self, key: str) -> str:
        try:
            return self._words[key]
        except KeyError:
            raise KeyError(f"translation key {key!r} is missing from i18n/{self.lang}.json") from None

    def has(self, key: str) -> bool:
        """Whether ``key`` exists (for names that may be unknown, e.g. parameters of a future model)."""
        return key in self._words


def translator(lang: str) -> Translator:
    """The translator of ``lang``."""
    return Translator(lang)
