"""The report's view of "what if not discussed means ...": the modes side by side, and each case's not-discussed range.

Nothing statistical is computed here: the numbers come from
:mod:`bayesstreams.analysis.mode_comparison` (:func:`~bayesstreams.analysis.mode_comparison.mode_comparison`
and :func:`~bayesstreams.analysis.mode_comparison.not_discussed_reliance`); this module selects
the headline rows, labels them and orders them for the report, the brief and ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.model.modes import MODES
from bayesstreams.reporting.view import _num


@dataclass
class ModeCell:
    """One number under one mode: mean and 90% interval, or a claim's verdict."""

    mode: str
    mean: float | None
    q05: float | None = None
    q95: float | None = None
    verdict: str | None = None


@dataclass
class ModeLine:
    """One headline number under every mode; ``depends`` when the reading of not discussed moves it."""

    name: str
    index: str
    label: str
    cells: list[ModeCell]
    depends: bool


@dataclass
class ModesView:
    """The section "what if not discussed means ...": the mode in force, the modes compared, the rows shown."""

    in_force: str
    modes: list[str]
    n_not_discussed: int
    n_cells: int
    n_depends: int
    n_total: int
    rows: list[ModeLine] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        """Whether any other mode was fitted (else the section explains the modes and names the one in force)."""
        return len(self.modes) > 1


@dataclass
class CaseNotDiscussed:
    """One window of one case: how many cells its chance reads were not discussed, and the chance's range over them."""

    window: str
    n: int
    low: float
    high: float
    rests: bool


def _line(row, label: str, modes: list[str]) -> ModeLine:
    cells = [ModeCell(m, _num(row.means.get(m)), _num(row.q05.get(m)), _num(row.q95.get(m)), row.verdicts.get(m))
             for m in modes]
    return ModeLine(row.name, row.index, label, cells, bool(row.depends))


def modes_view(comparison, in_force: str, codes, highlights: dict, words: dict, claims: list) -> ModesView:
    """The rows the report shows from a :class:`~bayesstreams.analysis.mode_comparison.ModeComparison` (or None).

    Shown: the phase dependency, the ACE and ``P(rank 1)`` of the headline factors of each window
    (``highlights``: window -> factor ids, the report's own), each claim's verdict (``claims``: the
    report's :class:`~bayesstreams.reporting.evidence.ClaimView` list, for their text), and every
    case's ``P(W1)`` and ``P(W2)``.  ``words`` names factors and cases (report.index_words).
    """
    if comparison is None:
        return ModesView(in_force, [in_force], codes.n_not_discussed, codes.n_cells, 0, 0)
    modes = [m for m in MODES if m in comparison.modes]
    texts = {c.claim_id: c.text for c in claims}
    wanted = [("dependency_effect", "", "")]
    for window in ("W1", "W2"):
        for factor in highlights.get(window, []):
            wanted.append((f"ace_step_{window.lower()}", factor, words.get(factor, factor)))
            wanted.append((f"p_rank1_{window.lower()}", factor, words.get(factor, factor)))
    wanted += [("claim", c, texts.get(c, c)) for c in texts]
    for name in ("p_w1", "p_w2"):
        wanted += [(name, r.index, words.get(r.index, r.index)) for r in comparison.rows if r.name == name]
    rows = [_line(comparison.row(name, index), label, modes) for name, index, label in wanted
            if comparison.row(name, index) is not None]
    return ModesView(comparison.in_force, modes, codes.n_not_discussed, codes.n_cells, sum(r.depends for r in rows),
                     len(rows), rows)


def case_not_discussed(reliance: list, case_id: str) -> list[CaseNotDiscussed]:
    """The rows of :func:`~bayesstreams.analysis.mode_comparison.not_discussed_reliance` of one case, W1 then W2."""
    return [CaseNotDiscussed(r.window, r.n_not_discussed, r.low, r.high, r.rests) for r in reliance
            if r.case_id == case_id]
