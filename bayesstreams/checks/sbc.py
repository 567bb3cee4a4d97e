"""Simulation-based calibration (Talts et al. 2018) of the streams model on a Dask cluster.

One simulation: draw parameters from the prior (:func:`bayesstreams.model.priors.draw_prior`),
codes and outcomes from the generative model (:mod:`bayesstreams.model.simulate`), hide part of
the stream states, fit, thin the draws to about their effective sample size, and record
the rank of the true value among the thinned draws, for every scalar parameter (mu, tau,
alpha, lambda, kappa, rho, beta) and for the log-likelihood of the simulated data.  If the
sampler and the model code are right, each rank is uniform over its range.

Each worker compiles the model once (:func:`bayesstreams.inference.samplers.nutpie.compile_model`
fixes the shape, the data are ``pm.Data``) and swaps each simulated data set in with nutpie's
``with_data``.  Statistics of the ranks are in :mod:`bayesstreams.checks.sbc_stats`.

Under an evidence mode (MODEL.md §7: ``not_discussed = "marginal"`` or ``"salience"``) the data
come from that mode's own generative model: the true codes from ``code_prob``, the outcomes from
the true codes, and what was recorded from the mode's mechanism (a cell not discussed at random
with ``p_missing`` under ``marginal``, with probability ``1 - salience_*`` of its true code under
``salience``; ``respondents`` respondents through ``confusion`` under latent respondents).  The
evidence parameters are ranked too.  The PyMC graph of an evidence mode enumerates every factor of
every stream (:func:`bayesstreams.model.evidence.batched_streams`), so its shape depends on the
codebook alone, not on which cells are uncertain, and one compile per worker serves every
simulation.  ``fit_config`` fits with another model's weights than the data came from: the
negative control of a mode.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bayesstreams import faults
from bayesstreams.analysis.contraction import scalar_labels
from bayesstreams.atomic import atomic_folder, refuse_existing
from bayesstreams.checks.cluster import check_client, worker_compiledir
from bayesstreams.checks.plots import sbc_figures
from bayesstreams.checks.sbc_journal import Journal, journal_path
from bayesstreams.checks.sbc_stats import ecdf_table, rank_rows, summarise
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.errors import BayesStreamsError
from bayesstreams.inference.samplers.nutpie import compile_model, sample_compiled
from bayesstreams.interrupts import Interrupted
from bayesstreams.model.config import ModelConfig, load_config
from bayesstreams.model.kinds import get_kind
from bayesstreams.model.modes import DEFAULT_MODE, MODES, RESPONDENTS, get_mode, mode_of, options_of_draws
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.simulate import (draw_codes, draw_true_codes, flip_streams, hide_streams,
                                         record_codes, simulate_outcomes, simulated_dataset,
                                         simulation_codebook)

RANKED = ("mu", "tau", "alpha", "lambda", "kappa", "rho", "beta")
# the evidence parameters, ranked where the fit and the truth both hold them: each mode's and
# respondents option's own (bayesstreams.model.modes), then the stream error
EVIDENCE_RANKED = tuple(dict.fromkeys([*(name for option in (*MODES.values(), *RESPONDENTS.values())
                                         for name in option.parameters), "stream_error"]))
_COMPILED: dict = {}  # per worker process: compile key -> nutpie compiled model


def _default_config() -> ModelConfig:
    return load_config(None)


@dataclass(frozen=True)
class SBCSettings:
    """Everything that defines an SBC run (picklable: it travels to the workers).

    ``loglik_weight`` other than 1 fits a deliberately wrong model (the negative control):
    data come from the model, the fit uses the likelihood raised to that power.  ``fit_config``
    (another evidence mode) is the other negative control: data from ``config``, fits with the
    weights of ``fit_config``.  ``p_missing`` is the not-discussed rate of ``marginal``
    (at random), ``respondents`` the respondents per discussed cell, ``layout`` the factors per
    (phase, stream) of the simulated codebook (``None``: the source study's 23).
    """

    n_sims: int = 200
    n_cases: int = 30
    draws: int = 500
    tune: int = 500
    chains: int = 2
    seed: int = 1
    observed_streams: float = 0.5
    loglik_weight: float = 1.0
    target_accept: float = 0.9
    config: ModelConfig = field(default_factory=_default_config)
    p_missing: float = 0.4
    respondents: int = 1
    layout: tuple | None = None
    fit_config: ModelConfig | None = None

    @property
    def fitted(self) -> ModelConfig:
        """The model the simulations are fitted with (``config`` unless a negative control says otherwise)."""
        return self.fit_config if self.fit_config is not None else self.config

    def compile_key(self) -> tuple:
        return (self.fitted.model_hash(), self.n_cases, self.loglik_weight, self.layout)

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("config", "fit_config")}
        out["layout"] = None if self.layout is None else [list(item) for item in self.layout]
        extra = {} if self.fit_config is None else {"fit_model": self.fit_config.to_dict(),
                                                     "fit_model_hash": self.fit_config.model_hash()}
        return {**out, "model": self.config.to_dict(), "model_hash": self.config.model_hash(), **extra}


def layout_of(factors_per_stream: int | None) -> tuple | None:
    """The simulated codebook's layout with ``factors_per_stream`` factors in each of the six streams."""
    if factors_per_stream is None:
        return None
    return tuple(((phase, stream), factors_per_stream) for phase in (1, 2) for stream in ("problem", "policy", "politics"))


def simulate_data(settings: SBCSettings, index: int):
    """``(truth, dataset, fit_seed)`` of simulation ``index``, reproducible from ``(settings.seed, index)``."""
    rng = np.random.default_rng([settings.seed, index])
    codebook = simulation_codebook(dict(settings.layout) if settings.layout else None)
    phase = np.array([PHASES.index(f.phase) for f in codebook.factors])
    stream = np.array([STREAMS.index(f.stream) for f in codebook.factors])
    truth = {k: v[0] for k, v in draw_prior(settings.config, phase, stream, 0, 1, rng).items()}
    if not mode_of(options_of_draws(truth)).has_code_distribution:  # v1: every code observed, draw for draw as before
        x = draw_codes(settings.n_cases, len(phase), rng)
        s, w = simulate_outcomes(truth, x, phase, stream, rng)
        dataset = simulated_dataset(codebook, x, hide_streams(s, settings.observed_streams, rng), w)
        return truth, dataset, int(rng.integers(2**31))
    x_true = draw_true_codes(truth, settings.n_cases, rng)
    s, w = simulate_outcomes(truth, x_true, phase, stream, rng)
    if "stream_error" in truth:
        s = flip_streams(s, float(truth["stream_error"]), rng)
    x, rows = record_codes(x_true, truth, rng, settings.p_missing, settings.respondents)
    dataset = simulated_dataset(codebook, x, hide_streams(s, settings.observed_streams, rng), w,
                                rows=rows if settings.respondents > 1 else None)
    return truth, dataset, int(rng.integers(2**31))


def _compiled(settings: SBCSettings, dataset):
    key = settings.compile_key()
    if key not in _COMPILED:
        _COMPILED[key] = compile_model(dataset, settings.fitted, settings.loglik_weight)
    return _COMPILED[key]


def quantity_draws(chain_draws: dict, truth: dict, dataset) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels, draws (chain, draw, quantity) and true values of every ranked scalar and the log-likelihood.

    The ranked parameters are :data:`RANKED` and the evidence parameters the fit and the truth
    share; the log-likelihood of the truth is taken under the fitted model (its parameters only).
    """
    loglik = get_kind("streams").reference_loglik
    labels, columns, values = [], [], []
    n_chain, n_draw = chain_draws["rho"].shape[:2]
    shared = [name for name in EVIDENCE_RANKED if name in chain_draws and name in truth]
    for name in (*RANKED, *shared):
        array = chain_draws[name].reshape(n_chain, n_draw, -1)
        names = scalar_labels(name, chain_draws[name].shape[2:], dataset, "streams")
        labels += [f"{name}[{label}]" if label else name for label in names]
        columns.append(array)
        values.append(np.ravel(truth[name]))
    flat = {k: v.reshape(n_chain * n_draw, *v.shape[2:]) for k, v in chain_draws.items()}
    columns.append(loglik(dataset, flat).sum(axis=1).reshape(n_chain, n_draw, 1))
    values.append([loglik(dataset, {k: np.asarray(v)[None] for k, v in truth.items() if k in chain_draws}).sum()])
    labels.append("loglik")
    return labels, np.concatenate(columns, axis=2), np.concatenate(values)


def simulate_and_rank(settings: SBCSettings, index: int, attempt: int = 0) -> list[dict]:
    """One SBC simulation (a Dask task): simulate, fit, rank; one row per ranked quantity.

    ``attempt`` counts earlier tries whose worker died; the result does not depend on it.
    """
    if index == 0 and attempt == 0:
        faults.hit("sbc-worker")  # the fault tests kill the worker of the first try here
    start = time.perf_counter()
    truth, dataset, fit_seed = simulate_data(settings, index)
    compiled = _compiled(settings, dataset)
    fitted = time.perf_counter()
    fitted_config = settings.fitted
    trace = sample_compiled(compiled, fitted_config.model_kind.data(dataset, config=fitted_config), settings.draws,
                            settings.tune, settings.chains, fit_seed,
                            target_accept=settings.target_accept)
    posterior = trace["posterior"].to_dataset()
    chain_draws = {name: np.asarray(posterior[name].transpose("chain", "draw", ...).values, dtype=float)
                   for name in posterior.data_vars}
    labels, draws, values = quantity_draws(chain_draws, truth, dataset)
    divergences = int(np.asarray(trace["sample_stats"]["diverging"]).sum())
    rng = np.random.default_rng([settings.seed, index, 1])
    info = {"sim": index, "divergences": divergences, "fit_s": round(time.perf_counter() - fitted, 3),
            "total_s": round(time.perf_counter() - start, 3), "compiledir": worker_compiledir()}
    return rank_rows(labels, draws, values, rng, info)


MAX_RETRIES = 3


def run_sbc(settings: SBCSettings, scheduler: str | None = None, n_workers: int | None = None, progress=None,
            journal=None, max_retries: int = MAX_RETRIES):
    """Run every simulation on a Dask cluster and return the rank table.

    Parameters
    ----------
    settings
        The SBC run.
    scheduler
        Address of an existing Dask scheduler; ``None`` starts a local cluster of processes.
    n_workers
        Workers of the local cluster (default: one per core).
    progress
        Optional callable ``progress(done, total)`` called as simulations finish.
    journal
        Optional :class:`~bayesstreams.checks.sbc_journal.Journal`: simulations it holds are
        not run again, and each one that finishes is recorded in it.
    max_retries
        How often one simulation is resubmitted after its worker died (a worker killed for
        memory, a lost machine) before the SBC fails.

    Returns
    -------
    pandas.DataFrame
        One row per (simulation, quantity) (see :func:`bayesstreams.checks.sbc_stats.rank_rows`);
        ``attrs["retries"]`` says how many simulations were resubmitted after a worker died.
    """
    import dask
    import pandas as pd
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    finished = journal.finished() if journal is not None else {}
    finished = {index: rows for index, rows in finished.items() if index < settings.n_sims}
    rows = [row for index in sorted(finished) for row in finished[index]]
    todo = [i for i in range(settings.n_sims) if i not in finished]
    retries, done = 0, len(finished)
    # a task whose worker dies fails at once (KilledWorker) and is resubmitted here, so retries are counted
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), check_client(scheduler, n_workers) as client:
        attempts = {}
        futures = as_completed()
        for index in todo:
            future = client.submit(simulate_and_rank, settings, index, 0, pure=False)
            attempts[future.key] = (index, 0)
            futures.add(future)
        for future in futures:
            index, attempt = attempts.pop(future.key)
            try:
                result = future.result()
            except KilledWorker:
                if attempt >= max_retries:
                    raise BayesStreamsError(f"SBC simulation {index}: its worker died {attempt + 1} times; "
                                            "giving up (finished simulations are kept for --resume)") from None
                retries += 1
                again = client.submit(simulate_and_rank, settings, index, attempt + 1, pure=False)
                attempts[again.key] = (index, attempt + 1)
                futures.add(again)
                continue
            rows += result
            if journal is not None:
                journal.record(index, result)
            done += 1
            if progress:
                progress(done, settings.n_sims)
    ranks = pd.DataFrame(rows).sort_values(["sim", "order"], ignore_index=True)
    ranks.attrs["retries"] = retries
    return ranks


def sbc_to_folder(settings: SBCSettings, out, scheduler: str | None = None, n_workers: int | None = None,
                  force: bool = False, progress=None, resume: bool = False) -> dict:
    """Run SBC and write ``ranks.csv``, ``uniformity.csv``, ``summary.json`` and ``figures/*.png`` atomically.

    Finished simulations are kept in a journal (:mod:`bayesstreams.checks.sbc_journal`) until
    the folder is written; with ``resume`` an interrupted run continues from them.

    Returns the summary (:func:`bayesstreams.checks.sbc_stats.summarise` plus settings, wall
    time, ``retries`` after dead workers and ``resumed`` simulations taken from the journal).
    """
    import json
    from pathlib import Path

    import pandas as pd

    refuse_existing(out, force)  # before an hour of sampling, not after
    start = time.perf_counter()
    journal = Journal(journal_path(out), settings.to_dict(), resume)
    resumed = sum(index < settings.n_sims for index in journal.finished())
    try:
        ranks = run_sbc(settings, scheduler, n_workers, progress, journal)
    except BaseException as exc:
        kept = len(journal.finished())
        if not kept:  # nothing worth resuming: leave nothing behind
            journal.remove()
        if isinstance(exc, (KeyboardInterrupt, Interrupted)) and kept:
            raise Interrupted(getattr(exc, "signum", 2), kept=f"{kept} finished simulations kept in "
                                                             f"{journal.folder} for --resume") from None
        raise
    retries = ranks.attrs.get("retries", 0)
    summary = summarise(ranks)
    summary.update(settings=settings.to_dict(), scheduler=scheduler or "local",
                   wall_seconds=round(time.perf_counter() - start, 1), retries=retries, resumed=resumed,
                   worker_compiledirs=sorted(str(d) for d in ranks["compiledir"].dropna().unique()))
    figures = sbc_figures(ecdf_table(ranks), "negative control" if settings.loglik_weight != 1.0 or settings.fit_config is not None else "")
    with atomic_folder(Path(out), force=force) as tmp:
        ranks.drop(columns="compiledir").to_csv(tmp / "ranks.csv", index=False, float_format="%.6g")
        pd.DataFrame(summary["quantities"]).to_csv(tmp / "uniformity.csv", index=False, float_format="%.6g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, default=float), encoding="utf-8")
        (tmp / "figures").mkdir()
        for stem, figure in figures.items():
            figure.savefig(tmp / "figures" / f"{stem}.png", dpi=110)
    journal.remove()
    return summary


def _simulated_mode(settings: dict):
    """The not-discussed mode whose mechanism made an SBC run's data (from its settings as written)."""
    return get_mode(settings["model"].get("evidence", {}).get("not_discussed", DEFAULT_MODE))


def format_sbc_summary(summary: dict) -> list[str]:
    """The verdict and its key numbers as terminal lines."""
    settings = summary["settings"]
    lines = [f"SBC of the {settings['model']['name']} model: {summary['n_sims']} simulations of {settings['n_cases']} cases, "
             f"{settings['chains']} chains x {settings['draws']} draws (tune {settings['tune']}), "
             f"likelihood weight {settings['loglik_weight']}"
             + (f"; not discussed at random with rate {settings['p_missing']}"
                if "p_missing" in _simulated_mode(settings).simulation_parameters else "")
             + (f"; fitted with the {settings['fit_model']['name']} model (negative control)" if "fit_model" in settings else ""),
             f"wall time {summary['wall_seconds']:.0f} s; median fit {summary['fit_seconds_median']:.1f} s; "
             f"median thinning step {summary['thin_step_median']:.0f}",
             f"fits with divergences: {summary['fits_with_divergences']} of {summary['n_sims']}",
             f"simulations retried after a worker died: {summary.get('retries', 0)}; "
             f"taken from an interrupted run (--resume): {summary.get('resumed', 0)}",
             f"90% interval coverage (mean over quantities): {summary['coverage_90_mean']:.1%}",
             f"smallest chi-square p-value {summary['min_p_value']:.2g} ({summary['worst_quantity']}); "
             f"Bonferroni threshold {summary['bonferroni_threshold']:.2g} over {summary['n_quantities']} quantities"]
    if summary["passed"]:
        lines.append("PASSED: no quantity's ranks depart from uniform")
    else:
        lines.append(f"FAILED: ranks not uniform for {', '.join(summary['failing'])}")
    return lines
