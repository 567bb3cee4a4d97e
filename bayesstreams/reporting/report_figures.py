"""The report's figures: the tables the plots draw (built from the :class:`~bayesstreams.reporting.report_assemble.Report` only), their texts, and each figure as a drawing ordered from a painter.

Each function reads the report's factors, highlights, dependency, cases and rho density only, so it
takes the finished :class:`Report` or the :class:`~bayesstreams.reporting.report_assemble.FigureParts`
that :func:`~bayesstreams.reporting.report_assemble.build_report` hands over before the rest is
assembled (the same objects: the same figures).
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from bayesstreams.reporting.figure_text import forest_text, rho_text, stream_text
from bayesstreams.reporting.figures import forest_plot, prior_posterior_plot, stream_diagram
from bayesstreams.reporting.painter import Drawing, Painter, Pending
from bayesstreams.reporting.report_assemble import FigureParts, Report
from bayesstreams.reporting.view import StreamState, WindowChance


def forest_table(report: Report | FigureParts, t=None):
    """The factor effects as the long table :func:`bayesstreams.reporting.figures.forest_plot` draws.

    With a translator ``t``, the label of a factor without data says so ("no data: prior only").
    """
    rows = []
    for e in report.factors:
        label = f"{e.label} ({t('support_no_data')})" if t is not None and e.no_data else e.label
        for window, ace, prior in (("W1", e.ace_w1, e.ace_w1_prior_driven), ("W2", e.ace_w2, e.ace_w2_prior_driven)):
            if ace is not None:
                rows.append({"factor": e.factor, "label": label, "phase": e.phase, "stream": e.stream,
                             "window": window, **asdict(ace), "prior_driven": prior, "no_data": e.no_data})
    return pd.DataFrame.from_records(rows)


def stream_tables(streams: list[StreamState], windows: list[WindowChance]):
    """The ``(streams, windows)`` tables :func:`bayesstreams.reporting.figures.stream_diagram` draws for one case."""
    nan = float("nan")
    stream_frame = pd.DataFrame.from_records([
        {"phase": s.phase, "stream": s.stream, **asdict(s.q), "observed": nan if s.observed is None else s.observed,
         "bottleneck": s.bottleneck} for s in streams])
    window_frame = pd.DataFrame.from_records([
        {"phase": w.phase, **asdict(w.p), "observed": nan if w.observed is None else w.observed,
         "prior_driven": w.prior_driven} for w in windows])
    return stream_frame, window_frame


def figure_texts(report: Report | FigureParts, t) -> dict:
    """Title, description and caption of every figure (:class:`~bayesstreams.reporting.figure_text.FigureText`)."""
    out = {"factor_effects.svg": forest_text(report, t)}
    if report.rho_density:
        out["rho_prior_posterior.svg"] = rho_text(report.dependency, t)
    if report.has_streams:
        for n, case in enumerate(report.cases, start=1):
            out[stream_figure_name(n)] = stream_text(case.name, case.streams, case.windows, t)
    return out


def drawings(report: Report | FigureParts, t, texts: dict | None = None) -> dict[str, Drawing]:
    """Every figure of the report as a :class:`~bayesstreams.reporting.painter.Drawing`, keyed by file name under ``figures/``."""
    texts = texts or figure_texts(report, t)

    def svg(file: str, plot, *args, **kwargs) -> Drawing:
        return Drawing(plot, args, kwargs, title=texts[file].title, desc=texts[file].desc,
                       ident=file.removesuffix(".svg").replace("_", "-"))

    out = {"factor_effects.svg": svg("factor_effects.svg", forest_plot, forest_table(report, t), t)}
    if report.rho_density:
        out["rho_prior_posterior.svg"] = svg("rho_prior_posterior.svg", prior_posterior_plot,
                                             pd.DataFrame.from_records(report.rho_density), t)
    if report.has_streams:
        for n, case in enumerate(report.cases, start=1):
            name = stream_figure_name(n)
            out[name] = svg(name, stream_diagram, *stream_tables(case.streams, case.windows), t, name=case.name)
    return out


def order_figures(report: Report | FigureParts, t, painter: Painter, texts: dict | None = None) -> dict[str, Pending]:
    """Every figure of the report ordered from ``painter`` (drawn meanwhile when it has a worker process)."""
    return {name: painter.submit(drawing) for name, drawing in drawings(report, t, texts).items()}


def stream_figure_name(n: int) -> str:
    """File name of the stream diagram of the ``n``-th case (1-based; names never carry user text)."""
    return f"streams_{n:02d}.svg"
