"""What if "not discussed" means something else? The headline numbers under each mode, and how much a case rests on its unknown cells.

Two questions about the cells nobody discussed (MODEL.md §7; 71 of 184 in the shipped study):

**Across the modes** (:func:`compare_modes`, :func:`mode_comparison`).  The same data fitted
under ``zero`` (not discussed = no role), ``marginal`` (unknown, like the discussed cells) and
``salience`` (unknown, and less likely discussed when it played no role) -- the comparison runs
of a Study (``study.modes``).  Every headline number (:data:`QUANTITIES`: the phase
dependency, each factor's ACE of its headline step, ``P(rank 1)``, per case ``P(W1)`` and
``P(W2)``, and each claim's verdict) is read from each run's own
:func:`~bayesstreams.analysis.prior_dependence.prior_dependence` rows, side by side.  A number
**depends on what not discussed means** when another mode moves its posterior mean by more than
half the width of its 90% interval under the mode in force (:data:`SHIFT_LIMIT`, the rule of
prior dependence, MODEL.md §8: a shift that size misleads a reader who takes the interval at its
word).  ``P(rank 1)`` has no interval: its row is flagged when a mode changes which factor is most
likely first; a claim's row when a mode changes its verdict.  Under the other modes the verdicts'
prior dependence is measured by power-scaling alone (their wide-prior refits are not fitted).

**Within one run** (:func:`not_discussed_reliance`).  Per case and window, the chance's range over
every completion of the case's not-discussed cells, with the run's posterior: per draw the least
and the most favourable completion (each cell at ``-/+ sign(beta_k)``, which is exact because a
window's chance rises with every ``beta_k x_k`` of its phase; the kinds' ``not_discussed_bounds``),
averaged over the draws.  The range ``[low, high]`` holds the posterior-mean chance of every
completion and the mode's own value; it is 0 for a case without not-discussed cells and for cells
whose factors have no effect.  A chance **rests on not-discussed cells** when ``high - low`` exceeds
half the width of its 90% interval (:data:`SHIFT_LIMIT` again).  NumPy on the saved draws; no refit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.claims import claim_verdicts
from bayesstreams.analysis.prior_dependence import prior_dependence
from bayesstreams.analysis.quantiles import column_quantiles
from bayesstreams.analysis.queries import baseline, run_baseline, windows
from bayesstreams.analysis.ranks import effect_ranks
from bayesstreams.errors import RunError
from bayesstreams.fast.registry import bound_windows, cell_sums, expected_q
from bayesstreams.model.kinds import kind_of_draws
from bayesstreams.model.modes import MODES, options_of_draws

SHIFT_LIMIT = 1.0  # shift / (half the 90% interval width) above which a number depends on the mode
QUANTITIES = ("dependency_effect", "dependency_necessity", "ace_step_w1", "ace_step_w2", "p_w1", "p_w2")
RANKS = ("p_rank1_w1", "p_rank1_w2")
CLAIM = "claim"
WINDOW_PHASES = {"W1": (0,), "W2": (0, 1)}  # the phases whose cells a window's chance reads


# ---------------------------------------------------------------------------- within one run


@dataclass
class Reliance:
    """How much one case's chance of one window rests on its not-discussed cells (see the module docstring)."""

    case_id: str
    window: str
    n_not_discussed: int
    n_phase1: int
    n_phase2: int
    mean: float
    q05: float
    q95: float
    low: float
    high: float
    rests: bool

    @property
    def width(self) -> float:
        return self.high - self.low


def reliance_rows(draws: dict, dataset, base=None) -> list[Reliance]:
    """:func:`not_discussed_reliance` from draws: one :class:`Reliance` per case and window, case-major."""
    x = np.asarray(dataset.x, dtype=float)
    base = base if base is not None else baseline(draws, dataset)
    now = windows(base)
    # the windows by the batch kernels where a batch being scored loaded them (the same bits), else in NumPy
    bounds = kind_of_draws(draws).not_discussed_bounds(
        draws, x, np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream),
        np.asarray(dataset.group, dtype=int), records=dataset, qt=expected_q, eta=base.eta, q=base.q, sums=cell_sums,
        windows=bound_windows())
    missing = np.isnan(x)
    phase = np.asarray(dataset.factor_phase)
    per_phase = np.stack([missing[:, phase == p].sum(axis=1) for p in (0, 1)], axis=1)
    rows = []
    # every case's summaries in one pass per quantity; the draws of a case made contiguous first, so that
    # each mean sums them in the order (and to the bits) of the case's own column read alone
    summary = {}
    for window, name, values in (("W1", "p_w1", now.p1), ("W2", "p_w2", now.p2)):  # Windows.p2: read once
        low, high = (np.ascontiguousarray(b.T).mean(axis=1) for b in bounds[name])
        q05, q95 = column_quantiles(values, [0.05, 0.95])
        summary[window] = (low, high, q05, q95, np.ascontiguousarray(values.T).mean(axis=1))
    for i, case in enumerate(dataset.case_ids):
        for window in ("W1", "W2"):
            low, high, q05, q95, mean = (float(v[i]) for v in summary[window])
            n = int(per_phase[i, list(WINDOW_PHASES[window])].sum())
            width, half = high - low, (q95 - q05) / 2.0
            rests = bool(width > SHIFT_LIMIT * half) if half > 0 else bool(width > 0)
            rows.append(Reliance(case, window, n, int(per_phase[i, 0]), int(per_phase[i, 1]),
                                 mean, q05, q95, low, high, rests))
    return rows


