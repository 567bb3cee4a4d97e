"""A plain-text summary of a validated dataset (what ``bayesstreams validate`` prints)."""

from __future__ import annotations

import numpy as np

from bayesstreams.data.agreement import MIN_UNITS, OVERALL, STATUS_OK, agreement
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.raw_view import phase2_given_phase1, window_crosstab
from bayesstreams.data.support import support_arrays


def _fmt_window(values: np.ndarray) -> str:
    opened = int(np.sum(values == 1))
    closed = int(np.sum(values == 0))
    unknown = int(np.sum(np.isnan(values)))
    return f"{opened} open, {closed} closed, {unknown} unknown"


def describe_dataset(dataset) -> list[str]:
    """Lines summarising cases, factors per phase x stream, missing codes, streams and windows."""
    lines = [f"dataset {dataset.name}: {dataset.n_cases} cases, {len(dataset.factor_ids)} factors "
             f"(hash {dataset.content_hash()[:12]})", ""]
    lines.append("factors per phase x stream:")
    lines.append("  phase  " + "".join(f"{s:>10}" for s in STREAMS))
    for p_index, phase in enumerate(PHASES):
        counts = [int(np.sum((dataset.factor_phase == p_index) & (dataset.factor_stream == s_index)))
                  for s_index in range(len(STREAMS))]
        lines.append(f"  {phase:>5}  " + "".join(f"{c:>10}" for c in counts))
    lines.append("")
    lines.append("per case: codes +1/0/-1, not discussed, windows w1 w2, observed streams")
    missing = dataset.n_not_discussed
    for i, case_id in enumerate(dataset.case_ids):
        row = dataset.x[i]
        plus, zero, minus = (int(np.sum(row == v)) for v in (1, 0, -1))
        w = ["?" if np.isnan(v) else str(int(v)) for v in dataset.w[i]]
        observed = int(np.sum(~np.isnan(dataset.s[i])))
        lines.append(f"  {case_id:<12} {plus:>3}/{zero:>2}/{minus:>2}   not discussed {int(missing[i]):>3}   "
                     f"w1 {w[0]}  w2 {w[1]}   streams observed {observed}/6")
    lines.append("")
    for p_index, phase in enumerate(PHASES):
        lines.append(f"phase-{phase} windows: {_fmt_window(dataset.w[:, p_index])}")
    for p_index, phase in enumerate(PHASES):
        parts = []
        for s_index, stream in enumerate(STREAMS):
            states = dataset.s[:, p_index, s_index]
            parts.append(f"{stream} {int(np.sum(states == 1))} in motion / {int(np.sum(states == 0))} not")
        lines.append(f"phase-{phase} streams observed: " + "; ".join(parts))
    total = dataset.x.size
    lines.append(f"not-discussed cells: {int(np.isnan(dataset.x).sum())} of {total} "
                 f"(set to 0 by the model, counted in every report)")
    claims = getattr(dataset, "claims", ())
    if claims:  # the source study's conclusions the report will set against the model
        lines.append(f"claims of the source study (claims.toml): {len(claims)}: " + ", ".join(c.id for c in claims))
    return lines + [""] + raw_lines(dataset) + [""] + support_lines(dataset) + [""] + agreement_lines(dataset)


def raw_lines(dataset) -> list[str]:
    """The raw W1 x W2 count a reviewer checks first: how many cases with (without) W1 reached W2."""
    split = phase2_given_phase1(window_crosstab(dataset))
    (hit, of), (hit_without, of_without) = split["with"], split["without"]
    return [f"raw: {hit} of {of} cases with a phase-1 window reached phase 2, "
            f"{hit_without} of {of_without} without"]


def support_lines(dataset) -> list[str]:
    """Data support per factor: raw code counts and the label (data / no data: prior only / separating)."""
    support = support_arrays(dataset)
    width = max(len(f) for f in dataset.factor_ids) if dataset.factor_ids else 6
    lines = ["data support per factor (codes -1/0/+1/not discussed; not discussed read as 0):"]
    for k, factor in enumerate(dataset.factor_ids):
        minus, zero, plus, nd = (int(v) for v in support.counts[k])
        lines.append(f"  {factor:<{width}}  {minus:>2}/{zero:>2}/{plus:>2}/{nd:>2}   {support.labels[k]}")
    return lines


def agreement_lines(dataset, result=None) -> list[str]:
    """Krippendorff's alpha between respondents per factor and overall; one line when no cell has two codes."""
    result = result or agreement(dataset)
    if not result.several_respondents:
        return ["agreement between respondents: not computable: at most one respondent per cell "
                "(several respondents need a 'respondent' column in the long codes, docs/DATA.md)"]
    width = max(len(f) for f in (*dataset.factor_ids, OVERALL))
    lines = [f"agreement between respondents (Krippendorff's alpha; {result.n_cells_several} cells coded by 2 or more, "
             f"at most {result.max_respondents}; {round(100 * result.interval)}% interval from {result.resamples} "
             f"bootstrap resamples of the cases, seed {result.seed}):",
             f"  {'factor':<{width}}  {'nominal':>22}  {'ordinal':>22}  units"]
    for factor in (OVERALL, *dataset.factor_ids):
        nominal, ordinal = result.row(factor, "nominal"), result.row(factor, "ordinal")
        if nominal.alpha is None:
            lines.append(f"  {factor:<{width}}  {nominal.status} ({nominal.n_units} units)")
            continue
        note = "" if nominal.status == STATUS_OK else f"   {nominal.status} (fewer than {MIN_UNITS} units)"
        lines.append(f"  {factor:<{width}}  {_alpha_text(nominal):>22}  {_alpha_text(ordinal):>22}  "
                     f"{nominal.n_units:>5}{note}")
    lines.append("  units: cases coded by 2 or more respondents (overall: cells); an empty code is missing, not 0")
    return lines


def _alpha_text(row) -> str:
    if row.alpha is None:
        return row.status
    interval = "" if row.low is None else f" [{row.low:.2f}, {row.high:.2f}]"
    return f"{row.alpha:.2f}{interval}"
