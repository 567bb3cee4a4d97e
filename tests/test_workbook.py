"""The report's tables as one xlsx workbook: one sheet per table, unrounded numbers, no formulas."""

from dataclasses import replace

import pytest
from openpyxl import load_workbook

from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.report import build_report, write_report
from bayesstreams.reporting.workbook import report_tables, sheet_title

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run

FORMULA_NAME = "=HYPERLINK(\"http://x\",\"y\")"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    base = partly_observed_dataset(n_cases=5, seed=8)
    cases = [{**c, "name": FORMULA_NAME if i == 1 else c["name"]} for i, c in enumerate(base.cases)]
    dataset = replace(base, cases=cases)
    return write_fake_run(tmp_path_factory.mktemp("run") / "run", dataset, prior_like_draws(dataset, n=150, seed=3))


@pytest.fixture(scope="module", params=["en", "nl"])
def written(request, run_folder, tmp_path_factory):
    from bayesstreams.inference.store import load_run

    lang = request.param
    folder = write_report(as_study(run_folder), tmp_path_factory.mktemp("rep") / "report", lang=lang)
    return lang, load_workbook(folder / "tables" / "report.xlsx"), build_report(load_run(run_folder), lang)


def test_one_sheet_per_report_table_in_the_report_language(written):
    lang, book, report = written
    t = translator(lang)
    expected = [t(k) for k in ("sec_data", "sec_factors", "sec_dependency", "sec_streams", "sec_cases", "levers_title",
                               "sec_taught", "sec_prior_check", "sec_diagnostics")]
    expected += [t(k).format(phase=p) for p in (1, 2) for k in ("qca_sheet_truth", "qca_sheet_necessity")]
    expected.append(t("sec_quotes"))
    assert book.sheetnames == [sheet_title(title, set()) for title in expected]
    assert [c.value for c in book[book.sheetnames[1]][1]][:3] == [t("col_phase"), t("col_stream"), t("col_factor")]


def test_numbers_are_the_report_numbers_unrounded(written):
    """To the 15 significant digits xlsx keeps, far beyond the two the report prints."""
    lang, book, report = written
    factors = list(book[book.sheetnames[1]].iter_rows(min_row=2, values_only=True))
    assert len(factors) == len(report.factors)
    for row, effect in zip(factors, report.factors):
        assert row[2] == effect.label
        assert row[8:13] == pytest.approx((effect.ace_w2.mean, effect.ace_w2.q05, effect.ace_w2.q25,
                                           effect.ace_w2.q75, effect.ace_w2.q95), rel=1e-12, abs=1e-15)
        assert row[18] == pytest.approx(effect.beta_p_positive, rel=1e-12, abs=1e-15)
    cases = list(book[sheet_title(translator(lang)("sec_cases"), set())].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in cases] == pytest.approx([c.windows[0].p.mean for c in report.cases], rel=1e-12, abs=1e-15)
    levers = list(book[book.sheetnames[5]].iter_rows(min_row=2, values_only=True))
    assert len(levers) == sum(len(c.levers) for c in report.cases)


def test_text_that_looks_like_a_formula_is_stored_as_text(written):
    _, book, _ = written
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and FORMULA_NAME in cell.value:
                    seen.append(cell.value)
    assert seen and all(value == "'" + FORMULA_NAME for value in seen)


def test_sheet_titles_are_valid_and_unique():
    taken = set()
    first = sheet_title("Bijlage: de citaten achter de codes / extra [lang]", taken)
    second = sheet_title("Bijlage: de citaten achter de codes / extra [lang]", taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert not set("[]:*?/\\") & set(first + second)


def test_every_table_of_the_report_has_a_sheet(run_folder):
    """The tables of report.html (the code table and each numbered section's table) all reach the workbook."""
    from bayesstreams.inference.store import load_run

    t = translator("en")
    report = build_report(load_run(run_folder), "en")
    tables = report_tables(report, t)
    heads = {title: head for title, (head, _) in tables.items()}
    assert heads[t("sec_data")][3:] == [c.name for c in report.codes.cases]
    assert len(tables[t("sec_quotes")][1]) == len(report.codes.quotes)
    assert len(tables[t("sec_taught")][1]) == report.taught.n_total
    assert [row[-1] for row in tables[t("sec_prior_check")][1]] == [row.prior_driven for row in report.prior_check.rows]
    assert t("sec_claims") not in tables  # this dataset states no claims


def test_the_qca_sheets_hold_the_section_numbers_unrounded(written):
    lang, book, report = written
    t = translator(lang)
    window = report.qca.windows[1]
    rows = list(book[sheet_title(t("qca_sheet_necessity").format(phase=2), set())].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [n.label for n in window.necessity]
    for row, entry in zip(rows, window.necessity):
        assert row[1] == pytest.approx(entry.classical_inclN, rel=1e-14) if entry.classical_inclN is not None \
            else row[1] is None
        want = (entry.inclN.mean, entry.inclN.q05, entry.inclN.q95, entry.p_necessary)
        assert (*row[3:6], row[-1]) == pytest.approx(want, rel=1e-14)
    truth = list(book[sheet_title(t("qca_sheet_truth").format(phase=1), set())].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in truth] == [r.row for r in report.qca.windows[0].truth]
