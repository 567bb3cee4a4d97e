"""Figures drawn from report tables (pandas DataFrames).  Plots compute no statistics.

Every function takes tables whose rows already hold the numbers to draw (posterior mean
and interval bounds made by :mod:`bayesstreams.analysis.queries`) and draws exactly those numbers:
positions and widths are the table's values, the axis only formats them as percentages.
Labels arrive translated (``t`` is a translator); text is drawn as SVG text, which
matplotlib escapes, with mathtext switched off so that a ``$`` in a label is just a
dollar sign.

Figures
    :func:`forest_plot`: factor effects on both windows, grouped by phase and stream.
    :func:`stream_diagram`: one case, both phases: three stream arrows converging into a
    window box (the picture of the source study's Bijlage 8/9).
    :func:`to_svg`: a figure as SVG text for inline HTML and for files beside report.md, with a
    ``<title>`` and a ``<desc>`` for screen readers and for anyone who reuses the file.
    :func:`to_png`: the same figure as PNG at its drawn size, for the Word brief.

Accessibility
    Streams are coloured from the Okabe-Ito palette (vermillion, blue, reddish purple), which
    stays distinguishable under protanopia, deuteranopia and tritanopia; a stream's name is
    always written next to its colour (group headers, arrow labels), and the forest plot also
    gives each stream its own marker shape.  Every interval bar is drawn on a labelled scale,
    and both panels of the forest plot share one x-axis.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

STREAMS = ("problem", "policy", "politics")
# Okabe & Ito (2008), "Color Universal Design": vermillion, blue, reddish purple
STREAM_COLOURS = {"problem": "#D55E00", "policy": "#0072B2", "politics": "#CC79A7"}
STREAM_MARKERS = {"problem": "o", "policy": "s", "politics": "^"}
PRIOR_ALPHA = 0.4  # prior-driven effects are drawn pale
WINDOW_FILL = {"state_open": "#c8e6c9", "state_closed": "#eceff1", "state_unknown": "#ffffff"}
TEXT = {"parse_math": False}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable and escaped
    plt.rcParams["svg.hashsalt"] = "bayesstreams"  # stable ids: the same report twice gives the same file
    plt.rcParams["font.family"] = "DejaVu Sans"
    return plt


def to_svg(fig, title: str = "", desc: str = "", ident: str = "figure") -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no metadata) and close it.

    ``title`` and ``desc`` become the SVG's first ``<title>`` and ``<desc>`` (escaped), named
    by ``aria-labelledby`` with ids ``{ident}-title`` / ``{ident}-desc`` (unique per page).
    """
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    text = text[:start] + text[end + len("</metadata>"):] if start >= 0 and end > start else text
    return _label_svg(text, title, desc, ident) if title or desc else text


def to_png(fig, dpi: int = 220) -> bytes:
    """The figure as PNG bytes (``dpi`` dots per inch at its drawn size) and close it; no metadata, so the same figure gives the same bytes."""
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _label_svg(text: str, title: str, desc: str, ident: str) -> str:
    """``text`` with ``role="img"``, ``aria-labelledby`` and a ``<title>``/``<desc>`` right after ``<svg ...>``."""
    cut = text.index(">") + 1
    ids = f"{ident}-title {ident}-desc"
    head = text[:cut - 1] + f' role="img" aria-labelledby={quoteattr(ids)}>'
    labels = (f'<title id={quoteattr(ident + "-title")}>{escape(title)}</title>'
              f'<desc id={quoteattr(ident + "-desc")}>{escape(desc)}</desc>')
    return head + labels + text[cut:]


def blend(colour: str, q: float) -> tuple[float, float, float]:
    """The stream colour mixed with white in proportion ``q`` (0 = white, 1 = the full colour)."""
    from matplotlib.colors import to_rgb

    q = min(max(float(q), 0.0), 1.0)
    return tuple(1.0 - q + q * c for c in to_rgb(colour))


def _group_rows(effects) -> list[tuple]:
    """Rows of the forest plot top to bottom: ("group", phase, stream) headers and ("factor", id, label, stream)."""
    rows, last = [], None
    factors = effects.drop_duplicates("factor")
    for _, row in factors.iterrows():
        if (row["phase"], row["stream"]) != last:
            last = (row["phase"], row["stream"])
            rows.append(("group", row["phase"], row["stream"]))
        rows.append(("factor", row["factor"], row["label"], row["stream"]))
    return rows


def _draw_effect(ax, y: float, row) -> None:
    colour = STREAM_COLOURS.get(row["stream"], "#444444")
    alpha = PRIOR_ALPHA if row["prior_driven"] else 1.0
    ax.hlines(y, row["q05"], row["q95"], color=colour, alpha=alpha, linewidth=1.1, gid=f"ci90-{row['factor']}")
    ax.barh(y, row["q75"] - row["q25"], left=row["q25"], height=0.42, color=colour, alpha=alpha, linewidth=0,
            gid=f"ci50-{row['factor']}")
    ax.plot([row["mean"]], [y], marker=STREAM_MARKERS.get(row["stream"], "o"), markersize=4.2, color="white",
            markeredgecolor=colour, linestyle="none", gid=f"mean-{row['factor']}")


