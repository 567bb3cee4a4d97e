"""The report's shared view pieces: the missing-number rule, intervals and the view types every view module uses.

A leaf of ``reporting/``: the view modules (:mod:`~bayesstreams.reporting.codes_view`,
:mod:`~bayesstreams.reporting.effects_view`, :mod:`~bayesstreams.reporting.cases_view`,
:mod:`~bayesstreams.reporting.run_view`, :mod:`~bayesstreams.reporting.evidence`,
:mod:`~bayesstreams.reporting.modes_view`, :mod:`~bayesstreams.reporting.support_view`), the
workbook and the brief import from here, and this module imports none of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.reporting.i18n import translator

SUMMARY = ("mean", "q05", "q25", "q75", "q95")


def _num(value) -> float | None:
    """A float, or None for missing (NaN/None): what JSON and the templates read as "not available"."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


@dataclass
class Interval:
    """Posterior mean and the bounds of the 50% (q25-q75) and 90% (q05-q95) intervals."""

    mean: float | None
    q05: float | None
    q25: float | None
    q75: float | None
    q95: float | None

    @classmethod
    def of(cls, row) -> Interval:
        """From a query-table row (or dict) holding the summary columns."""
        return cls(*(_num(row[k]) for k in SUMMARY))


@dataclass
class Highlight:
    """A factor among the strongest for a window: posterior-mean ACE of the ranking's common ``step``, rank probabilities.

    Built by :func:`bayesstreams.reporting.support_view.ranked_highlights`.
    """

    factor: str
    label: str
    ace: Interval
    prior_driven: bool
    step: str = "-1 -> +1"
    p_rank1: float | None = None
    p_top3: float | None = None
    support_kind: str = "data"
    extrapolated: bool = False  # the step's start or end code was never coded for the factor


@dataclass
class StreamState:
    """A stream of a case: the posterior probability ``q`` that it is in motion, and its coded state."""

    phase: int
    stream: str
    q: Interval
    observed: float | None
    bottleneck: bool


@dataclass
class WindowChance:
    """A window of a case: its predicted probability (from the codes only) and its observed state."""

    phase: int
    p: Interval
    observed: float | None
    prior_driven: bool


def index_words(dataset, lang: str) -> dict[str, str]:
    """Reader's words for the parts of a contraction index: phases, streams, factor labels, case names."""
    t = translator(lang)
    names = dict(zip(dataset.case_ids, (n or c for n, c in zip(dataset.case_column("name"), dataset.case_ids))))
    return {**{str(p): t(f"phase_short_{p}") for p in PHASES}, **{s: t(f"stream_title_{s}") for s in STREAMS},
            **{f.id: f.label(lang) for f in dataset.codebook.factors}, **names}
