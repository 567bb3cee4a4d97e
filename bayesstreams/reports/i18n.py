"""One translation table per language (``i18n/en.json``, ``i18n/nl.json``) with the same keys."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "nl")
FOLDER = Path(__file__).with_name("i18n")


@lru_cache(maxsize=None)
def table(lang: str) -> dict[str, str]:
    """The translation table of ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not available ({', '.join(LANGUAGES)})")
    return json.loads((FOLDER / f"{lang}.json").read_text(encoding="utf-8"))


def translator(lang: str):
    """A function key -> text; a missing key is an error, never a silent English fallback."""
    words = table(lang)

    def t(key: str) -> str:
        return words[key]

    return t
