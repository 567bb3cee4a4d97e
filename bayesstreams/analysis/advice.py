"""Advice for one case, conditioned on what is known of it (MODEL.md §9).

One implementation serves the report, the brief, ``score`` and ``Run.advice``:

* **target**: the first window not yet open (W1 if closed or unknown, else W2); none when both opened;
* **levers**: ``P(target | do(x_k = +1), evidence) - P(target | evidence)`` for the factors of the
  target's phase that are coded below ``+1`` (:mod:`bayesstreams.analysis.case_evidence`);
  a factor without data support in the reference cases is never offered (no lever from
  ignorance); a factor the case did not discuss is offered as *find out first*, with the gain if it
  were ``0`` (acting on it) and the change of the chance if it were already ``+1``;
* **plans**: what would it take (:mod:`bayesstreams.analysis.plans`), and when the target is W1,
  what phase 2 would then take (``do(W1 = 1)``);
* **bottlenecks**: per phase the stream least likely in motion given the evidence;
* **necessity**: for each window that opened and each factor the case coded ``+1`` with data support,
  ``P(it would have stayed closed under do(x_k = -1) | evidence)`` (the one definition: :func:`necessity`);
  for a case with both windows open, ``P(phase 1 was necessary for phase 2) = 1 - rho`` with its prior value.

For a case of the data the posterior already holds its evidence, so every draw weighs the same;
a profile that is not in the data reweights the draws by its likelihood (``reweight=True``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.case_evidence import (W1, W2, Evidence, case_evidence, counterfactual, phase1_necessity,
                                                 stream_posterior)
from bayesstreams.analysis.advice_fast import (coefficients, evaluate, evaluate_factual, evaluate_target,
                                               evaluate_target_columns, moved_phase, prepare_cases)
from bayesstreams.analysis.plans import DEFAULT_THRESHOLD, search_plans
from bayesstreams.analysis.queries import baseline, quantile_names, run_baseline, summary_frame
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.support import no_data_factors
from bayesstreams.errors import RunError
from bayesstreams.inference.run import Run
from bayesstreams.inference.study import Study
from bayesstreams.model.evidence import EvidenceData, options_of_draws, stream_q
from bayesstreams.model.likelihood import logistic
from bayesstreams.model.modes import DEFAULT_MODE

WINDOWS = ("W1", "W2")
DEFAULT_MIN_GAIN = 0.05


@dataclass
class CaseAdvice:
    """What a case can act on; summaries are dicts with ``mean, q05, q25, q75, q95``."""

    case_id: str
    name: str
    level: str
    w1: float
    w2: float
    target: str | None
    p_target: dict | None
    threshold: float
    levers: list[dict] = field(default_factory=list)
    find_out_first: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    plans_reach: bool = False
    then_w2_plans: list[dict] = field(default_factory=list)
    then_w2_reach: bool = False
    bottlenecks: list[dict] = field(default_factory=list)
    necessity: list[dict] = field(default_factory=list)
    phase1_necessary: dict | None = None
    no_data: list[str] = field(default_factory=list)
    # how the run reads a code not discussed (MODEL.md §7, model.modes): a mode that fills it with 0 makes a
    # find-out-first factor's gain the gain if it is 0; the others weigh what it may be
    not_discussed: str = DEFAULT_MODE
    phases: list = field(default_factory=lambda: list(PHASES))  # the study's phases: no advice about another
    # per window, what is known or the chance given what is known: {"window", "phase", "known": "open" |
    # "closed" | None, "p": summary (None where known)}; the headline of every output (one baseline)
    windows: list[dict] = field(default_factory=list)
    # what blocks the target window: its phase's streams coded still (else the weakest), each with the
    # steps that move it and their effect on the stream and on the window (MODEL.md §9)
    blocks: list[dict] = field(default_factory=list)
    # notes on what the advice rests on, for the outputs to show beside it (a hook for robustness checks:
    # each {"key": str, "text": {lang: str}} or any dict the outputs know); empty by default
    notes: list[dict] = field(default_factory=list)

    @property
    def now(self) -> dict | None:
        """The chance of the target window given what is known: every lever and plan starts from it."""
        return self.p_target


QUANTILES = ("q05", "q25", "q75", "q95")
LEVELS = np.array([0.05, 0.25, 0.75, 0.95])


# quantiles read per-draw values at this resolution (about 1e-12): draws equal up to rounding are ties, ordered
# by draw, so that a quantile never depends on the last digits of a sum (a gain that is 0 in a draw is 0,
# whichever way it was summed: the batch path and the reference then give the same quantiles)
RESOLUTION = 2.0 ** -40


def on_grid(samples: np.ndarray) -> np.ndarray:
    """``samples`` rounded to :data:`RESOLUTION`."""
    return np.round(np.asarray(samples, dtype=float) / RESOLUTION) * RESOLUTION


def sort_order(grid: np.ndarray) -> np.ndarray:
    """The stable sort order along the last axis of values on the grid of :data:`RESOLUTION`.

    Each value and its draw index packed into one integer, sorted as integers: the order of
    ``np.argsort(grid, kind="stable")``, several times faster.  Falls back to that sort when the
    values span too wide a range to pack.
    """
    grid = np.asarray(grid, dtype=float)
    n = grid.shape[-1]
    bits = max(1, int(n - 1).bit_length())
    with np.errstate(invalid="ignore"):
        steps = np.round(grid / RESOLUTION)
    if n == 0 or not np.isfinite(steps).all() or steps.max() - steps.min() >= 2.0 ** (62 - bits):
        return np.argsort(grid, axis=-1, kind="stable")
    key = ((steps - steps.min()).astype(np.int64) << bits) | np.arange(n)
    key.sort(axis=-1)
    return key & ((1 << bits) - 1)


def weighted_summary(samples: np.ndarray, weights: np.ndarray) -> dict:
    """Weighted mean and 5/25/75/95% quantiles of per-draw values (the weights sum to 1).

    The quantiles read the values at :data:`RESOLUTION`, ties in draw order (a stable sort).
    """
    grid = on_grid(samples)
    order = sort_order(grid)
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    out = {"mean": float((samples * weights).sum())}
    out.update(zip(QUANTILES, (float(v) for v in np.interp(LEVELS, cumulative, grid[order]))))
    return out


def interpolate_rows(levels: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(levels, xp[r], fp[r])`` of every row ``r`` at once (row, level), with its rules.

    ``xp`` non-decreasing along each row; below the first point the first value, at or above the
    last the last value; between, the straight line from the last point at or below the level
    (``np.interp``'s formula, its fall-back from the right end where that gives NaN, and equal
    values where both do).
    """
    rows = np.arange(len(xp))
    n = xp.shape[1]
    out = np.empty((len(xp), len(levels)))
    for column, level in enumerate(levels):
        j = (xp <= level).sum(axis=1) - 1
        lo = np.clip(j, 0, n - 2)
        x0, x1, y0, y1 = xp[rows, lo], xp[rows, lo + 1], fp[rows, lo], fp[rows, lo + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (y1 - y0) / (x1 - x0)
            value = slope * (level - x0) + y0
            value = np.where(np.isnan(value), slope * (level - x1) + y1, value)
        value = np.where(np.isnan(value) & (y0 == y1), y0, value)
        value = np.where(j < 0, fp[:, 0], np.where(j >= n - 1, fp[:, -1], value))
        out[:, column] = value
    return out


def settle_cases(cases: list, kernels=None) -> None:
    """The quantiles of every summary the ``cases`` deferred (:meth:`_Case.summary`), in one sort over all of them.

    Each row sorted alone (values on the grid of :data:`RESOLUTION`, ties in draw order) and read at
    :data:`LEVELS` under its case's weights: the numbers :func:`weighted_summary` gives one array.
    A row whose draws and weights are bit for bit those of a row already pending (the same gain
    summarised as a lever and as a step) is read once and its quantiles copied.  ``kernels``: the
    numba kernels of :mod:`bayesstreams.fast.batch` (the caller loads them: this module never imports
    numba), which read the rows with the same bits.
    """
    pending, weights, copies = [], [], []
    for case in cases:
        seen: dict = {}
        for out, samples in case.cache.pop("pending", {}).values():
            shape = getattr(samples, "shape", None)
            row = samples if shape == case.weights.shape else np.broadcast_to(samples, case.weights.shape)
            # a bucket, not a proof: rows that share it are compared in full below, so a coarse key (every
            # 64th draw and the sum) only costs a missed copy where two different rows share it
            key = hash(row[::64].tobytes()) ^ hash(float(row.sum()))
            first = seen.get(key)
            if first is not None and np.array_equal(pending[first][1], row):
                copies.append((out, first))
                continue
            seen.setdefault(key, len(pending))
            pending.append((out, row))
            weights.append(case.weights)
    for start in range(0, len(pending), SETTLE_ROWS):  # a chunk of rows at a time: the memory stays bounded
        chunk = slice(start, start + SETTLE_ROWS)
        quantiles = _row_quantiles(np.stack([row for _, row in pending[chunk]]), weights[chunk], kernels)
        for (out, _), row in zip(pending[chunk], quantiles.tolist()):
            out.update(zip(QUANTILES, row))
    for out, first in copies:
        out.update((name, pending[first][0][name]) for name in QUANTILES)


def _row_quantiles(samples: np.ndarray, weights: list, kernels=None) -> np.ndarray:
    """:data:`LEVELS` quantiles of each row of ``samples`` (row, draw) under its weights (row's array of ``weights``).

    The rows' values on the grid come back from the sorted keys of :func:`sort_order` themselves
    (each key holds its value's grid step), so only the weights are gathered in sorted order.
    With ``kernels`` (:mod:`bayesstreams.fast.batch`) the keys are packed, sorted (a radix sort: the
    keys are distinct, so its order is NumPy's) and read back in numba: the same order, sums and
    interpolation, so the same bits.
    """
    if kernels is not None and samples.shape[-1] >= 2:
        found = _row_quantiles_kernels(samples, weights, kernels)
        if found is not None:
            return found
    with np.errstate(invalid="ignore"):
        steps = np.round(samples / RESOLUTION)
    n = samples.shape[-1]
    bits = max(1, int(n - 1).bit_length())
    if n == 0 or not np.isfinite(steps).all() or steps.max() - steps.min() >= 2.0 ** (62 - bits):
        values = steps * RESOLUTION  # on_grid: np.round(v / RESOLUTION) * RESOLUTION
        order = np.argsort(values, axis=-1, kind="stable")
        ordered = np.take_along_axis(values, order, axis=1)
    else:
        low = steps.min()
        key = ((steps - low).astype(np.int64) << bits) | np.arange(n)
        key.sort(axis=-1)
        order = key & ((1 << bits) - 1)
        ordered = ((key >> bits).astype(float) + low) * RESOLUTION
    row_weights = np.take_along_axis(np.stack(weights), order, axis=1)
    cumulative = np.cumsum(row_weights, axis=1) - 0.5 * row_weights
    return interpolate_rows(LEVELS, cumulative, ordered)


def _row_quantiles_kernels(samples: np.ndarray, weights: list, kernels) -> np.ndarray | None:
    """:func:`_row_quantiles` by the kernels; None where a row cannot be packed (the reference's argsort then)."""
    samples = np.ascontiguousarray(samples, dtype=float)
    n = samples.shape[-1]
    bits = max(1, int(n - 1).bit_length())
    keys = np.empty(samples.shape, dtype=np.int64)
    lows = np.empty(len(samples))
    if not kernels.grid_keys(samples, RESOLUTION, bits, keys, lows):
        return None
    if not kernels.sort_keys(keys, bits):  # the keys are distinct: any correct sort gives NumPy's order
        keys.sort(axis=-1)
    distinct: dict = {}  # the rows of one case share its weights: each array passed once
    row_weights = np.array([distinct.setdefault(id(w), (len(distinct), w))[0] for w in weights], dtype=np.int64)
    table = np.empty((len(distinct), n))
    for j, w in distinct.values():
        table[j] = w
    out = np.empty((len(samples), len(LEVELS)))
    kernels.read_sorted(keys, lows, bits, RESOLUTION, table, row_weights, LEVELS, out)
    return out


SETTLE_ROWS = 256  # summaries sorted together (memory: about 8 kB per row per 1,000 draws, times a few arrays)


@dataclass(frozen=True)
class _Case:
    """The per-draw pieces of one case that every query of this module reads."""

    eta: np.ndarray  # (draw, phase, stream)
    x: np.ndarray  # (factor,) codes as the model reads them (not discussed = 0)
    draws: dict
    onehot: np.ndarray  # (factor, phase * stream)
    evidence: Evidence
    weights: np.ndarray
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    # under an evidence mode (MODEL.md §7): (options, the case's EvidenceData, its group offsets or None,
    # factor_phase, factor_stream, the qt kernel), so that a changed stream's q is summed out again, not shifted
    exact: tuple | None = None
    # evaluate interventions on one phase from coefficients read off once (analysis.advice_fast); the
    # reference (False) rebuilds every joint per set; the two agree to rounding (tests/test_score_batch.py)
    fast: bool = False
    # the numba kernels of bayesstreams.fast.batch (a batch of profiles; the caller loads them), or None: NumPy
    kernels: object = field(default=None, repr=False, compare=False)

    def q_under(self, sets: list[tuple[int, ...]], value: float | np.ndarray = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Stream probabilities per phase, each (set, draw, stream) or (draw, stream) where no set moves the phase,
        with the factors of each set at ``value`` (one code for all, or one per factor: another case's codes)."""
        values = np.broadcast_to(np.asarray(value, dtype=float), self.x.shape)
        if self.exact is not None:
            return self._q_under_exact(sets, values)
        if self.fast:
            return self._q_under_fast(sets, values)
        change = np.zeros((len(sets), len(self.x)))
        for j, members in enumerate(sets):
            change[j, list(members)] = values[list(members)] - self.x[list(members)]
        out = []
        for p in range(2):
            cells = slice(3 * p, 3 * p + 3)
            moved = np.flatnonzero(self.onehot[:, cells].any(axis=1) & change.any(axis=0))
            if not len(moved):
                out.append(self.q[:, p])
                continue
            shift = (change[:, None, moved] * self.draws["beta"][None, :, moved]) @ self.onehot[moved, cells]
            out.append(_logistic(self.eta[None, :, p] + shift))
        return tuple(out)

    def _q_under_fast(self, sets, values) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`q_under` stream by stream: a stream no member of a set moves keeps ``q``; one moved by a
        single factor takes that factor's column, computed once per case and value (all the columns a
        call needs in one array operation); a stream moved by several factors of one set takes their
        column, computed once per case and changes.  Each phase's result is one gather from a table of columns (set, draw, stream)."""
        tables, index, touched = self._columns(sets, values)
        return tuple(np.stack(tables[p])[index[p]].transpose(0, 2, 1) if touched[p] else self.q[:, p]
                     for p in range(2))

    def _columns(self, sets, values) -> tuple[list, list, list]:
        """:meth:`_q_under_fast`'s table of columns per phase (the three of ``q``, then the moved ones), each set's
        (set, stream) index into it, and whether any set touches the phase."""
        cell = self.onehot.argmax(axis=1)  # phase * 3 + stream of each factor
        beta = self.draws["beta"]
        moved_by = []  # per set: {cell: [(factor, change)]}
        singles = set()
        # each factor's change and cell as Python numbers, read once: the same floats as element by element
        deltas, cells = (np.asarray(values, dtype=float) - self.x).tolist(), cell.tolist()
        for members in sets:
            found: dict = {}
            for k in members:
                delta = deltas[k]
                if delta != 0:
                    found.setdefault(cells[k], []).append((int(k), delta))
            moved_by.append(found)
            singles.update(("single", c[0][0], c[0][1]) for c in found.values() if len(c) == 1)
        self._single_columns([key for key in singles if key not in self.cache], cell)
        tables = [[self.q[:, p, s] for s in range(3)] for p in range(2)]
        index = [np.tile(np.arange(3), (len(sets), 1)), np.tile(np.arange(3), (len(sets), 1))]
        touched, position = [False, False], {}
        for j, found in enumerate(moved_by):
            for c, changes in found.items():
                p = c // 3
                if len(changes) == 1:
                    key = ("single", changes[0][0], changes[0][1])
                else:  # several factors of the set move this stream: a column of their own, kept for the
                    # other sets that hold the same changes (a pair within triples): the same sum, so the same bits
                    key = ("several", c, tuple(changes))
                    if key not in self.cache:
                        shift = sum(delta * beta[:, k] for k, delta in changes)
                        self.cache[key] = _logistic(self.eta[:, p, c % 3] + shift)
                if key not in position:
                    tables[p].append(self.cache[key])
                    position[key] = len(tables[p]) - 1
                index[p][j, c % 3] = position[key]
                touched[p] = True
        return tables, index, touched

    def chance_of_sets(self, sets: list, target: int, w1_open: bool = False) -> np.ndarray:
        """``chance(q_under(sets), target, w1_open)`` per (set, draw); with the kernels of a batch, each set's
        stream columns read where they lie (:func:`~bayesstreams.analysis.advice_fast.evaluate_target_columns`),
        not gathered into a (set, stream, draw) copy first: the same values, so the same bits."""
        if self.kernels is None or not self.fast or self.exact is not None:
            return self.chance(self.q_under(sets), target, w1_open)
        tables, index, touched = self._columns(sets, np.broadcast_to(1.0, self.x.shape))
        if sum(touched) != 1:  # no set moves a phase, or sets move both: the general path
            return self.chance(self.q_under(sets), target, w1_open)
        moved = touched.index(True)
        return evaluate_target_columns(self._coefficients(target, w1_open, moved), np.stack(tables[moved]),
                                       index[moved], self.kernels)

    def _single_columns(self, keys: list, cell: np.ndarray) -> None:
        """Cache the stream probability of each ``("single", factor, change)`` in one array operation."""
        if not keys:
            return
        factors = np.array([k for _, k, _ in keys])
        deltas = np.array([delta for _, _, delta in keys])
        cells = cell[factors]
        eta = self.eta.reshape(self.eta.shape[0], -1)[:, cells]
        columns = np.ascontiguousarray(_logistic(eta + deltas * self.draws["beta"][:, factors]).T)
        for key, column in zip(keys, columns):
            self.cache[key] = column

    def _q_under_exact(self, sets, values) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`q_under` under an evidence mode: each stream a set touches is summed out again.

        The set's factors become point masses at their values (``do``) and the stream's other
        uncertain cells stay summed out with their evidence weights (``model.evidence.stream_q``),
        exactly as the queries' ``do_factor`` does; a set touches a stream when it holds one of its
        factors, even at the code already recorded (a not-discussed cell set to 0 is a change here).
        Each (stream, fixed factors and values) is computed once per case and kept in the cache.
        """
        options, data, group_eta, phase, stream, qt = self.exact
        out = []
        for p in range(2):
            touched = [j for j, members in enumerate(sets) if any(phase[k] == p for k in members)]
            if not touched:
                out.append(self.q[:, p])
                continue
            q_new = np.repeat(self.q[None, :, p], len(sets), axis=0)
            for j in touched:
                for s in range(3):
                    fixed = tuple(sorted((int(k), float(values[k])) for k in sets[j]
                                         if phase[k] == p and stream[k] == s))
                    if not fixed:
                        continue
                    key = ("exact", p, s, fixed)
                    if key not in self.cache:
                        x, point = self.x.copy(), np.zeros(len(self.x), dtype=bool)
                        for k, v in fixed:
                            x[k], point[k] = v, True
                        self.cache[key] = stream_q(options, data, self.draws, x[None], p, s, phase, stream,
                                                   group_eta, point=point[None], qt=qt)[:, 0]
                    q_new[j, :, s] = self.cache[key]
            out.append(q_new)
        return tuple(out)

    @property
    def q(self) -> np.ndarray:
        if "q" not in self.cache:
            self.cache["q"] = _logistic(self.eta)
        return self.cache["q"]

    def probability(self, q_new, target: int, w1_open: bool = False, q=None):
        d = self.draws
        if self.fast and q is None and q_new is self.q and ("factual", target, w1_open) in self.cache:
            return self.cache["factual", target, w1_open]
        moved = moved_phase(q_new) if self.fast and q is None else None
        if moved is not None:
            return evaluate(self._coefficients(target, w1_open, moved), q_new[moved])
        q = self.q if q is None else q
        return counterfactual(q, q_new, d["lambda"], d["kappa"], d["rho"], self.evidence, target, w1_open)

    def chance(self, q_new, target: int, w1_open: bool = False) -> np.ndarray:
        """``probability(q_new, target, w1_open)[0]``: the target's chance under the sets behind ``q_new``.

        On the fast path, for sets that move one phase, only that chance is evaluated (:func:`evaluate_target`:
        the same operations as :func:`evaluate`'s first value, without the factual chance no caller of this reads).
        """
        moved = moved_phase(q_new) if self.fast and isinstance(q_new, tuple) else None
        if moved is None:
            return self.probability(q_new, target, w1_open)[0]
        return evaluate_target(self._coefficients(target, w1_open, moved), q_new[moved], self.kernels)

    def _coefficients(self, target: int, w1_open: bool, moved: int):
        """The fast path's :func:`coefficients` of the target for sets that move phase ``moved``, computed once per case."""
        key = ("coefficients", target, w1_open, moved)
        if key not in self.cache:
            d = self.draws
            self.cache[key] = coefficients(self.q, d["lambda"], d["kappa"], d["rho"], self.evidence, target,
                                           w1_open, moved)
        return self.cache[key]

    def summary(self, samples: np.ndarray) -> dict:
        """:func:`weighted_summary` of per-draw values under the case's weights.

        On the fast path the mean is computed now (entries are sorted by it) and the quantiles of
        all the case's summaries later, in one sort over a stacked array (:meth:`settle`): the same
        sort along each row, so the same numbers.  One array summarised twice is summarised once.
        """
        if not self.fast:
            return weighted_summary(samples, self.weights)
        pending = self.cache.setdefault("pending", {})
        if id(samples) not in pending:
            pending[id(samples)] = ({"mean": float((samples * self.weights).sum())}, samples)
        return pending[id(samples)][0]

    def settle(self) -> None:
        """Fill in the quantiles of every summary :meth:`summary` deferred (fast path)."""
        settle_cases([self], self.kernels)

    def single_probabilities(self, members: list[int], target: int, w1_open: bool = False, q_sets=None) -> np.ndarray:
        """``P(target | do(x_k = +1), evidence)`` per (member, draw): the levers, the steps and the plans of size 1.

        On the fast path each factor's draws are computed once per target and kept (a set's draws do
        not depend on the other sets evaluated with it), so the plan search and the steps reuse the
        levers'; the reference path computes them where asked (from ``q_sets``, ``q_under`` of the singles, if given).
        """
        if not self.fast:
            q_sets = self.q_under([(k,) for k in members]) if q_sets is None else q_sets
            return self.probability(q_sets, target, w1_open)[0]
        store = self.cache.setdefault(("singles", target, w1_open), {})
        missing = [k for k in members if k not in store]
        if missing:
            values = self.chance_of_sets([(k,) for k in missing], target, w1_open)
            store.update(zip(missing, np.broadcast_to(values, (len(missing),) + self.weights.shape)))
        return np.stack([store[k] for k in members]) if members else np.empty((0,) + self.weights.shape)

    def factual_under(self, q_new: tuple, target: int) -> np.ndarray:
        """``P(target = 1 | evidence)`` per (set, draw) had the case been coded as each set says (``q = q'``)."""
        moved = moved_phase(q_new) if self.fast else None
        if moved is not None:
            return evaluate_factual(self._coefficients(target, False, moved), q_new[moved], self.kernels)
        plus = np.stack(np.broadcast_arrays(*q_new), axis=-2)
        return self.probability(plus, target, q=plus)[1]

    def stream_posterior(self) -> np.ndarray:
        """``P(S[p,s] = 1 | evidence)`` per draw (kept once computed on the fast path)."""
        if not self.fast:
            d = self.draws
            return stream_posterior(self.q, d["lambda"], d["kappa"], d["rho"], self.evidence)
        if "streams" not in self.cache:
            self.cache["streams"] = dataclasses.replace(self, fast=False).stream_posterior()
        return self.cache["streams"]


def _logistic(v: np.ndarray) -> np.ndarray:
    """The queries' logistic function (:func:`bayesstreams.model.likelihood.logistic`): a case's ``q`` is the baseline's."""
    return logistic(v)


def _case(base, i: int, evidence: Evidence, reweight: bool, draw_weights: np.ndarray | None = None,
          fast: bool = False, prepared: dict | None = None, kernels=None) -> _Case:
    n_factors = base.x.shape[1]
    onehot = np.zeros((n_factors, 6))
    onehot[np.arange(n_factors), base.factor_phase * 3 + base.factor_stream] = 1.0
    d = base.draws
    weights = np.ones(len(d["rho"])) if draw_weights is None else np.asarray(draw_weights, dtype=float)
    if reweight and prepared is not None:
        weights = weights * prepared["mass"]
    elif reweight:
        weights = weights * counterfactual(base.q[:, i], base.q[:, i], d["lambda"], d["kappa"], d["rho"], evidence, W1)[2]
    exact = None
    if "evidence" in base.cache:  # an evidence mode: the case's own evidence arrays, for q_under
        options, data, group_eta, qt = base.cache["evidence"]
        row = slice(i, i + 1)
        exact = (options, EvidenceData(data.support[row], data.discussed[row], data.counts[row]),
                 None if group_eta is None else group_eta[:, row], np.asarray(base.factor_phase),
                 np.asarray(base.factor_stream), qt)
    return _Case(base.eta[:, i], base.x[i], d, onehot, evidence, weights / weights.sum(), exact=exact, fast=fast,
                 cache=dict(prepared or {}), kernels=kernels if fast else None)


def _factor(dataset, k: int) -> dict:
    # read off the codebook's factor itself: the dataset's factor_ids, factor_phase and factor_stream are
    # built afresh over every factor at each read, and this runs once per lever, step and necessity entry
    factor = dataset.codebook.factors[k]
    return {"factor": factor.id, "phase": PHASES.index(factor.phase) + 1, "stream": STREAMS[STREAMS.index(factor.stream)]}


def _members(case: _Case, dataset, target: int, no_data: set) -> list[int]:
    """The factors a lever toward ``target`` may move: of its phase, below ``+1``, with data support."""
    phase, ids = dataset.factor_phase, dataset.factor_ids  # properties built afresh on each read: read once
    return [k for k in range(len(case.x)) if phase[k] == target and case.x[k] != 1 and ids[k] not in no_data]


def _single_gains(case: _Case, dataset, target: int, no_data: set, w1_open: bool = False):
    """``(now, members, up)``: the target's chance now, the factors a lever may move (:func:`_members`) and
    each one's per-draw gain ``P(target | do(x_k = +1), evidence) - now`` (member, draw), None without members."""
    now = case.probability(case.q, target, w1_open)[0]
    members = _members(case, dataset, target, no_data)
    if not members:
        return now, members, None
    return now, members, case.single_probabilities(members, target, w1_open) - now


def _gains(case: _Case, dataset, target: int, no_data: set, w1_open: bool = False) -> dict:
    """:func:`_levers`' per-draw gains alone, the same numbers: what the plans after ``do(W1 = 1)`` read (their
    levers are not shown, so neither their summaries nor the factual chances at +1 are computed)."""
    _, members, up = _single_gains(case, dataset, target, no_data, w1_open)
    return {k: up[j] for j, k in enumerate(members)}


def _levers(case: _Case, dataset, target: int, codes: np.ndarray, no_data: set, min_gain: float,
            w1_open: bool = False):
    """Levers and find-out-first factors of the target's phase, and the per-draw gains of the levers.

    A factor the case did not discuss also gets the change of the chance had it been coded ``+1``
    (``factual_under``), computed for those factors alone.
    """
    now, members, up = _single_gains(case, dataset, target, no_data, w1_open)
    levers, unknown, gains = [], [], {}
    if not members:
        return levers, unknown, gains, now
    not_discussed = [k for k in members if np.isnan(codes[k])]
    if_plus = {}
    if not_discussed:
        if_plus = dict(zip(not_discussed, case.factual_under(case.q_under([(k,) for k in not_discussed]), target) - now))
    for j, k in enumerate(members):
        entry = {**_factor(dataset, k), "code": float(codes[k]), "gain": case.summary(up[j]),
                 "now": case.summary(now), "with_step": case.summary(now + up[j]),
                 "p_gain_gt_threshold": float(((up[j] > min_gain) * case.weights).sum()), "threshold": min_gain}
        gains[k] = up[j]  # a plan may hold a not-discussed factor: it says to find out first
        if k in if_plus:
            entry["gain_if_plus1"] = case.summary(if_plus[k])
            unknown.append(entry)
        else:
            levers.append(entry)
    levers.sort(key=lambda e: -e["gain"]["mean"])
    unknown.sort(key=lambda e: -e["gain"]["mean"])
    return levers, unknown, gains, now


def _plans(case: _Case, dataset, target: int, gains: dict, threshold: float, codes: np.ndarray,
           w1_open: bool = False):
    candidates = list(gains)
    single = [float((gains[k] * case.weights).sum()) for k in candidates]

    def evaluate(sets):
        if all(len(members) == 1 for members in sets):  # size 1: the levers' draws
            return case.single_probabilities([members[0] for members in sets], target, w1_open)
        return case.chance_of_sets(sets, target, w1_open)

    sets, samples, reached = search_plans(evaluate, candidates, np.asarray(single), case.weights, threshold)
    plans = [{"factors": [dataset.factor_ids[k] for k in members], "size": len(members),
              "p_target": case.summary(samples[j]),
              "p_over_threshold": float(((samples[j] > threshold) * case.weights).sum()), "reaches": reached,
              "find_out_first": [dataset.factor_ids[k] for k in members if np.isnan(codes[k])]}
             for j, members in enumerate(sets)]
    return plans, reached


def _bottlenecks(case: _Case) -> list[dict]:
    posterior = case.stream_posterior()
    mean = np.einsum("dps,d->ps", posterior, case.weights)
    out = []
    for p in range(len(PHASES)):
        s = int(mean[p].argmin())
        share = float(((posterior[:, p].argmin(axis=-1) == s) * case.weights).sum())
        out.append({"phase": p + 1, "stream": STREAMS[s], "p_in_motion": float(mean[p, s]), "p_lowest": share,
                    "coded": bool(not np.isnan(case.evidence.s[p, s]))})
    return out


def _windows(case: _Case) -> list[dict]:
    """Each window as known ("open"/"closed", no chance) or its chance given what is known of the case."""
    out = []
    for window in (W1, W2):
        value = case.evidence.w[window]
        known = None if np.isnan(value) else ("open" if value == 1 else "closed")
        p = None if known else case.summary(case.probability(case.q, window)[1])
        out.append({"window": WINDOWS[window], "phase": window + 1, "known": known, "p": p})
    return out


def _stream_after(p_now: np.ndarray, q: np.ndarray, q_new: np.ndarray) -> np.ndarray:
    """``P(S' = 1 | evidence)`` of one stream after a step, per draw, from ``P(S = 1 | evidence)`` now.

    The stream moves iff its noise ``U < q``; given ``S = 0`` the noise is uniform on ``[q, 1]``, so a
    step that raises ``q`` to ``q'`` sets it in motion with ``(q' - q) / (1 - q)`` (and one that lowers
    it keeps it with ``q' / q``): exact, whatever else the evidence says, since it reads ``U`` only
    through ``S``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(q_new >= q, p_now + (1.0 - p_now) * np.clip(q_new - q, 0.0, None) / (1.0 - q),
                      p_now * q_new / q)
    return np.nan_to_num(up, nan=p_now)


def _blocks(case: _Case, dataset, target: int, codes: np.ndarray, no_data: set, w1_open: bool = False) -> list[dict]:
    """What blocks the target window: the streams of its phase coded still, else its weakest stream.

    Each with its chance of being in motion given what is known, and the steps that move it: the
    factors of that stream with data that are not at ``+1``, each with the stream's chance and the
    window's chance now and after the step (the same baseline and the same numbers as the levers).
    """
    posterior = case.stream_posterior()[:, target]
    still = [s for s in range(3) if case.evidence.s[target, s] == 0]
    streams = still or [int(np.einsum("ds,d->s", posterior, case.weights).argmin())]
    now = case.probability(case.q, target, w1_open)[0]
    out = []
    phase, stream_of, ids = dataset.factor_phase, dataset.factor_stream, dataset.factor_ids  # read once
    for s in streams:
        members = [k for k in range(len(case.x)) if phase[k] == target
                   and stream_of[k] == s and case.x[k] != 1 and ids[k] not in no_data]
        entry = {"phase": target + 1, "stream": STREAMS[s], "coded_still": s in still,
                 "p_in_motion": case.summary(posterior[:, s]), "steps": []}
        if members:
            q_sets = case.q_under([(k,) for k in members])
            window = case.single_probabilities(members, target, w1_open, q_sets)
            q_new = np.broadcast_to(q_sets[target], (len(members),) + case.q[:, target].shape)
            for j, k in enumerate(members):
                stream = _stream_after(posterior[:, s], case.q[:, target, s], q_new[j, :, s])
                entry["steps"].append({**_factor(dataset, k), "code": float(codes[k]),
                                       "stream_with_step": case.summary(stream),
                                       "now": case.summary(now),
                                       "with_step": case.summary(window[j]),
                                       "gain": case.summary(window[j] - now)})
            entry["steps"].sort(key=lambda e: -e["stream_with_step"]["mean"])
        out.append(entry)
    return out


def _necessity_draws(case: _Case, dataset, codes: np.ndarray, no_data: set) -> list[tuple[dict, np.ndarray]]:
    """Per open window and factor coded ``+1`` with data support: P(the window stays closed under do(x_k = -1) | evidence), per draw.

    The one definition of a factor's necessity (MODEL.md §9): the case advice and
    :func:`necessity` (``study.q.necessity()``) both read it.  A probability, so in [0, 1].  Only a
    factor the case coded ``+1`` is asked (a code 0 or -1 gave the window nothing to take away;
    a cell not discussed is unknown), and only one with data support in the reference cases.
    """
    out = []
    phase, ids = dataset.factor_phase, dataset.factor_ids  # properties built afresh on each read: read once
    for window in (W1, W2):
        if case.evidence.w[window] != 1:
            continue
        members = [k for k in range(len(case.x)) if phase[k] <= window and codes[k] == 1 and ids[k] not in no_data]
        if not members:
            continue
        kept = case.chance(case.q_under([(k,) for k in members], -1.0), window)
        out += [({**_factor(dataset, k), "code": float(codes[k]), "window": WINDOWS[window]}, 1.0 - kept[j])
                for j, k in enumerate(members)]
    return out


def _necessity(case: _Case, dataset, codes: np.ndarray, no_data: set) -> list[dict]:
    """The advice's necessity: :func:`_necessity_draws` summarised, per window by decreasing mean."""
    out = [{**entry, "p_necessary": case.summary(values)}
           for entry, values in _necessity_draws(case, dataset, codes, no_data)]
    out.sort(key=lambda e: (e["window"], -e["p_necessary"]["mean"]))
    return out


def necessity(posterior, dataset, base=None, quantiles=None, reference=None):
    """Probability of necessity of each factor for each window that opened, given what is known of the case.

    ``P(W would have stayed closed under do(x_k = -1) | the case's codes, coded streams, known windows)``
    per draw (MODEL.md §9, :func:`_necessity_draws`: the same numbers as each case's advice), for
    every case with an observed open window and every factor it coded ``+1`` that can move the
    window (phase-1 factors: W1 and W2; phase-2 factors: W2) and has data support in ``reference``
    (default ``dataset``).  A probability, so every draw lies in [0, 1].  Streams model only.

    Returns
    -------
    DataFrame
        Columns ``case_id, factor, phase, stream, code, window`` and the summary at ``quantiles``.

    Examples
    --------
    >>> table = necessity(run.posterior, run.dataset)
    >>> bool(table["q05"].min() >= 0 and table["q95"].max() <= 1), set(table["code"])
    (True, {1.0})
    """
    base = base or baseline(posterior, dataset)
    if not base.has_streams:
        raise RunError(f"necessity given what is known needs the streams model; this run is a {base.kind} model")
    no_data = no_data_factors(reference if reference is not None else dataset)
    rows, columns = [], []
    for i, case_id in enumerate(dataset.case_ids):
        evidence = case_evidence(dataset, i)
        if not np.any(evidence.w == 1):
            continue
        state = _case(base, i, evidence, False)
        for entry, values in _necessity_draws(state, dataset, np.asarray(dataset.x[i], dtype=float), no_data):
            rows.append({"case_id": case_id, **entry})
            columns.append(values)
    if not rows:
        import pandas as pd

        names = ["case_id", "factor", "phase", "stream", "code", "window", "mean", *quantile_names(quantiles)]
        return pd.DataFrame(columns=names)
    return summary_frame(rows, np.column_stack(columns), quantiles=quantiles)


def advise(posterior, dataset, case: str | None = None, base=None, reference=None, prior: dict | None = None,
           threshold: float = DEFAULT_THRESHOLD, min_gain: float = DEFAULT_MIN_GAIN,
           reweight: bool = False, weights: np.ndarray | None = None, fast: bool = False,
           prepared: dict | None = None, no_data: frozenset | None = None) -> CaseAdvice:
    """Levers, plans, bottlenecks and necessity of one case given its evidence (see module docs).

    The one function behind every output's advice (report, brief, ``score``, ``compare-cases``,
    the what-if page): ``windows`` (each known window as known, the others' chance given what is
    known), ``now`` (the chance of the first window not yet open), each lever as ``now`` ->
    ``with_step``, the plans, *find out first* and ``blocks`` all start from that one baseline.

    Parameters
    ----------
    posterior, dataset
        The draws and the dataset that holds the case (the run's, or a profile's); or a run or
        study and the case: ``advise(study, "Gemeente 5")`` (the run's data, baseline and prior).
    case
        The case's id or name.
    base
        The baseline of ``posterior`` on ``dataset`` (computed when not given).
    reference
        The dataset whose data support decides which factors may be offered (default ``dataset``).
    prior
        Prior draws, for the prior value of ``P(phase 1 was necessary for phase 2)``.
    threshold
        The probability of the target window a plan must bring its posterior mean over.
    min_gain
        The gain whose posterior probability each lever reports.
    reweight
        Weigh the draws by the case's likelihood (a profile that is not in the data).
    weights
        Importance weights of the draws (the posterior of changed data, :mod:`bayesstreams.analysis.fragility`);
        default: every draw the same.
    fast
        Evaluate the levers, steps and plans of the target's phase from coefficients read off once
        (:mod:`bayesstreams.analysis.advice_fast`; batch scoring); the default is the reference
        path, which the fast one equals up to rounding.
    prepared
        The case's per-draw pieces computed with all other cases at once
        (:func:`bayesstreams.analysis.advice_fast.prepare_cases`; fast path only).
    no_data
        :func:`~bayesstreams.data.support.no_data_factors` of ``reference`` (else ``dataset``) when the
        caller has it (``score`` advises many profiles against one reference); computed when not given.
    """
    out, state = _advise(posterior, dataset, case, base, reference, prior, threshold, min_gain, reweight, weights,
                         fast, prepared, no_data)
    state.settle()
    return out


def advise_many(posterior, dataset, cases: list, prepared: list | None = None, **options) -> list[CaseAdvice]:
    """:func:`advise` of several cases of one dataset, their summaries' quantiles read in one pass (batch scoring).

    ``options`` are :func:`advise`'s (``fast=True`` defers the quantiles); ``prepared`` one entry per
    case (:func:`bayesstreams.analysis.advice_fast.prepare_cases`).  Each result equals ``advise`` of
    that case alone: every row of the one pass is sorted and read on its own (:func:`settle_cases`).
    ``kernels``: the numba kernels of :mod:`bayesstreams.fast.batch` (fast path; loaded by the caller),
    which give the same bits as the NumPy they replace.
    """
    kernels = options.get("kernels")
    prepared = prepared if prepared is not None else [None] * len(cases)
    done = [_advise(posterior, dataset, case, options.get("base"), options.get("reference"), options.get("prior"),
                    options.get("threshold", DEFAULT_THRESHOLD), options.get("min_gain", DEFAULT_MIN_GAIN),
                    options.get("reweight", False), options.get("weights"), options.get("fast", False), entry,
                    options.get("no_data"), kernels)
            for case, entry in zip(cases, prepared)]
    settle_cases([state for _, state in done], kernels)
    return [out for out, _ in done]


def _advise(posterior, dataset, case, base, reference, prior, threshold, min_gain, reweight, weights, fast,
            prepared, no_data, kernels=None) -> tuple[CaseAdvice, _Case]:
    """:func:`advise` with the quantiles of its summaries still to be read (fast path), and the case's state."""
    run = posterior.run if isinstance(posterior, Study) else posterior  # a Study holds its run
    if isinstance(run, Run):  # advise(run_or_study, case)
        case = dataset if case is None else case
        posterior, dataset = run.posterior, run.dataset
        base, prior = base or run_baseline(run), prior if prior is not None else run.prior
    base = base or baseline(posterior, dataset)
    if not base.has_streams:
        raise RunError(f"case advice needs the streams model; this run is a {base.kind} model")
    i = dataset.case_ids.index(dataset.resolve_case(case))
    evidence = case_evidence(dataset, i)
    state = _case(base, i, evidence, reweight, weights, fast=fast, prepared=prepared if fast else None,
                  kernels=kernels)
    if no_data is None:
        no_data = no_data_factors(reference if reference is not None else dataset)
    # never offered: factors without data (their gain is the prior's) and context no case can change
    not_offered = no_data | (reference if reference is not None else dataset).codebook.context
    codes = np.asarray(dataset.x[i], dtype=float)
    target = evidence.target
    phases = (reference if reference is not None else dataset).phases
    if target is not None and PHASES[target] not in phases:
        target = None  # a window the study does not have is no target (a one-phase study ends at W1)
    row = dataset.cases[i]
    out = CaseAdvice(case_id=dataset.case_ids[i], name=str(row.get("name") or dataset.case_ids[i]),
                     level=str(row.get("level") or ""), w1=float(evidence.w[0]), w2=float(evidence.w[1]),
                     target=None if target is None else WINDOWS[target], p_target=None, threshold=threshold,
                     bottlenecks=[b for b in _bottlenecks(state) if b["phase"] in phases],
                     necessity=_necessity(state, dataset, codes, no_data), phases=list(phases),
                     no_data=[f for f in dataset.factor_ids if f in no_data],
                     not_discussed=options_of_draws(posterior)["not_discussed"],
                     windows=[w for w in _windows(state) if w["phase"] in phases])
    if target is not None:
        out.levers, out.find_out_first, gains, now = _levers(state, dataset, target, codes, not_offered, min_gain)
        out.blocks = _blocks(state, dataset, target, codes, not_offered)
        out.p_target = state.summary(now)
        out.plans, out.plans_reach = _plans(state, dataset, target, gains, threshold, codes)
    if target == W1 and PHASES[W2] in phases:
        gains = _gains(state, dataset, W2, not_offered, w1_open=True)
        out.then_w2_plans, out.then_w2_reach = _plans(state, dataset, W2, gains, threshold, codes, w1_open=True)
    if target is None and PHASES[W2] in phases:
        out.phase1_necessary = _phase1(state, prior)
    return out, state


def lever_draws(posterior, dataset, case: str, base=None, reference=None) -> tuple[list[str], np.ndarray]:
    """The case's levers and their per-draw gains ``(lever, draw)``, in the factor order of the data.

    The same levers as :func:`advise` (coded factors of the target's phase below ``+1`` with data
    support; not the find-out-first factors), unsorted and unweighted, so that a caller can weigh
    the draws many ways (:mod:`bayesstreams.analysis.voi`) without recomputing the gains.  Empty
    when the case has no window to open.
    """
    base = base or baseline(posterior, dataset)
    reference = reference if reference is not None else dataset
    not_offered = no_data_factors(reference) | reference.codebook.context
    return _lever_draws(base, dataset, dataset.case_ids.index(dataset.resolve_case(case)), reference, not_offered)


def lever_draws_many(posterior, dataset, reference=None, base=None, kernel=None) -> list[tuple[list[str], np.ndarray]]:
    """:func:`lever_draws` of every case of ``dataset``, in order, on one baseline (equal to one call per case).

    For many variants of one case stacked as the cases of one dataset (the value-of-information
    query's changed data, :mod:`bayesstreams.analysis.voi`): the baseline and the factors without
    data support are computed once, not once per variant; ``base`` is that baseline when the caller
    has it already.  ``kernel``: a compiled counterfactual of the signature of
    :func:`bayesstreams.fast.counterfactual.counterfactual_target` (the caller passes it, so that
    this module, which the light commands import, never loads numba).
    """
    base = base if base is not None else baseline(posterior, dataset)
    reference = reference if reference is not None else dataset
    not_offered = no_data_factors(reference) | reference.codebook.context
    phases = reference.phases  # a property computed on each read: once for all cases
    return [_lever_draws(base, dataset, i, reference, not_offered, kernel, phases) for i in range(dataset.n_cases)]


def _lever_draws(base, dataset, i: int, reference, not_offered: set, kernel=None, phases=None):
    """One case's ``(levers, gains)``; ``kernel``: the counterfactuals by :mod:`bayesstreams.fast.counterfactual`;
    ``phases``: ``reference.phases`` when the caller has read it already."""
    evidence = case_evidence(dataset, i)
    target = evidence.target
    n_draws = len(base.draws["rho"])
    if target is None or PHASES[target] not in (reference.phases if phases is None else phases):
        return [], np.zeros((0, n_draws))
    state = _case(base, i, evidence, False)
    codes = np.asarray(dataset.x[i], dtype=float)
    phase, ids = dataset.factor_phase, dataset.factor_ids  # properties built afresh on each read: read once
    coded = [k for k in range(len(codes)) if phase[k] == target and codes[k] != 1
             and not np.isnan(codes[k]) and ids[k] not in not_offered]
    if not coded:
        return [], np.zeros((0, n_draws))
    levers = [ids[k] for k in coded]
    if kernel is not None:
        d, q = base.draws, np.ascontiguousarray(state.q)
        plus = np.stack(np.broadcast_arrays(*state.q_under([(k,) for k in coded])), axis=-2)
        args = (np.ascontiguousarray(d["lambda"]), np.ascontiguousarray(d["kappa"]), np.ascontiguousarray(d["rho"]),
                evidence.s, evidence.w, target, False)
        return levers, kernel(q, plus, *args) - kernel(q, q[None], *args)[0]
    now = state.probability(state.q, target)[0]  # the same gains as _levers, without its find-out-first terms
    return levers, state.probability(state.q_under([(k,) for k in coded]), target)[0] - now


def _phase1(case: _Case, prior: dict | None) -> dict:
    entry = {"posterior": case.summary(phase1_necessity(case.draws["rho"])), "prior_mean": None}
    if prior and "rho" in prior:
        entry["prior_mean"] = float(phase1_necessity(prior["rho"]).mean())
    return entry


# ---------------------------------------------------------------------------- the API


def cases_advice(run, threshold: float = DEFAULT_THRESHOLD, min_gain: float = DEFAULT_MIN_GAIN) -> dict[str, CaseAdvice]:
    """:func:`case_advice` of every case of a run at once, keyed by case id: the batch path ``score`` takes.

    The cases' per-draw pieces are computed in a few passes over all cases
    (:func:`~bayesstreams.analysis.advice_fast.prepare_cases`) and their summaries' quantiles in one
    (:func:`advise_many`); each case's advice equals :func:`case_advice` of it alone up to rounding
    (tests/test_score_batch.py holds ``score`` of a run's own cases to it, 1e-12 in every field).
    """
    run = run.run if isinstance(run, Study) else run
    base, dataset = run_baseline(run), run.dataset
    if not base.has_streams:
        raise RunError(f"case advice needs the streams model; this run is a {base.kind} model")
    prepared = None
    if "evidence" not in base.cache:  # under an evidence mode a case's q is summed out per stream
        targets = [case_evidence(dataset, i).target for i in range(dataset.n_cases)]
        prepared = prepare_cases(base, dataset.s, dataset.w, targets, list(dataset.phases))
    advised = advise_many(run.posterior, dataset, list(dataset.case_ids), prepared, base=base, reference=dataset,
                          prior=run.prior, threshold=threshold, min_gain=min_gain, fast=True)
    return dict(zip(dataset.case_ids, advised))


def case_advice(run, case: str, threshold: float = DEFAULT_THRESHOLD, min_gain: float = DEFAULT_MIN_GAIN) -> CaseAdvice:
    """What one case of a run's data can act on, given what is known of it (MODEL.md §9).

    Parameters
    ----------
    run
        A fitted or loaded run of the streams model.
    case
        The case's id or name (any letter case).
    threshold
        The probability of the target window a plan must bring its posterior mean over (default 50%).
    min_gain
        The gain whose posterior probability each lever reports.

    Returns
    -------
    CaseAdvice
        The target window, levers, find-out-first factors, plans (and, for a closed phase 1,
        what phase 2 would then take), bottlenecks, necessity and, for a case with both windows
        open, the probability that phase 1 was necessary for phase 2 beside its prior value.

    Examples
    --------
    >>> advice = case_advice(run, "Gemeente 5")
    >>> advice.target, all(e["phase"] == 1 for e in advice.levers + advice.find_out_first)
    ('W1', True)
    >>> case_advice(run, "g7").phase1_necessary["prior_mean"] is not None
    True
    """
    return advise(run, case, threshold=threshold, min_gain=min_gain)


PLAN_COLUMNS = ["case_id", "target", "after", "plan", "size", "factors", "mean", "q05", "q25", "q75", "q95",
                "p_over_threshold", "threshold", "reaches"]


def plans_frame(advice: CaseAdvice):
    """The plans of one case's advice as a tidy table (one row per plan, phase 1 first)."""
    import pandas as pd

    rows = []
    for target, after, plans in ((advice.target, "", advice.plans), ("W2", "W1 open", advice.then_w2_plans)):
        for j, plan in enumerate(plans):
            rows.append({"case_id": advice.case_id, "target": target, "after": after, "plan": j + 1,
                         "size": plan["size"], "factors": " + ".join(plan["factors"]), **plan["p_target"],
                         "p_over_threshold": plan["p_over_threshold"], "threshold": advice.threshold,
                         "reaches": plan["reaches"]})
    return pd.DataFrame.from_records(rows, columns=PLAN_COLUMNS)


def what_it_takes(run, case: str, threshold: float = DEFAULT_THRESHOLD):
    """The smallest sets of up to 3 factor changes that bring a case's target window over ``threshold``.

    Parameters
    ----------
    run
        A fitted or loaded run of the streams model.
    case
        The case's id or name.
    threshold
        The posterior-mean probability of the target window a plan must exceed (default 50%).

    Returns
    -------
    DataFrame
        One row per plan: ``target`` (the first window not yet open), ``after`` ("W1 open" for
        the phase-2 plans of a case whose phase 1 is still closed), ``factors`` (set to +1),
        the summary of P(target) under the plan, ``p_over_threshold`` and ``reaches``
        (False: no set of up to 3 changes reaches; the closest one is shown).

    Examples
    --------
    >>> plans = what_it_takes(run, "g5")
    >>> plans["target"].iloc[0], bool((plans["size"] <= 3).all())
    ('W1', True)
    """
    return plans_frame(case_advice(run, case, threshold))


def label_advice(data: dict, labels: dict, lang: str = "en", actions: dict | None = None) -> dict:
    """Advice data (:func:`advice_to_dict`) with every factor's codebook ``label`` and ``action`` in ``lang``.

    ``actions`` is :meth:`~bayesstreams.data.codebook.Codebook.actions`; a factor whose codebook
    gives no action gets ``action = None`` (the text outputs then word one from the label and say so).
    Plans get ``labels`` and ``actions``, one per factor.  ``data`` itself is left as it is, so the
    same advice can be worded in either language.
    """
    actions = actions or {}

    def label(factor: str) -> str:
        return labels.get(factor, {}).get(lang, factor)

    def action(factor: str):
        return actions.get(factor, {}).get(lang) or None

    out = dict(data)
    for key in ("levers", "find_out_first", "necessity"):
        out[key] = [{**entry, "label": label(entry["factor"]), "action": action(entry["factor"])}
                    for entry in data[key]]
    out["blocks"] = [{**block, "steps": [{**e, "label": label(e["factor"]), "action": action(e["factor"])}
                                         for e in block["steps"]]} for block in data.get("blocks", [])]
    for key in ("plans", "then_w2_plans"):
        out[key] = [{**plan, "labels": [label(f) for f in plan["factors"]],
                     "actions": [action(f) for f in plan["factors"]]} for plan in data[key]]
    return out


def json_safe(value):
    """``value`` with every non-finite float replaced by None, through dicts, lists and tuples (strict JSON)."""
    # the plain types first, by their exact type (a score's advice is tens of thousands of values); then subclasses
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {k: json_safe(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def advice_to_dict(advice: CaseAdvice, labels: dict | None = None, lang: str = "en",
                   actions: dict | None = None) -> dict:
    """The advice as JSON-ready data (NaN -> None: an unknown window, a code not discussed).

    Every factor entry gets its codebook ``label`` and ``action`` in ``lang`` (:func:`label_advice`).
    """
    # json_safe builds every dict and list afresh, so it copies as asdict would (the advice holds no dataclass)
    fields = {item.name: getattr(advice, item.name) for item in dataclasses.fields(advice)}
    return label_advice(json_safe(fields), labels or {}, lang, actions)
