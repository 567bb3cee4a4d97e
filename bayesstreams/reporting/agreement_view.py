"""Report data for the agreement between respondents: Krippendorff's alpha per factor and overall.

Nothing is computed here: the numbers come from :func:`bayesstreams.data.agreement.agreement`;
this module pairs each factor's nominal and ordinal rows, labels the factor in the report's
language and turns each status into a kind (``ok``, ``few``, ``one``, ``same``) the templates translate.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.data.agreement import (LEVELS, MIN_UNITS, OVERALL, STATUS_FEW, STATUS_OK, STATUS_ONE, STATUS_SAME,
                                         agreement)

# each status of data.agreement as the suffix of its translation key
STATUS_KINDS = {STATUS_OK: "ok", STATUS_FEW: "few", STATUS_ONE: "one", STATUS_SAME: "same"}


@dataclass
class AlphaCell:
    """Alpha and its bootstrap interval, named as the report's interval filters read them."""

    mean: float
    q05: float | None
    q95: float | None


@dataclass
class AgreementLine:
    """One factor (or every cell, ``factor == "overall"``): alpha at both levels, its units, its status."""

    factor: str
    label: str
    nominal: AlphaCell | None
    ordinal: AlphaCell | None
    n_units: int
    status_kind: str


@dataclass
class AgreementView:
    """Everything the report's agreement table shows; ``lines`` start with the overall line."""

    computable: bool
    lines: list[AgreementLine]
    n_cells_several: int
    max_respondents: int
    resamples: int
    interval_pct: int
    seed: int
    min_units: int = MIN_UNITS


def _cell(row) -> AlphaCell | None:
    return None if row.alpha is None else AlphaCell(row.alpha, row.low, row.high)


def agreement_view(dataset, lang: str, result=None) -> AgreementView:
    """The agreement table of ``dataset``; ``result`` is its :class:`~bayesstreams.data.agreement.Agreement` if computed."""
    result = result or agreement(dataset)
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors} | {OVERALL: OVERALL}  # the template words it
    lines = []
    for factor in (OVERALL, *dataset.factor_ids):
        nominal, ordinal = (result.row(factor, level) for level in LEVELS)
        lines.append(AgreementLine(factor, labels[factor], _cell(nominal), _cell(ordinal), nominal.n_units,
                                   STATUS_KINDS[nominal.status]))
    return AgreementView(result.several_respondents, lines, result.n_cells_several, result.max_respondents,
                         result.resamples, round(100 * result.interval), result.seed)
