"""Write a run's report: render the assembled :class:`~bayesstreams.reporting.report_assemble.Report` and write its files.

The numbers are assembled by :mod:`~bayesstreams.reporting.report_assemble` (from the view
modules) and drawn by :mod:`~bayesstreams.reporting.report_figures`; this module renders the
templates and writes the folder atomically.  The same :class:`Report` fills the HTML and
Markdown templates and becomes ``summary.json``, so the three carry the same numbers.

Written by :func:`write_report`::

    report.html      one self-contained file: inline CSS, inline SVG figures, no script
    report.md        the same content; figures in figures/*.svg beside it
    summary.json     every number shown (raw, unrounded), NaN as null
    figures/         factor_effects.svg, streams_01.svg, ... (one per case)
    tables/          factors.csv, cases.csv, ranks.csv, and report.xlsx with every table of the report, one
                     sheet each (text cells guarded against formula injection)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from bayesstreams.atomic import atomic_folder, atomic_write_bytes, atomic_write_text, refuse_existing
from bayesstreams.data.export import spreadsheet_safe
from bayesstreams.data.io import write_csv
from bayesstreams.reporting.companions_text import missing_lines, missing_rows
from bayesstreams.reporting.i18n import study_translator
from bayesstreams.reporting.render import render, trusted
from bayesstreams.reporting.fragility_text import fragility_view
from bayesstreams.reporting.voi_text import next_view
from bayesstreams.reporting.report_assemble import Report, build_report, summary
from bayesstreams.reporting.painter import Drawing, Painter, Pending
from bayesstreams.reporting.report_figures import figure_texts, order_figures, stream_figure_name
from bayesstreams.reporting.view import SUMMARY
from bayesstreams.reporting.workbook import report_tables, tables_workbook

# Terms of the report explained in its glossary (keys gloss_term_<name> and gloss_<name>), in reading order
GLOSSARY = ("probability", "interval", "pp", "effect", "q", "window_p", "lever", "prior", "posterior",
            "prior_driven", "contraction", "diagnostics", "seed", "data_hash")


def _csv_text(value) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else spreadsheet_safe(str(value))


def write_tables(report: Report, folder: Path) -> None:
    """``tables/factors.csv``, ``tables/cases.csv`` and ``tables/ranks.csv``: the report's main tables for spreadsheets."""
    header = ["factor", "label", "phase", "stream", *(f"ace_w1_{k}" for k in SUMMARY), "ace_w1_prior_driven",
              *(f"ace_w2_{k}" for k in SUMMARY), "ace_w2_prior_driven", *(f"beta_{k}" for k in SUMMARY),
              "beta_p_positive", "support"]
    empty = dict.fromkeys(SUMMARY)
    rows = [[e.factor, e.label, e.phase, e.stream, *(asdict(e.ace_w1) if e.ace_w1 else empty).values(),
             e.ace_w1_prior_driven, *asdict(e.ace_w2).values(), e.ace_w2_prior_driven, *asdict(e.beta).values(),
             e.beta_p_positive, e.support] for e in report.factors]
    write_csv(folder / "factors.csv", header, [[_csv_text(v) for v in row] for row in rows])
    header = ["case_id", "name", "level", "group", "n_not_discussed", *(f"p_w1_{k}" for k in SUMMARY), "w1",
              *(f"p_w2_{k}" for k in SUMMARY), "w2"]
    rows = [[c.case_id, c.name, c.level, c.group, c.n_not_discussed, *asdict(c.windows[0].p).values(),
             c.windows[0].observed, *asdict(c.windows[1].p).values(), c.windows[1].observed] for c in report.cases]
    write_csv(folder / "cases.csv", header, [[_csv_text(v) for v in row] for row in rows])
    header = ["window", "factor", "label", "step", "extrapolated", "mean", "rank", "p_rank1", "p_top3", "support",
              "observed_step", "observed_mean", "observed_rank", "observed_p_rank1", "observed_p_top3"]
    rows = [[r.window, r.factor, r.label, r.step, r.extrapolated, r.mean, r.rank, r.p_rank1, r.p_top3, r.support_kind,
             r.observed_step, r.observed_mean, r.observed_rank, r.observed_p_rank1, r.observed_p_top3]
            for r in report.ranks]
    write_csv(folder / "ranks.csv", header, [[_csv_text(v) for v in row] for row in rows])


def render_report(report: Report, svgs: dict[str, str], t, texts: dict | None = None) -> tuple[str, str]:
    """``(report.html, report.md)`` text: figures inline in the HTML, linked as files in the Markdown."""
    texts = texts or figure_texts(report, t)
    common = {"r": report, "stream_figure_name": stream_figure_name, "captions": texts, "glossary": GLOSSARY}
    html = render("report.html", t, figures={k: trusted(v) for k, v in svgs.items()}, **common)
    markdown = render("report.md", t, figures={k: trusted(f"figures/{k}") for k in svgs}, **common)
    return html, markdown