def forest_plot(effects, t):
    """Forest plot of factor effects on the phase-1 and the phase-2 window, side by side.

    Parameters
    ----------
    effects
        DataFrame, one row per factor and window it reaches, in display order: ``factor``,
        ``label``, ``phase``, ``stream``, ``window`` ("W1"/"W2"), ``mean``, ``q05``, ``q25``,
        ``q75``, ``q95`` (probability differences) and ``prior_driven`` (bool).
    t
        Translator for the panel titles, group headers and legend.

    Returns
    -------
    matplotlib.figure.Figure
        Thick bars span ``q25``-``q75``, thin lines ``q05``-``q95``, open markers are ``mean``
        (a circle, square or triangle by stream); prior-driven effects are pale.  Both panels
        share one x-axis, so a bar's length means the same on either side.
    """
    from matplotlib.ticker import FuncFormatter

    plt = _pyplot()
    rows = _group_rows(effects)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 0.24 * len(rows) + 1.3), sharey=True, sharex=True)
    for ax, window in zip(axes, ("W1", "W2")):
        own = effects[effects["window"] == window].set_index("factor")
        for n, entry in enumerate(rows):
            y = len(rows) - 1 - n
            if entry[0] == "group":
                ax.axhspan(y - 0.5, y + 0.5, color="#f2f3f4", linewidth=0)
            elif entry[1] in own.index:
                _draw_effect(ax, y, own.loc[entry[1]].to_dict() | {"factor": entry[1]})
        ax.axvline(0.0, color="#555555", linewidth=0.7, linestyle=":")
        ax.set_title(t(f"forest_title_{window.lower()}"), fontsize=9, **TEXT)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}" if v else "0"))
        ax.set_xlabel(t("forest_axis"), fontsize=8, **TEXT)
        ax.tick_params(labelsize=7.5)
        ax.spines[["top", "right"]].set_visible(False)
    labels = [t(f"phase_stream_{e[1]}_{e[2]}") if e[0] == "group" else e[2] for e in rows]
    axes[0].set_yticks(range(len(rows) - 1, -1, -1), labels, fontsize=7.5, **TEXT)
    for tick, entry in zip(axes[0].get_yticklabels(), rows):
        if entry[0] == "group":
            tick.set_fontweight("bold")
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    fig.tight_layout()
    return fig


def _q_scale(ax, x0: float, y: float, track: float, phase: int, stream: str) -> None:
    """The 0-100% scale under a stream's interval bar: a baseline with ticks at 0, 50 and 100%, labelled."""
    base = y - 0.062
    ax.plot([x0, x0 + track], [base, base], color="#555555", linewidth=0.5, gid=f"scale-{phase}-{stream}")
    for share, label in ((0.0, "0"), (0.5, "50"), (1.0, "100%")):
        ax.plot([x0 + track * share] * 2, [base, base + 0.012], color="#555555", linewidth=0.5)
        ax.text(x0 + track * share, base - 0.004, label, fontsize=5.4, ha="center", va="top", color="#333333",
                gid=f"scale-{phase}-{stream}-{label.rstrip('%')}", **TEXT)


def _stream_arrow(ax, x0: float, y: float, row, t) -> None:
    """One stream: an arrow shaded by its q, its q interval on a labelled 0-100% scale, and the observed state."""
    from matplotlib.patches import Polygon

    colour = STREAM_COLOURS[row["stream"]]
    length, half = 0.25, 0.075
    body = [(x0, y - half), (x0 + length - 0.03, y - half), (x0 + length, y),
            (x0 + length - 0.03, y + half), (x0, y + half)]
    ax.add_patch(Polygon(body, closed=True, facecolor=blend(colour, row["mean"]), edgecolor=colour,
                         linewidth=2.4 if row["bottleneck"] else 0.9, gid=f"stream-{row['phase']}-{row['stream']}"))
    track, start = 0.2, x0 + 0.01  # the 0-100% scale of q along the arrow body
    ax.plot([start + track * row["q05"], start + track * row["q95"]], [y - 0.03] * 2,
            color="black", linewidth=1.2, solid_capstyle="butt", gid=f"q90-{row['phase']}-{row['stream']}")
    ax.plot([start + track * row["mean"]], [y - 0.03], marker="|", markersize=6, color="black")
    _q_scale(ax, start, y, track, row["phase"], row["stream"])
    dark = row["mean"] > 0.6
    ax.text(x0 + 0.012, y + 0.03, t("figure_stream_label").format(stream=t("stream_" + row["stream"]),
                                                                  q=f"{100 * row['mean']:.0f}%"),
            fontsize=7, va="center", color="white" if dark else "black", gid=f"label-{row['phase']}-{row['stream']}",
            **TEXT)
    observed = row["observed"]
    marker = "o" if observed == observed else "$?$"  # NaN != NaN: not observed
    face = "black" if observed == 1 else "white"
    ax.plot([x0 - 0.018], [y], marker=marker, markersize=5.5, color="black", markerfacecolor=face,
            linestyle="none", gid=f"observed-{row['phase']}-{row['stream']}")


