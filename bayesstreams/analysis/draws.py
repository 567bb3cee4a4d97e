"""The causal quantities of a run per posterior draw, as labelled xarray objects.

The tables of :mod:`bayesstreams.analysis.queries` are summaries of exactly these arrays;
here they are kept whole, with named dims (``draw``, ``factor``, ``case``, ``window``,
``contrast``, ``phase``, ``stream``) and a ``chain`` coordinate on ``draw``, for a user who
wants their own summaries, plots or tests (``study.q.effects(draws=True)``).
:func:`summary` turns any of them into a tidy table at any quantiles.

Examples
--------
>>> draws = effect_draws(run)
>>> float(draws["ace"].sel(factor="p1_insight", window="W1", contrast="+1 vs -1").mean()) > 0
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from bayesstreams.analysis.queries import (CONTRASTS, WINDOWS, ace_draws, dependency_draws, quantile_names,
                                           run_baseline, windows)
from bayesstreams.data.codebook import PHASES, STREAMS


def _draw_coords(run) -> dict:
    n = run.n_samples
    return {"draw": np.arange(n), "chain": ("draw", np.repeat(np.arange(run.n_chains), n // run.n_chains))}


def _factor_coords(dataset) -> dict:
    return {"factor": list(dataset.factor_ids),
            "factor_phase": ("factor", [PHASES[p] for p in dataset.factor_phase]),
            "factor_stream": ("factor", [STREAMS[s] for s in dataset.factor_stream])}


def effect_draws(run) -> xr.Dataset:
    """``beta`` (draw, factor) and the average causal effect ``ace`` (draw, factor, window, contrast).

    Examples
    --------
    >>> draws = effect_draws(run)
    >>> draws["ace"].dims, list(draws["contrast"].values)
    (('draw', 'factor', 'window', 'contrast'), ['+1 vs -1', '+1 vs 0', '0 vs -1'])
    """
    ace = ace_draws(run.posterior, run.dataset, run_baseline(run))
    coords = {**_draw_coords(run), **_factor_coords(run.dataset), "window": list(WINDOWS),
              "contrast": [c[0] for c in CONTRASTS]}
    return xr.Dataset({"beta": (("draw", "factor"), np.asarray(run.posterior["beta"], dtype=float)),
                       "ace": (("draw", "factor", "window", "contrast"), ace)}, coords=coords)


def case_draws(run) -> xr.Dataset:
    """``p_w1``, ``p_w2`` and ``p_w2_given_w1`` (draw, case): each case's chances from its codes.

    Examples
    --------
    >>> case_draws(run)["p_w1"].sizes["case"]
    8
    """
    now = windows(run_baseline(run))
    coords = {**_draw_coords(run), "case": list(run.dataset.case_ids)}
    return xr.Dataset({name: (("draw", "case"), values) for name, values in
                       (("p_w1", now.p1), ("p_w2", now.p2), ("p_w2_given_w1", now.p2_open))}, coords=coords)


def dependency_draws_xr(run) -> xr.Dataset:
    """The dependency parameter (``rho``; ``delta`` for the additive kind) and ``dependency_effect`` (draw).

    Examples
    --------
    >>> sorted(dependency_draws_xr(run).data_vars)
    ['dependency_effect', 'rho']
    """
    parameter = run.kind.dependency_parameter
    return xr.Dataset({parameter: ("draw", np.asarray(run.posterior[parameter], dtype=float)),
                       "dependency_effect": ("draw", dependency_draws(run.posterior, run.dataset,
                                                                      run_baseline(run)))},
                      coords=_draw_coords(run))


def activation_draws(run) -> xr.DataArray:
    """Stream activation ``q`` (draw, case, phase, stream); kinds with streams only.

    Examples
    --------
    >>> activation_draws(run).dims
    ('draw', 'case', 'phase', 'stream')
    """
    base = run_baseline(run)
    if not base.has_streams:
        raise ValueError(f"the {run.kind.name} model has no streams: no stream activation")
    coords = {**_draw_coords(run), "case": list(run.dataset.case_ids), "phase": list(PHASES),
              "stream": list(STREAMS)}
    return xr.DataArray(base.q, dims=("draw", "case", "phase", "stream"), coords=coords, name="q")


def summary(draws: xr.Dataset | xr.DataArray, quantiles=None, p_gt_0: bool = True) -> pd.DataFrame:
    """A tidy table of per-draw quantities: one row per labelled element, ``mean``, the quantiles, ``p_gt_0``.

    ``quantiles`` default to the tables' 5/25/75/95% (named ``q05`` ...; see
    :func:`bayesstreams.analysis.queries.quantile_names`).

    Examples
    --------
    >>> table = summary(dependency_draws_xr(run), quantiles=(0.025, 0.975))
    >>> list(table.columns)
    ['quantity', 'mean', 'q02.5', 'q97.5', 'p_gt_0']
    """
    names = quantile_names(quantiles)
    dataset = draws.to_dataset() if isinstance(draws, xr.DataArray) else draws
    frames = []
    for name, values in dataset.data_vars.items():
        stats = {"mean": values.mean("draw")}
        bounds = values.quantile(list(names.values()), dim="draw")
        for column, level in names.items():
            stats[column] = bounds.sel(quantile=level, drop=True)
        if p_gt_0:
            stats["p_gt_0"] = (values > 0).mean("draw")
        frame = xr.Dataset(stats).to_dataframe().reset_index()
        frame = frame.drop(columns=[c for c in ("chain",) if c in frame.columns])
        frame.insert(0, "quantity", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
