"""Text people can read (issue 25 item 7): every text colour of the style sheets and of the figures
stands out at least 4.5:1 (WCAG AA) from what it is drawn on, every figure text is at least 9 pt as
printed, the forest plot names its shared axis once and its caption describes only what is drawn, and a
factor without data is drawn as such.

Contrast is computed from the colours themselves (WCAG 2.1 relative luminance), not measured in a
browser: the CSS rules and the SVG the package writes are read, so the check is exact and needs no
Chromium.  Sizes are read from the SVG: a figure is printed at its drawn size (its width is at most the
page's text width, and the print CSS does not scale it), so a font size in the SVG is its printed size.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.reporting.brief import write_brief
from bayesstreams.reporting.figures import MIN_TEXT, STREAM_COLOURS, blend, contrast, luminance, readable_on
from bayesstreams.reporting.i18n import translator

from .helpers import as_study

TEMPLATES = Path(__file__).resolve().parents[1] / "bayesstreams" / "reporting" / "templates"
SVG = "{http://www.w3.org/2000/svg}"
MIN_PT = 9.0
MM = 72 / 25.4  # points per millimetre
REPORT_TEXT_MM = 210 - 2 * 12  # A4 less the report's print margins (style.css @page)
BRIEF_TEXT_MM = 182  # the brief's body width (brief.html: max-width 182mm)


# ---------------------------------------------------------------------------- the formula


def test_contrast_is_wcag_relative_luminance():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)
    assert contrast("#767676", "#fff") > MIN_TEXT > contrast("#777777", "#fff")  # the known AA boundary grey
    assert luminance("#0072B2") == pytest.approx(0.1524, abs=1e-3)
    # the pairs issue 25 measured: grey n.d. text, white labels on vermillion and on pink
    assert contrast("#7f8c8d", "#ffffff") == pytest.approx(3.5, abs=0.05)
    assert contrast("#ffffff", "#D55E00") == pytest.approx(3.9, abs=0.05)
    assert contrast("#ffffff", "#CC79A7") == pytest.approx(3.1, abs=0.05)


@pytest.mark.parametrize("stream", sorted(STREAM_COLOURS))
def test_a_stream_label_reads_on_every_shade_of_its_arrow(stream):
    for q in np.linspace(0.0, 1.0, 101):
        shade = blend(STREAM_COLOURS[stream], q)
        assert contrast(readable_on(shade), shade) >= MIN_TEXT, (stream, q)


# ---------------------------------------------------------------------------- style sheets

RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


def css_rules(text: str) -> list[tuple[str, str | None, list[str]]]:
    """``(selector, text colour, background colours)`` of each rule of a style sheet (nested @media blocks too)."""
    text = re.sub(r"/\*.*?\*/|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"@media[^{]*\{", " ", text)  # the rules inside a media block are rules like the others
    found = []
    for selector, body in RULE.findall(text):
        declarations = dict((k.strip(), v.strip()) for k, _, v in
                            (d.partition(":") for d in body.split(";") if ":" in d))
        colour = declarations.get("color")
        backgrounds = COLOUR.findall(declarations.get("background", "") + " " + declarations.get("background-color", ""))
        found.append((selector.strip(), COLOUR.search(colour).group() if colour and COLOUR.search(colour) else None,
                      backgrounds))
    return found


def low_contrast(sheet: str, page: str = "#ffffff") -> list[str]:
    """Every text colour that reads less than 4.5:1 where it can appear.

    A rule with its own background is checked on it; a rule without one may sit on the page or on any
    light panel the sheet paints (a note inside a shaded box), so it is checked on all of them.
    """
    rules = css_rules(sheet)
    panels = {page} | {bg for _, _, bgs in rules for bg in bgs if luminance(bg) > 0.5}
    bad = []
    for selector, colour, backgrounds in rules:
        if colour is None:
            continue
        for background in backgrounds or sorted(panels):
            if contrast(colour, background) < MIN_TEXT:
                bad.append(f"{selector}: {colour} on {background} = {contrast(colour, background):.2f}")
    return bad


def style_sheets() -> dict[str, str]:
    brief = (TEMPLATES / "brief.html").read_text(encoding="utf-8")
    return {"style.css": (TEMPLATES / "style.css").read_text(encoding="utf-8"),
            "brief.html": brief[brief.index("<style>") + 7:brief.index("</style>")],
            "explore.css": (TEMPLATES / "explore.css").read_text(encoding="utf-8")}


@pytest.mark.parametrize("name", ["style.css", "brief.html", "explore.css"])
def test_every_text_colour_of_the_style_sheets_reads_on_its_backgrounds(name):
    sheets = style_sheets()
    # the brief's page also carries style.css's panels (it inlines the report's sheet first)
    shared = sheets["style.css"] if name == "brief.html" else ""
    assert len(css_rules(sheets[name])) > 10
    assert low_contrast(shared + "\n" + sheets[name]) == []


def test_the_style_check_catches_the_grey_issue_25_measured():
    assert low_contrast("td.na { color: #7f8c8d; }") == ["td.na: #7f8c8d on #ffffff = 3.48"]
    assert low_contrast(".x { color: #566573; background: #b03a2e; }")  # own background checked
    assert low_contrast(".note { color: #767676; } .box { background: #eeeeee; }")  # a light panel it may sit on


# ---------------------------------------------------------------------------- figures


def _numbers(d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]


def _style(element) -> dict:
    return dict((k.strip(), v.strip()) for k, _, v in (p.partition(":") for p in (element.get("style") or "").split(";"))
                if k.strip())


def _surface(path) -> tuple[tuple, str] | None:
    """A filled, opaque path's bounding box and fill, or None (lines, transparent shapes)."""
    style = _style(path)
    fill = style.get("fill", path.get("fill") or "#000000")
    values = _numbers(path.get("d", ""))
    if not COLOUR.fullmatch(fill) or float(style.get("opacity", style.get("fill-opacity", 1))) < 1 or len(values) < 6:
        return None
    xs, ys = values[0::2], values[1::2]
    return (min(xs), min(ys), max(xs), max(ys)), fill


