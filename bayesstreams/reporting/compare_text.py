"""Two cases side by side as Markdown, one self-contained HTML page or JSON, in English or Dutch.

The numbers are those of :func:`bayesstreams.analysis.compare_cases.compare_cases` (its ``to_dict``
data); words come from the translation tables (``cmp_*`` keys), numbers from the filters of
:mod:`bayesstreams.reporting.render` (decimal comma in Dutch), every value escaped there (HTML with
autoescape, Markdown at output).  Nothing is computed here: this module only lays the rows out.
"""

from __future__ import annotations

import json
from pathlib import Path

from bayesstreams.atomic import atomic_write_text, refuse_existing
from bayesstreams.errors import InputError, Violation
from bayesstreams.reporting.advice_text import MIN_SHOWN
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.render import render

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}
SUPPORT_KEYS = {"data": "support_data", "no data: prior only": "support_no_data", "separating": "support_separating"}
WINDOW_ROWS = tuple({"name": f"W{p}", "obs": f"w{p}", "p": f"p_w{p}", "given": f"given_w{p}",
                     "observed_key": f"row_window_observed_{p}"} for p in (1, 2))


def _context(comparison, lang: str) -> dict:
    data = comparison.to_dict(lang)
    separating = data["separating"]
    # as advice_text says of levers: a change below half a point alone is none (a plan across streams is needed)
    no_single = len(separating) > 1 and all(abs(e["gain"]["mean"]) < MIN_SHOWN for e in separating)
    return {"t": translator(lang), "lang": lang, "c": data, "windows": WINDOW_ROWS, "support_keys": SUPPORT_KEYS,
            "streams": list(zip(data["a"]["streams"], data["b"]["streams"])), "no_single": no_single}


def _render(template: str, comparison, lang: str) -> str:
    context = _context(comparison, lang)
    return render(template, context.pop("t"), **context)


def comparison_markdown(comparison, lang: str = "en") -> str:
    """The comparison as Markdown (what ``bayesstreams compare-cases`` prints without ``--out``)."""
    return _render("compare.md", comparison, lang)


def comparison_html(comparison, lang: str = "en") -> str:
    """The comparison as one self-contained HTML page (inline CSS, no scripts)."""
    return _render("compare.html", comparison, lang)


def comparison_json(comparison, lang: str = "en") -> str:
    """The comparison as strict JSON, factors labelled in ``lang``."""
    return json.dumps(comparison.to_dict(lang), indent=1, ensure_ascii=False, allow_nan=False)


def check_out(out, force: bool = False) -> str:
    """The format of ``out`` by its suffix; an unknown suffix, or an existing file without ``force``, is an error."""
    kind = FORMATS.get(Path(out).suffix.lower())
    if kind is None:
        raise InputError(Violation(str(out), None, "--out", "a comparison is written as .html, .md or .json"))
    refuse_existing(Path(out), force)
    return kind


def write_comparison(comparison, out, lang: str = "en", force: bool = False) -> Path:
    """Write the comparison to ``out`` (``.html``, ``.md`` or ``.json``) atomically; never replaces without ``force``."""
    out = Path(out)
    kind = check_out(out, force)
    text = {"html": comparison_html, "md": comparison_markdown, "json": comparison_json}[kind](comparison, lang)
    atomic_write_text(out, text, replace=force)
    return out
