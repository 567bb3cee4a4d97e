"""The words that go with each figure: its ``<title>``, its ``<desc>`` (the figure's numbers in a
sentence, for screen readers and for anyone who reuses the SVG on its own) and its caption.

:mod:`bayesstreams.reporting.figures` draws and imports nothing of the package; this module
turns report data into the texts the figures carry, in the report's language and number style
(:mod:`bayesstreams.reporting.numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.reporting import numbers


@dataclass(frozen=True)
class FigureText:
    """Title, description and caption of one figure."""

    title: str
    desc: str
    caption: str


def _effect(highlight, t) -> str:
    lang = t.lang
    effect = numbers.summary_interval(highlight.ace, numbers.pp, lang)
    return t("figure_effect_item").format(label=highlight.label, effect=effect)


def forest_text(report, t) -> FigureText:
    """Texts of ``factor_effects.svg``: the largest effect on each window with its 90% interval."""
    best = {w: (_effect(h[0], t) if h else numbers.MISSING)
            for w, h in (("w1", report.highlights_w1), ("w2", report.highlights_w2))}
    desc = t("figure_forest_desc").format(n=len(report.factors), w1=best["w1"], w2=best["w2"])
    return FigureText(t("figure_forest_title"), desc, " ".join(forest_caption(report.factors, t)))


def forest_caption(factors, t) -> list[str]:
    """The forest plot's caption: how to read it, and the open bars and grey lines only where some are drawn."""
    drawn = [f for f in factors if not f.no_data]
    prior = any(p for f in drawn for ace, p in ((f.ace_w1, f.ace_w1_prior_driven), (f.ace_w2, f.ace_w2_prior_driven))
                if ace is not None)
    return ([t("figure_forest_caption")] + ([t("figure_forest_caption_prior")] if prior else [])
            + ([t("figure_forest_caption_no_data")] if len(drawn) < len(factors) else []))


def _stream_item(state, t) -> str:
    return t("figure_stream_item").format(stream=t(f"stream_{state.stream}"), q=numbers.pct(state.q.mean),
                                          span=numbers.pct_span(state.q.q05, state.q.q95))


def _window_state(observed) -> str:
    if numbers.missing(observed):
        return "figure_state_unknown"
    return "figure_state_open" if observed == 1 else "figure_state_closed"


def stream_text(name: str, streams, windows, t) -> FigureText:
    """Texts of one case's stream diagram: per phase the chance of each stream and of the window."""
    parts = []
    for window in windows:
        own = [s for s in streams if s.phase == window.phase]
        if window.observed is not None and window.observed == window.observed:  # known: said as known, no chance
            parts.append(t("figure_streams_desc_phase_known").format(
                phase=t(f"phase_{window.phase}"), streams="; ".join(_stream_item(s, t) for s in own),
                observed=t(_window_state(window.observed))))
            continue
        parts.append(t("figure_streams_desc_phase").format(
            phase=t(f"phase_{window.phase}"), streams="; ".join(_stream_item(s, t) for s in own),
            p=numbers.pct(window.p.mean), span=numbers.pct_span(window.p.q05, window.p.q95),
            observed=t(_window_state(window.observed))))
    weakest = [s for s in streams if s.bottleneck]
    if weakest:
        parts.append(t("figure_streams_desc_weakest").format(
            weakest="; ".join(f"{t(f'phase_short_{s.phase}')}: {t(f'stream_title_{s.stream}')}" for s in weakest)))
    return FigureText(t("figure_streams_title").format(name=name), " ".join(parts),
                      t("figure_streams_caption").format(name=name))


def rho_text(dependency, t) -> FigureText:
    """Texts of ``rho_prior_posterior.svg``: rho's posterior mean and 90% interval, drawn over its prior."""
    value = dependency.value
    desc = t("figure_rho_desc").format(mean=numbers.sig(value.mean, t.lang),
                                       low=numbers.sig(value.q05, t.lang), high=numbers.sig(value.q95, t.lang))
    return FigureText(t("figure_rho_title"), desc, t("figure_rho_caption"))
