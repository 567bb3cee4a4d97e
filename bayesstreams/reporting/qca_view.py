"""The report's set-theoretic section (QCA, MODEL.md §11): per window the truth table of its streams and the
necessity table, classical beside posterior, and the sentences where the model and the set-theoretic reading part.

Nothing is computed here: the numbers are those of
:func:`bayesstreams.analysis.qca.posterior.posterior_qca` (which carries the classical result);
this module labels them in the report's language and words the readings from the i18n table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bayesstreams.reporting import numbers
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.view import _num

MEASURES = ("inclN", "RoN", "covN")


@dataclass
class Span:
    """Posterior mean and 90% interval of a set-theoretic measure (a proportion in [0, 1])."""

    mean: float | None
    q05: float | None
    q95: float | None


@dataclass
class TruthRow:
    """One configuration of a window's streams: the classical row beside its posterior."""

    row: int
    states: list[int]
    classical_out: str
    classical_n: int
    cases: str
    p_observed: float
    n_mean: float
    incl: Span
    p_in_solution: float


@dataclass
class NecessityRow:
    """One condition (or its negation): classical inclN with the cases that could refute it, and the posterior."""

    condition: str
    label: str
    classical_inclN: float | None
    classical_n_outcome: int
    inclN: Span
    RoN: Span
    covN: Span
    p_necessary: float


@dataclass
class QCAWindow:
    """The set-theoretic reading of one window."""

    outcome: str
    phase: int
    streams: list[str]
    truth: list[TruthRow]
    necessity: list[NecessityRow]
    solutions: list[dict]
    readings: list[str]


@dataclass
class QCAView:
    """Everything the QCA section shows, for every window."""

    windows: list[QCAWindow] = field(default_factory=list)
    n_draws: int = 0
    incl_cut: float = 0.8
    nec_cut: float = 0.9
    mode: str = "zero"


def _span(row: dict, measure: str) -> Span:
    return Span(_num(row[f"{measure}_mean"]), _num(row[f"{measure}_q05"]), _num(row[f"{measure}_q95"]))


def condition_label(name: str, t) -> str:
    """``~policy_2`` -> ``~policy`` in the report's language; ``w1`` -> the phase-1 window."""
    negated, bare = name.startswith("~"), name.lstrip("~")
    if bare[:1] == "w" and bare[1:].isdigit():
        text = t("qca_window").format(phase=bare[1:])
    else:
        stream = bare.rsplit("_", 1)[0]
        text = t(f"stream_{stream}") if t.has(f"stream_{stream}") else bare
    return ("~" if negated else "") + text


def expression_label(expression: str, t) -> str:
    """A QCA expression with each condition in the report's words: ``problem_2*~policy_2`` -> ``probleem*~beleid``."""
    if expression == "(none)":
        return t("qca_no_solution")
    return re.sub(r"[A-Za-z][A-Za-z0-9_]*", lambda m: condition_label(m.group(0), t), expression)


def reading_text(reading: dict, t, lang: str) -> str:
    """One reading in words: ``qca_reading_<key>`` of the i18n table, its numbers in the language's style."""
    def f3(x):
        return numbers.fixed(x, 3, lang)

    values = {k: v for k, v in reading.items() if k != "key"}
    for name in ("condition", "outcome"):
        if name in values:
            values[name] = condition_label(values[name], t)
    for name in ("classical", "rho_mean", "rho_q05", "rho_q95", "rho_prior_mean", "rho_prior_q05", "rho_prior_q95"):
        if name in values:
            values[name] = f3(values[name])
    for name in ("p", "p_all_cases", "p_none_could_refute"):
        if name in values:
            values[name] = numbers.pct(values[name], lang)
    if "could_refute_mean" in values:
        values["could_refute_mean"] = numbers.fixed(values["could_refute_mean"], 2, lang)
    for name in ("n_outcome", "n_closed"):
        if name in values:
            values[name] = numbers.fixed(values[name], 0, lang)
    for name in ("term", "expression"):
        if name in values:
            values[name] = expression_label(values[name], t)
    if "solution" in values:
        values["solution"] = t(f"qca_solution_{values['solution']}")
    if "cut" in values:
        values["cut"] = numbers.plain(values["cut"], lang)
    text = t(f"qca_reading_{reading['key']}").format(**values)
    if reading["key"].startswith("necessity_") and "rho_prior_mean" in reading:
        text += " " + t("qca_reading_rho_prior").format(**values)
    return text[:1].upper() + text[1:]


