"""Fill the Jinja2 templates: HTML with autoescape, Markdown with every value escaped.

Escaping is not left to the template author:

* HTML templates (``*.html``) run with autoescape, so every value (case names, factor
  labels, quotes, group names, translations) is text; only the inline CSS and the SVG
  figures, which the package draws itself, are inserted as markup.
* Markdown templates (``*.md``) run with a ``finalize`` hook that escapes every value
  printed by ``{{ ... }}``: Markdown syntax is backslash-escaped, HTML special characters
  become entities, line breaks are folded (a table row stays one row).  Only the number
  formatters below return ``Markup`` and pass unescaped, because they print digits only.

Numbers are shown with two significant digits (:func:`sig`), probabilities as whole
percentages (:func:`pct`) and differences of probabilities as signed percentage points
(:func:`pp`).
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!~])")
MISSING = "–"


def md_escape(value) -> str:
    """Text that shows as itself in Markdown (and in the HTML a Markdown viewer makes of it)."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_finalize(value):
    return value if isinstance(value, Markup) else md_escape(value)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def sig(x, digits: int = 2, max_decimals: int = 4) -> Markup:
    """``x`` with ``digits`` significant digits but at most ``max_decimals`` decimals, never in exponent notation.

    Missing values print as ``–``; values that round to zero print as ``0``.
    """
    if _missing(x):
        return Markup(MISSING)
    x = float(x)
    if round(x, max_decimals) == 0:
        return Markup("0")
    rounded = float(f"{x:.{digits - 1}e}")  # rounding first: 9.98 -> 10, printed "10" and not "10.0"
    decimals = min(max_decimals, max(0, digits - 1 - math.floor(math.log10(abs(rounded)))))
    text = f"{x:.{decimals}f}"
    return Markup("0" if float(text) == 0 else text)


def pct(p) -> Markup:
    """A probability as a whole percentage: ``0.423`` -> ``42%``."""
    if _missing(p):
        return Markup(MISSING)
    text = f"{100 * float(p):.0f}"
    return Markup(("0" if text == "-0" else text) + "%")


def pp(d) -> Markup:
    """A difference of probabilities in signed percentage points: two significant digits, at most one decimal.

    ``0.123`` -> ``+12``, ``0.0123`` -> ``+1.2``, ``-0.00076`` -> ``-0.1``.
    """
    if _missing(d):
        return Markup(MISSING)
    text = str(sig(100 * float(d), max_decimals=1))
    return Markup(text if text.startswith("-") or text == "0" else "+" + text)


def fixed(x, decimals: int = 2) -> Markup:
    """``x`` with a fixed number of decimals (diagnostics, elpd)."""
    return Markup(MISSING) if _missing(x) else Markup(f"{float(x):.{decimals}f}")


def _interval(summary, one) -> Markup:
    if summary is None:
        return Markup(MISSING)
    return Markup(f"{one(summary.mean)} [{one(summary.q05)}, {one(summary.q95)}]")


def ival_pct(summary) -> Markup:
    """``mean [q05, q95]`` of a probability, in percent."""
    return _interval(summary, pct)


def ival_pp(summary) -> Markup:
    """``mean [q05, q95]`` of a difference of probabilities, in percentage points."""
    return _interval(summary, pp)


def ival_sig(summary) -> Markup:
    """``mean [q05, q95]`` with two significant digits."""
    return _interval(summary, sig)


def code_key(code) -> str:
    """Translation key of a factor code: ``code_pos``, ``code_zero``, ``code_neg`` or ``code_na``."""
    if _missing(code):
        return "code_na"
    return "code_pos" if code > 0 else "code_neg" if code < 0 else "code_zero"


def state_key(value) -> str:
    """Translation key of an observed window or stream: ``state_open``, ``state_closed`` or ``state_unknown``."""
    if _missing(value):
        return "state_unknown"
    return "state_open" if value == 1 else "state_closed"


def motion_key(value) -> str:
    """Translation key of an observed stream state: ``motion_yes``, ``motion_no`` or ``motion_unknown``."""
    if _missing(value):
        return "motion_unknown"
    return "motion_yes" if value == 1 else "motion_no"


FILTERS = {"sig": sig, "pct": pct, "pp": pp, "fixed": fixed, "ival_pct": ival_pct, "ival_pp": ival_pp,
           "ival_sig": ival_sig, "code_key": code_key, "state_key": state_key, "motion_key": motion_key}


def template_cache():
    """Jinja2's on-disk cache of compiled templates, or None where no cache folder can be written.

    The folder is ``$BAYESSTREAMS_CACHE_DIR/jinja``, else ``$XDG_CACHE_HOME/bayesstreams/jinja``,
    else ``~/.cache/bayesstreams/jinja``.  Jinja2 keys each entry by the template's name and a
    checksum of its source, so an edited template is compiled afresh, never served stale.
    Compiling the report's templates costs ~0.3 s per process; loading them, a few ms.
    """
    import os

    import jinja2

    if os.environ.get("BAYESSTREAMS_CACHE_DIR"):
        folder = Path(os.environ["BAYESSTREAMS_CACHE_DIR"]) / "jinja"
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bayesstreams" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


@functools.cache
def environment(markdown: bool = False):
    """The Jinja2 environment for HTML (autoescape) or Markdown (escaping ``finalize``), one per process."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), bytecode_cache=template_cache(),
        autoescape=False if markdown else jinja2.select_autoescape(["html"], default_for_string=True, default=True),
        finalize=_md_finalize if markdown else None,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env


def render(template: str, t, **context) -> str:
    """Render ``template`` (``*.html`` or ``*.md``) with translator ``t`` and ``context``."""
    markdown = template.endswith(".md")
    css = Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))
    return environment(markdown).get_template(template).render(t=t, css=css, **context)


def trusted(text: str) -> Markup:
    """Text the package wrote itself, inserted as is: SVG figures (their text is escaped by matplotlib)
    and figure file names.  Never pass user-provided text."""
    return Markup(text)
