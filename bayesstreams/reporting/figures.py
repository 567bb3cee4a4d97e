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
    :func:`stream_strip`: the brief's shorter picture of the same streams, without the window
    boxes (the brief's cards say the windows).
    :func:`to_svg`: a figure as SVG text for inline HTML and for files beside report.md, with a
    ``<title>`` and a ``<desc>`` for screen readers and for anyone who reuses the file.
    :func:`to_png`: the same figure as PNG at its drawn size, for the Word brief.

Accessibility
    Streams are coloured from the Okabe-Ito palette (vermillion, blue, reddish purple), which
    stays distinguishable under protanopia, deuteranopia and tritanopia; a stream's name is
    always written next to its colour (group headers, arrow labels), and the forest plot also
    gives each stream its own marker shape.  Every interval bar is drawn on a labelled scale,
    and both panels of the forest plot share one x-axis.  Figures are drawn at the size they
    are printed, no wider than an A4 page's text, with no text under :data:`FONT` points, and
    every text reads at least 4.5:1 on what it is drawn on (:func:`contrast`, WCAG 2.1).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

STREAMS = ("problem", "policy", "politics")
# Okabe & Ito (2008), "Color Universal Design": vermillion, blue, reddish purple
STREAM_COLOURS = {"problem": "#D55E00", "policy": "#0072B2", "politics": "#CC79A7"}
STREAM_MARKERS = {"problem": "o", "policy": "s", "politics": "^"}
NO_DATA_COLOUR = "#6b6b6b"  # a factor without data: grey (5.3:1 on white), dashed, no bar
WINDOW_FILL = {"state_open": "#c8e6c9", "state_closed": "#eceff1", "state_unknown": "#ffffff"}
TEXT = {"parse_math": False}
FONT = 9.0  # the smallest text of a figure, in points at its drawn size (which is its printed size)
FONT_TITLE = 10.5
STREAM_FIGSIZE = (6.9, 2.6)  # inches: with the 0.1 in margins of a tight box, within the brief's 182 mm text width
FOREST_WIDTH = 6.9  # inches: with its margins, within an A4 page's text (186 mm)
ROW_HEIGHT = 0.26  # inches per forest row of one line at FONT
LABEL_WRAP = 42  # characters per line of a forest label
ARROW_LENGTH, ARROW_HALF, BOX_WIDTH, GAP = 0.29, 0.062, 0.165, 0.018


def _figure(figsize) -> "Figure":  # noqa: F821  (matplotlib is imported on first use)
    """A new figure from matplotlib's object API, with the figures' style set.

    No pyplot: it would import a GUI backend's machinery and keep every figure in a global list
    until closed (about 0.5 s of import, and a leak when a caller forgets ``close``); a
    :class:`matplotlib.figure.Figure` draws the same SVG and PNG through ``savefig``.
    """
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable and escaped
    matplotlib.rcParams["svg.hashsalt"] = "bayesstreams"  # stable ids: the same report twice gives the same file
    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    return Figure(figsize=figsize)


def to_svg(fig, title: str = "", desc: str = "", ident: str = "figure") -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no metadata).

    ``title`` and ``desc`` become the SVG's first ``<title>`` and ``<desc>`` (escaped), named
    by ``aria-labelledby`` with ids ``{ident}-title`` / ``{ident}-desc`` (unique per page).
    """
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    text = text[:start] + text[end + len("</metadata>"):] if start >= 0 and end > start else text
    return _label_svg(text, title, desc, ident) if title or desc else text


PNG_DPI = 220  # a PNG figure's dots per inch (the Word brief's picture)


def to_png(fig, dpi: int = PNG_DPI) -> bytes:
    """The figure as PNG bytes (``dpi`` dots per inch at its drawn size); no metadata, so the same figure gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _label_svg(text: str, title: str, desc: str, ident: str) -> str:
    """``text`` with ``role="img"``, ``aria-labelledby`` and a ``<title>``/``<desc>`` right after ``<svg ...>``."""
    cut = text.index(">") + 1
    ids = f"{ident}-title {ident}-desc"
    head = text[:cut - 1] + f' role="img" aria-labelledby={quoteattr(ids)}>'
    labels = (f'<title id={quoteattr(ident + "-title")}>{escape(title)}</title>'
              f'<desc id={quoteattr(ident + "-desc")}>{escape(desc)}</desc>')
    return head + labels + text[cut:]