def _window_box(ax, x0: float, window, t, prior_label: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    state = "state_unknown" if window["observed"] != window["observed"] else (
        "state_open" if window["observed"] == 1 else "state_closed")
    ax.add_patch(FancyBboxPatch((x0, 0.2), 0.135, 0.54, boxstyle="round,pad=0.005", facecolor=WINDOW_FILL[state],
                                edgecolor="#333333", linewidth=1.0, hatch="//" if state == "state_unknown" else None,
                                gid=f"window-{int(window['phase'])}"))
    lines = [t("window_word"), t("observed_word"), t("figure_" + state)]
    if state == "state_unknown":  # a known window is drawn as known, never with a chance (issue 25)
        lines += [t("figure_chance").format(p=f"{100 * window['mean']:.0f}%"),
                  f"({100 * window['q05']:.0f}–{100 * window['q95']:.0f}%)"]
    for n, line in enumerate(lines):
        ax.text(x0 + 0.0675, 0.69 - 0.095 * n, line, fontsize=7.2, ha="center", va="center",
                fontweight="bold" if n in (0, 2, 3) else "normal", **TEXT)
    if window.get("prior_driven"):
        ax.text(x0 + 0.0675, 0.23, prior_label, fontsize=5.8, ha="center", va="center", style="italic",
                color="#7e5109", gid=f"prior-{int(window['phase'])}", **TEXT)


def stream_diagram(streams, windows, t, name: str = "", prior_label: str | None = None):
    """Both phases of one case: three streams converging into a window.

    Parameters
    ----------
    streams
        DataFrame with one row per phase and stream: ``phase``, ``stream``, ``mean``,
        ``q05``, ``q95`` (posterior probability ``q`` that the stream is in motion),
        ``observed`` (1, 0 or NaN) and ``bottleneck`` (bool: drawn with a thick edge).
    windows
        DataFrame with one row per phase: ``phase``, ``mean``, ``q05``, ``q95`` (the window's
        predicted probability), ``observed`` (1, 0 or NaN) and optionally ``prior_driven``
        (bool: the box says so).
    t
        Translator for stream names, phase titles and window states.
    name
        The case's name, written in the top-left corner so that the figure names its
        municipality when it is reused on its own.
    prior_label
        What a prior-driven window box says (default ``t("prior_driven")``; the brief says it
        in plain words).

    Returns
    -------
    matplotlib.figure.Figure
        Each arrow is shaded by its ``q`` (white at 0, the stream colour at 1) and carries
        its 90% interval on a labelled 0-100% scale; dots left of the arrows are the observed
        stream states (filled: in motion, open: not, ?: not observed).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.4, 1.95))
    ax.set_axis_off()
    ax.set_xlim(-0.01, 1.0)
    ax.set_ylim(0.1, 1.08)
    if name:
        ax.text(-0.005, 1.07, name, fontsize=9.5, fontweight="bold", va="top", gid="case-name", **TEXT)
    # the phases the windows table holds: a one-phase study draws its one phase
    for panel, phase in enumerate(p for p in (1, 2) if (windows["phase"] == p).any()):
        x0 = 0.03 + panel * 0.5
        ax.text(x0 - 0.03, 0.96, t(f"phase_{phase}"), fontsize=8.5, fontweight="bold", va="top", **TEXT)
        own = streams[streams["phase"] == phase].set_index("stream")
        for j, stream in enumerate(STREAMS):
            y = 0.76 - 0.25 * j
            if stream in own.index:
                _stream_arrow(ax, x0, y, own.loc[stream].to_dict() | {"stream": stream, "phase": phase}, t)
            ax.plot([x0 + 0.25, x0 + 0.31], [y, 0.47], color="#777777", linewidth=0.8)
        window = windows[windows["phase"] == phase].iloc[0].to_dict()
        _window_box(ax, x0 + 0.31, window, t, prior_label or t("prior_driven"))
    return fig


def prior_posterior_plot(density, t):
    """Prior and posterior density of one parameter (rho) drawn together, from a binned table.

    ``density`` has one row per bin: ``low``, ``high``, ``prior`` (NaN/None without prior
    draws) and ``posterior`` densities, as made by
    :func:`bayesstreams.analysis.structural.density_table`; the bars are those values.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 2.4))
    edges = list(density["low"]) + [float(density["high"].iloc[-1])]
    prior = density["prior"].astype(float)
    if prior.notna().any():
        ax.stairs(prior.to_numpy(), edges, color="#7f8c8d", linestyle="--", linewidth=1.5, label=t("figure_prior"))
    ax.stairs(density["posterior"].to_numpy(dtype=float), edges, color="#1f618d", fill=True, alpha=0.35,
              label=t("figure_posterior"))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(t("figure_rho_axis"), **TEXT)
    ax.set_ylabel(t("figure_density"), **TEXT)
    ax.legend(frameon=False, fontsize=8)
    from matplotlib.ticker import FuncFormatter

    decimal = t("figure_decimal_mark")  # tick labels in the reader's decimal mark
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}".replace(".", decimal)))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
