"""The Word brief (issue 25 item 6): opened with python-docx, it says what the HTML brief says, section by
section (headings, sentences, numbers), in Dutch and English, built of Word's own headings, paragraphs,
numbered lists and tables, with the stream diagram as a picture that carries its description."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from docx import Document
from docx.oxml.ns import qn

from bayesstreams.errors import InputError, UsageError
from bayesstreams.reporting.brief import brief_target, write_brief
from bayesstreams.reporting.i18n import translator

from .conftest import run_cli
from .helpers import as_study

CASES = [("g5", "nl"), ("g6", "nl"), ("g5", "en"), ("g6", "en")]
SKIP = {"style", "script", "svg", "title", "head"}
BLOCKS = {"p", "div", "li", "td", "th", "tr", "h1", "h2", "figcaption", "section", "ul", "ol", "table", "figure"}


class _Sections(HTMLParser):
    """The visible text of a page as ``[heading, text]`` sections: a new one at every h1 and h2."""

    def __init__(self):
        super().__init__()
        self.sections, self.skip, self.heading = [["", ""]], 0, None

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in ("h1", "h2"):
            self.heading = ""
        elif tag in BLOCKS:
            self.sections[-1][1] += " "

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip -= 1
        elif tag in ("h1", "h2"):
            self.sections.append([" ".join(self.heading.split()), ""])
            self.heading = None
        elif tag in BLOCKS:
            self.sections[-1][1] += " "

    def handle_data(self, data):
        if self.skip:
            return
        if self.heading is not None:
            self.heading += data
        else:
            self.sections[-1][1] += data


def html_sections(page: str) -> list[tuple[str, str]]:
    parser = _Sections()
    parser.feed(page)
    return [(heading, " ".join(text.split())) for heading, text in parser.sections]


def docx_sections(document) -> list[tuple[str, str]]:
    """The document's text in reading order as ``[heading, text]`` sections (paragraphs and table cells)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    sections = [["", ""]]
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:p"):
            paragraph = Paragraph(block, document)
            if paragraph.style.name in ("Heading 1", "Heading 2"):
                sections.append([paragraph.text.strip(), ""])
            else:
                sections[-1][1] += " " + paragraph.text
        elif block.tag == qn("w:tbl"):
            for row in Table(block, document).rows:
                for cell in row.cells:
                    sections[-1][1] += " " + " ".join(p.text for p in cell.paragraphs)
    return [(heading, " ".join(text.split())) for heading, text in sections]


def tokens(text: str) -> list[str]:
    """Words and numbers in order (``24%``, ``0,5``, ``§ 3``): what a reader reads, without the typography."""
    return re.findall(r"\w+(?:[.,]\w+)*%?", text)


@pytest.fixture(scope="module")
def briefs(fake_study, tmp_path_factory):
    out, study = tmp_path_factory.mktemp("docx"), as_study(fake_study[0])
    found = {}
    for case, lang in CASES:
        page = write_brief(study, out / f"{case}-{lang}.html", case=case, lang=lang).read_text(encoding="utf-8")
        found[case, lang] = page, Document(str(write_brief(study, out / f"{case}-{lang}", case=case, lang=lang,
                                                           format="docx")))
    return found


@pytest.mark.parametrize("case,lang", CASES)
def test_the_word_brief_says_what_the_html_brief_says_section_by_section(briefs, case, lang):
    page, document = briefs[case, lang]
    html, word = html_sections(page), docx_sections(document)
    assert [h for h, _ in word] == [h for h, _ in html]
    assert len(html) >= 10  # name, where, next step, meaning, barriers, similar, caveats, analysts, ...
    for (heading, html_text), (_, word_text) in zip(html, word):
        assert tokens(word_text) == tokens(html_text), heading


