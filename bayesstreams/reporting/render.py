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
(:func:`pp`), written the way the template's language writes them (decimal comma in Dutch):
the filters take the language from the translator ``t`` and the digits from
:mod:`bayesstreams.reporting.numbers`.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from jinja2 import pass_context
from markupsafe import Markup

from bayesstreams.atomic import private_folder
from bayesstreams.errors import InputError
from bayesstreams.reporting import numbers

TEMPLATES = Path(__file__).with_name("templates")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!~])")
MISSING = numbers.MISSING


def md_escape(value) -> str:
    """Text that shows as itself in Markdown (and in the HTML a Markdown viewer makes of it)."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_finalize(value):
    return value if isinstance(value, Markup) else md_escape(value)


def _missing(x) -> bool:
    return numbers.missing(x)


def _lang(context) -> str:
    return context["t"].lang


# Number filters: the language comes from the template's translator ``t``, the digits from
# :mod:`bayesstreams.reporting.numbers`; they return Markup because they print digits only.


@pass_context
def sig(context, x, digits: int = 2, max_decimals: int = 4) -> Markup:
    """``x`` with two significant digits in the template's language (see :func:`numbers.sig`)."""
    return Markup(numbers.sig(x, _lang(context), digits, max_decimals))


@pass_context
def pct(context, p) -> Markup:
    """A probability as a whole percentage: ``0.423`` -> ``42%``."""
    return Markup(numbers.pct(p, _lang(context)))


@pass_context
def pp(context, d) -> Markup:
    """A difference of probabilities in signed percentage points (``+1.2``; Dutch ``+1,2``)."""
    return Markup(numbers.pp(d, _lang(context)))


@pass_context
def fixed(context, x, decimals: int = 2) -> Markup:
    """``x`` with a fixed number of decimals (diagnostics, elpd)."""
    return Markup(numbers.fixed(x, decimals, _lang(context)))


@pass_context
def plain(context, x) -> Markup:
    """``x`` as short as it is exact (thresholds such as ``1.01``)."""
    return Markup(numbers.plain(x, _lang(context)))


@pass_context
def ival_pct(context, summary) -> Markup:
    """``mean [q05, q95]`` of a probability, in percent."""
    return Markup(numbers.summary_interval(summary, numbers.pct, _lang(context)))


@pass_context
def ival_pp(context, summary) -> Markup:
    """``mean [q05, q95]`` of a difference of probabilities, in percentage points."""
    return Markup(numbers.summary_interval(summary, numbers.pp, _lang(context)))


@pass_context
def ival_sig(context, summary) -> Markup:
    """``mean [q05, q95]`` with two significant digits."""
    return Markup(numbers.summary_interval(summary, numbers.sig, _lang(context)))


def span_pct(low, high) -> Markup:
    """A range of probabilities in whole percent: ``low|span_pct(high)`` -> ``22–83%``."""
    return Markup(numbers.pct_span(low, high))


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


FILTERS = {"sig": sig, "pct": pct, "pp": pp, "fixed": fixed, "plain": plain, "ival_pct": ival_pct, "ival_pp": ival_pp,
           "ival_sig": ival_sig, "span_pct": span_pct, "code_key": code_key, "state_key": state_key, "motion_key": motion_key}


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
    try:  # compiled templates are loaded as code: only from a folder no other user can write
        folder = private_folder(folder)
    except InputError:
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