# WCAG 2.1 contrast (success criterion 1.4.3, level AA: text at least 4.5:1 against its background).
# Figures pick their label colour with readable_on; the tests hold the style sheets and figures to MIN_TEXT.
MIN_TEXT = 4.5  # WCAG AA for normal text
BLACK, WHITE = "#000000", "#ffffff"


def rgb(colour) -> tuple[float, float, float]:
    """``colour`` as an RGB tuple in [0, 1].

    Examples
    --------
    >>> rgb("#f00"), rgb("#0072B2")[2]
    ((1.0, 0.0, 0.0), 0.6980392156862745)
    """
    if isinstance(colour, str):
        text = colour.strip().lstrip("#")
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        if len(text) != 6:
            raise ValueError(f"not a colour: {colour!r}")
        return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return tuple(float(c) for c in colour[:3])


def luminance(colour) -> float:
    """Relative luminance (WCAG): 0 for black, 1 for white."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(text, background) -> float:
    """The contrast ratio of two colours, from 1 (equal) to 21 (black on white).

    Examples
    --------
    >>> round(contrast("#000", "#fff"), 1), round(contrast("#767676", "#ffffff"), 2)
    (21.0, 4.54)
    """
    high, low = sorted((luminance(text), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background) -> str:
    """Black or white, whichever contrasts more with ``background`` (always at least 4.58:1)."""
    return BLACK if contrast(BLACK, background) >= contrast(WHITE, background) else WHITE


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
    """One factor's effect: 90% line, 50% bar and mean marker; prior-driven as an open bar, no data in grey, dashed."""
    if row.get("no_data"):  # nothing in the data moves it: its interval is the prior's, drawn as such
        ax.hlines(y, row["q05"], row["q95"], color=NO_DATA_COLOUR, linewidth=1.1, linestyles=(0, (2, 2)),
                  gid=f"nodata-{row['factor']}")
        ax.plot([row["mean"]], [y], marker="o", markersize=4.5, color="white", markeredgecolor=NO_DATA_COLOUR,
                linestyle="none", gid=f"mean-{row['factor']}")
        return
    colour = STREAM_COLOURS.get(row["stream"], "#444444")
    prior = bool(row["prior_driven"])
    ax.hlines(y, row["q05"], row["q95"], color=colour, linewidth=1.1, gid=f"ci90-{row['factor']}")
    ax.barh(y, row["q75"] - row["q25"], left=row["q25"], height=0.46 * ROW_HEIGHT, color="white" if prior else colour,
            edgecolor=colour, linewidth=1.0 if prior else 0, gid=f"ci50-{row['factor']}")
    ax.plot([row["mean"]], [y], marker=STREAM_MARKERS.get(row["stream"], "o"), markersize=4.8, color="white",
            markeredgecolor=colour, linestyle="none", gid=f"mean-{row['factor']}")


def _row_heights(rows) -> list[float]:
    """Each row's height in inches: a wrapped label gets room for its lines."""
    return [ROW_HEIGHT * (1 + 0.55 * entry[2].count("\n")) if entry[0] == "factor" else ROW_HEIGHT for entry in rows]