def qca_window(post, phase: int, lang: str) -> QCAWindow:
    """One window's section from its :class:`~bayesstreams.analysis.qca.posterior.PosteriorQCA`."""
    t = translator(lang)
    streams = [condition_label(c, t) for c in post.conditions]
    truth = [TruthRow(int(r["row"]), [int(r[c]) for c in post.conditions], str(r["classical_OUT"]),
                      int(r["classical_n"]), _cases(post.classical, int(r["row"])), float(r["p_observed"]),
                      float(r["n_mean"]), _span(r, "incl"), float(r["p_in_solution"]))
             for r in post.truth_table.to_dict("records")]
    necessity = [NecessityRow(r["condition"], condition_label(r["condition"], t), _num(r["classical_inclN"]),
                              int(r["classical_n_outcome"]), _span(r, "inclN"), _span(r, "RoN"), _span(r, "covN"),
                              float(r["p_necessary"]))
                 for r in post.necessity.to_dict("records")]
    solutions = [{"solution": r["solution"], "expression": expression_label(r["expression"], t), "probability": float(r["probability"]),
                  "classical": bool(r["classical"])} for r in post.solutions.to_dict("records")]
    readings = [reading_text(r, t, lang) for r in post.readings]
    return QCAWindow(post.outcome, phase, streams, truth, necessity, solutions, readings)


def _cases(classical, row: int) -> str:
    found = classical.truth_table[classical.truth_table["row"] == row]
    return str(found["cases"].iloc[0]) if len(found) else ""


def qca_view(posteriors: list, lang: str) -> QCAView | None:
    """The section of the posterior QCA of each window (None when the run has no streams, e.g. additive)."""
    if not posteriors:
        return None
    first = posteriors[0]
    windows = [qca_window(post, int(post.outcome[1:]), lang) for post in posteriors]
    return QCAView(windows, int(first.settings["n_draws"]), float(first.settings["incl_cut"][0]),
                   float(first.settings["nec_cut"]), str(first.settings["evidence"]["not_discussed"]))


def qca_sheets(view: QCAView | None, t) -> dict[str, tuple[list[str], list[list]]]:
    """The section's tables for the report's workbook, two per window: sheet title -> (column heads, rows)."""
    if view is None:
        return {}
    spans = [t("col_mean"), t("col_q05"), t("col_q95")]
    tables = {}
    for w in view.windows:
        head = [t("qca_col_row"), *w.streams, t("qca_col_classical"), t("qca_col_cases"), t("qca_col_p_observed"),
                t("qca_col_n_mean"), *(f"{t('qca_col_incl')} · {s}" for s in spans), t("qca_col_p_solution")]
        rows = [[r.row, *r.states, r.classical_out, r.classical_n, r.cases, r.p_observed, r.n_mean, r.incl.mean,
                 r.incl.q05, r.incl.q95, r.p_in_solution] for r in w.truth]
        tables[t("qca_sheet_truth").format(phase=w.phase)] = (head, rows)
        head = [t("qca_col_condition"), t("qca_col_classical_incl_n"), t("qca_col_n_outcome"),
                *(f"{t(key)} · {s}" for key in ("qca_col_incl_n", "qca_col_ron", "qca_col_cov_n") for s in spans),
                t("qca_col_p_necessary")]
        rows = [[r.label, r.classical_inclN, r.classical_n_outcome,
                 *(getattr(getattr(r, m), k) for m in ("inclN", "RoN", "covN") for k in ("mean", "q05", "q95")),
                 r.p_necessary] for r in w.necessity]
        tables[t("qca_sheet_necessity").format(phase=w.phase)] = (head, rows)
    return tables
