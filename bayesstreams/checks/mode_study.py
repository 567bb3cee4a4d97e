"""Which not-discussed mode? A simulation study of the evidence modes (MODEL.md §7, issue 13 item 5).

Data sets are drawn with a known truth in which a not-discussed cell hides a real code, under two
mechanisms: ``mar`` (each cell not discussed with probability ``p_missing``, whatever its code: the
assumption of ``marginal``) and ``salience`` (a cell is discussed with probability
``salience_zero`` when its true code is 0 and ``salience_nonzero`` otherwise: not at random, the
assumption of ``salience``).  The other parameters and the true codes come from the prior of
``models/streams-marginal.toml``; the outcomes from the true codes (MODEL.md §2).  Both mechanisms
record the *same* true codes and outcomes of a data set (paired), so the modes are compared on equal
terms.

Each data set is fitted under every mode (``zero``, ``marginal``, ``salience``) and scored on

* ``beta`` (every factor's effect) and each case's ``P(W1)``, ``P(W2)`` (marginal over W1) against
  their true values: bias and RMSE of the posterior mean, and coverage of the central 90% interval.
  The true ``P(W)`` of a case is its window probability at its true codes and the true parameters;
  a fit sees only what was recorded, so this scores the case predictions a report would show;
* the windows-only PSIS-LOO elpd (:func:`bayesstreams.checks.compare.psis_loo`, ``target =
  "windows"``): modes have different likelihoods (an evidence mode's includes the codes' own terms),
  and only the windows' predictive density is comparable across them (MODEL.md §7).

:func:`recovery_summary` is plain arithmetic on the per-quantity rows, so a test can check it against
a direct computation.  One Dask task fits one data set under every truth and mode; the tasks of one
case count go to one worker, which compiles each evidence mode's model once for that shape and swaps
the data in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from bayesstreams.analysis.queries import baseline, dependency_draws, run_baseline, windows
from bayesstreams.atomic import atomic_folder, refuse_existing
from bayesstreams.checks.cluster import check_client
from bayesstreams.checks.compare import Comparison, compare_fits, format_comparison, psis_loo
from bayesstreams.checks.sbc import layout_of
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.inference.fit import fit, resolve_model
from bayesstreams.model.modes import MODES, get_mode
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.simulate import (draw_true_codes, hide_streams, record_codes, simulate_outcomes,
                                         simulated_dataset, simulation_codebook)

# the recording mechanisms of the truth, each the missingness of the mode that assumes it
TRUTH_MODES = {"mar": "marginal", "salience": "salience"}
TRUTHS = tuple(TRUTH_MODES)
GROUPS = ("beta", "p_w1", "p_w2")


@dataclass(frozen=True)
class ModeStudySettings:
    """Everything that defines a mode study (picklable: it travels to the workers)."""

    n_datasets: int = 10
    case_counts: tuple = (8, 30)
    truths: tuple = TRUTHS
    modes: tuple = tuple(MODES)
    p_missing: float = 0.4
    salience_zero: float = 0.3
    salience_nonzero: float = 0.8
    factors_per_stream: int | None = 2
    observed_streams: float = 0.5
    draws: int = 300
    tune: int = 300
    chains: int = 2
    seed: int = 1

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def _truth_config():
    return resolve_model(get_mode(TRUTH_MODES["mar"]).shipped_model)


def simulate_study_data(settings: ModeStudySettings, n_cases: int, index: int, truth: str):
    """``(params, x_true, dataset)`` of data set ``index`` with ``n_cases`` cases, recorded under ``truth``.

    The parameters, true codes, stream states and windows depend on ``(seed, n_cases, index)`` only;
    ``truth`` decides which cells were discussed (``mar`` or ``salience``).
    """
    if truth not in TRUTHS:
        raise ValueError(f"unknown truth {truth!r} (known: {', '.join(TRUTHS)})")
    rng = np.random.default_rng([settings.seed, n_cases, index])
    layout = layout_of(settings.factors_per_stream)
    codebook = simulation_codebook(dict(layout) if layout else None)
    phase = np.array([PHASES.index(f.phase) for f in codebook.factors])
    stream = np.array([STREAMS.index(f.stream) for f in codebook.factors])
    params = {k: v[0] for k, v in draw_prior(_truth_config(), phase, stream, 0, 1, rng).items()}
    x_true = draw_true_codes(params, n_cases, rng)
    s, w = simulate_outcomes(params, x_true, phase, stream, rng)
    s = hide_streams(s, settings.observed_streams, rng)
    mechanism = get_mode(TRUTH_MODES[truth])
    params = {**params, **mechanism.recording_parameters(settings.salience_zero, settings.salience_nonzero)}
    recording = np.random.default_rng([settings.seed, n_cases, index, TRUTHS.index(truth)])
    x, _ = record_codes(x_true, params, recording, settings.p_missing)
    return params, x_true, simulated_dataset(codebook, x, s, w, name=f"{truth}-{n_cases}-{index}")


def true_windows(params: dict, x_true: np.ndarray, dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(P(W1), P(W2))`` per case at the true codes and parameters (P(W2) marginal over W1)."""
    draws = {k: np.asarray(params[k], dtype=float)[None] for k in ("alpha", "beta", "lambda", "kappa", "rho")}
    found = windows(baseline(draws, replace(dataset, x=np.asarray(x_true, dtype=float))))
    return found.p1[0], found.p2[0]


