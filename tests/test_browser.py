"""Report and brief in headless Chromium: no console errors, a non-blank page, a one-page A4 PDF.

Skipped when Chromium is missing, except on CI (``CI=true``), where a missing browser fails
the tests so that they can never be skipped silently.
"""

import os
import re
import shutil

import numpy as np
import pytest

from bayesstreams.reporting.brief import write_brief
from bayesstreams.errors import DependencyError
from bayesstreams.reporting.report import write_report

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run
from .test_report_escaping import hostile_dataset

HAVE_CHROMIUM = any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome",
                                                     "google-chrome-stable"))
ON_CI = os.environ.get("CI") == "true"
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM and not ON_CI, reason="Chromium is not installed "
                                    "(apt-get install -y chromium); CI=true turns this skip into a failure")


def picture(png) -> tuple[float, int]:
    """Share of non-white pixels and number of distinct colours of a screenshot."""
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)[..., :3]
    ink = float(np.mean(np.any(pixels < 0.9, axis=-1)))
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    return ink, colours


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    dataset = partly_observed_dataset(n_cases=6, seed=11)
    return write_fake_run(tmp_path_factory.mktemp("run") / "run", dataset, prior_like_draws(dataset, seed=2))


def test_missing_chromium_is_a_one_line_dependency_error(monkeypatch):
    from bayesstreams.reporting import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(DependencyError, match="apt-get install -y chromium") as caught:
        browser.find_chromium()
    assert "\n" not in str(caught.value)


@pytest.mark.browser
@needs_chromium
def test_the_console_check_sees_errors(tmp_path):
    """Negative control: a page with a console error, an exception and a missing image."""
    from bayesstreams.reporting.browser import open_page

    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><p>x</p><img src="missing.png"><script>console.error("boom");'
                    'console.log("all-good"); undefinedFunction();</script>', encoding="utf-8")
    errors = open_page(page).errors
    assert len(errors) == 3, errors
    assert any("boom" in e for e in errors) and any("undefinedFunction" in e for e in errors)
    assert any("missing.png" in e for e in errors) and not any("all-good" in e for e in errors)


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_report_opens_without_console_errors_and_is_not_blank(run_folder, tmp_path, lang):
    from bayesstreams.reporting.browser import open_page

    folder = write_report(as_study(run_folder), tmp_path / "report", lang=lang)
    check = open_page(folder / "report.html", tmp_path / "report.png", 1150, 1600)
    assert check.errors == []
    ink, colours = picture(check.png)
    assert ink > 0.05 and colours > 40, (ink, colours)
    assert check.height > 5000  # the whole report laid out, not an error page


@pytest.mark.browser
@needs_chromium
def test_brief_html_opens_cleanly_and_prints_to_one_a4_page(run_folder, tmp_path):
    from bayesstreams.reporting.browser import open_page, pdf_page_count

    page = write_brief(as_study(run_folder), tmp_path / "brief.html", case_id="c2", lang="nl")
    check = open_page(page, tmp_path / "brief.png", 794, 1123)
    assert check.errors == []
    ink, colours = picture(check.png)
    assert ink > 0.05 and colours > 40, (ink, colours)
    pdf = write_brief(as_study(run_folder), tmp_path / "brief.pdf", case_id="c2", lang="en").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf_page_count(pdf) == 1
    width, height = (float(v) for v in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # A4 in points


@pytest.mark.browser
@needs_chromium
def test_hostile_text_runs_no_script_in_the_browser(tmp_path):
    """Payloads that would log a console error if they ran (script tags, onerror) stay inert."""
    from bayesstreams.reporting.browser import open_page

    dataset = hostile_dataset()
    run = write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, n=100), passed=False)
    report = write_report(as_study(run), tmp_path / "report")
    brief = write_brief(as_study(run), tmp_path / "brief.pdf", case_id=dataset.case_ids[1], lang="en")
    assert open_page(report / "report.html").errors == []
    assert open_page(write_brief(as_study(run), tmp_path / "brief.html", case_id=dataset.case_ids[1])).errors == []
    assert brief.read_bytes().startswith(b"%PDF")


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_study_brief_for_gemeente_5_prints_on_a4_with_its_figure_at_its_drawn_size(tmp_path, lang):
    """The longest brief of the shipped study (six coded barriers with quotes): printed on A4, on one page
    when it fits in the brief's type sizes and else on two in its normal type, never by shrinking the
    figure, whose text stays 9 pt (issue 25 item 7): in print the SVG is as wide as it was drawn."""
    from pathlib import Path

    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.reporting.brief import brief_data, brief_pdf, render_brief
    from bayesstreams.inference.store import load_run
    from bayesstreams.reporting.browser import evaluate_page, open_page, pdf_page_count
    from bayesstreams.reporting.i18n import translator

    study = load_dataset(Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020")
    run = write_fake_run(tmp_path / "run", study, prior_like_draws(study, n=150, seed=3))
    brief = brief_data(load_run(run), case_id="g5", lang=lang)
    assert len(brief.barriers) == 6
    pdf = brief_pdf(brief, translator(lang))
    assert pdf_page_count(pdf) in (1, 2)
    width, height = (float(v) for v in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2
    page = tmp_path / "brief.html"
    for compact in (0, 2):
        page.write_text(render_brief(brief, translator(lang), compact=compact), encoding="utf-8")
        (drawn, shown), errors = evaluate_page(page, [
            "document.querySelector('figure svg').width.baseVal.value",
            "document.querySelector('figure svg').getBoundingClientRect().width"], width=794)
        assert errors == [] and shown == pytest.approx(drawn, rel=0.01), (compact, drawn, shown)
    check = open_page(page, tmp_path / "brief.png", 794, 400, media="print")
    assert check.errors == []
    ink, colours = picture(check.png)
    assert ink > 0.05 and colours > 40, (ink, colours)