def text_checks(root) -> list[tuple[str, float, float]]:
    """Each text of an SVG: (text, font size in points as drawn, contrast with the topmost fill painted under it)."""
    painted, out = [], []
    for element in root.iter():  # document order is painting order
        if element.tag == f"{SVG}path" and (surface := _surface(element)):
            painted.append(surface)
        elif element.tag == f"{SVG}text":
            style = _style(element)
            size = float(re.match(r"[\d.]+", style["font-size"]).group())
            if element.get("x") is not None:
                x, y = float(element.get("x")), float(element.get("y"))
            else:  # a text of several lines is placed by a transform
                x, y = _numbers(re.search(r"translate\(([^)]*)\)", element.get("transform")).group(1))[:2]
            x += {"start": size * 0.6, "end": -size * 0.6}.get(style.get("text-anchor", "start"), 0.0)
            y -= size * 0.35  # the middle of a lower-case letter, above the baseline
            under = [fill for (x0, y0, x1, y1), fill in painted if x0 <= x <= x1 and y0 <= y <= y1]
            background = under[-1] if under else "#ffffff"
            out.append(("".join(element.itertext()).strip(), size, contrast(style.get("fill", "#000000"), background)))
    return out


def svg_width_pt(root) -> float:
    return float(root.get("width").removesuffix("pt"))


@pytest.fixture(scope="module", params=["nl", "en"])
def report_svgs(request, fake_study_report):
    folder = fake_study_report(request.param)
    return request.param, {p.name: ET.parse(p).getroot() for p in sorted((folder / "figures").glob("*.svg"))}


@pytest.fixture(scope="module")
def brief_svgs(fake_study, tmp_path_factory):
    out, found = tmp_path_factory.mktemp("contrast-briefs"), {}
    for case in ("g1", "g2", "g5", "g6", "g7"):  # shades from pale to full, open and closed windows
        page = write_brief(as_study(fake_study[0]), out / f"{case}.html", case=case, lang="nl").read_text(encoding="utf-8")
        found[case] = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group())
    return found


def test_every_report_figure_prints_its_text_at_9_points_or_more_and_reads_4_5_to_1(report_svgs):
    _, svgs = report_svgs
    assert {"factor_effects.svg", "streams_01.svg"} <= set(svgs)
    for name, root in svgs.items():
        assert svg_width_pt(root) <= REPORT_TEXT_MM * MM, name  # printed at its drawn size, never scaled down
        checks = text_checks(root)
        assert checks, name
        small = [(text, size) for text, size, _ in checks if size < MIN_PT]
        faint = [(text, round(ratio, 2)) for text, _, ratio in checks if ratio < MIN_TEXT]
        assert small == [] and faint == [], (name, small[:5], faint[:5])