def forest_plot(effects, t):
    """Forest plot of factor effects on the phase-1 and the phase-2 window, side by side.

    Parameters
    ----------
    effects
        DataFrame, one row per factor and window it reaches, in display order: ``factor``,
        ``label``, ``phase``, ``stream``, ``window`` ("W1"/"W2"), ``mean``, ``q05``, ``q25``,
        ``q75``, ``q95`` (probability differences), ``prior_driven`` (bool) and optionally
        ``no_data`` (bool: no case's code moves the factor, so its interval is the prior's).
    t
        Translator for the panel titles, group headers and the axis.

    Returns
    -------
    matplotlib.figure.Figure
        Drawn at its printed width (no wider than an A4 page's text), every text at least
        :data:`FONT` points.  Thick bars span ``q25``-``q75``, thin lines ``q05``-``q95``, open
        markers are ``mean`` (a circle, square or triangle by stream); a prior-driven effect
        has an open bar, a factor without data a grey dashed line and no bar.  Both panels
        share one x-axis in percentage points, named once under both.
    """
    import textwrap

    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = [("factor", e[1], textwrap.fill(e[2], LABEL_WRAP), e[3]) if e[0] == "factor" else e
            for e in _group_rows(effects)]
    heights = _row_heights(rows)
    centres = [sum(heights[n + 1:]) + heights[n] / 2 for n in range(len(rows))]  # inches from the bottom
    fig = _figure((FOREST_WIDTH, sum(heights) + 1.0))
    axes = fig.subplots(1, 2, sharey=True, sharex=True)
    for ax, window in zip(axes, ("W1", "W2")):
        own = effects[effects["window"] == window].set_index("factor")
        for entry, y, h in zip(rows, centres, heights):
            if entry[0] == "group":
                ax.axhspan(y - h / 2, y + h / 2, color="#f2f3f4", linewidth=0)
            elif entry[1] in own.index:
                _draw_effect(ax, y, own.loc[entry[1]].to_dict() | {"factor": entry[1]})
        ax.axvline(0.0, color="#555555", linewidth=0.7, linestyle=":")
        ax.set_title(textwrap.fill(t(f"forest_title_{window.lower()}"), 24), fontsize=FONT, fontweight="bold", **TEXT)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}" if v else "0"))
        ax.tick_params(labelsize=FONT)
        ax.spines[["top", "right"]].set_visible(False)
    labels = [t(f"phase_stream_{e[1]}_{e[2]}") if e[0] == "group" else e[2] for e in rows]
    axes[0].set_yticks(centres, labels, fontsize=FONT, **TEXT)
    for tick, entry in zip(axes[0].get_yticklabels(), rows):
        if entry[0] == "group":
            tick.set_fontweight("bold")
    axes[0].set_ylim(0, sum(heights))
    fig.supxlabel(t("forest_axis"), fontsize=FONT, **TEXT)  # one axis name under both panels: they share the axis
    fig.tight_layout()
    return fig


def _q_scale(ax, x0: float, y: float, track: float, phase: int, stream: str) -> None:
    """The 0-100% scale under a stream's arrow: a baseline with ticks at 0, 50 and 100%, labelled on white."""
    base = y - ARROW_HALF - 0.012
    ax.plot([x0, x0 + track], [base, base], color="#555555", linewidth=0.6, gid=f"scale-{phase}-{stream}")
    for share, label in ((0.0, "0"), (0.5, "50"), (1.0, "100%")):
        ax.plot([x0 + track * share] * 2, [base, base + 0.014], color="#555555", linewidth=0.6)
        ax.text(x0 + track * share, base - 0.006, label, fontsize=FONT, ha="center", va="top", color="#333333",
                gid=f"scale-{phase}-{stream}-{label.rstrip('%')}", **TEXT)


def _stream_arrow(ax, x0: float, y: float, row, t) -> None:
    """One stream: an arrow shaded by its q, its q interval on a labelled 0-100% scale, and the observed state.

    The label is black or white, whichever reads better on the arrow's shade
    (:func:`readable_on`: at least 4.5:1 on any shade).
    """
    from matplotlib.patches import Polygon

    colour = STREAM_COLOURS[row["stream"]]
    fill = blend(colour, row["mean"])
    length, half = ARROW_LENGTH, ARROW_HALF
    body = [(x0, y - half), (x0 + length - 0.03, y - half), (x0 + length, y),
            (x0 + length - 0.03, y + half), (x0, y + half)]
    ax.add_patch(Polygon(body, closed=True, facecolor=fill, edgecolor=colour,
                         linewidth=2.4 if row["bottleneck"] else 0.9, gid=f"stream-{row['phase']}-{row['stream']}"))
    track, start = ARROW_LENGTH - 0.05, x0 + 0.01  # the 0-100% scale of q along the arrow body
    ax.plot([start + track * row["q05"], start + track * row["q95"]], [y - 0.035] * 2,
            color=readable_on(fill), linewidth=1.3, solid_capstyle="butt", gid=f"q90-{row['phase']}-{row['stream']}")
    ax.plot([start + track * row["mean"]], [y - 0.035], marker="|", markersize=7, color=readable_on(fill))
    _q_scale(ax, start, y, track, row["phase"], row["stream"])
    ax.text(x0 + 0.012, y + 0.024, t("figure_stream_label").format(stream=t("stream_" + row["stream"]),
                                                                   q=f"{100 * row['mean']:.0f}%"),
            fontsize=FONT, va="center", color=readable_on(fill), gid=f"label-{row['phase']}-{row['stream']}",
            **TEXT)
    observed = row["observed"]
    marker = "o" if observed == observed else "$?$"  # NaN != NaN: not observed
    face = "black" if observed == 1 else "white"
    ax.plot([x0 - 0.016], [y], marker=marker, markersize=6.5, color="black", markerfacecolor=face,
            linestyle="none", gid=f"observed-{row['phase']}-{row['stream']}")


