"""Posterior queries (MODEL.md §4): NumPy over saved draws, tidy pandas tables out.

Every query is computed once per posterior draw from the flattened draws of a run
(``run.posterior``: parameter -> array whose first axis is the sample) and the run's
dataset; nothing is recompiled and PyMC is never imported.  Each table reports the
posterior mean and the bounds of the 50% (``q25``-``q75``) and 90% (``q05``-``q95``)
central intervals; effects also carry ``p_gt_0``, the posterior probability that the
effect is positive.

Two layers:

* kernels (:func:`baseline`, :func:`windows`, :func:`do_factor`, :func:`ace_draws`, ...)
  return per-draw arrays; :mod:`bayesstreams.analysis.contraction` runs them on prior draws too;
* table functions (:func:`factor_importance`, :func:`case_predictions`, :func:`levers`,
  ...) summarise those arrays into one row per labelled quantity.

Both model kinds are served: the streams model (MODEL.md §2) and the additive baseline
(§3).  The kind is read from the parameter names in the draws.  Stream activation and
bottlenecks exist only in the streams model.

Interventions ``do(x[i,k] = v)`` replace the code of factor ``k`` in every case and leave
everything else as coded; "not discussed" counts as ``0`` (MODEL.md §2, v1).  Causal
readings rest on the assumptions in :data:`CAUSAL_NOTE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayesstreams.analysis.quantiles import column_quantiles
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.support import CODES, observed_codes, support_arrays
from bayesstreams.errors import RunError
from bayesstreams.fast.registry import cell_sums, do_factors_windows, expected_q
from bayesstreams.model.kinds import get_kind, kind_of_draws
from bayesstreams.model.windows import Baseline, Windows

if TYPE_CHECKING:  # pandas is imported where tables are built: the kernels serve `score` without it
    import pandas as pd

QUANTILES = {"q05": 0.05, "q25": 0.25, "q75": 0.75, "q95": 0.95}
SUMMARY_COLUMNS = ("mean", *QUANTILES)
# (label, a, b): ACE = P(W | do(x = a)) - P(W | do(x = b)); the order is kept (index 0 is read as "+1 vs -1")
CONTRASTS = (("+1 vs -1", 1.0, -1.0), ("+1 vs 0", 1.0, 0.0), ("0 vs -1", 0.0, -1.0))
# each contrast as the step of the code it takes (MODEL.md §8: the ACE is reported per step)
STEPS = {"+1 vs -1": "-1 -> +1", "+1 vs 0": "0 -> +1", "0 vs -1": "-1 -> 0"}
WINDOWS = ("W1", "W2")
DEFAULT_MIN_GAIN = 0.05
ACE_BLOCK = 4_000_000  # (draw, factor, case) values per array of the all-factors ACE pass (32 MB)

PREDICTION_NOTE = (
    "P(W1) and P(W2) are predicted from the factor codes only: they do not condition on the "
    "observed stream states or windows of the case. P(W2) is marginal over W1; "
    "P(W2 | W1=1) assumes the phase-1 window opened. Not-discussed factors count as 0."
)
CAUSAL_NOTE = (
    "Causal readings (effects, levers, necessity) assume the DAG factors -> streams -> "
    "window 1 -> window 2 and no unmeasured common cause of factor codes and windows; codes "
    "come from interviews and from analysts who also judged the windows (MODEL.md §5)."
)


# ---------------------------------------------------------------------------- draws


def draws_from_datatree(dt, group: str = "posterior") -> dict[str, np.ndarray]:
    """Flatten one group of an ArviZ DataTree to ``{name: (sample, ...)}`` arrays, chain-major.

    Parameters
    ----------
    dt
        An ``xarray.DataTree`` (as made by ``arviz.from_dict`` or read from ``trace.nc``),
        or an ``xarray.Dataset`` holding the group directly.
    group
        The group to flatten (``"posterior"`` or ``"prior"``).

    Returns
    -------
    dict
        Every data variable with its ``chain`` and ``draw`` dims moved to the front and
        merged into one sample axis: sample ``c * n_draws + d`` is draw ``d`` of chain ``c``.
    """
    node = dt[group] if hasattr(dt, "children") else dt
    data = node.to_dataset() if hasattr(node, "to_dataset") else node
    out = {}
    for name, variable in data.data_vars.items():
        sample_dims = [d for d in ("chain", "draw") if d in variable.dims]
        array = np.asarray(variable.transpose(*sample_dims, ...).values, dtype=float)
        n_sample = int(np.prod(array.shape[:len(sample_dims)]))
        out[str(name)] = array.reshape(n_sample, *array.shape[len(sample_dims):])
    return out


def model_kind(draws: dict) -> str:
    """The name of the model kind whose parameters ``draws`` hold (``"streams"`` or ``"additive"``)."""
    return kind_of_draws(draws).name


# ---------------------------------------------------------------------------- summaries


def quantile_names(quantiles=None) -> dict[str, float]:
    """``{column: level}`` of the summary's quantile columns: the default 50%/90% bounds, or ``quantiles``.

    A level ``q`` is named ``q`` + its percentage (``0.05`` -> ``q05``, ``0.975`` -> ``q97.5``).

    Examples
    --------
    >>> quantile_names((0.025, 0.5, 0.975))
    {'q02.5': 0.025, 'q50': 0.5, 'q97.5': 0.975}
    """
    if quantiles is None:
        return dict(QUANTILES)
    out = {}
    for level in quantiles:
        level = float(level)
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"a quantile level must lie in [0, 1], not {level!r}")
        out["q" + f"{100 * level:05.2f}".rstrip("0").rstrip(".").zfill(2)] = level
    return out


def summarise(samples: np.ndarray, quantiles=None) -> dict[str, np.ndarray]:
    """Posterior mean and interval bounds (default 50% and 90%; see :func:`quantile_names`) over the first axis."""
    samples = np.asarray(samples, dtype=float)
    names = quantile_names(quantiles)
    out = {"mean": samples.mean(axis=0)}
    bounds = column_quantiles(samples, list(names.values()))
    out.update(zip(names, bounds))
    return out


def summary_frame(rows: list[dict], samples: np.ndarray, p_gt_0: bool = False, quantiles=None) -> pd.DataFrame:
    """One row per column of ``samples`` (sample, row): the labels of ``rows`` plus the summary."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows)
    samples = np.asarray(samples, dtype=float).reshape(-1, len(rows))
    for column, values in summarise(samples, quantiles).items():
        frame[column] = values
    if p_gt_0:
        frame["p_gt_0"] = (samples > 0).mean(axis=0)
    return frame