def recovery_rows(labels: list[str], group: str, samples: np.ndarray, truth: np.ndarray, info: dict) -> list[dict]:
    """One row per quantity: posterior mean, error (mean - truth) and whether the central 90% interval covers it.

    ``samples`` is (draw, quantity), ``truth`` (quantity,).
    """
    samples = np.asarray(samples, dtype=float)
    mean = samples.mean(axis=0)
    low, high = np.quantile(samples, [0.05, 0.95], axis=0)
    return [{**info, "group": group, "quantity": label, "truth": float(truth[q]), "post_mean": float(mean[q]),
             "error": float(mean[q] - truth[q]), "in_90": bool(low[q] <= truth[q] <= high[q])}
            for q, label in enumerate(labels)]


def fit_and_score(settings: ModeStudySettings, n_cases: int, index: int, truth: str, mode: str) -> tuple[list, dict]:
    """Fit one simulated data set under one mode: ``(recovery rows, fit row)`` (elpd, diagnostics, time)."""
    params, x_true, dataset = simulate_study_data(settings, n_cases, index, truth)
    start = time.perf_counter()
    run = fit(dataset, model=get_mode(mode).shipped_model, seed=int(settings.seed * 1000 + index), draws=settings.draws,
              tune=settings.tune, chains=settings.chains)
    seconds = time.perf_counter() - start
    info = {"truth_mechanism": truth, "n_cases": n_cases, "dataset": index, "mode": mode}
    found = windows(run_baseline(run))
    p1, p2 = true_windows(params, x_true, dataset)
    rows = recovery_rows(list(dataset.factor_ids), "beta", run.posterior["beta"], np.asarray(params["beta"]), info)
    rows += recovery_rows(list(dataset.case_ids), "p_w1", found.p1, p1, info)
    rows += recovery_rows(list(dataset.case_ids), "p_w2", found.p2, p2, info)
    elpd_i, pareto_k, _ = psis_loo(run, "windows")
    diagnostics = run.diagnostics
    fit_row = {**info, "elpd_windows": float(elpd_i.sum()), "max_pareto_k": float(np.max(pareto_k)),
               "divergences": int(getattr(diagnostics, "divergences", 0)), "fit_s": round(seconds, 2),
               "not_discussed": float(np.isnan(dataset.x).mean())}
    return rows, fit_row