@pytest.mark.parametrize("case,lang", CASES)
def test_the_word_brief_is_built_of_headings_paragraphs_lists_and_tables(briefs, case, lang):
    page, document = briefs[case, lang]
    t = translator(lang)
    styles = [p.style.name for p in document.paragraphs]
    assert styles.count("Heading 1") == 1 and styles.count("Heading 2") == page.count("<h2>")
    numbered = sum(block.count("<li>") for block in re.findall(r'<ol class="plans">(.*?)</ol>', page, re.S))
    assert styles.count("List Number") == numbered > 0
    # every numbered list counts from 1: its first item starts a numbering of its own
    firsts = [p for n, p in enumerate(document.paragraphs) if p.style.name == "List Number"
              and (n == 0 or document.paragraphs[n - 1].style.name != "List Number")]
    ids = [p._p.pPr.numPr.numId.val for p in firsts]
    assert len(set(ids)) == len(ids) == page.count('<ol class="plans">')
    cards, similar = document.tables
    assert len(cards.columns) == len(re.findall(r'<div class="card ', page))
    assert [c.text for c in similar.rows[0].cells][:2] == [t("col_case"), t("brief_col_similarity")]
    assert similar.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # a header row, read as such
    assert document.styles["Normal"].element.rPr.find(qn("w:lang")).get(qn("w:val")).startswith(lang)


@pytest.mark.parametrize("case,lang", CASES)
def test_the_stream_diagram_is_a_picture_with_its_description_as_alternative_text(briefs, case, lang):
    page, document = briefs[case, lang]
    (picture,) = document.inline_shapes
    desc = re.search(r'<desc id="brief-streams-desc">(.*?)</desc>', page).group(1)
    import html as html_module

    assert html_module.unescape(desc) in picture._inline.docPr.get("descr")
    assert 100 < picture.width.mm <= 184  # drawn at its printed size, never wider than the page
    caption = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert caption == [translator(lang)("voice_legend")]


def test_barrier_quotes_are_in_the_word_brief(briefs):
    page, document = briefs["g5", "nl"]
    quotes = re.findall(r"<q>(.*?)</q>", page)
    text = "\n".join(p.text for p in document.paragraphs)
    assert quotes and all(f"\u201c{q}\u201d" in text for q in map(__import__("html").unescape, quotes))


def test_the_format_comes_from_the_option_or_the_suffix_and_a_clash_is_refused(tmp_path):
    assert brief_target(tmp_path / "g5.DOCX") == (tmp_path / "g5.DOCX", "docx")
    assert brief_target(tmp_path / "g5", "docx") == (tmp_path / "g5.docx", "docx")
    assert brief_target(tmp_path / "g5.v2", "pdf") == (tmp_path / "g5.v2.pdf", "pdf")
    with pytest.raises(UsageError, match="ends in .html but the format is docx"):
        brief_target(tmp_path / "g5.html", "docx")
    with pytest.raises(UsageError, match="no brief format"):
        brief_target(tmp_path / "g5", "odt")
    with pytest.raises(InputError, match=".html, .pdf or .docx"):
        brief_target(tmp_path / "g5.txt")


def test_brief_format_docx_on_the_command_line(fake_study, tmp_path, capsys):
    code, out, err = run_cli(["brief", str(fake_study[0]), "--case", "g6", "--format", "docx",
                              "--out", str(tmp_path / "g6"), "--lang", "en"], capsys)
    assert code == 0, err
    assert (tmp_path / "g6.docx").is_file() and "g6.docx" in out
    heading = [p.text for p in Document(str(tmp_path / "g6.docx")).paragraphs if p.style.name == "Heading 1"]
    assert heading == ["Gemeente 6"]
    code, out, err = run_cli(["brief", str(fake_study[0]), "--case", "g6", "--format", "docx",
                              "--out", str(tmp_path / "g6.pdf")], capsys)
    assert code == 2 and "error: --format: --out ends in .pdf but the format is docx" in err and "Traceback" not in err
    assert not (tmp_path / "g6.pdf").exists()


def test_analyze_writes_its_briefs_as_word_with_brief_format_docx(fake_study, tmp_path):
    from bayesstreams.pipeline.analyze import _write_outputs, brief_name

    _write_outputs(as_study(fake_study[0]), tmp_path, "en", ["g5"], "nl", brief_format="docx")
    written = tmp_path / brief_name("g5", "nl", "docx")
    assert written.name == "brief-g5-nl.docx" and not (tmp_path / "brief-g5-nl.html").exists()
    document = Document(str(written))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == ["Gemeente 5"]
    assert translator("nl")("voice_head_analysts") in [p.text for p in document.paragraphs]


def test_analyze_refuses_an_unknown_brief_format_before_it_reads_the_data(tmp_path, capsys):
    code, _, err = run_cli(["analyze", str(tmp_path / "no-such-data"), "--brief-format", "odt"], capsys)
    assert code == 2 and "error: --brief-format: 'odt' is no brief format" in err and "Traceback" not in err