def _frame(rows: list[dict], columns: list[np.ndarray], label_columns: list[str],
           p_gt_0: bool = False, quantiles=None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`summary_frame` from per-row sample vectors; an empty table keeps its columns."""
    if not rows:
        import pandas as pd

        names = label_columns + ["mean", *quantile_names(quantiles)] + (["p_gt_0"] if p_gt_0 else [])
        return pd.DataFrame(columns=names), np.empty((0, 0))
    samples = np.column_stack(columns)
    return summary_frame(rows, samples, p_gt_0, quantiles), samples


def _factor_labels(dataset, k: int) -> dict:
    return {"factor": dataset.factor_ids[k], "phase": PHASES[dataset.factor_phase[k]],
            "stream": STREAMS[dataset.factor_stream[k]]}


# ---------------------------------------------------------------------------- kernels


def baseline(draws: dict, dataset) -> Baseline:
    """Linear predictors (and, for a kind with streams, ``q`` and ``pibar``) of every draw and case.

    ``dataset`` needs ``x`` (case, factor; NaN where not discussed), ``factor_phase``,
    ``factor_stream`` and ``group`` (case,), ``-1`` for no group; group offsets ``gamma`` are
    added when drawn.  The model kind, and its evidence mode (MODEL.md §7), are read from the
    parameter names in ``draws``: a not-discussed cell is 0 in ``zero`` mode and summed out
    with its evidence weights otherwise, by the numba kernel (:mod:`bayesstreams.fast.registry`).
    """
    return kind_of_draws(draws).baseline(draws, np.asarray(dataset.x, dtype=float),
                                         np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream),
                                         np.asarray(dataset.group, dtype=int), records=dataset, qt=expected_q,
                                         sums=cell_sums)


def run_baseline(run) -> Baseline:
    """The baseline of ``run``'s posterior on its own dataset, computed once and kept in ``run.memo``.

    Every query of a run shares it (the per-draw window probabilities at the coded values).
    """
    base = run.memo.get("baseline")
    if base is None:
        base = run.memo["baseline"] = baseline(run.posterior, run.dataset)
    return base


def run_prior_baseline(run) -> Baseline | None:
    """The baseline of ``run``'s prior draws on its own dataset (None without prior draws), kept in ``run.memo``.

    The contraction table, the claims' prior summaries and the structural probabilities share it.
    """
    if not run.prior:
        return None
    base = run.memo.get("prior_baseline")
    if base is None:
        base = run.memo["prior_baseline"] = baseline(run.prior, run.dataset)
    return base


def windows(base: Baseline) -> Windows:
    """Window probabilities at the coded factor values (computed once per baseline)."""
    if "windows" not in base.cache:
        base.cache["windows"] = get_kind(base.kind).windows(base)
    return base.cache["windows"]


def do_factor(base: Baseline, k: int, value, cases=None) -> Windows:
    """Window probabilities under ``do(x[:, k] = value)`` (a scalar, or one value per case).

    A factor only moves its own phase's stream (streams model) or window log-odds
    (additive model); the other phase changes only through the dependency of W2 on W1.
    ``cases``: the windows of these cases only (an index array), the same numbers as their columns of all.
    """
    return get_kind(base.kind).do_factor(base, k, value, cases=cases)


def gain_draws(draws: dict, dataset, factor: str, value, base: Baseline | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw gains (sample, case) in P(W1) and P(W2) from ``do(factor = value)`` over the codes as they are."""
    base = base or baseline(draws, dataset)
    k = list(dataset.factor_ids).index(factor)
    now, moved = windows(base), do_factor(base, k, value)
    return moved.p1 - now.p1, moved.p2 - now.p2


def ace_draws(draws: dict, dataset, base: Baseline | None = None) -> np.ndarray:
    """Average causal effects per draw, (sample, factor, window, contrast).

    ``ACE[k, p] = mean_i [P(W_p = 1 | do(x_ik = a)) - P(W_p = 1 | do(x_ik = b))]`` for the
    contrasts of :data:`CONTRASTS`; W2 is marginal over W1, so a phase-1 factor's effect
    on W2 is its total effect through W1, and a phase-2 factor's effect on W1 is 0.
    """
    base = base or baseline(draws, dataset)
    if "ace" in base.cache:
        return base.cache["ace"]
    kind = get_kind(base.kind)
    if not hasattr(kind, "do_factors"):  # a kind without the all-factors intervention: one factor at a time
        base.cache["ace"] = ace_draws_reference(base)
        return base.cache["ace"]
    # every factor under each code in one pass, (sample, factor, case): one do_factors per code, not one
    # do_factor per factor and code; equal to ace_draws_reference (tests/analysis/test_ace_fast.py)
    n_draws, n_cases = base.eta.shape[:2]
    n_factors = base.x.shape[1]
    out = np.empty((n_draws, n_factors, len(WINDOWS), len(CONTRASTS)))
    block = max(1, ACE_BLOCK // max(1, n_draws * n_cases))  # factors per pass: memory stays bounded at any N
    for first in range(0, n_factors, block):
        ks = np.arange(first, min(n_factors, first + block))
        at = {v: _do_factors(kind, base, v, ks) for v in (1.0, 0.0, -1.0)}  # (P(W1), P(W2)) per code
        for c, (_, a, b) in enumerate(CONTRASTS):
            out[:, ks, 0, c] = (at[a][0] - at[b][0]).mean(axis=-1)
            out[:, ks, 1, c] = (at[a][1] - at[b][1]).mean(axis=-1)
    base.cache["ace"] = out
    return out


def _do_factors(kind, base: Baseline, value: float, ks) -> tuple[np.ndarray, np.ndarray]:
    """``(P(W1), P(W2))`` (sample, factor, case) under ``do(x[:, k] = value)``: the numba kernels where they serve
    (:func:`bayesstreams.fast.registry.do_factors_windows`, bit for bit the same), else ``kind.do_factors``."""
    found = do_factors_windows(base, value, ks)
    if found is None:
        moved = kind.do_factors(base, value, ks)
        found = moved.p1, moved.p2
    return found


def ace_draws_reference(base: Baseline) -> np.ndarray:
    """:func:`ace_draws` one :func:`do_factor` per factor and code: the reference the all-factors pass is held to."""
    n_factors = base.x.shape[1]
    out = np.empty((base.eta.shape[0], n_factors, len(WINDOWS), len(CONTRASTS)))
    for k in range(n_factors):
        at = {v: do_factor(base, k, v) for v in (1.0, 0.0, -1.0)}
        for c, (_, a, b) in enumerate(CONTRASTS):
            out[:, k, 0, c] = (at[a].p1 - at[b].p1).mean(axis=1)
            out[:, k, 1, c] = (at[a].p2 - at[b].p2).mean(axis=1)
    return out


def dependency_draws(draws: dict, dataset, base: Baseline | None = None) -> np.ndarray:
    """``mean_i [P(W2 | do(W1=1)) - P(W2 | do(W1=0))]`` per draw; ``mean_i pibar2 (1 - rho)`` for streams."""
    w = windows(base or baseline(draws, dataset))
    return (w.p2_open - w.p2_closed).mean(axis=1)


def bottleneck_draws(base: Baseline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bottleneck stream of each case and phase, from the streams model's ``q``.

    Returns
    -------
    lowest : (case, phase) index of the stream with the lowest posterior-mean ``q``.
    q_mean : (case, phase, stream) posterior-mean ``q``.
    p_lowest : (case, phase) share of draws in which that stream has the lowest ``q``.
    """
    _require_streams(base, "a stream bottleneck")
    q_mean = base.q.mean(axis=0)
    lowest = q_mean.argmin(axis=-1)
    p_lowest = (base.q.argmin(axis=-1) == lowest[None]).mean(axis=0)
    return lowest, q_mean, p_lowest


def lever_gains(base: Baseline, now: Windows, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Gains (sample, case) in P(W1) and P(W2) from ``do(x_k = +1)`` over the codes as they are."""
    up = do_factor(base, k, 1.0)
    return up.p1 - now.p1, up.p2 - now.p2


def _require_streams(base: Baseline, what: str) -> None:
    if not base.has_streams:
        raise RunError(f"{what} exists only in the streams model; this run is a {base.kind} model")


# ---------------------------------------------------------------------------- factor tables


def _path(factor_phase: int, window: int) -> str:
    """How a factor reaches a window: its own phase's window directly, W2 through W1, W1 never from phase 2."""
    if factor_phase == window:
        return "direct"
    return "through W1" if factor_phase < window else "none"


def factor_importance(posterior: dict, dataset, base: Baseline | None = None, quantiles=None) -> pd.DataFrame:
    """Factor effects: ``beta`` and the average causal effects on W1 and W2.

    Returns
    -------
    DataFrame
        Columns ``factor, phase, stream, quantity, window, contrast, step, extrapolated, path``
        and the summary ``mean, q05, q25, q75, q95, p_gt_0``.  ``quantity`` is ``"beta"``
        (window, contrast, step, extrapolated and path empty) or ``"ace"``, with ``window`` in
        W1/W2, ``contrast`` "+1 vs -1", "+1 vs 0" or "0 vs -1" and ``step`` the same as the
        change of code ("-1 -> +1", "0 -> +1", "-1 -> 0"); ``extrapolated`` is True when
        the step's start or end code was never coded for the factor (a not-discussed cell is never
        an observed code, whatever the evidence mode reads it as; see
        :func:`bayesstreams.data.support.observed_codes`); ``path`` is "direct",
        "through W1" (phase-1 factor on W2) or "none" (phase-2 factor on W1, always 0).
    """
    ace = ace_draws(posterior, dataset, base)
    seen = observed_codes(dataset, None)
    rows, columns = [], []
    for k in range(len(dataset.factor_ids)):
        labels = _factor_labels(dataset, k)
        rows.append({**labels, "quantity": "beta", "window": None, "contrast": None, "step": None,
                     "extrapolated": None, "path": None})
        columns.append(posterior["beta"][:, k])
        for w, window in enumerate(WINDOWS):
            for c, (contrast, a, b) in enumerate(CONTRASTS):
                outside = not (seen[k, CODES.index(a)] and seen[k, CODES.index(b)])
                rows.append({**labels, "quantity": "ace", "window": window, "contrast": contrast,
                             "step": STEPS[contrast], "extrapolated": outside, "path": _path(labels["phase"], w + 1)})
                columns.append(ace[:, k, w, c])
    return _frame(rows, columns, [], p_gt_0=True, quantiles=quantiles)[0]


def stream_summary(posterior: dict, dataset, base: Baseline | None = None, quantiles=None) -> pd.DataFrame:
    """Per phase and stream: ``mu``, ``tau`` and the mean ACE (+1 vs -1) of the stream's factors.

    Returns
    -------
    DataFrame
        Columns ``phase, stream, n_factors, quantity, window`` and the summary.  ``quantity``
        is ``mu``, ``tau`` or ``mean_ace``; ``mean_ace`` rows exist for the stream's own
        window and, for phase-1 streams, for W2 (the total effect through W1), and only
        for streams that have factors.
    """
    ace = ace_draws(posterior, dataset, base)[..., 0]
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    rows, columns = [], []
    for p, phase_label in enumerate(PHASES):
        for s, stream_label in enumerate(STREAMS):
            members = np.flatnonzero((phase == p) & (stream == s))
            labels = {"phase": phase_label, "stream": stream_label, "n_factors": len(members)}
            for name in ("mu", "tau"):
                rows.append({**labels, "quantity": name, "window": None})
                columns.append(posterior[name][:, p, s])
            reached = range(p, len(WINDOWS)) if len(members) else range(0)
            for w in reached:
                rows.append({**labels, "quantity": "mean_ace", "window": WINDOWS[w]})
                columns.append(ace[:, members, w].mean(axis=1))
    return _frame(rows, columns, [], p_gt_0=True, quantiles=quantiles)[0]


def phase_dependency(posterior: dict, dataset, base: Baseline | None = None, quantiles=None) -> pd.DataFrame:
    """The phase dependency: its parameter and ``mean_i [P(W2 | do(W1=1)) - P(W2 | do(W1=0))]``.

    Returns
    -------
    DataFrame
        Rows ``quantity`` = ``rho`` (streams; ``delta`` for the additive model) and
        ``dependency_effect``, with the summary and ``p_gt_0``.
    """
    parameter = kind_of_draws(posterior).dependency_parameter
    rows = [{"quantity": parameter}, {"quantity": "dependency_effect"}]
    columns = [posterior[parameter], dependency_draws(posterior, dataset, base)]
    return _frame(rows, columns, [], p_gt_0=True, quantiles=quantiles)[0]


# ---------------------------------------------------------------------------- case tables


def case_predictions(posterior: dict, dataset, base: Baseline | None = None, quantiles=None) -> pd.DataFrame:
    """In-sample window probabilities per case, from the codes only (see :data:`PREDICTION_NOTE`).

    Returns
    -------
    DataFrame
        Columns ``case_id, quantity, w1, w2, n_not_discussed`` and the summary, where
        ``quantity`` is ``p_w1`` (``pibar1``), ``p_w2`` (``pibar2 (P(W1) + (1 - P(W1)) rho)``,
        marginal over W1) or ``p_w2_given_w1`` (``pibar2``); ``w1``, ``w2`` are the observed
        windows.  The predictions do not condition on observed streams or windows.
    """
    w = windows(base or baseline(posterior, dataset))
    observed = np.asarray(dataset.w, dtype=float)
    missing = np.asarray(dataset.n_not_discussed)
    rows, columns = [], []
    for i, case_id in enumerate(dataset.case_ids):
        for quantity, samples in (("p_w1", w.p1), ("p_w2", w.p2), ("p_w2_given_w1", w.p2_open)):
            rows.append({"case_id": case_id, "quantity": quantity, "w1": observed[i, 0], "w2": observed[i, 1],
                         "n_not_discussed": int(missing[i])})
            columns.append(samples[:, i])
    return _frame(rows, columns, [], quantiles=quantiles)[0]


def stream_activation(posterior: dict, dataset, base: Baseline | None = None, quantiles=None) -> pd.DataFrame:
    """Stream activation ``q`` per case, phase and stream (streams model).

    Returns
    -------
    DataFrame
        Columns ``case_id, phase, stream, observed`` (the coded stream state, NaN where not
        coded), the summary of ``q``, and ``bottleneck`` (True for the stream with the
        lowest posterior-mean ``q`` of its case and phase).
    """
    base = base or baseline(posterior, dataset)
    _require_streams(base, "stream activation")
    observed = np.asarray(dataset.s, dtype=float)
    lowest = base.q.mean(axis=0).argmin(axis=-1)
    rows, columns = [], []
    for i, case_id in enumerate(dataset.case_ids):
        for p, phase in enumerate(PHASES):
            for s, stream in enumerate(STREAMS):
                rows.append({"case_id": case_id, "phase": phase, "stream": stream, "observed": observed[i, p, s]})
                columns.append(base.q[:, i, p, s])
    frame = _frame(rows, columns, [], quantiles=quantiles)[0]
    frame["bottleneck"] = [bool(lowest[i, p] == s) for i in range(len(dataset.case_ids))
                           for p in range(len(PHASES)) for s in range(len(STREAMS))]
    return frame


def bottlenecks(posterior: dict, dataset, base: Baseline | None = None) -> pd.DataFrame:
    """The bottleneck stream of each case and phase: the lowest posterior-mean ``q``.

    Returns
    -------
    DataFrame
        Columns ``case_id, phase, stream, q_mean`` and ``p_lowest``, the share of draws in
        which this stream has the lowest ``q`` of the phase (ties to the first stream).
    """
    import pandas as pd

    lowest, q_mean, p_lowest = bottleneck_draws(base or baseline(posterior, dataset))
    rows = []
    for i, case_id in enumerate(dataset.case_ids):
        for p, phase in enumerate(PHASES):
            s = int(lowest[i, p])
            rows.append({"case_id": case_id, "phase": phase, "stream": STREAMS[s], "q_mean": float(q_mean[i, p, s]),
                         "p_lowest": float(p_lowest[i, p])})
    return pd.DataFrame.from_records(rows, columns=["case_id", "phase", "stream", "q_mean", "p_lowest"])


def _sorted(keys: list[tuple], rows: list[dict], columns: list[np.ndarray]) -> tuple[list[dict], list[np.ndarray]]:
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return [rows[j] for j in order], [columns[j] for j in order]


def levers(posterior: dict, dataset, min_gain: float = DEFAULT_MIN_GAIN, base: Baseline | None = None,
           quantiles=None) -> pd.DataFrame:
    """Levers per case: the gain in P(W2) and P(W1) from ``do(x_k = +1)``, ranked.

    Every factor not at ``+1`` is a lever (not discussed counts as 0).  The gain on W1
    is listed for phase-1 factors only (a phase-2 factor cannot move W1).

    Returns
    -------
    DataFrame
        Columns ``case_id, factor, phase, stream, code, window``, the summary of the gain,
        ``p_gain_gt_threshold`` (the posterior probability that the gain exceeds
        ``threshold``), ``threshold``, ``rank`` (1 = largest posterior-mean gain within
        the case and window) and ``support``, the factor's data support
        (:func:`bayesstreams.data.support.data_support`): a factor labelled
        ``"no data: prior only"`` is not a lever to offer (MODEL.md §9; the report, the brief
        and ``score`` leave it out).  Sorted by case, window (W2 first), rank.
    """
    base = base or baseline(posterior, dataset)
    now = windows(base)
    x = np.asarray(dataset.x, dtype=float)
    keys, rows, columns = [], [], []
    for k in range(x.shape[1]):
        gain_w1, gain_w2 = lever_gains(base, now, k)
        gains = {"W2": gain_w2, "W1": gain_w1}
        moved = ("W2", "W1") if base.factor_phase[k] == 0 else ("W2",)
        for window in moved:
            for i in np.flatnonzero(base.x[:, k] != 1):
                keys.append((i, window != "W2", k))
                rows.append({"case_id": dataset.case_ids[i], **_factor_labels(dataset, k), "code": x[i, k],
                             "window": window})
                columns.append(gains[window][:, i])
    rows, columns = _sorted(keys, rows, columns)
    labels = ["case_id", "factor", "phase", "stream", "code", "window"]
    frame, samples = _frame(rows, columns, labels, quantiles=quantiles)
    frame["p_gain_gt_threshold"] = (samples > min_gain).mean(axis=0) if len(frame) else []
    frame["threshold"] = min_gain
    support = dict(zip(dataset.factor_ids, support_arrays(dataset).labels))
    frame["support"] = frame["factor"].map(support) if len(frame) else []
    return _rank(frame, dataset.case_ids)


def _rank(frame: pd.DataFrame, case_ids) -> pd.DataFrame:
    if frame.empty:
        frame["rank"] = np.zeros(0, dtype=int)
        return frame
    frame["rank"] = frame.groupby(["case_id", "window"])["mean"].rank(ascending=False, method="first").astype(int)
    position = {c: j for j, c in enumerate(case_ids)}
    order = frame.assign(_case=frame["case_id"].map(position), _w=frame["window"] != "W2")
    order = order.sort_values(["_case", "_w", "rank"], kind="stable")
    return order.drop(columns=["_case", "_w"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- all at once


def query_tables(run, min_gain: float = DEFAULT_MIN_GAIN) -> dict[str, pd.DataFrame]:
    """Every query table of a run (``run.posterior``, ``run.dataset``), keyed by name.

    The baseline of the posterior (:func:`run_baseline`) is computed once and shared by every table.
    """
    posterior, dataset = run.posterior, run.dataset
    base = run_baseline(run)
    tables = {
        "factor_importance": factor_importance(posterior, dataset, base=base),
        "stream_summary": stream_summary(posterior, dataset, base=base),
        "phase_dependency": phase_dependency(posterior, dataset, base=base),
        "case_predictions": case_predictions(posterior, dataset, base=base),
        "levers": levers(posterior, dataset, min_gain, base=base),
    }
    if base.has_streams:
        tables["stream_activation"] = stream_activation(posterior, dataset, base=base)
        tables["bottlenecks"] = bottlenecks(posterior, dataset, base=base)
    return tables
