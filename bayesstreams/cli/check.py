"""``bayesstreams check ...``: the checks that say whether the numbers can be trusted.

Registered by :mod:`bayesstreams.cli.app` as ``app.add_typer(check_app, name="check")``.  Every
command parses, calls one library function in :mod:`bayesstreams.checks`, and prints;
heavy libraries are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

check_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Checks: simulation-based calibration, prior predictive, prior sensitivity, model comparison.",
)

RunArg = Annotated[Path, typer.Argument(metavar="RUN", help="run folder written by `bayesstreams fit`")]


def _echo_table(frame, columns=None) -> None:
    text = frame.to_string(index=False, columns=columns, float_format=lambda v: f"{v:.3f}")
    for line in text.splitlines():
        typer.echo(line)


@check_app.command()
def sbc(
    out: Annotated[Path, typer.Option("--out", help="folder for ranks.csv, summary.json and figures/")],
    sims: Annotated[int, typer.Option("--sims", min=1, help="number of simulated data sets")] = 200,
    cases: Annotated[int, typer.Option("--cases", min=1, help="cases per simulated data set")] = 30,
    draws: Annotated[int, typer.Option(min=10, help="draws per chain")] = 500,
    tune: Annotated[int, typer.Option(min=10, help="tuning steps per chain")] = 500,
    chains: Annotated[int, typer.Option(min=1, help="chains per fit")] = 2,
    seed: Annotated[int, typer.Option(help="random seed of the whole SBC run")] = 1,
    observed_streams: Annotated[float, typer.Option("--observed-streams", min=0.0, max=1.0,
                                                    help="fraction of stream states kept")] = 0.5,
    model: Annotated[Optional[Path], typer.Option("--model", help="streams model file (default: streams model)")] = None,
    loglik_weight: Annotated[float, typer.Option("--loglik-weight", min=0.0,
                                                 help="fit with the likelihood to this power: a negative control if not 1")] = 1.0,
    fit_model: Annotated[Optional[Path], typer.Option("--fit-model", help="fit with this model file's weights instead "
                                                                          "(a negative control of an evidence mode)")] = None,
    missing: Annotated[float, typer.Option("--missing", min=0.0, max=0.95,
                                           help="evidence mode marginal: share of cells not discussed (at random)")] = 0.4,
    respondents: Annotated[int, typer.Option("--respondents", min=1,
                                             help="evidence modes: respondents per discussed cell")] = 1,
    factors_per_stream: Annotated[Optional[int], typer.Option("--factors-per-stream", min=1, max=9,
                                                              help="simulated codebook: factors in each of the six "
                                                                   "streams (default: the source study's 23 factors)")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="address of a running Dask scheduler")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="local workers (default: one per core)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing output folder")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="continue an interrupted run from its finished simulations")] = False,
) -> None:
    """Simulation-based calibration of a streams model, any evidence mode, on a Dask cluster (exit 1 when it fails)."""
    from bayesstreams.checks.sbc import SBCSettings, format_sbc_summary, layout_of, sbc_to_folder
    from bayesstreams.model.config import load_config
    from bayesstreams.errors import InputError, Violation

    config = load_config(model)
    fit_config = load_config(fit_model) if fit_model is not None else None
    for checked in (config, fit_config):
        if checked is not None and not checked.model_kind.has_streams:
            raise InputError(Violation(checked.source, None, "kind", "SBC runs on a streams model"))
    settings = SBCSettings(n_sims=sims, n_cases=cases, draws=draws, tune=tune, chains=chains, seed=seed,
                           observed_streams=observed_streams, loglik_weight=loglik_weight, config=config,
                           p_missing=missing, respondents=respondents, layout=layout_of(factors_per_stream),
                           fit_config=fit_config)

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // 20) == 0:
            typer.echo(f"  {done}/{total} simulations", err=True)

    summary = sbc_to_folder(settings, out, scheduler=scheduler, n_workers=workers, force=force, progress=progress,
                            resume=resume)
    for line in format_sbc_summary(summary):
        typer.echo(line)
    typer.echo(f"wrote {out}/ranks.csv, uniformity.csv, summary.json and figures/")
    if not summary["passed"]:
        raise typer.Exit(1)


@check_app.command()
def prior(
    dataset: Annotated[Path, typer.Argument(metavar="DATASET", help="dataset folder, wide CSV or xlsx workbook")],
    model: Annotated[Optional[Path], typer.Option("--model", help="model file (default: the streams model)")] = None,
    codebook: Annotated[Optional[Path], typer.Option("--codebook", help="codebook.toml (for a wide CSV)")] = None,
    draws: Annotated[int, typer.Option(min=100, help="prior draws")] = 4000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20200601,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 when the prior is flagged extreme")] = False,
) -> None:
    """Prior predictive check: P(W1), P(W2) and window counts implied by the priors and the codes."""
    from bayesstreams.checks.prior_check import check_prior, format_prior_table
    from bayesstreams.model.config import load_config
    from bayesstreams.data.dataset import load_dataset

    config = load_config(model)
    table, warnings = check_prior(load_dataset(dataset, codebook=codebook), config, draws, seed)
    typer.echo(f"prior predictive of the {config.name} model ({draws} prior draws; codes only, windows not used)")
    for line in format_prior_table(table):
        typer.echo(line)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not warnings:
        typer.echo("no extreme prior: less than half the prior mass lies below 0.05 or above 0.95")
    if warnings and strict:
        raise typer.Exit(1)


@check_app.command()
def compare(
    run_a: RunArg,
    run_b: RunArg,
    exact_loo: Annotated[bool, typer.Option("--exact-loo", help="refit without each case whose Pareto k > 0.7")] = False,
    all_cases: Annotated[bool, typer.Option("--all-cases", help="with --exact-loo: refit without every case")] = False,
    draws: Annotated[int, typer.Option(min=10, help="draws per chain of each refit")] = 500,
    tune: Annotated[int, typer.Option(min=10, help="tuning steps per chain of each refit")] = 500,
    chains: Annotated[int, typer.Option(min=1, help="chains per refit")] = 2,
    seed: Annotated[int, typer.Option(help="random seed of the refits")] = 20200601,
    target: Annotated[str, typer.Option("--target", help="what is predicted: windows (default; comparable across "
                                                          "model kinds) or all (streams and windows)")] = "windows",
) -> None:
    """Compare two runs of one dataset by leave-one-case-out elpd (PSIS-LOO, or exact refits)."""
    from bayesstreams.checks.compare import compare_fits, format_comparison
    from bayesstreams.inference.store import load_run

    exact = ("all" if all_cases else "high-k") if exact_loo else "none"
    result = compare_fits([load_run(run_a), load_run(run_b)], exact=exact, target=target, seed=seed, draws=draws,
                          tune=tune, chains=chains)
    for line in format_comparison(result):
        typer.echo(line)


@check_app.command()
def sensitivity(
    run: RunArg,
    compare_run: Annotated[Optional[Path], typer.Option("--compare-run", help="a run of the same data under other priors")] = None,
) -> None:
    """Power-scaling prior sensitivity of every parameter and headline quantity (flags prior-driven numbers)."""
    from bayesstreams.checks.sensitivity import headline_comparison, run_sensitivity, sensitivity_sentence
    from bayesstreams.inference.store import load_run

    loaded = load_run(run)
    table = run_sensitivity(loaded)
    typer.echo(f"power-scaling sensitivity of {run} (prior: top-level priors; threshold 0.05)")
    _echo_table(table)
    typer.echo(sensitivity_sentence(table))
    if compare_run is not None:
        typer.echo("")
        typer.echo("headline quantities under both priors")
        _echo_table(headline_comparison([loaded, load_run(compare_run)]))


@check_app.command()
def modes(
    out: Annotated[Optional[Path], typer.Option("--out", help="folder for the simulation study's tables")] = None,
    dataset: Annotated[Optional[Path], typer.Option("--dataset", help="compare the modes on this dataset instead "
                                                                      "(windows-only PSIS-LOO, headline numbers)")] = None,
    datasets: Annotated[int, typer.Option("--datasets", min=1, help="simulated data sets per truth and case count")] = 10,
    cases: Annotated[str, typer.Option("--cases", help="case counts, comma-separated")] = "8,30",
    missing: Annotated[float, typer.Option("--missing", min=0.0, max=0.95,
                                           help="not-discussed rate of the at-random truth")] = 0.4,
    factors_per_stream: Annotated[int, typer.Option("--factors-per-stream", min=1, max=9,
                                                    help="simulated codebook: factors per stream")] = 2,
    draws: Annotated[Optional[int], typer.Option(min=10, help="draws per chain (default: 300 simulated, "
                                                              "the model file's on --dataset)")] = None,
    tune: Annotated[Optional[int], typer.Option(min=10, help="tuning steps per chain")] = None,
    chains: Annotated[Optional[int], typer.Option(min=1, help="chains per fit")] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    sampler: Annotated[Optional[str], typer.Option("--sampler", help="with --dataset: nutpie, pymc or numpyro "
                                                                     "(default: the model files')")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="address of a running Dask scheduler")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing output folder")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="continue an interrupted study from its finished data sets")] = False,
) -> None:
    """Which not-discussed mode? Recovery of zero, marginal and salience on simulated data, or the modes on a dataset."""
    from bayesstreams.errors import InputError, Violation

    if (out is None) == (dataset is None):
        raise InputError(Violation("<command line>", None, "--out/--dataset",
                                   "give --out (simulation study) or --dataset (the modes on a dataset), not both"))
    if dataset is not None:
        from bayesstreams.checks.mode_study import compare_modes, format_mode_comparison
        from bayesstreams.data.dataset import load_dataset

        result = compare_modes(load_dataset(dataset), seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler,
                               progress=lambda mode: typer.echo(f"  fitted {mode}", err=True))
        for line in format_mode_comparison(result):
            typer.echo(line)
        return
    from bayesstreams.checks.mode_study import ModeStudySettings, format_mode_study, mode_study_to_folder

    try:
        counts = tuple(int(part) for part in cases.split(","))
    except ValueError:
        raise InputError(Violation("<command line>", None, "--cases", f"not a comma-separated list of counts: {cases!r}")) from None
    settings = ModeStudySettings(n_datasets=datasets, case_counts=counts, p_missing=missing,
                                 factors_per_stream=factors_per_stream, draws=draws or 300, tune=tune or 300,
                                 chains=chains or 2, seed=seed)
    summary = mode_study_to_folder(settings, out, scheduler=scheduler, force=force, resume=resume,
                                   progress=lambda done, total: typer.echo(f"  {done}/{total} data sets", err=True))
    for line in format_mode_study(summary):
        typer.echo(line)
    typer.echo(f"wrote {out}/recovery.csv, fits.csv, summary.csv, elpd.csv and summary.json")


@check_app.command("qca")
def qca_calibration(
    out: Annotated[Path, typer.Option("--out", help="folder for rows.csv, summary.csv and settings.json")],
    sims: Annotated[int, typer.Option("--sims", min=1, help="simulated data sets (one fit each)")] = 100,
    cases: Annotated[int, typer.Option("--cases", min=2, help="cases per simulated data set")] = 12,
    observed: Annotated[str, typer.Option("--observed", help="share of stream states kept (at random), or two "
                                                             "(kept if off, kept if in motion: the negative control)")] = "0.5",
    window_missing: Annotated[float, typer.Option("--window-missing", min=0.0, max=0.95,
                                                  help="share of windows hidden")] = 0.15,
    draws: Annotated[int, typer.Option(min=10, help="draws per chain")] = 300,
    tune: Annotated[int, typer.Option(min=10, help="tuning steps per chain")] = 300,
    chains: Annotated[int, typer.Option(min=1, help="chains per fit")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    force: Annotated[bool, typer.Option("--force", help="replace an existing output folder")] = False,
) -> None:
    """Do the posterior QCA's 90% intervals cover the complete-data values? (simulation; docs/VALIDATION.md)"""
    from bayesstreams.atomic import refuse_existing
    from bayesstreams.errors import InputError, Violation

    try:
        parts = [float(p) for p in observed.split(",")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or not all(0.0 < p <= 1.0 for p in parts):
        raise InputError(Violation("<command line>", None, "--observed", f"one or two shares in (0, 1]: {observed!r}"))
    refuse_existing(out, force)  # before the fits
    from bayesstreams.checks.qca_coverage import qca_coverage, write_coverage

    result = qca_coverage(n_sims=sims, n_cases=cases, seed=seed, observed_streams=parts[0] if len(parts) == 1
                          else tuple(parts), p_window_missing=window_missing, draws=draws, tune=tune, chains=chains,
                          progress=lambda i, n: typer.echo(f"  simulation {i} of {n}", err=True))
    write_coverage(result, out, force=force)
    typer.echo(f"posterior QCA calibration: {sims} simulations of {cases} cases; 90% intervals, quantities whose "
               f"posterior is not one value")
    _echo_table(result.summary)
    typer.echo(f"wrote {out}")


@check_app.command("voi")
def voi_calibration(
    out: Annotated[Path, typer.Option("--out", help="folder for rows.csv, summary.csv, ranking.csv and settings.json")],
    sims: Annotated[int, typer.Option("--sims", min=2, help="simulated studies (six fits each)")] = 60,
    cases: Annotated[int, typer.Option("--cases", min=2, help="cases per simulated study")] = 8,
    missing: Annotated[float, typer.Option("--missing", min=0.0, max=0.9, help="share of cells not discussed")] = 0.2,
    observed: Annotated[float, typer.Option("--observed", min=0.05, max=1.0, help="share of stream states kept")] = 0.8,
    model: Annotated[Optional[str], typer.Option("--model", help="a model whose not-discussed codes have a "
                                                                 "distribution")] = "streams-marginal",
    draws: Annotated[int, typer.Option(min=10, help="draws per chain")] = 300,
    tune: Annotated[int, typer.Option(min=10, help="tuning steps per chain")] = 300,
    chains: Annotated[int, typer.Option(min=1, help="chains per fit")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    start: Annotated[int, typer.Option("--start", min=0, help="first simulation (runs of other simulations "
                                                              "pool into one)")] = 0,
    force: Annotated[bool, typer.Option("--force", help="replace an existing output folder")] = False,
) -> None:
    """Does the predicted value of information come true? Simulated studies, acquisitions and refits (exit 1 if not)."""
    from bayesstreams.atomic import refuse_existing

    refuse_existing(out, force)  # before the fits
    from bayesstreams.checks.voi_validation import verdict, voi_validation, write_validation

    result = voi_validation(n_sims=sims, n_cases=cases, seed=seed, model=model, p_missing=missing,
                            observed_streams=observed, draws=draws, tune=tune, chains=chains, start=start,
                            progress=lambda i, n: typer.echo(f"  simulation {i} of {n}", err=True))
    write_validation(result, out, force=force)
    typer.echo(f"value of information, predicted and realised: {sims} simulated studies of {cases} cases; "
               f"reduction of the 90% interval width, realised = weight x (width on the fit - width on the refit)")
    _echo_table(result.summary, ["role", "query", "n", "width_now", "predicted", "realised", "realised_se", "z"])
    _echo_table(result.ranking)
    checks = verdict(result)
    for name, passed, numbers in checks:
        typer.echo(f"{name}: {'passed' if passed else 'FAILED'} ({numbers})")
    typer.echo(f"wrote {out}")
    if not all(passed for _, passed, _ in checks):
        raise typer.Exit(1)