def not_discussed_reliance(run, dataset=None) -> list[Reliance]:
    """Per case and window: how much the predicted chance rests on the case's not-discussed cells.

    Parameters
    ----------
    run
        A loaded run, of any model kind and any not-discussed mode.
    dataset
        The cases (default: the run's; a scored profile for ``score``).

    Returns
    -------
    list of Reliance
        ``case_id, window, n_not_discussed`` (cells of the phases the window reads: phase 1 for W1,
        both for W2), ``n_phase1, n_phase2``, the mode's ``mean`` and 90% interval, ``low`` and
        ``high`` (the posterior-mean chance's range over every completion of those cells) and
        ``rests`` (``high - low`` over half the 90% interval width).

    Examples
    --------
    >>> rows = {(r.case_id, r.window): r for r in not_discussed_reliance(run)}
    >>> r = rows["g5", "W1"]                      # gemeente 5: 6 phase-1 factors not discussed
    >>> r.n_not_discussed, r.low <= r.mean <= r.high
    (6, True)
    >>> r.rests == (r.high - r.low > (r.q95 - r.q05) / 2)
    True
    """
    dataset = run.dataset if dataset is None else dataset
    base = run_baseline(run) if dataset is run.dataset else None
    return reliance_rows(run.posterior, dataset, base)


def reliance_frame(rows: list[Reliance]):
    """The rows of :func:`not_discussed_reliance` as a pandas DataFrame (with ``width``)."""
    import pandas as pd
    from dataclasses import asdict

    return pd.DataFrame.from_records([{**asdict(r), "width": r.width} for r in rows])


# ---------------------------------------------------------------------------- across the modes


@dataclass
class ModeRow:
    """One headline number under every mode: ``means``/``q05``/``q95`` (or ``verdicts``) keyed by mode."""

    name: str
    index: str
    means: dict
    q05: dict = field(default_factory=dict)
    q95: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    shift_ratio: float | None = None
    depends: bool = False


@dataclass
class ModeComparison:
    """The headline numbers under each not-discussed mode side by side; ``in_force`` is the report's own."""

    in_force: str
    modes: list[str]
    rows: list[ModeRow]

    def __post_init__(self):
        self._by_key = {(r.name, r.index): r for r in self.rows}

    def row(self, name: str, index: str = "") -> ModeRow | None:
        """The row of one number, or None."""
        return self._by_key.get((name, str(index)))

    def depends(self, name: str, index: str = "") -> bool:
        """True when the number depends on what not discussed means (False when not compared)."""
        row = self.row(name, index)
        return bool(row and row.depends)

    def count(self) -> tuple[int, int]:
        """How many rows depend on the mode, and how many rows there are."""
        return sum(r.depends for r in self.rows), len(self.rows)

    def frame(self):
        """One line per number and mode: ``name, index, mode, mean, q05, q95, verdict, in_force, depends``."""
        import pandas as pd

        return pd.DataFrame.from_records([
            {"name": r.name, "index": r.index, "mode": m, "mean": r.means.get(m), "q05": r.q05.get(m),
             "q95": r.q95.get(m), "verdict": r.verdicts.get(m), "in_force": m == self.in_force, "depends": r.depends}
            for r in self.rows for m in self.modes])


def interval_row(name: str, index: str, summaries: dict, in_force: str) -> ModeRow:
    """A number with an interval under each mode; ``summaries`` maps mode -> (mean, q05, q95) or None."""
    have = {m: s for m, s in summaries.items() if s is not None}
    means = {m: s[0] for m, s in have.items()}
    own = have.get(in_force)
    if own is None or len(have) < 2:
        return ModeRow(name, index, means, {m: s[1] for m, s in have.items()}, {m: s[2] for m, s in have.items()})
    half = (own[2] - own[1]) / 2.0
    shift = max(abs(s[0] - own[0]) for m, s in have.items() if m != in_force)
    ratio = shift / half if half > 0 else (float("inf") if shift > 0 else 0.0)
    return ModeRow(name, index, means, {m: s[1] for m, s in have.items()}, {m: s[2] for m, s in have.items()},
                   shift_ratio=float(ratio), depends=bool(ratio > SHIFT_LIMIT))


def rank_rows(name: str, p_rank1: dict) -> list[ModeRow]:
    """``P(rank 1)`` per factor under each mode (``p_rank1``: mode -> {factor: p}); flagged where the leader changes."""
    leaders = {m: max(p, key=p.get) for m, p in p_rank1.items() if p}
    changed = len(set(leaders.values())) > 1
    factors = list(dict.fromkeys(f for p in p_rank1.values() for f in p))
    return [ModeRow(name, f, {m: p.get(f) for m, p in p_rank1.items()},
                    depends=changed and f in leaders.values()) for f in factors]


