"""Figures drawn from report tables.  Plots compute no statistics: they draw the numbers given.

Each function takes rows (dicts with ``mean``, ``q05``, ``q25``, ``q75``, ``q95`` and labels)
and returns SVG text, so the HTML report can inline it and the Markdown report can save it.
"""

from __future__ import annotations

import io

STREAM_COLOURS = {"problem": "#c0392b", "policy": "#2471a3", "politics": "#7d3c98"}


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and escaped by matplotlib
    plt.rcParams["svg.hashsalt"] = "bayesstreams"  # stable ids: the same report twice gives the same file
    return plt.subplots(figsize=(width, height))


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def forest_svg(rows: list[dict], window: str, title: str) -> str:
    """Forest plot of one window's effects, one row per factor, coloured by stream, grouped by phase.

    ``rows``: dicts with ``label``, ``phase``, ``stream`` and ``window`` -> {mean, q05, q25, q75, q95}.
    """
    shown = [r for r in rows if r.get(window)]
    fig, ax = _figure(7.5, 0.32 * len(shown) + 1.0)
    for y, row in enumerate(reversed(shown)):
        s = row[window]
        colour = STREAM_COLOURS.get(row["stream"], "#555555")
        ax.plot([s["q05"], s["q95"]], [y, y], color=colour, linewidth=1.2)
        ax.plot([s["q25"], s["q75"]], [y, y], color=colour, linewidth=4.0, solid_capstyle="butt")
        ax.plot([s["mean"]], [y], "o", color="white", markeredgecolor=colour, markersize=4.5)
    ax.axvline(0.0, color="#888888", linewidth=0.8, linestyle=":")
    ax.set_yticks(range(len(shown)), [f"{r['phase']} · {r['stream']} · {r['label']}" for r in reversed(shown)],
                  fontsize=7.5)
    ax.set_xlabel(title, fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def stream_diagram_svg(case: dict, labels: dict) -> str:
    """Three streams per phase converging into a window box (the thesis's Bijlage 8/9 picture).

    ``case``: ``streams`` (rows with phase, stream, mean, q05, q95, observed), ``p_w1``/``p_w2``
    summaries and observed ``w1``/``w2``.  ``labels`` translates stream names, phases and states.
    """
    fig, axes = _figure(7.2, 2.1)
    axes.set_axis_off()
    for panel, phase in enumerate((1, 2)):
        x0 = panel * 0.52
        axes.text(x0, 0.98, labels[f"phase_short_{phase}"], fontsize=8.5, fontweight="bold", va="top")
        rows = [r for r in case["streams"] if r["phase"] == phase]
        for j, row in enumerate(rows):
            y = 0.72 - j * 0.27
            colour = STREAM_COLOURS[row["stream"]]
            axes.add_patch(_rect(x0, y - 0.06, 0.28, 0.12, "#eeeeee"))
            axes.add_patch(_rect(x0, y - 0.06, 0.28 * row["mean"], 0.12, colour, alpha=0.85))
            axes.plot([x0 + 0.28 * row["q05"], x0 + 0.28 * row["q95"]], [y - 0.09, y - 0.09], color="#333333",
                      linewidth=1.0)
            axes.text(x0 + 0.005, y, f"{labels['stream_' + row['stream']]} {row['mean']:.0%}", fontsize=7,
                      va="center", color="black")
            if row["observed"] is not None:
                axes.plot([x0 - 0.02], [y], "o", markersize=5, color="black",
                          markerfacecolor="black" if row["observed"] == 1 else "white")
            axes.plot([x0 + 0.29, x0 + 0.36], [y, 0.45], color=colour, linewidth=1.0)
        observed = case[f"w{phase}"]
        state = labels["observed_unknown"] if observed is None else labels["observed_open" if observed else "observed_closed"]
        p = case[f"p_w{phase}"]
        axes.add_patch(_rect(x0 + 0.36, 0.27, 0.13, 0.36, "#d5f5e3" if observed == 1 else "#fdfefe", edge="#333333"))
        axes.text(x0 + 0.425, 0.45, f"{state}\nP={p['mean']:.0%}\n({p['q05']:.0%}-{p['q95']:.0%})", fontsize=7,
                  ha="center", va="center")
    axes.set_xlim(-0.04, 1.02)
    axes.set_ylim(0.0, 1.0)
    return _svg(fig)


def _rect(x, y, w, h, colour, alpha=1.0, edge=None):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, alpha=alpha, edgecolor=edge or "none", linewidth=0.8)
