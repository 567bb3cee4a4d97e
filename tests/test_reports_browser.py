"""Report and brief in headless Chromium: no console errors, a non-blank page, a one-page A4 PDF."""

import os
import re
import shutil

import numpy as np
import pytest

from bayesstreams.reports.brief import write_brief
from bayesstreams.reports.write import write_report

from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run

pytestmark = pytest.mark.browser
HAVE_CHROMIUM = any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))
if not HAVE_CHROMIUM and os.environ.get("CI") != "true":
    pytest.skip("Chromium is not installed (CI installs it and never skips)", allow_module_level=True)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    dataset = partly_observed_dataset(n_cases=6, seed=11)
    return write_fake_run(tmp_path_factory.mktemp("run") / "run", dataset, prior_like_draws(dataset, seed=2))


def _non_blank(png) -> float:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)[..., :3]
    return float(np.mean(np.any(pixels < 0.9, axis=-1)))


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_report_renders_without_console_errors(run_folder, tmp_path, lang):
    from bayesstreams.reports.browser import screenshot

    folder = write_report(run_folder, tmp_path / "report", lang=lang)
    png, errors = screenshot(folder / "report.html", tmp_path / "report.png", 1100, 1800)
    assert errors == []
    assert _non_blank(png) > 0.03  # text, tables and figures cover part of the page
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # self-contained: no external URL


def test_brief_html_and_one_page_pdf(run_folder, tmp_path):
    from bayesstreams.reports.browser import screenshot

    page = write_brief(run_folder, tmp_path / "brief.html", case_id="c2", lang="nl")
    png, errors = screenshot(page, tmp_path / "brief.png", 800, 1130)
    assert errors == [] and _non_blank(png) > 0.02
    pdf = write_brief(run_folder, tmp_path / "brief.pdf", case_id="c2", lang="nl").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    width, height = (float(v) for v in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