def study_task(settings: ModeStudySettings, n_cases: int, index: int) -> tuple[list, list]:
    """Every truth and mode of data set ``index`` with ``n_cases`` cases (one Dask task)."""
    rows, fits = [], []
    for truth in settings.truths:
        for mode in settings.modes:
            found, fit_row = fit_and_score(settings, n_cases, index, truth, mode)
            rows += found
            fits.append(fit_row)
    return rows, fits


def recovery_summary(rows, fits=None):
    """Bias, RMSE and 90% coverage per (truth mechanism, cases, mode, group); with ``fits``, the elpd too.

    Bias is the mean of ``post_mean - truth`` over every quantity of the group in every data set, RMSE
    the root of the mean squared error, coverage the share of intervals that cover the truth.  With
    ``fits``, ``elpd_windows`` is the mean windows-only elpd over data sets and ``elpd_diff`` its mean
    difference to the best mode of the same data sets (0 for the best), ``elpd_diff_se`` the standard
    error of that paired difference and ``best_share`` how often the mode had the highest elpd.
    """
    import pandas as pd

    frame = pd.DataFrame(rows)
    keys = ["truth_mechanism", "n_cases", "mode", "group"]
    table = frame.groupby(keys, sort=False).agg(
        n=("error", "size"), bias=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(np.square(e))))),
        coverage_90=("in_90", "mean")).reset_index()
    if fits is None:
        return table
    fit_frame = pd.DataFrame(fits)
    cell = ["truth_mechanism", "n_cases", "dataset"]
    fit_frame["elpd_best"] = fit_frame.groupby(cell)["elpd_windows"].transform("max")
    fit_frame["diff"] = fit_frame["elpd_windows"] - fit_frame["elpd_best"]
    fit_frame["is_best"] = fit_frame["diff"] == 0
    per_mode = fit_frame.groupby(keys[:3], sort=False).agg(
        elpd_windows=("elpd_windows", "mean"), best_share=("is_best", "mean"),
        divergences=("divergences", "sum"), fit_s_median=("fit_s", "median"),
        not_discussed=("not_discussed", "mean")).reset_index()
    best = per_mode.loc[per_mode.groupby(keys[:2])["elpd_windows"].idxmax(), keys[:3]]
    paired = fit_frame.merge(best.rename(columns={"mode": "best_mode"}), on=keys[:2])
    reference = fit_frame[keys[:2] + ["dataset", "mode", "elpd_windows"]].rename(
        columns={"mode": "best_mode", "elpd_windows": "elpd_ref"})
    paired = paired.merge(reference, on=keys[:2] + ["dataset", "best_mode"])
    paired["d"] = paired["elpd_windows"] - paired["elpd_ref"]
    diffs = paired.groupby(keys[:3], sort=False)["d"].agg(
        elpd_diff="mean", elpd_diff_se=lambda d: float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else np.nan)
    per_mode = per_mode.merge(diffs.reset_index(), on=keys[:3])
    return table, per_mode


def run_mode_study(settings: ModeStudySettings, scheduler: str | None = None, n_workers: int | None = None,
                   progress=None, journal=None):
    """Run the study on a Dask cluster: ``(rows, fits)`` as lists of dicts.

    One task per (case count, data set); the tasks of one case count go to one worker, so each worker
    compiles an evidence mode's model once per shape.  ``journal`` (a path) keeps every finished task
    as one JSON line; tasks already in it are not run again.
    """
    import json
    from pathlib import Path

    from distributed import as_completed

    done = {}
    if journal is not None and Path(journal).exists():
        for line in Path(journal).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            done[(item["n_cases"], item["index"])] = (item["rows"], item["fits"])
    todo = [(n, i) for n in settings.case_counts for i in range(settings.n_datasets) if (n, i) not in done]
    with check_client(scheduler, n_workers or min(2, len(settings.case_counts))) as client:
        workers = sorted(client.scheduler_info()["workers"])
        futures = {client.submit(study_task, settings, n, i, pure=False,
                                 workers=[workers[settings.case_counts.index(n) % len(workers)]]): (n, i)
                   for n, i in todo}
        for future in as_completed(futures):
            n, i = futures[future]
            done[(n, i)] = future.result()
            if journal is not None:
                with open(journal, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"n_cases": n, "index": i, "rows": done[(n, i)][0],
                                             "fits": done[(n, i)][1]}, default=float) + "\n")
            if progress:
                progress(len(done), len(settings.case_counts) * settings.n_datasets)
    keys = [(n, i) for n in settings.case_counts for i in range(settings.n_datasets)]
    return [r for key in keys for r in done[key][0]], [f for key in keys for f in done[key][1]]


