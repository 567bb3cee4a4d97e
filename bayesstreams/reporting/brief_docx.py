"""The brief as a Word document (``.docx``): the same sections, sentences, numbers and figure as the HTML page.

Officials edit and forward briefs in Word, so the document is built of Word's own parts, not
one picture of a page: the case's name is a *Heading 1* and every section a *Heading 2*, the
advice's sentences are paragraphs, its steps a numbered list (each list counting from 1), the
barriers and caveats bulleted lists, the window chances and the similar municipalities tables,
and the stream diagram a picture with its description as alternative text and the legend as
its caption.  The document's language is the brief's, so Word checks the spelling in Dutch or
English.

Everything comes from the same :class:`~bayesstreams.reporting.brief.Brief` and the same
sentence lists (:mod:`bayesstreams.reporting.brief_steps`, :mod:`bayesstreams.reporting.brief_text`)
as ``templates/brief.html``, in the same order; numbers are written by
:mod:`bayesstreams.reporting.numbers`.  Nothing is computed here (``tests/test_brief_docx.py``
holds the two texts equal, section by section, in both languages).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from bayesstreams.reporting import numbers
from bayesstreams.reporting.brief_steps import Section

LANGS = {"nl": "nl-NL", "en": "en-GB"}
MUTED = RGBColor(0x56, 0x65, 0x73)  # the page's .note grey: 5.9:1 on white
ALERT = RGBColor(0xB0, 0x3A, 0x2E)  # the page's banner red, as text: 6.0:1 on white
CONTENT_WIDTH = Mm(184)  # A4 less the margins below


def _set_language(document, lang: str) -> None:
    """Every style's text in the brief's language (spelling and hyphenation in Word)."""
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    tag = OxmlElement("w:lang")
    tag.set(qn("w:val"), LANGS.get(lang, lang))
    rpr.append(tag)


def _page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(13)
    section.top_margin = section.bottom_margin = Mm(12)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)


def _muted(paragraph, size: float | None = None):
    for run in paragraph.runs:
        run.font.color.rgb = MUTED
        if size:
            run.font.size = Pt(size)
    return paragraph


def _restart_numbering(document, paragraph) -> None:
    """Make ``paragraph`` start a new numbered list (Word's *List Number* otherwise counts on across lists)."""
    numbering = document.part.numbering_part.numbering_definitions._numbering
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numpr.get_or_add_ilvl().val = 0
    numpr.get_or_add_numId().val = num.numId


def _numbered(document, items: list[str]) -> None:
    for n, item in enumerate(items):
        paragraph = document.add_paragraph(item, style="List Number")
        if n == 0:
            _restart_numbering(document, paragraph)


def _cards(document, brief, t) -> None:
    """The window cards: one table cell per window, its chance (or known state) in large type."""
    table = document.add_table(rows=1, cols=len(brief.windows))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, window in zip(table.rows[0].cells, brief.windows):
        cell.paragraphs[0].add_run(t(f"voice_card_{window.phase}")).bold = True
        big = cell.add_paragraph()
        if window.known:
            big.add_run(t(f"voice_card_known_{window.known}")).bold = True
            lines = [t("voice_card_known_note")]
        else:
            big.add_run(numbers.pct(window.p.mean, t.lang)).bold = True
            if window.prior_driven:
                big.add_run(" " + t("brief_prior")).italic = True
            lines = [t("brief_interval").format(low=numbers.pct(window.p.q05, t.lang),
                                                high=numbers.pct(window.p.q95, t.lang)), window.words]
        big.runs[0].font.size = Pt(18)
        for n, line in enumerate(lines):
            paragraph = cell.add_paragraph(line)
            if n == 0:
                _muted(paragraph)


def _section(document, section: Section) -> None:
    document.add_heading(section.heading, level=2)
    if section.sentences:
        document.add_paragraph(" ".join(section.sentences))
    _numbered(document, section.items)
    if section.after:
        document.add_paragraph(" ".join(section.after))


def _figure(document, figure: bytes, desc: str, caption: str) -> None:
    """The stream diagram at its drawn size (no wider than the page), its description as alternative text."""
    document.add_picture(io.BytesIO(figure))  # its size from the PNG's own dots per inch: the drawn size
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    shape = document.inline_shapes[-1]
    if shape.width > CONTENT_WIDTH:
        shape.width, shape.height = CONTENT_WIDTH, int(shape.height * CONTENT_WIDTH / shape.width)
    shape._inline.docPr.set("descr", desc)
    document.add_paragraph(caption, style="Caption")


def _barriers(document, brief, t) -> None:
    document.add_heading(t("brief_barriers"), level=2)
    if not brief.barriers:
        document.add_paragraph(t("brief_barriers_none"))
        return
    for bar in brief.barriers:
        item = document.add_paragraph(style="List Bullet")
        item.add_run(bar.label[:1].upper() + bar.label[1:]).bold = True
        _muted_run(item.add_run(f" ({t(f'phase_short_{bar.phase}')}, {t(f'stream_{bar.stream}')})"))
        for quote, section in zip(bar.quotes, bar.sections):
            item.add_run(": ")
            item.add_run(f"\u201c{quote}\u201d").italic = True
            if section:
                _muted_run(item.add_run(f" (§\u202f{section})"))


def _muted_run(run) -> None:
    run.font.color.rgb = MUTED


def _similar(document, brief, t) -> None:
    document.add_heading(t("brief_similar"), level=2)
    has_w2 = any(w.phase == 2 for w in brief.windows)
    header = [t("col_case"), t("brief_col_similarity"), t("brief_col_shared"), t("brief_col_agenda")]
    header += [t("brief_col_embedded")] if has_w2 else []
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].add_run(text).bold = True
    _repeat_header(table.rows[0])
    for ref in brief.similar:
        row = [ref.name, numbers.pct(ref.similarity, t.lang), str(ref.n_shared), t(_plain(ref.w1))]
        row += [t(_plain(ref.w2))] if has_w2 else []
        for cell, text in zip(table.add_row().cells, row):
            cell.paragraphs[0].add_run(text)


