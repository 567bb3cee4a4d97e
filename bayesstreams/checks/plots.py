"""Figures of the checks.  Plotting computes nothing: each function draws a table it is given.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, no display needed)
and returned; the caller saves them.
"""

from __future__ import annotations

import math

PANEL_INCHES = (2.4, 1.8)


def sbc_ecdf_figure(table, title: str, columns: int = 6):
    """ECDF-difference panels, one per quantity of ``table`` (rows of :func:`sbc_stats.ecdf_table`).

    Each panel shows the ECDF of the fractional ranks minus the uniform CDF (line) inside
    the simultaneous band (shaded); a line leaving the band is drawn red.
    """
    from matplotlib.figure import Figure

    quantities = list(dict.fromkeys(table["quantity"]))
    columns = min(columns, len(quantities))
    rows = math.ceil(len(quantities) / columns)
    width = max(PANEL_INCHES[0] * columns, 4.8)
    figure = Figure(figsize=(width, PANEL_INCHES[1] * rows + 0.8), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for ax, quantity in zip(axes.ravel(), quantities):
        part = table[table["quantity"] == quantity]
        ax.fill_between(part["x"], part["lower"], part["upper"], color="0.85", step="post", linewidth=0)
        colour = "tab:red" if part["outside"].any() else "tab:blue"
        ax.step(part["x"], part["ecdf_diff"], where="post", color=colour, linewidth=1.2)
        ax.axhline(0.0, color="0.5", linewidth=0.6)
        ax.set_title(quantity, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(quantities):]:
        ax.set_visible(False)
    figure.suptitle(title, fontsize=10)
    figure.supxlabel("fractional rank of the truth (grey: simultaneous 95% band under uniformity)", fontsize=8)
    figure.supylabel("ECDF - uniform", fontsize=8)
    return figure


def sbc_figures(table, label: str = "") -> dict[str, object]:
    """One ECDF-difference figure per parameter (file stem -> Figure)."""
    out = {}
    for parameter in dict.fromkeys(table["parameter"]):
        title = f"SBC {label}: {parameter}" if label else f"SBC: {parameter}"
        out[f"ecdf_{parameter}"] = sbc_ecdf_figure(table[table["parameter"] == parameter], title)
    return out


def voi_figure(summary, title: str):
    """Predicted against realised mean reduction of the 90% interval, one point per candidate role and query.

    ``summary`` holds the rows of :func:`bayesstreams.checks.voi_validation.summarise`; the bars are two
    standard errors of the realised mean; points on the diagonal are predictions that came true.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.6, 3.6), layout="constrained")
    ax = figure.subplots()
    markers = {query: "osD^v<>p"[j % 8] for j, query in enumerate(dict.fromkeys(summary["query"]))}
    roles = list(dict.fromkeys(summary["role"]))
    colours = {role: f"C{j % 10}" for j, role in enumerate(roles)}
    for _, row in summary.iterrows():
        ax.errorbar(row["predicted"], row["realised"], yerr=2 * row["realised_se"], fmt=markers[row["query"]],
                    color=colours[row["role"]], markersize=5, capsize=2, linewidth=0.8)
    low = min(summary["predicted"].min(), (summary["realised"] - 2 * summary["realised_se"]).min(), 0.0)
    high = max(summary["predicted"].max(), (summary["realised"] + 2 * summary["realised_se"]).max())
    ax.plot([low, high], [low, high], color="0.5", linewidth=0.6)
    for role, colour in colours.items():
        ax.plot([], [], "s", color=colour, label=role)
    for query, marker in markers.items():
        ax.plot([], [], marker, color="0.3", fillstyle="none", label=query)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.set_xlabel("predicted mean reduction of the 90% interval width", fontsize=8)
    ax.set_ylabel("realised mean (refit), +- 2 s.e.", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    return figure
