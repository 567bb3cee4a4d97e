"""Hostile text everywhere a user can put text: case names, factor labels, quotes, group names.

Thirty payloads (script tags, event handlers, javascript: URLs, closing tags, template syntax,
Markdown links, formula injection) must come out of report.html, report.md, the figures and
the brief as inert text, and CSV cells must be guarded against formula injection.
"""

import csv
import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pytest

from bayesstreams.reporting.brief import write_brief
from bayesstreams.data.codebook import Codebook, Factor
from bayesstreams.reporting.i18n import LANGUAGES
from bayesstreams.reporting.report import write_report

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run

XSS = [
    "<script>console.error('xss-script')</script>",
    "<img src=x onerror=console.error('xss-img')>",
    "\"><svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "</td></tr></table><script>x()</script>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "{{7*7}}<b>bold</b>",
    "{% raw %}<i>{% endraw %}",
    "[click](javascript:alert(1))<x>",
    "<body onload=alert(1)>",
    "<style>*{display:none}</style>",
    "'><script>alert(1)</script>",
    "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<base href=//evil.example/>",
    "<form action=//evil.example><button>go</button>",
    "<video><source onerror=alert(1)>",
    "</svg><script>alert(1)</script>",
    "$\\mathrm{x}$ <marquee onstart=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "| <b>pipe</b> | `code` *em* _u_ # h",
    "![img](http://evil.example/x.png)",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
FORMULA = {"=", "+", "-", "@"}


def hostile_dataset():
    """A dataset whose case names, factor labels, quotes and group names are all payloads."""
    base = partly_observed_dataset(n_cases=len(XSS), seed=4, groups=True)
    factors = tuple(replace(f, label_en=XSS[j % len(XSS)], label_nl=XSS[(j + 7) % len(XSS)])
                    for j, f in enumerate(base.codebook.factors))
    codebook = Codebook(factors, {"title": XSS[3], "source": XSS[5]})
    cases = [{**c, "name": XSS[i], "level": XSS[(i + 3) % len(XSS)]} for i, c in enumerate(base.cases)]
    codes = [{**c, "quote": XSS[k % len(XSS)], "section": XSS[(k + 11) % len(XSS)]} for k, c in enumerate(base.codes)]
    groups = tuple(sorted({XSS[0], XSS[8], XSS[28]}))
    relabel = {old: groups[j] for j, old in enumerate(base.groups)}
    cases = [{**c, "group": relabel.get(c["group"], "")} for c in cases]
    remap = np.array([groups.index(relabel[base.groups[g]]) if g >= 0 else -1 for g in base.group])
    return replace(base, codebook=codebook, cases=cases, codes=codes, groups=groups, group=remap)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every output written from the hostile dataset: {name: text} and the run folder."""
    tmp = tmp_path_factory.mktemp("hostile")
    dataset = hostile_dataset()
    run = write_fake_run(tmp / "run", dataset, prior_like_draws(dataset, n=120), passed=False)
    texts = {}
    for lang in LANGUAGES:
        folder = write_report(as_study(run), tmp / f"report-{lang}", lang=lang)
        texts[f"html-{lang}"] = (folder / "report.html").read_text(encoding="utf-8")
        texts[f"md-{lang}"] = (folder / "report.md").read_text(encoding="utf-8")
        for svg in (folder / "figures").glob("*.svg"):
            texts[f"{svg.name}-{lang}"] = svg.read_text(encoding="utf-8")
        for case in (dataset.case_ids[0], dataset.case_ids[2]):
            brief = write_brief(as_study(run), tmp / f"brief-{case}-{lang}.html", case_id=case, lang=lang)
            texts[f"brief-{case}-{lang}"] = brief.read_text(encoding="utf-8")
    return texts, tmp, run


def test_the_payloads_reach_every_output(hostile):
    """Guard against a vacuous pass: the hostile text is really there, escaped."""
    texts, _, _ = hostile
    assert "&lt;script&gt;console.error(&#39;xss-script&#39;)&lt;/script&gt;" in texts["html-en"]
    assert "&lt;script&gt;console.error('xss-script')&lt;/script&gt;" in texts["md-en"]
    assert "&lt;script&gt;" in texts["brief-c0-en"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in texts["factor_effects.svg-nl"]


HTML_SPECIAL = set("<>&")  # what turns text into markup in HTML and SVG text (attributes: see the next test)
MD_SPECIAL = HTML_SPECIAL | set("`*_[]|#!~{}\\")


@pytest.mark.parametrize("payload", [p for p in XSS if set(p) & MD_SPECIAL])  # formula payloads: the CSV test
def test_payload_never_appears_unescaped(hostile, payload):
    """Each payload shows only escaped: a payload with no character special to a format is inert there."""
    texts, _, _ = hostile
    checked = 0
    for name, text in texts.items():
        special = MD_SPECIAL if name.startswith("md-") else HTML_SPECIAL
        if set(payload) & special:
            assert payload not in text, name
            checked += 1
    assert checked


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]


SAFE_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "header", "section", "nav", "h1", "h2", "h3",
             "p", "ul", "ol", "li", "a", "strong", "span", "table", "tr", "th", "td", "figure", "figcaption",
             "details", "summary", "code", "cite", "q", "dl", "dt", "dd",
             "svg", "desc", "g", "defs", "clippath", "path", "rect", "use", "text", "polygon", "line", "style", "tspan", "pattern"}


def test_html_outputs_hold_only_the_package_markup(hostile):
    texts, _, _ = hostile
    for name, text in texts.items():
        if name.startswith("md-"):
            continue
        parser = _Tags()
        parser.feed(text)
        assert parser.tags <= SAFE_TAGS, (name, parser.tags - SAFE_TAGS)
        for tag, attribute, value in parser.attributes:
            assert not attribute.startswith("on"), (name, tag, attribute)
            if attribute in ("href", "xlink:href", "src", "action", "data"):
                assert value.startswith("#"), (name, tag, attribute, value)


def test_markdown_holds_no_raw_html_and_no_links_but_the_figures(hostile):
    texts, _, _ = hostile
    for lang in LANGUAGES:
        md = texts[f"md-{lang}"]
        assert not re.search(r"<[A-Za-z!/?]", md)
        links = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)
        assert links and all(re.fullmatch(r"figures/[a-z_0-9]+\.svg", link) for link in links), links
        assert "{{" not in md and "\\{\\{7\\*7\\}\\}" in md  # template syntax stays text


def test_failed_run_banner_survives_hostile_text(hostile):
    texts, _, _ = hostile
    assert texts["html-en"].split("<body>", 1)[1].lstrip().startswith('<div class="banner"')


def test_csv_tables_guard_against_formula_injection(hostile):
    _, tmp, _ = hostile
    seen = 0
    for table in (tmp / "report-en" / "tables").glob("*.csv"):
        with open(table, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column in ("label", "name", "level", "group"):
                    cell = row.get(column)
                    if cell:
                        assert cell[0] not in FORMULA, (table.name, column, cell)
                        seen += cell.startswith("'=") or cell.startswith("'@")
    assert seen  # the formula payloads were there and got their guard
