"""Agreement between the respondents (or coders) of a cell: Krippendorff's alpha per factor and overall.

The **units** of a factor are its cases: the respondents who coded that factor in a case are the
coders of that unit.  The overall alpha pools every (case, factor) cell as a unit.  A respondent's
empty code (the cell was not discussed in that interview) is missing, not a value: it neither
agrees nor disagrees.  Codes are read at two levels of measurement: *nominal* (three categories)
and *ordinal* (``-1 < 0 < +1``).

Alpha is computed from the coincidence matrix (:mod:`bayesstreams.data.alpha`, Krippendorff 2011)
of each unit's value counts (how many respondents gave ``-1``, ``0``, ``+1``), which is all alpha reads: who said what within a case
does not enter, so respondents need not be the same people across cases.  Only units coded by two
or more respondents (*pairable* units) carry information; a factor without one has no alpha
("not computable: at most one respondent per cell"), and one whose paired codes are all the same
has none either (observed and expected disagreement are both 0).  With fewer than
:data:`MIN_UNITS` pairable units alpha is shown but flagged "too few cells to tell".

The interval is a percentile bootstrap over **cases** (the units; Hayes and Krippendorff's bootstrap
resamples pairable values instead): each resample draws the cases with replacement, the same draws
for every factor and for the overall alpha, with a fixed seed, so the interval is reproducible.
Resamples in which alpha is undefined (no pairable unit drawn, or no variation among the paired
codes) are left out and counted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from bayesstreams.data.alpha import alpha_from_coincidences, coincidences

CODES = (-1.0, 0.0, 1.0)
LEVELS = ("nominal", "ordinal")
OVERALL = "overall"
MIN_UNITS = 5
RESAMPLES = 1000
INTERVAL = 0.9
SEED = 20200601

STATUS_OK = "ok"
STATUS_FEW = "too few cells to tell"
STATUS_ONE = "not computable: at most one respondent per cell"
STATUS_SAME = "not computable: every paired code is the same"
STATUSES = (STATUS_OK, STATUS_FEW, STATUS_ONE, STATUS_SAME)


@dataclass(frozen=True)
class AgreementRow:
    """Alpha of one factor (or ``"overall"``) at one level of measurement.

    Attributes
    ----------
    factor : a factor id, or ``"overall"`` (every cell a unit).
    level : ``"nominal"`` or ``"ordinal"``.
    alpha : Krippendorff's alpha; None where it is not computable.
    low, high : the bootstrap interval; None where alpha is not computable.
    n_units : pairable units: cases (cells, overall) coded by two or more respondents.
    n_codes : the codes in those units, the pairable values.
    resamples_defined : bootstrap resamples in which alpha is defined (the interval rests on these).
    status : one of :data:`STATUSES`.
    """

    factor: str
    level: str
    alpha: float | None
    low: float | None
    high: float | None
    n_units: int
    n_codes: int
    resamples_defined: int
    status: str


@dataclass(frozen=True)
class Agreement:
    """Krippendorff's alpha of a dataset's respondents: one row per factor and level, then the overall rows.

    Attributes
    ----------
    rows : per factor in codebook order (nominal, then ordinal), then ``"overall"``.
    max_respondents : the most codes any one cell has.
    n_cells_several : cells coded by two or more respondents.
    resamples, interval, seed : the bootstrap's settings.
    """

    rows: tuple[AgreementRow, ...]
    max_respondents: int
    n_cells_several: int
    resamples: int
    interval: float
    seed: int

    @property
    def several_respondents(self) -> bool:
        """Whether any cell was coded by two or more respondents (else no alpha exists)."""
        return self.n_cells_several > 0

    def row(self, factor: str, level: str) -> AgreementRow:
        """The row of ``factor`` (or ``"overall"``) at ``level``."""
        return next(r for r in self.rows if r.factor == factor and r.level == level)

    def frame(self):
        """The rows as a tidy pandas DataFrame (NaN where alpha is not computable)."""
        import pandas as pd

        return pd.DataFrame.from_records([asdict(r) for r in self.rows]).astype({"alpha": float, "low": float,
                                                                                  "high": float})

    def to_dict(self) -> dict:
        """JSON-ready: the settings and every row (None where alpha is not computable)."""
        return {"resamples": self.resamples, "interval": self.interval, "seed": self.seed,
                "bootstrap_units": "cases", "min_units": MIN_UNITS, "max_respondents": self.max_respondents,
                "n_cells_several": self.n_cells_several, "rows": [asdict(r) for r in self.rows]}


def value_counts(dataset) -> np.ndarray:
    """(case, factor, 3) how many respondents coded ``-1``, ``0``, ``+1``; an empty code counts nowhere."""
    case_pos = {c: i for i, c in enumerate(dataset.case_ids)}
    factor_pos = {f: k for k, f in enumerate(dataset.factor_ids)}
    counts = np.zeros((dataset.n_cases, len(factor_pos), len(CODES)), dtype=int)
    for record in dataset.codes:
        code = float(record["code"])
        if code == code:  # NaN: this respondent did not discuss the cell
            counts[case_pos[record["case_id"]], factor_pos[record["factor"]], CODES.index(code)] += 1
    return counts


def _alpha(units: np.ndarray, level: str) -> float | None:
    """Alpha of ``units`` (unit, 3) value counts; None where undefined (no pairable unit, or no variation)."""
    value = float(alpha_from_coincidences(coincidences(units), CODES, level))
    return None if np.isnan(value) else value


def unit_coincidences(units: np.ndarray) -> np.ndarray:
    """(..., 3, 3) each unit's coincidences: ordered pairs of its codes by value, over (codes - 1); 0 if unpaired.

    Alpha reads the data only through their sum over units (Krippendorff's coincidence matrix).
    """
    return coincidences(np.asarray(units)[..., None, :])


def resampled_alpha(coincidences: np.ndarray, weights: np.ndarray, level: str) -> np.ndarray:
    """(resample,) alpha of every resample at once; NaN where undefined.

    ``coincidences`` (case, 3, 3) are each case's summed unit coincidences, ``weights``
    (resample, case) how often each case was drawn: a resample's coincidence matrix is their
    weighted sum, so all resamples share one matrix product (one alpha computation per resample
    and row took 9.4 s for 40 cases, 23 factors and 1000 resamples, this 0.23 s).
    ``tests/test_agreement.py`` holds it equal to alpha of the resampled units on every resample.
    """
    return alpha_from_coincidences(np.einsum("bi,ijk->bjk", weights, coincidences), CODES, level)


def _row(factor: str, level: str, units: np.ndarray, weights: np.ndarray, interval: float) -> AgreementRow:
    """One row: ``units`` (case, unit, 3) value counts and the bootstrap's ``weights`` (resample, case)."""
    flat = units.reshape(-1, len(CODES))
    paired = flat[flat.sum(axis=1) >= 2]
    n_units, n_codes = len(paired), int(paired.sum())
    value = _alpha(flat, level)
    if value is None:
        status = STATUS_ONE if n_units == 0 else STATUS_SAME
        return AgreementRow(factor, level, None, None, None, n_units, n_codes, 0, status)
    found = resampled_alpha(unit_coincidences(units).sum(axis=1), weights, level)
    found = found[~np.isnan(found)]
    low = high = None
    if found.size:
        low, high = (float(q) for q in np.quantile(found, [(1 - interval) / 2, (1 + interval) / 2]))
    status = STATUS_FEW if n_units < MIN_UNITS else STATUS_OK
    return AgreementRow(factor, level, value, low, high, n_units, n_codes, int(found.size), status)


def bootstrap_weights(n_cases: int, resamples: int, seed: int) -> np.ndarray:
    """(resample, case) how often each case is drawn when ``n_cases`` are drawn with replacement."""
    if resamples == 0:  # one respondent per cell: no interval, and validate need not import numpy.random
        return np.zeros((0, n_cases), dtype=int)
    drawn = np.random.default_rng(seed).integers(0, n_cases, size=(resamples, n_cases))
    offsets = np.arange(resamples)[:, None] * n_cases
    return np.bincount((drawn + offsets).ravel(), minlength=resamples * n_cases).reshape(resamples, n_cases)


def agreement(dataset, resamples: int = RESAMPLES, seed: int = SEED, interval: float = INTERVAL) -> Agreement:
    r"""Krippendorff's alpha between the respondents of each cell, per factor and overall, nominal and ordinal.

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset`; several respondents per cell come from the
        ``respondent`` column of its long codes (docs/DATA.md).
    resamples
        Bootstrap resamples of the cases for the interval.
    seed
        Seed of the bootstrap: the same seed gives the same interval.
    interval
        Mass of the percentile interval (0.9: the 5% and 95% quantiles).

    Returns
    -------
    Agreement
        One :class:`AgreementRow` per factor and level and the overall rows; ``.frame()`` is the table.

    Examples
    --------
    The shipped study has one respondent per cell, so no alpha exists:

    >>> from bayesstreams.data.dataset import load_dataset
    >>> ds = load_dataset("data/trafficking_nl_2020")
    >>> result = agreement(ds)
    >>> result.several_respondents, result.row("overall", "nominal").status
    (False, 'not computable: at most one respondent per cell')

    Three respondents per cell who report the true code agree perfectly:

    >>> from bayesstreams.model.simulate import simulate_to_folder
    >>> same = load_dataset(simulate_to_folder(tmp / "same", 40, seed=3, respondents=3))
    >>> agreement(same, resamples=100).row("overall", "nominal").alpha
    1.0

    Three who report through the evidence model's confusion matrix (MODEL.md §7) do not:

    >>> from bayesstreams.model.config import config_from_text
    >>> latent = config_from_text('kind = "streams"\nnot_discussed = "marginal"\nrespondents = "latent"\n')
    >>> noisy = load_dataset(simulate_to_folder(tmp / "noisy", 40, seed=3, config=latent, respondents=3))
    >>> result = agreement(noisy, resamples=200)
    >>> row = result.row("overall", "ordinal")
    >>> row.status, row.n_units, 0 < row.low <= row.alpha <= row.high < 1
    ('ok', 920, True)
    >>> result.frame().columns.tolist()[:5]
    ['factor', 'level', 'alpha', 'low', 'high']
    """
    counts = value_counts(dataset)
    several = int((counts.sum(axis=2) >= 2).sum())
    weights = bootstrap_weights(counts.shape[0], resamples if several else 0, seed)
    rows = []
    for k, factor in enumerate(dataset.factor_ids):
        rows += [_row(factor, level, counts[:, k:k + 1], weights, interval) for level in LEVELS]
    rows += [_row(OVERALL, level, counts, weights, interval) for level in LEVELS]
    return Agreement(tuple(rows), int(counts.sum(axis=2).max(initial=0)), several, resamples, interval, seed)