def test_every_brief_figure_prints_its_text_at_9_points_or_more_and_reads_4_5_to_1(brief_svgs):
    for case, root in brief_svgs.items():
        assert svg_width_pt(root) <= BRIEF_TEXT_MM * MM, case
        checks = text_checks(root)
        assert [t for t, size, _ in checks if size < MIN_PT] == [], case
        assert [(t, round(r, 2)) for t, _, r in checks if r < MIN_TEXT] == [], case


def test_each_stream_label_is_black_or_white_as_its_arrow_shade_needs(brief_svgs, report_svgs):
    roots = list(brief_svgs.values()) + [r for n, r in report_svgs[1].items() if n.startswith("streams_")]
    groups = {}
    for root in roots:
        for g in root.iter(f"{SVG}g"):
            groups[id(root), g.get("id")] = g
    n = 0
    for (root, gid), g in groups.items():
        if not (gid or "").startswith("label-"):
            continue
        arrow = groups[root, "stream-" + gid.removeprefix("label-")].find(f"{SVG}path")
        label = _style(g.find(f"{SVG}text")).get("fill", "#000000")
        assert label == readable_on(_style(arrow)["fill"]), gid
        n += 1
    assert n >= 6 * len(roots)


def test_the_figure_check_catches_white_on_vermillion_and_small_text():
    root = ET.fromstring(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100pt"><path d="M 0 0 L 100 0 L 100 40 L 0 40 z" '
        'style="fill: #d55e00"/><text x="5" y="25" style="font-size: 7px; fill: #ffffff">x</text></svg>')
    ((_, size, ratio),) = text_checks(root)
    assert size == 7 and ratio == pytest.approx(3.87, abs=0.01)


def test_the_brief_prints_its_figure_at_its_drawn_size():
    """No compact level of the brief scales the figure: its width is the SVG's own (at most the page)."""
    page = (TEMPLATES / "brief.html").read_text(encoding="utf-8")
    widths = re.findall(r"figure svg\s*\{[^}]*(?<![-\w])width:\s*([^;]+);", page)
    assert widths and set(widths) == {"auto"}
    print_css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    assert re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:\s*12mm;", print_css)
    media = print_css[print_css.index("@media print"):]
    assert re.search(r"figure svg\s*\{\s*width:\s*auto;\s*max-width:\s*100%", media)


# ---------------------------------------------------------------------------- the forest plot


def _forest(report_svgs):
    lang, svgs = report_svgs
    return lang, translator(lang), svgs["factor_effects.svg"]


def test_the_forest_plot_names_its_shared_axis_once_with_its_unit(report_svgs):
    _, t, root = _forest(report_svgs)
    texts = ["".join(e.itertext()).strip() for e in root.iter(f"{SVG}text")]
    assert texts.count(t("forest_axis")) == 1  # one axis name under both panels: no overlap
    assert "procentpunt" in t("forest_axis") or "percentage points" in t("forest_axis")


def test_no_data_factors_are_drawn_grey_and_dashed_without_a_bar(report_svgs, fake_study):
    from bayesstreams.data.support import no_data_factors

    _, _, root = _forest(report_svgs)
    ids = {g.get("id") for g in root.iter(f"{SVG}g") if g.get("id")}
    no_data = sorted(no_data_factors(fake_study[1].dataset))
    assert no_data
    for factor in no_data:
        assert f"nodata-{factor}" in ids and f"ci50-{factor}" not in ids and f"ci90-{factor}" not in ids
    drawn = [f for f in fake_study[1].dataset.factor_ids if f not in no_data]
    assert all(f"ci90-{f}" in ids for f in drawn)


def test_the_forest_caption_describes_only_what_is_drawn(fake_study_report, report_svgs):
    lang, t, root = _forest(report_svgs)
    ids = {g.get("id") or "" for g in root.iter(f"{SVG}g")}
    open_bars = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("ci50-")
                 and "fill: #ffffff" in (g.find(f"{SVG}path").get("style") or "")]
    page = (fake_study_report(lang) / "report.html").read_text(encoding="utf-8")
    caption = re.search(r'id="factor-effects-desc".*?<figcaption[^>]*>(.*?)</figcaption>', page, re.S).group(1)
    import html

    caption = html.unescape(caption)
    assert t("figure_forest_caption") in caption
    assert (t("figure_forest_caption_prior") in caption) == bool(open_bars)
    assert (t("figure_forest_caption_no_data") in caption) == any(i.startswith("nodata-") for i in ids)
    assert "Pale" not in caption and "Licht:" not in caption
