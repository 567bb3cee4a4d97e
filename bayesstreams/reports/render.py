"""Fill the Jinja2 templates: HTML with autoescape, Markdown with a Markdown-escaping filter."""

from __future__ import annotations

import re
from pathlib import Path

from bayesstreams.reports.i18n import translator

TEMPLATES = Path(__file__).with_name("templates")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_escape(value) -> str:
    """Text safe in a Markdown table cell: Markdown syntax and HTML are escaped, line breaks folded."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def environment(markdown: bool = False):
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=not markdown,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["md"] = md_escape
    return env


def render(template: str, lang: str, **context) -> str:
    """Render ``template`` in ``lang``; every user string is escaped for the target format."""
    markdown = template.endswith(".md.j2")
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return environment(markdown).get_template(template).render(t=translator(lang), css=css, **context)