def _plain(value) -> str:
    if numbers.missing(value):
        return "plain_state_unknown"
    return "plain_state_open" if value == 1 else "plain_state_closed"


def _repeat_header(row) -> None:
    """Mark ``row`` as the table's header row (read as such by screen readers, repeated across pages)."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _bullets(document, items: list[str]) -> None:
    for item in items:
        document.add_paragraph(item, style="List Bullet")


def docx_brief(brief, t, advice, figure: bytes | None = None, figure_desc: str = "") -> bytes:
    """The brief as ``.docx`` bytes.

    Parameters
    ----------
    brief
        The :class:`~bayesstreams.reporting.brief.Brief` the HTML page shows.
    t
        Its translator (the brief's language).
    advice
        :func:`bayesstreams.reporting.brief_text.advice` of ``brief`` (meaning, caveats, analysts).
    figure
        The stream diagram as PNG at :data:`~bayesstreams.reporting.figures.PNG_DPI` (:func:`bayesstreams.reporting.figures.to_png`),
        or None (a model without streams).
    figure_desc
        The figure's description (its SVG ``<desc>``), kept as the picture's alternative text.
    """
    document = Document()
    _page(document)
    _set_language(document, brief.lang)
    document.core_properties.title = f"{t('brief_title')}: {brief.name}"
    document.core_properties.language = LANGS.get(brief.lang, brief.lang)
    if not brief.diagnostics_passed:
        banner = document.add_paragraph().add_run(t("brief_diag_failed"))
        banner.bold, banner.font.color.rgb = True, ALERT
    _muted(document.add_paragraph(f"{t('brief_title')} · {brief.title}"))
    document.add_heading(brief.name, level=1)
    _muted(document.add_paragraph(t("brief_profile") if brief.is_profile
                                  else t("brief_in_data").format(n=brief.n_reference)))
    _cards(document, brief, t)
    for section in brief.steps:
        _section(document, section)
    document.add_heading(t("voice_head_meaning"), level=2)
    document.add_paragraph(" ".join(advice.meaning))
    if figure is not None:
        _figure(document, figure, figure_desc, t("voice_legend"))
    if brief.rests_checked:
        _muted(document.add_paragraph(" ".join(brief.rests_on)))
    _barriers(document, brief, t)
    _similar(document, brief, t)
    document.add_heading(t("brief_caveats"), level=2)
    _bullets(document, advice.caveats)
    document.add_heading(t("voice_head_analysts"), level=2)
    _muted(document.add_paragraph(" ".join(advice.analysts)))
    _muted(document.add_paragraph(f"{t('brief_see_report')} {t('brief_reference').format(ref=brief.data_hash[:12])}"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