@dataclass
class Draft:
    """A report assembled with its figures ordered (:func:`draft_report`): what :func:`write_report` finishes."""

    report: Report
    t: object  # the study's translator
    texts: dict
    figures: dict[str, Pending]
    lang: str
    compare_run: object = None
    painter: Painter | None = None  # the painter the figures came from: it builds the workbook too


def draft_report(study, lang: str = "en", compare_run=None, painter: Painter | None = None) -> Draft:
    """Assemble a study's report and order its figures from ``painter`` (drawn in its worker meanwhile, if it has one).

    ``analyze`` drafts the report, computes what to find out next while the figures are drawn,
    then writes with ``write_report(..., draft=draft)``; the files are the same as without a draft.
    """
    t = study_translator(lang, study.run.dataset)  # the study's own words for its cases and evidence
    painter = painter or Painter(in_process=True)
    ordered = {}

    def order(parts) -> None:  # the figures' inputs are known: drawn while the rest of the report is assembled
        ordered["texts"] = figure_texts(parts, t)
        ordered["figures"] = order_figures(parts, t, painter, ordered["texts"])

    report = build_report(study.run, lang, compare_run, study.wide, study.agnostic, study.modes, study.source_runs(),
                          on_figures=order)
    return Draft(report, t, ordered["texts"], ordered["figures"], lang, compare_run, painter)


def write_report(study, out_dir, lang: str = "en", compare_run=None, force: bool = False, fragility=None,
                 next_found=None, draft: Draft | None = None) -> Path:
    """Write a run's report: ``report.html``, ``report.md`` (+ ``figures/``, ``tables/`` with ``report.xlsx``), ``summary.json``.

    Parameters
    ----------
    study
        A :class:`~bayesstreams.inference.study.Study` (``bs.load_study(folder)``): the run and its
        companions.  The wide-prior refit (with power-scaling) measures the prior dependence, the
        agnostic refit is shown beside it, and the runs under the other not-discussed modes fill
        "what if not discussed means ..."; a companion the study does not hold is named as
        missing in the report.
    out_dir
        The report folder; written atomically (complete or not at all).
    lang
        ``"en"`` or ``"nl"``: the language of every word; factor labels from the codebook.
    compare_run
        Optional second run of the same data (a loaded run): adds a PSIS-LOO model comparison.
    force
        Replace an existing ``out_dir``.
    next_found
        What to find out next (:func:`bayesstreams.analysis.voi.next_evidence`), for the section of that name
    fragility
        The study's :class:`~bayesstreams.analysis.fragility.Fragility`
        (:func:`bayesstreams.pipeline.robustness.robustness`): adds "What the conclusions rest on".
    draft
        The study's report drafted by :func:`draft_report` in the same ``lang`` and with the same
        ``compare_run`` (its figures perhaps drawn meanwhile); assembled here when not given.

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> folder = write_report(study, tmp / "report", lang="nl")
    >>> sorted(p.name for p in folder.iterdir() if p.is_file())
    ['report.html', 'report.md', 'summary.json']
    """
    out_dir = Path(out_dir)
    refuse_existing(out_dir, force)  # before the work, not after it
    if draft is None:
        draft = draft_report(study, lang, compare_run)
    elif draft.lang != lang or draft.compare_run is not compare_run:
        raise ValueError("the draft was assembled in another language or with another comparison run")
    report, t, texts = draft.report, draft.t, draft.texts
    report.missing_companions = [{**row, "text": text} for row, text in
                                 zip(missing_rows(study), missing_lines(study, lang))]
    if fragility is not None:
        report.rests_summary, report.rests_on = fragility_view(fragility, study.dataset, lang)
    if next_found is not None:
        report.find_out_next = next_view(next_found, study.dataset, lang)
    with atomic_folder(out_dir, force=force) as tmp:  # what needs no figure first: they may still be drawn
        atomic_write_text(tmp / "summary.json", json.dumps(summary(report), indent=1, ensure_ascii=False,
                                                           allow_nan=False) + "\n")
        # the workbook is built by the figure worker (if any) while this process renders the templates
        book = (draft.painter or Painter(in_process=True)).submit(
            Drawing(tables_workbook, (report_tables(report, t),), form="file"))
        write_tables(report, tmp / "tables")
        svgs = {name: figure.result() for name, figure in draft.figures.items()}
        html, markdown = render_report(report, svgs, t, texts)
        atomic_write_text(tmp / "report.html", html)
        atomic_write_text(tmp / "report.md", markdown)
        for name, svg in svgs.items():
            atomic_write_text(tmp / "figures" / name, svg)
        atomic_write_bytes(tmp / "tables" / "report.xlsx", book.result())
    return out_dir
