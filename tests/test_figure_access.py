"""Figures people can read and reuse, checked on the SVG files the report writes: a title and a
description in each SVG, a caption under each figure, the case named inside its stream diagram,
a labelled scale under every interval bar, one x-axis shared by both forest panels, and stream
colours that stay apart under colour-vision deficiencies and never carry a stream's name alone."""

import itertools
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.report import write_report

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run

SVG = "{http://www.w3.org/2000/svg}"
STREAMS = ("problem", "policy", "politics")


@pytest.fixture(scope="module")
def dataset():
    return partly_observed_dataset(n_cases=4, seed=21)


@pytest.fixture(scope="module", params=["en", "nl"])
def report(request, dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"figures-{request.param}")
    run = write_fake_run(tmp / "run", dataset, prior_like_draws(dataset, n=150, seed=6))
    folder = write_report(as_study(run), tmp / "report", lang=request.param)
    svgs = {p.name: ET.parse(p).getroot() for p in sorted((folder / "figures").glob("*.svg"))}
    assert svgs, f"{folder / 'figures'} holds no SVG: every check of the figures would pass on none"
    return request.param, folder, svgs


def texts_of(element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(f"{SVG}text")]


def group(root, gid: str):
    found = [g for g in root.iter(f"{SVG}g") if g.get("id") == gid]
    assert len(found) == 1, gid
    return found[0]


def test_every_svg_has_a_title_and_a_description_it_is_labelled_by(report):
    lang, _, svgs = report
    assert len(svgs) == 6  # the forest plot, rho's prior and posterior, and one stream diagram per case
    for name, root in svgs.items():
        title, desc = root[0], root[1]
        assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc"), name
        assert title.text.strip() and len(desc.text) > len(title.text), name
        assert root.get("role") == "img" and root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    t = translator(lang)
    assert svgs["factor_effects.svg"][0].text == t("figure_forest_title")


def test_stream_descriptions_carry_the_numbers_of_the_figure(report, dataset):
    """The <desc> says in words what the drawing shows: each stream's chance and each window's chance or known state."""
    lang, _, svgs = report
    t = translator(lang)
    chance = re.escape(t("figure_chance")).replace(r"\{p\}", r"(\d+%)")
    for n, case in enumerate(dataset.case_column("name"), start=1):
        root = svgs[f"streams_{n:02d}.svg"]
        known = int((dataset.w[n - 1] == dataset.w[n - 1]).sum())  # a known window is drawn without a chance
        assert case in root[0].text  # the title names the case
        drawn = [re.search(r"\d+%", texts_of(group(root, f"label-{p}-{s}"))[0]).group()
                 for p, s in itertools.product((1, 2), STREAMS)]
        drawn += [m.group(1) for text in texts_of(root) for m in [re.fullmatch(chance, text)] if m]
        assert len(drawn) == 8 - known
        described = re.findall(r"\d+%", root[1].text)
        assert all(value in described for value in drawn), (drawn, described)


def test_each_stream_diagram_names_its_case_inside_the_drawing(report, dataset):
    _, _, svgs = report
    for n, case in enumerate(dataset.case_column("name"), start=1):
        assert texts_of(group(svgs[f"streams_{n:02d}.svg"], "case-name")) == [case]


def test_every_interval_bar_has_a_labelled_scale(report):
    _, _, svgs = report
    for name, root in svgs.items():
        if not name.startswith("streams_"):
            continue
        bars = [g.get("id") for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("q90-")]
        assert len(bars) == 6
        for bar in bars:
            key = bar.removeprefix("q90-")
            assert [texts_of(group(root, f"scale-{key}-{mark}")) for mark in ("0", "50", "100")] == [
                ["0"], ["50"], ["100%"]]


def test_forest_panels_share_one_x_axis(report):
    _, _, svgs = report
    root = svgs["factor_effects.svg"]
    panels = [g for g in root.iter(f"{SVG}g") if re.fullmatch(r"axes_\d+", g.get("id") or "")]
    assert len(panels) == 2
    ticks = []
    for panel in panels:
        own = []
        for tick in (g for g in panel.iter(f"{SVG}g") if (g.get("id") or "").startswith("xtick_")):
            text = next(tick.iter(f"{SVG}text"))
            own.append((text.text, float(text.get("x"))))
        ticks.append(own)
    (labels_a, x_a), (labels_b, x_b) = (zip(*own) for own in ticks)
    assert labels_a == labels_b and len(labels_a) >= 3
    assert np.allclose(np.diff(x_a), np.diff(x_b))  # the same scale, only shifted by the panel's position


class Figures(HTMLParser):
    """Each <figure> of a page: whether it holds an <svg> and the text of its <figcaption>."""

    def __init__(self):
        super().__init__()
        self.figures, self.caption = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            self.figures.append({"svg": False, "caption": ""})
        elif tag == "svg" and self.figures:
            self.figures[-1]["svg"] = True
        elif tag == "figcaption":
            self.caption = ""

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self.figures[-1]["caption"], self.caption = self.caption, None

    def handle_data(self, data):
        if self.caption is not None:
            self.caption += data


def test_every_figure_of_the_report_has_a_caption(report, dataset):
    _, folder, svgs = report
    parser = Figures()
    parser.feed((folder / "report.html").read_text(encoding="utf-8"))
    assert len(parser.figures) == len(svgs)
    assert all(f["svg"] and f["caption"].strip() for f in parser.figures)
    names = dataset.case_column("name")
    assert [any(name in f["caption"] for name in names) for f in parser.figures] == [False] * 2 + [True] * len(names)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    for line in (m.end() for m in re.finditer(r"!\[[^\]]+\]\(figures/[^)]+\)\n\n", markdown)):
        assert markdown[line] == "*" and markdown[line + 1] != "*"  # an italic caption line under each image


def test_stream_names_are_written_next_to_their_colours(report):
    lang, _, svgs = report
    t = translator(lang)
    for name, root in svgs.items():
        if name.startswith("streams_"):
            for phase, stream in itertools.product((1, 2), STREAMS):
                assert texts_of(group(root, f"label-{phase}-{stream}"))[0].startswith(t(f"stream_{stream}") + ":")
    labels = set(texts_of(svgs["factor_effects.svg"]))
    assert {t(f"phase_stream_{p}_{s}") for p in (1, 2) for s in STREAMS} <= labels


def test_forest_markers_differ_by_stream():
    from bayesstreams.reporting.figures import STREAM_MARKERS

    assert len(set(STREAM_MARKERS[s] for s in STREAMS)) == 3


# ---------------------------------------------------------------------------- colour vision

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB
DEFICIENCIES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 20.0  # CIE76; ~2.3 is a just-noticeable difference, 20 is "clearly different colours"


def _lab(colour: str, matrix) -> np.ndarray:
    from matplotlib.colors import to_rgb

    srgb = np.array(to_rgb(colour))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours) -> float:
    """The smallest colour difference between any two colours, over normal vision and the deficiencies."""
    return min(np.linalg.norm(_lab(a, m) - _lab(b, m)) for m in [np.eye(3), *DEFICIENCIES.values()]
               for a, b in itertools.combinations(colours, 2))


def test_stream_colours_stay_apart_under_colour_vision_deficiencies():
    from bayesstreams.reporting.figures import STREAM_COLOURS

    assert closest_pair([STREAM_COLOURS[s] for s in STREAMS]) >= MIN_DELTA_E


def test_the_colour_check_fails_the_former_palette():
    """Negative control: the former blue (policy) and purple (politics) merged under deuteranopia."""
    assert closest_pair(["#b03a2e", "#1f618d", "#6c3483"]) < MIN_DELTA_E