def mode_study_to_folder(settings: ModeStudySettings, out, scheduler: str | None = None, n_workers: int | None = None,
                         force: bool = False, progress=None, resume: bool = False) -> dict:
    """Run the study and write ``recovery.csv``, ``fits.csv``, ``summary.csv``, ``elpd.csv``, ``summary.json``.

    Finished data sets are kept in ``.<out>.modes-journal.jsonl`` beside the folder until it is
    written; ``resume`` continues from them (same settings assumed).

    Returns the summary: settings, wall time, and the two tables as records.

    Examples
    --------
    >>> small = ModeStudySettings(n_datasets=1, case_counts=(8,), modes=("zero",), draws=50, tune=50)
    >>> summary = mode_study_to_folder(small, tmp / "modes", n_workers=1)
    >>> sorted((row["truth_mechanism"], row["group"]) for row in summary["recovery"])[:3]
    [('mar', 'beta'), ('mar', 'p_w1'), ('mar', 'p_w2')]
    >>> sorted(p.name for p in (tmp / "modes").iterdir())
    ['elpd.csv', 'fits.csv', 'recovery.csv', 'summary.csv', 'summary.json']
    """
    import json
    from pathlib import Path

    import pandas as pd

    refuse_existing(out, force)
    start = time.perf_counter()
    journal = Path(out).with_name(f".{Path(out).name}.modes-journal.jsonl")
    if not resume:
        journal.unlink(missing_ok=True)
    rows, fits = run_mode_study(settings, scheduler, n_workers, progress, journal)
    table, per_mode = recovery_summary(rows, fits)
    summary = {"settings": settings.to_dict(), "wall_seconds": round(time.perf_counter() - start, 1),
               "recovery": table.to_dict(orient="records"), "elpd": per_mode.to_dict(orient="records")}
    with atomic_folder(Path(out), force=force) as tmp:
        pd.DataFrame(rows).to_csv(tmp / "recovery.csv", index=False, float_format="%.6g")
        pd.DataFrame(fits).to_csv(tmp / "fits.csv", index=False, float_format="%.6g")
        table.to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        per_mode.to_csv(tmp / "elpd.csv", index=False, float_format="%.6g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, default=float), encoding="utf-8")
    journal.unlink(missing_ok=True)
    return summary


def format_mode_study(summary: dict) -> list[str]:
    """The study's tables as terminal lines: recovery per group, then the windows-only elpd per mode."""
    settings = summary["settings"]
    lines = [f"mode study: {settings['n_datasets']} data sets per truth and case count "
             f"({', '.join(str(n) for n in settings['case_counts'])} cases), modes {', '.join(settings['modes'])}, "
             f"{settings['chains']} chains x {settings['draws']} draws; wall time {summary['wall_seconds']:.0f} s",
             "truth     cases  mode      group  bias    rmse   cover90"]
    for row in summary["recovery"]:
        lines.append(f"{row['truth_mechanism']:<9} {row['n_cases']:>5}  {row['mode']:<9} {row['group']:<6} "
                     f"{row['bias']:+.3f}  {row['rmse']:.3f}  {row['coverage_90']:.0%}")
    lines.append("truth     cases  mode      elpd(windows)  diff to best (se)  best in  divergences")
    for row in summary["elpd"]:
        lines.append(f"{row['truth_mechanism']:<9} {row['n_cases']:>5}  {row['mode']:<9} {row['elpd_windows']:>13.2f}  "
                     f"{row['elpd_diff']:+.2f} ({row['elpd_diff_se']:.2f})      {row['best_share']:.0%}     "
                     f"{row['divergences']}")
    return lines


# ---------------------------------------------------------------------------- the modes on a real dataset


def _interval_row(quantity: str, mode: str, samples: np.ndarray) -> dict:
    low, high = np.quantile(samples, [0.05, 0.95])
    return {"mode": mode, "quantity": quantity, "mean": float(np.mean(samples)), "q05": float(low), "q95": float(high)}


def mode_headlines(run, mode: str) -> list[dict]:
    """The numbers a report leads with, per draw then summarised: mean P(W1) / P(W2) of the cases with and without
    that window, their gap (the in-sample separation), and the phase dependency effect."""
    found = windows(run_baseline(run))
    w = np.asarray(run.dataset.w, dtype=float)
    rows = []
    for name, probability, column in (("p_w1", found.p1, 0), ("p_w2", found.p2, 1)):
        opened, closed = w[:, column] == 1, w[:, column] == 0
        with_window = probability[:, opened].mean(axis=1)
        without = probability[:, closed].mean(axis=1)
        rows += [_interval_row(f"mean {name}, cases with the window", mode, with_window),
                 _interval_row(f"mean {name}, cases without", mode, without),
                 _interval_row(f"{name} gap (with - without)", mode, with_window - without)]
    rows.append(_interval_row("dependency effect", mode, dependency_draws(run.posterior, run.dataset, run_baseline(run))))
    return rows


def compare_modes(dataset, modes=tuple(MODES), seed: int = 1, draws=None, tune=None, chains=None, sampler=None,
                  progress=None) -> dict:
    """Fit ``dataset`` under each mode; the windows-only PSIS-LOO comparison and the headline numbers side by side.

    Returns
    -------
    dict
        ``loo``: :func:`bayesstreams.checks.compare.compare_fits` table (``target = "windows"``);
        ``headlines``: one row per (mode, quantity) with mean and 90% interval (:func:`mode_headlines`);
        ``fits``: per mode the fit's seconds and diagnostics.

    Examples
    --------
    >>> import bayesstreams as bs
    >>> study = bs.load_dataset("data/trafficking_nl_2020")
    >>> result = compare_modes(study, modes=("zero",), draws=100, tune=100, chains=2)
    >>> list(result["loo"]["model"]), result["loo"]["target"].iloc[0]
    (['streams'], 'windows')
    >>> sorted(result["headlines"]["quantity"])[0]
    'dependency effect'
    """
    import pandas as pd

    runs, headlines, fits = [], [], []
    for mode in modes:
        start = time.perf_counter()
        run = fit(dataset, model=get_mode(mode).shipped_model, seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler)
        fits.append({"mode": mode, "fit_s": round(time.perf_counter() - start, 1), **run.diagnostics.to_dict()})
        runs.append(run)
        headlines += mode_headlines(run, mode)
        if progress:
            progress(mode)
    comparison = compare_fits(runs, target="windows")
    return {"loo": comparison.table, "pointwise": comparison.pointwise, "headlines": pd.DataFrame(headlines),
            "fits": pd.DataFrame(fits)}


def format_mode_comparison(result: dict) -> list[str]:
    """The comparison on a dataset as terminal lines: LOO table (windows only), then the headline numbers."""
    lines = format_comparison(Comparison(result["loo"], result["pointwise"]))
    lines.append("headline numbers per mode: mean [90% interval]")
    for row in result["headlines"].itertuples(index=False):
        lines.append(f"{row.mode:<9} {row.quantity:<40} {row.mean:.3f} [{row.q05:.3f}, {row.q95:.3f}]")
    for row in result["fits"].itertuples(index=False):
        lines.append(f"{row.mode:<9} fit {row.fit_s:.0f} s, divergences {row.divergences}")
    return lines