def _window_box(ax, x0: float, window, t, prior_label: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    state = "state_unknown" if window["observed"] != window["observed"] else (
        "state_open" if window["observed"] == 1 else "state_closed")
    ax.add_patch(FancyBboxPatch((x0, 0.17), BOX_WIDTH, 0.7, boxstyle="round,pad=0.005", facecolor=WINDOW_FILL[state],
                                edgecolor="#333333", linewidth=1.0, gid=f"window-{int(window['phase'])}"))
    import textwrap

    lines = [t("window_word"), *textwrap.wrap(t("observed_word"), 14), t("figure_" + state)]
    bold = {0, len(lines) - 1, len(lines)}  # the window, its state and its chance
    if state == "state_unknown":  # a known window is drawn as known, never with a chance (issue 25)
        lines += [t("figure_chance").format(p=f"{100 * window['mean']:.0f}%"),
                  f"({100 * window['q05']:.0f}–{100 * window['q95']:.0f}%)"]
    for n, line in enumerate(lines):
        ax.text(x0 + BOX_WIDTH / 2, 0.78 - 0.095 * n, line, fontsize=FONT, ha="center", va="center",
                fontweight="bold" if n in bold else "normal", gid=f"window-{int(window['phase'])}-line-{n}",
                **TEXT)
    if window.get("prior_driven"):
        ax.text(x0 + BOX_WIDTH / 2, 0.23, prior_label, fontsize=FONT, ha="center", va="center", style="italic",
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
        Drawn at the size it is printed (:data:`STREAM_FIGSIZE`, no wider than an A4 page's
        text), every text at least :data:`FONT` points.  Each arrow is shaded by its ``q``
        (white at 0, the stream colour at 1) and carries its 90% interval on a labelled
        0-100% scale; dots left of the arrows are the observed stream states (filled: in
        motion, open: not, ?: not observed).
    """
    fig = _figure(STREAM_FIGSIZE)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(-0.012, 1.005)
    ax.set_ylim(0.1, 1.1)
    if name:
        ax.text(-0.005, 1.095, name, fontsize=FONT_TITLE, fontweight="bold", va="top", gid="case-name", **TEXT)
    # the phases the windows table holds: a one-phase study draws its one phase
    for panel, phase in enumerate(p for p in (1, 2) if (windows["phase"] == p).any()):
        x0 = 0.02 + panel * 0.5
        ax.text(x0 - 0.025, 0.99, t(f"phase_{phase}"), fontsize=FONT, fontweight="bold", va="top", **TEXT)
        own = streams[streams["phase"] == phase].set_index("stream")
        for j, stream in enumerate(STREAMS):
            y = 0.80 - 0.25 * j
            if stream in own.index:
                _stream_arrow(ax, x0, y, own.loc[stream].to_dict() | {"stream": stream, "phase": phase}, t)
            ax.plot([x0 + ARROW_LENGTH, x0 + ARROW_LENGTH + GAP], [y, 0.52], color="#777777", linewidth=0.8)
        window = windows[windows["phase"] == phase].iloc[0].to_dict()
        _window_box(ax, x0 + ARROW_LENGTH + GAP, window, t, prior_label or t("prior_driven"))
    return fig


def stream_strip(streams, t):
    """The brief's stream picture: each phase's three streams side by side, on one labelled 0-100% scale per phase.

    The brief's cards already say each window's chance or known state, so the strip draws
    the streams only, which keeps a one-page brief's figure short at 9-point text.

    Parameters
    ----------
    streams
        DataFrame with one row per phase and stream, as for :func:`stream_diagram`.
    t
        Translator for stream names and phase titles.

    Returns
    -------
    matplotlib.figure.Figure
        :data:`STREAM_FIGSIZE` wide and as tall as its rows, every text at least :data:`FONT`
        points; laid out in inches (one axis unit is one inch).  Arrows, labels, intervals
        and observed dots as in :func:`stream_diagram`; faint lines at 0, 50 and 100% run
        through each phase's arrows and are labelled under them.
    """
    phases = [p for p in (1, 2) if (streams["phase"] == p).any()]
    row, top, bottom = 0.31, 0.27, 0.24  # inches: a stream, the phase title, the scale's labels
    height = top + len(STREAMS) * row + bottom
    width = STREAM_FIGSIZE[0]
    fig = _figure((width, height))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    column = width / 2
    for panel, phase in enumerate(phases):
        x0 = 0.16 + panel * column
        ax.text(x0 - 0.14, height - 0.03, t(f"phase_{phase}"), fontsize=FONT, fontweight="bold", va="top", **TEXT)
        length, track = column - 0.35, column - 0.65
        start = x0 + 0.06
        first = height - top - row / 2
        for share, label in ((0.0, "0"), (0.5, "50"), (1.0, "100%")):
            x = start + track * share
            ax.plot([x, x], [bottom - 0.02, height - top], color="#b3b3b3", linewidth=0.5, zorder=0)
            ax.text(x, bottom - 0.04, label, fontsize=FONT, ha="center", va="top", color="#333333",
                    gid=f"scale-{phase}-{label.rstrip('%')}", **TEXT)
        own = streams[streams["phase"] == phase].set_index("stream")
        for j, stream in enumerate(STREAMS):
            if stream in own.index:
                _strip_arrow(ax, x0, first - j * row, length, start, track,
                             own.loc[stream].to_dict() | {"stream": stream, "phase": phase}, t)
    return fig


def _strip_arrow(ax, x0: float, y: float, length: float, start: float, track: float, row, t) -> None:
    """One stream of the strip (inches): the arrow shaded by q, its label, its 90% interval, the observed dot."""
    from matplotlib.patches import Polygon

    colour = STREAM_COLOURS[row["stream"]]
    fill = blend(colour, row["mean"])
    half, tip = 0.125, 0.14
    body = [(x0, y - half), (x0 + length - tip, y - half), (x0 + length, y), (x0 + length - tip, y + half),
            (x0, y + half)]
    ax.add_patch(Polygon(body, closed=True, facecolor=fill, edgecolor=colour,
                         linewidth=2.4 if row["bottleneck"] else 0.9, gid=f"stream-{row['phase']}-{row['stream']}"))
    ink = readable_on(fill)
    ax.plot([start + track * row["q05"], start + track * row["q95"]], [y - 0.075] * 2, color=ink, linewidth=1.3,
            solid_capstyle="butt", gid=f"q90-{row['phase']}-{row['stream']}")
    ax.plot([start + track * row["mean"]], [y - 0.075], marker="|", markersize=6, color=ink)
    ax.text(x0 + 0.06, y + 0.035, t("figure_stream_label").format(stream=t("stream_" + row["stream"]),
                                                                  q=f"{100 * row['mean']:.0f}%"),
            fontsize=FONT, va="center", color=ink, gid=f"label-{row['phase']}-{row['stream']}", **TEXT)
    observed = row["observed"]
    marker = "o" if observed == observed else "$?$"  # NaN != NaN: not observed
    ax.plot([x0 - 0.1], [y], marker=marker, markersize=6.5, color="black", markerfacecolor="black" if observed == 1
            else "white", linestyle="none", gid=f"observed-{row['phase']}-{row['stream']}")


def prior_posterior_plot(density, t):
    """Prior and posterior density of one parameter (rho) drawn together, from a binned table.

    ``density`` has one row per bin: ``low``, ``high``, ``prior`` (NaN/None without prior
    draws) and ``posterior`` densities, as made by
    :func:`bayesstreams.analysis.structural.density_table`; the bars are those values.
    """
    fig = _figure((5.2, 2.4))
    ax = fig.subplots()
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
    ax.legend(frameon=False, fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    from matplotlib.ticker import FuncFormatter

    decimal = t("figure_decimal_mark")  # tick labels in the reader's decimal mark
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}".replace(".", decimal)))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
