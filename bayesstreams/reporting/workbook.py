"""Every table of the report in one ``.xlsx`` workbook, one sheet per table, for analysts.

Numbers are stored unrounded as numbers (a spreadsheet can sort and compute with them); text
cells pass through :func:`bayesstreams.data.export.spreadsheet_safe`, so a case name or a quote
that starts like a formula (``=``, ``+``, ``-``, ``@``) is stored as text and never runs.  Column
heads are in the report's language; the first row of every sheet holds them.
"""

from __future__ import annotations

import io
from dataclasses import asdict

from bayesstreams.data.export import spreadsheet_safe
from bayesstreams.reporting.qca_view import qca_sheets
from bayesstreams.reporting.report_assemble import Report
from bayesstreams.reporting.view import SUMMARY

def _summary_heads(t) -> list[str]:
    return [t("col_mean"), t("col_q05"), t("col_q25"), t("col_q75"), t("col_q95")]  # the order of SUMMARY


def _interval(summary, t, prefix: str) -> tuple[list[str], list]:
    heads = [f"{prefix} · {head}" for head in _summary_heads(t)]
    return heads, list(asdict(summary).values()) if summary is not None else [None] * len(SUMMARY)


def _codes(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_phase"), t("col_stream"), t("col_factor"), *(c.name for c in r.codes.cases)]
    rows = [[block.phase, t(f"stream_{sb.stream}"), row.label, *(cell.code for cell in row.cells)]
            for block in r.codes.phases for sb in block.streams for row in sb.rows]
    return head, rows


def _factors(r: Report, t) -> tuple[list[str], list[list]]:
    h1, h2, h3 = (_interval(None, t, t(k))[0] for k in ("col_ace_w1", "col_ace_w2", "col_beta"))
    head = [t("col_phase"), t("col_stream"), t("col_factor"), *h1, *h2, *h3, t("col_p_positive"), t("prior_driven")]
    rows = [[e.phase, t(f"stream_{e.stream}"), e.label, *_interval(e.ace_w1, t, "")[1], *_interval(e.ace_w2, t, "")[1],
             *_interval(e.beta, t, "")[1], e.beta_p_positive,
             e.ace_w1_prior_driven or e.ace_w2_prior_driven or e.beta_prior_driven] for e in r.factors]
    return head, rows


def _dependency(r: Report, t) -> tuple[list[str], list[list]]:
    d = r.dependency
    head = [t("col_quantity"), *_interval(None, t, t("col_value"))[0], t("col_p_positive"), t("prior_driven")]
    return head, [[d.parameter, *_interval(d.value, t, "")[1], None, d.value_prior_driven],
                  [t("dep_effect"), *_interval(d.effect, t, "")[1], d.effect_p_positive, d.effect_prior_driven]]


def _cases(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_case"), *_interval(None, t, t("col_p_w1"))[0], t("col_obs_w1"),
            *_interval(None, t, t("col_p_w2"))[0], t("col_obs_w2"), *_interval(None, t, t("col_p_w2_given_w1"))[0],
            t("col_not_discussed")]
    rows = [[c.name, *_interval(c.windows[0].p, t, "")[1], c.windows[0].observed, *_interval(c.windows[1].p, t, "")[1],
             c.windows[1].observed, *_interval(c.p_w2_given_w1, t, "")[1], c.n_not_discussed] for c in r.cases]
    return head, rows


def _streams(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_case"), t("col_phase"), t("col_stream"), *_interval(None, t, "q")[0], t("row_stream_observed"),
            t("col_weakest")]
    rows = [[c.name, s.phase, t(f"stream_{s.stream}"), *_interval(s.q, t, "")[1], s.observed, s.bottleneck]
            for c in r.cases for s in c.streams]
    return head, rows


def _levers(r: Report, t) -> tuple[list[str], list[list]]:
    threshold = round(100 * r.lever_threshold)
    head = [t("col_case"), t("col_rank"), t("col_action"), t("col_factor"), t("col_now"),
            *_interval(None, t, t("col_gain_w2"))[0], *_interval(None, t, t("col_gain_w1"))[0],
            t("col_p_gain").format(threshold=threshold)]
    rows = [[c.name, lever.rank, lever.action, lever.label, lever.code, *_interval(lever.gain_w2, t, "")[1],
             *_interval(lever.gain_w1, t, "")[1], lever.p_gain] for c in r.cases for lever in c.levers]
    return head, rows


def _taught(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_quantity"), t("col_index"), t("col_prior_sd"), t("col_posterior_sd"), t("col_contraction"),
            t("prior_driven")]
    return head, [[row.name, row.label, row.prior_sd, row.posterior_sd, row.contraction, row.prior_driven]
                  for row in r.taught.rows]


def _diagnostics(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_check"), t("col_value"), t("col_target"), t("col_result")]
    return head, [[t(f"check_{row.check}"), row.value, f"{row.op} {row.limit}", row.passed]
                  for row in r.diagnostics.rows]


def _comparison(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_model"), t("col_elpd"), t("col_se"), t("col_elpd_diff"), t("col_se_diff"), t("col_p_loo"),
            t("col_max_k"), t("col_n_k_high"), t("col_method")]
    return head, [[row.model, row.elpd, row.se, row.elpd_diff, row.se_diff, row.p_loo, row.max_k, row.n_k_high,
                   row.method] for row in r.comparison.rows]


def _quotes(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_case"), t("col_factor"), t("col_code"), t("col_section"), t("col_quote")]
    return head, [[q.case, q.factor, q.code, q.section, q.quote] for q in r.codes.quotes]


def _claims(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_claim"), t("col_section"), t("col_verdict"), t("col_reason"), t("col_quantity"), t("col_index"),
            t("col_mean"), "q05", "q95", t("figure_prior") + " " + t("col_mean"), t("prior_driven")]
    return head, [[c.text, c.section, t(f"verdict_{c.verdict}"), c.reason, c.quantity, c.index, c.mean, c.q05, c.q95,
                   c.prior_mean, c.prior_driven] for c in r.claims]


def _prior_check(r: Report, t) -> tuple[list[str], list[list]]:
    head = [t("col_quantity"), t("col_index"), t("col_default"), "q05", "q95", t("col_wide"), "power 0.5", "power 2",
            t("col_agnostic"), t("col_shift"), t("prior_driven")]
    return head, [[row.name, row.label, row.mean, row.q05, row.q95, row.wide_mean, row.power_low_mean,
                   row.power_high_mean, row.agnostic_mean, row.shift_ratio, row.prior_driven]
                  for row in r.prior_check.rows]


def _alpha_cells(cell) -> list:
    return [None] * 3 if cell is None else [cell.mean, cell.q05, cell.q95]


def _agreement(r: Report, t) -> tuple[list[str], list[list]]:
    a = r.agreement
    head = [t("col_factor"), t("agreement_col_nominal").format(interval=a.interval_pct), "q05", "q95",
            t("agreement_col_ordinal").format(interval=a.interval_pct), "q05", "q95", t("agreement_col_units"),
            t("agreement_col_note")]
    notes = {"few": t("agreement_few"), "one": t("agreement_one"), "same": t("agreement_same"), "ok": None}
    return head, [[t("agreement_overall") if line.factor == "overall" else line.label, *_alpha_cells(line.nominal),
                   *_alpha_cells(line.ordinal), line.n_units, notes[line.status_kind]] for line in a.lines]


def report_tables(report: Report, t) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the report: sheet title -> (column heads, rows), in report order."""
    tables = {t("sec_claims"): _claims(report, t)} if report.claims else {}
    tables |= {t("sec_data"): _codes(report, t), t("sec_factors"): _factors(report, t),
              t("sec_dependency"): _dependency(report, t)}
    if report.agreement is not None and report.agreement.computable:
        tables[t("agreement_title")] = _agreement(report, t)
    if report.has_streams:
        tables[t("sec_streams")] = _streams(report, t)
    tables |= {t("sec_cases"): _cases(report, t), t("levers_title"): _levers(report, t),
               t("sec_taught"): _taught(report, t), t("sec_prior_check"): _prior_check(report, t),
               t("sec_diagnostics"): _diagnostics(report, t)}
    if report.comparison is not None:
        tables[t("sec_compare")] = _comparison(report, t)
    tables |= qca_sheets(report.qca, t)
    tables[t("sec_quotes")] = _quotes(report, t)
    return tables


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()[:31].strip() or "table"
    name, n = clean, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = clean[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return spreadsheet_safe(str(value))


def tables_workbook(tables: dict[str, tuple[list[str], list[list]]]) -> bytes:
    """``{title: (head, rows)}`` as one xlsx workbook, a sheet per table (``analyze`` builds it in its figure worker)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for title, (head, rows) in tables.items():
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.append([_cell(h) for h in head])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