def claim_rows(verdicts: dict) -> list[ModeRow]:
    """Each claim's verdict under each mode (``verdicts``: mode -> list of Verdict); flagged where they differ."""
    ids = list(dict.fromkeys(v.claim_id for found in verdicts.values() for v in found))
    out = []
    for claim in ids:
        by_mode = {m: next((v for v in found if v.claim_id == claim), None) for m, found in verdicts.items()}
        shown = {m: v.verdict for m, v in by_mode.items() if v is not None}
        out.append(ModeRow(CLAIM, claim, {m: v.mean for m, v in by_mode.items() if v is not None},
                           {m: v.q05 for m, v in by_mode.items() if v is not None},
                           {m: v.q95 for m, v in by_mode.items() if v is not None}, shown,
                           depends=len(set(shown.values())) > 1))
    return out


def compare_modes(measured: dict, ranks: dict, verdicts: dict, in_force: str) -> ModeComparison:
    """The kernel of :func:`mode_comparison`: each mode's measured rows, rank tables and claim verdicts side by side.

    Parameters
    ----------
    measured
        mode -> :class:`~bayesstreams.analysis.prior_dependence.PriorDependence` of that mode's run.
    ranks
        mode -> :func:`~bayesstreams.analysis.ranks.effect_ranks` table of that mode's run.
    verdicts
        mode -> list of :class:`~bayesstreams.analysis.claims.Verdict` (may be empty).
    in_force
        The mode of the run the report is about.
    """
    modes = [m for m in MODES if m in measured]
    rows = []
    for name in QUANTITIES:
        keys = list(dict.fromkeys(r["index"] for r in measured[in_force].rows if r["name"] == name))
        for index in keys:
            found = {m: measured[m].row(name, index) for m in modes}
            rows.append(interval_row(name, index, {m: (r["mean"], r["q05"], r["q95"]) if r else None
                                                   for m, r in found.items()}, in_force))
    for name, window in zip(RANKS, ("W1", "W2")):
        p_rank1 = {m: {str(r["factor"]): float(r["p_rank1"]) for _, r in ranks[m].iterrows() if r["window"] == window}
                   for m in modes if m in ranks}
        rows += rank_rows(name, p_rank1)
    if any(verdicts.get(m) for m in modes):
        rows += claim_rows({m: verdicts.get(m, []) for m in modes})
    return ModeComparison(in_force, modes, rows)


def run_effect_ranks(run):
    """:func:`~bayesstreams.analysis.ranks.effect_ranks` of ``run`` on its own data, computed once and kept in
    ``run.memo`` (the report's ranking and the mode comparison share the main run's; a companion's is stored
    with it).  A shared table: read it, never change it."""
    key = ("effect_ranks",)
    if key not in run.memo:
        run.memo[key] = effect_ranks(run.posterior, run.dataset, base=run_baseline(run))
    return run.memo[key]


def run_mode(run) -> str:
    """The not-discussed mode of a run, read from its draws (MODEL.md §7)."""
    return options_of_draws(run.posterior)["not_discussed"]


def mode_comparison(run, others, measured=None) -> ModeComparison:
    """The headline numbers of ``run`` beside the same numbers under the other not-discussed modes.

    Parameters
    ----------
    run
        The run in force (loaded).
    others
        The comparison runs (loaded runs; ``study.modes``),
        the same data fitted under other modes; a dict's keys are ignored, each run's mode is read from
        its draws.
    measured
        The run's own :class:`~bayesstreams.analysis.prior_dependence.PriorDependence` (the report's,
        with its wide-prior check); default: measured here by power-scaling.

    Returns
    -------
    ModeComparison
        One row per headline number, its mean and 90% interval (or verdict) under each mode, and
        whether it depends on what not discussed means.

    Examples
    --------
    >>> same = mode_comparison(run, [])            # no other mode: nothing can depend on it
    >>> same.in_force, same.modes, same.count()[0]
    ('zero', ['zero'], 0)
    >>> row = same.row("p_w1", "g5")
    >>> round(row.means["zero"], 6) == round(float(study.q.cases().query("case_id == 'g5' and quantity == 'p_w1'")["mean"].iloc[0]), 6)
    True
    """
    runs = {run_mode(run): run}
    for other in (others.values() if isinstance(others, dict) else others):
        mode = run_mode(other)
        if not run.same_data(other):
            raise RunError(f"{other.label}: was fitted to other data than {run.label}; "
                           "a mode comparison must refit the same data")
        if mode in runs:
            raise RunError(f"{other.label}: a second run under {mode!r}")
        runs[mode] = other
    in_force = run_mode(run)
    found = {m: (measured if m == in_force and measured is not None else prior_dependence(r))
             for m, r in runs.items()}
    ranks = {m: run_effect_ranks(r) for m, r in runs.items()}
    claims = run.dataset.claims
    verdicts = {m: claim_verdicts(r, claims, found[m], with_prior=False) for m, r in runs.items()} if claims else {}
    return compare_modes(found, ranks, verdicts, in_force)
