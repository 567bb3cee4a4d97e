"""The command-line interface: parse, call one library function, print.

Heavy libraries (PyMC, ArviZ) are imported inside the commands that need them, so that
``--help`` and ``validate`` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bayesstreams.errors import BayesStreamsError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Bayesian analysis of Kingdon's multiple streams: agenda setting (phase 1) and institutionalisation (phase 2).",
)
_DEBUG = {"on": False}

DatasetArg = Annotated[Path, typer.Argument(metavar="DATASET", help="dataset folder, wide CSV or xlsx workbook")]
CodebookOpt = Annotated[Optional[Path], typer.Option("--codebook", help="codebook.toml (for a wide CSV)")]


def _register_checks() -> None:
    from bayesstreams.cli.check import check_app

    app.add_typer(check_app, name="check", help="calibration (SBC), prior checks, sensitivity, model comparison")


_register_checks()


def _show_version(value: bool) -> None:
    if value:
        from bayesstreams import __version__

        typer.echo(f"bayesstreams {__version__}")
        raise typer.Exit()


def _register_import() -> None:
    from bayesstreams.cli.import_ import import_app

    app.add_typer(import_app, name="import", help="bring coding from QDA software: REFI-QDA .qdpx, code matrices")


_register_import()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                          help="print the version and exit")] = False,
) -> None:
    """Bayesian analysis of Kingdon's multiple streams (add --debug anywhere for tracebacks)."""


def echo_err(line: str) -> None:
    typer.echo(line, err=True)


@app.command()
def validate(dataset: DatasetArg, codebook: CodebookOpt = None) -> None:
    """Check a dataset against the data contract and print a summary (exit 2 on errors)."""
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.data.describe import describe_dataset
    from bayesstreams.data.screen import warning_lines

    data = load_dataset(dataset, codebook=codebook)
    for line in describe_dataset(data):
        typer.echo(line)
    if data.warnings:
        typer.echo("")
        typer.echo(f"{len(data.warnings)} warning(s):")
        for line in warning_lines(data.warnings):
            typer.echo(f"warning: {line}")
    typer.echo("")
    typer.echo("valid")


@app.command()
def agreement(
    dataset: DatasetArg,
    codebook: CodebookOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
    resamples: Annotated[Optional[int], typer.Option("--resamples", min=1, help="bootstrap resamples of the cases (default 1000)")] = None,
    seed: Annotated[Optional[int], typer.Option(help="seed of the bootstrap (default 20200601)")] = None,
) -> None:
    """Krippendorff's alpha between the respondents of each cell, per factor and overall (nominal, ordinal)."""
    import json

    from bayesstreams.data.agreement import agreement as agreement_of
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.data.describe import agreement_lines

    data = load_dataset(dataset, codebook=codebook)
    given = {k: v for k, v in (("resamples", resamples), ("seed", seed)) if v is not None}
    result = agreement_of(data, **given)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1, allow_nan=False))
    else:
        for line in agreement_lines(data, result):
            typer.echo(line)


@app.command()
def fit(
    dataset: DatasetArg,
    out: Annotated[Path, typer.Option("--out", help="run folder to write")],
    model: Annotated[Optional[Path], typer.Option("--model", help="model file (default: the streams model)")] = None,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives identical draws")] = 20200601,
    draws: Annotated[Optional[int], typer.Option(help="draws per chain (default: model file)")] = None,
    tune: Annotated[Optional[int], typer.Option(help="tuning steps per chain (default: model file)")] = None,
    chains: Annotated[Optional[int], typer.Option(help="number of chains (default: model file)")] = None,
    sampler: Annotated[Optional[str], typer.Option(help="nutpie (default), pymc or numpyro")] = None,
    codebook: CodebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing run folder")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 when a diagnostic fails")] = False,
) -> None:
    """Fit a model to a dataset and write a run folder (posterior, diagnostics, snapshot)."""
    from bayesstreams.inference.fit import fit_and_save
    from bayesstreams.pipeline.analyze import Outcome

    run, lines = fit_and_save(dataset, out, model=model, seed=seed, draws=draws, tune=tune, chains=chains,
                              sampler=sampler, codebook=codebook, force=force, progress=sys.stderr.isatty(),
                              command="bayesstreams " + " ".join(sys.argv[1:]))
    outcome = Outcome(lines=lines, passed=run.diagnostics.passed, path=out)
    _print_outcome(outcome, strict, "see the table above; rerun with more --tune/--draws before trusting the numbers")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="dataset folder to write")],
    cases: Annotated[int, typer.Option("--cases", min=1, help="number of cases")] = 100,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    params: Annotated[Optional[Path], typer.Option("--params", help="JSON parameters (like truth.json); default: a prior draw")] = None,
    observed_streams: Annotated[float, typer.Option("--observed-streams", min=0.0, max=1.0, help="fraction of stream states kept")] = 0.5,
    model: Annotated[Optional[Path], typer.Option("--model", help="model file whose priors are drawn from")] = None,
    codebook: CodebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing folder")] = False,
    missing: Annotated[float, typer.Option("--missing", min=0.0, max=1.0, help="fraction of cells not discussed, at random (a salience model draws them from the truth instead)")] = 0.0,
    respondents: Annotated[int, typer.Option("--respondents", min=1, help="respondents per discussed cell (each reports through the model's confusion matrix)")] = 1,
) -> None:
    """Draw a dataset from the generative streams model and write it with truth.json."""
    from bayesstreams.data.codebook import load_codebook
    from bayesstreams.model.config import load_config
    from bayesstreams.model.simulate import simulate_to_folder

    written = simulate_to_folder(out, cases, seed, params, observed_streams, load_config(model),
                                 load_codebook(codebook) if codebook else None, p_missing=missing, force=force,
                                 respondents=respondents)
    typer.echo(f"wrote {cases} simulated cases to {written} (parameters in {written / 'truth.json'})")


@app.command()
def score(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="run folder written by `bayesstreams fit`")],
    profile: Annotated[Path, typer.Argument(metavar="PROFILE", help="coded profile(s): long codes CSV or wide CSV/xlsx")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
    levers: Annotated[int, typer.Option("--levers", min=1, help="levers to show per case")] = 3,
    lang: Annotated[str, typer.Option("--lang", help="en or nl: words, numbers (decimal comma) and factor labels")] = "en",
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0,
                                             help="the chance of the next window a plan must reach")] = 0.5,
    check_run: Annotated[Optional[Path], typer.Option(
        "--check-run", help="wide-prior refit for the prior-driven flags (default: RUN-wide beside the run)")] = None,
    details: Annotated[bool, typer.Option(
        "--details", help="also the plans' details, what blocks, the codes-only chances and similar cases")] = False,
    table: Annotated[Optional[Path], typer.Option(
        "--table", help="write one row per case to this .csv, .jsonl or .xlsx file instead of printing")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing --table file")] = False,
) -> None:
    """Score municipalities that are not in the data: where each stands, its next step, what to find out."""
    import json

    from bayesstreams.analysis.scoring import score_to_dict
    from bayesstreams.reporting.score_text import format_score

    lang = _lang(lang)
    _keep_freed_memory()
    if table is not None:
        from bayesstreams.reporting.score_table import table_format

        table_format(table, force)  # before the work, and again at the rename
    study = _study(run, check_run)
    result = study.q.score(profile, top_levers=levers, threshold=threshold, workers=_cores())
    if table is not None:
        from bayesstreams.reporting.score_table import score_rows, write_score_table

        written = write_score_table(score_rows(result, lang), table, force=force)  # a CSV without pandas
        typer.echo(f"wrote {len(result.cases)} cases to {written}")
    elif as_json:
        typer.echo(json.dumps(score_to_dict(result, lang), indent=1, ensure_ascii=False))
    else:
        for line in format_score(result, lang, details=details):
            typer.echo(line)
    _notes(study)


RunArg = Annotated[Path, typer.Argument(metavar="RUN", help="run folder written by `bayesstreams fit`")]


@app.command()
def report(
    run: RunArg,
    out: Annotated[Path, typer.Option("--out", help="folder for report.html, report.md, summary.json")],
    lang: Annotated[str, typer.Option("--lang", help="en or nl")] = "en",
    compare: Annotated[Optional[Path], typer.Option("--compare", help="a second run to compare with (PSIS-LOO)")] = None,
    prior_check: Annotated[bool, typer.Option(
        "--prior-check", help="fit the wide-prior refit beside the run (RUN-wide), or reuse it when it fits")] = False,
    check_run: Annotated[Optional[Path], typer.Option(
        "--check-run", help="a wide-prior refit of the same data to measure prior dependence with (RUN2)")] = None,
    agnostic: Annotated[Optional[Path], typer.Option("--agnostic", help="the agnostic refit, shown beside the prior checks")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing report folder")] = False,
) -> None:
    """Write the full report of a run: HTML (self-contained), Markdown and summary.json."""
    from bayesstreams.inference.store import load_run
    from bayesstreams.reporting.report import write_report

    lang = _lang(lang)
    study = _study(run, check_run, agnostic, prior_check=prior_check)
    written = write_report(study, out, lang=lang, compare_run=load_run(compare) if compare else None, force=force)
    typer.echo(f"report written to {written}")
    _notes(study)


@app.command()
def brief(
    run: RunArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.html, FILE.pdf (needs Chromium) or FILE.docx (Word)")],
    case: Annotated[Optional[str], typer.Option("--case", help="a case of the run's data: its id or its name (any letter case)")] = None,
    profile: Annotated[Optional[Path], typer.Option("--profile", help="a coded profile of a case not in the data")] = None,
    lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0,
                                             help="the chance of the next window \"what would it take\" aims at")] = 0.5,
    check_run: Annotated[Optional[Path], typer.Option(
        "--check-run", help="wide-prior refit for the prior-driven marks (default: RUN-wide beside the run)")] = None,
    format: Annotated[Optional[str], typer.Option(
        "--format", help="html, pdf or docx (default: the suffix of --out; added to --out when it has none)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing brief")] = False,
) -> None:
    """Write a one-page brief for one municipality (a case of the run, or a new coded profile)."""
    if (case is None) == (profile is None):
        raise UsageError("--case/--profile", "give exactly one of --case and --profile")
    from bayesstreams.reporting.brief import brief_target, write_brief

    lang = _lang(lang)
    out, format = brief_target(out, format)  # a wrong format fails before the run is read
    study = _study(run, check_run)
    written = write_brief(study, out, case=case, profile=profile, lang=lang, threshold=threshold, force=force,
                          format=format)
    typer.echo(f"brief written to {written}")
    _notes(study)


@app.command("compare-cases")
def compare_cases(
    run: RunArg,
    a: Annotated[str, typer.Argument(metavar="A", help="the case to explain: its id or name (any letter case)")],
    b: Annotated[str, typer.Argument(metavar="B", help="the case it is compared with: its id or name")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="FILE.html (one self-contained page), FILE.md or FILE.json; default: Markdown on the terminal")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or nl: words, numbers (decimal comma) and factor labels")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of Markdown (to the terminal, or --out FILE.json)")] = False,
    check_run: Annotated[Optional[Path], typer.Option(
        "--check-run", help="wide-prior refit for the prior-driven marks (default: RUN-wide beside the run)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing output file")] = False,
) -> None:
    """Compare two municipalities of a run: codes, chances, windows and what separates them."""
    from bayesstreams.reporting.compare_text import check_out, comparison_json, comparison_markdown, write_comparison

    lang = _lang(lang)
    if as_json and out is not None and out.suffix.lower() != ".json":
        raise UsageError("--json", "--json writes JSON: give --out FILE.json, or leave --json out")
    if out is not None:
        check_out(out, force)  # before the work, and again at the rename
    study = _study(run, check_run)
    comparison = study.q.compare_cases(a, b)
    if out is not None:
        typer.echo(f"comparison written to {write_comparison(comparison, out, lang=lang, force=force)}")
    else:
        typer.echo((comparison_json if as_json else comparison_markdown)(comparison, lang).rstrip("\n"))
    _notes(study)


@app.command()
def explore(
    run: RunArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.html: one self-contained page, works offline")],
    lang: Annotated[str, typer.Option("--lang", help="the language the page opens in: nl or en")] = "nl",
    draws: Annotated[int, typer.Option("--draws", help="posterior draws the page computes with (evenly thinned)")] = 400,
    check_run: Annotated[Optional[Path], typer.Option(
        "--check-run", help="wide-prior refit for the prior-driven marks (default: RUN-wide beside the run)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing page")] = False,
) -> None:
    """Write a what-if page: start from a case (or a new one), change what is going on, see before -> after and the steps."""
    from bayesstreams.reporting.explore_page import write_explore

    lang = _lang(lang)
    study = _study(run, check_run)
    written = write_explore(study, out, lang=lang, draws=draws, force=force)
    typer.echo(f"what-if page written to {written}")
    _notes(study)


@app.command()
def analyze(
    dataset: Annotated[Optional[Path], typer.Argument(metavar="DATASET", help="dataset (default: the shipped study)")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="report folder (default: reports/<dataset>)")] = None,
    run_dir: Annotated[Optional[Path], typer.Option("--run", help="run folder (default: runs/<dataset>)")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="model file (default: the streams model)")] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 20200601,
    lang: Annotated[str, typer.Option("--lang", help="report language: en or nl")] = "en",
    brief_case: Annotated[Optional[list[str]], typer.Option("--brief", help="also write a brief for this case: id or name (repeatable)")] = None,
    brief_lang: Annotated[Optional[str], typer.Option("--brief-lang", help="language of the briefs: en or nl (default: --lang)")] = None,
    brief_format: Annotated[str, typer.Option("--brief-format", help="html, pdf (one A4 page, needs Chromium) or docx (Word)")] = "html",
    force: Annotated[bool, typer.Option("--force", help="replace output folders analyze did not write")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 when a diagnostic fails")] = False,
    mode_comparison: Annotated[bool, typer.Option("--mode-comparison/--no-mode-comparison",
                                                  help="also fit the other readings of 'not discussed' into "
                                                       "<run>-nd-<mode> (reused while data and model are unchanged)")] = True,
    robustness: Annotated[bool, typer.Option("--robustness", help="also check what each conclusion rests on "
                                             "(single codes and stream states; minutes) for the report and briefs")] = False,
) -> None:
    """Validate + fit + report in one command (default: the shipped study, with a brief for gemeente 5)."""
    from bayesstreams.pipeline.analyze import run_analysis

    outcome = run_analysis(dataset, out, run_dir, model=model, seed=seed, lang=_lang(lang), briefs=brief_case,
                          brief_lang=_lang(brief_lang, "--brief-lang") if brief_lang else None,
                          force=force, progress=sys.stderr.isatty(), command="bayesstreams " + " ".join(sys.argv[1:]),
                          mode_comparison=mode_comparison, robustness=robustness, brief_format=brief_format)
    _print_outcome(outcome, strict, "the report opens with a red banner saying which")


@app.command()
def dependency(
    run: RunArg,
    new: Annotated[int, typer.Option("--new", min=1, max=50, help="how many identifying cases to add for the "
                                     "table of outcomes")] = 1,
    lang: Annotated[str, typer.Option("--lang", help="en or nl")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """The phase dependency rho: whether the data pin it down, which case would, and how much it would help."""
    import json

    from bayesstreams.reporting.i18n import study_translator
    from bayesstreams.reporting.identification_text import dependency_lines

    lang = _lang(lang)
    study = _study(run)
    found, table = study.q.identify_rho(1), study.q.identify_rho(new)
    needed = study.q.cases_to_identify_rho()
    data = {"identification": found.to_dict(), "cases_needed": needed.to_dict() if needed else None,
            "outcomes": table.to_dict(), "rho_prior_driven": study.q.prior_dependence().flag("rho")}
    if as_json:
        typer.echo(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        for line in dependency_lines(data["identification"], data["cases_needed"], data["outcomes"],
                                     study_translator(lang, study.dataset), lang, data["rho_prior_driven"]):
            typer.echo(line)
    _notes(study)


@app.command("robustness")
def robustness_command(
    run: RunArg,
    budget: Annotated[int, typer.Option("--budget", min=0, help="the most exact refits where reweighting is "
                                        "unreliable (Pareto k > 0.7); about a second each")] = 12,
    case: Annotated[Optional[list[str]], typer.Option("--case", help="examine this case's lever and plan: id or name "
                                                      "(repeatable; default every case with a window to open)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or nl")] = "en",
    out: Annotated[Optional[Path], typer.Option("--out", help="also write every flip as CSV to this file")] = None,
) -> None:
    """What each conclusion rests on: the single codes and stream states whose change overturns it."""
    from bayesstreams.atomic import atomic_write_text
    from bayesstreams.pipeline.robustness import robustness, robustness_lines

    lang = _lang(lang)
    study = _study(run)
    found = robustness(study, budget=budget, cases=case, progress=sys.stderr.isatty())
    for line in robustness_lines(found, study.dataset, lang):
        typer.echo(line)
    if out is not None:
        atomic_write_text(out, found.frame().to_csv(index=False))
        typer.echo(f"flips written to {out}")
    _notes(study)


@app.command("next")
def next_command(
    run: RunArg,
    query: Annotated[Optional[list[str]], typer.Option("--query", help="claim:<id>, case:<id or name>, "
                                                       "effect:<factor>[:W1|W2] or dependency (repeatable; default "
                                                       "every claim and every case with a window to open)")] = None,
    budget: Annotated[int, typer.Option("--budget", min=0, help="the most exact refits where reweighting is "
                                        "unreliable (Pareto k > 0.7)")] = 0,
    profile: Annotated[Optional[list[Path]], typer.Option("--profile", help="a profile file (TOML) of new "
                                                          "municipalities to weigh, besides those proposed")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="candidates shown per query")] = 3,
    lang: Annotated[str, typer.Option("--lang", help="en or nl")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="print every candidate's value as JSON records")] = False,
) -> None:
    """What to find out next: which not-discussed cell, code check or new municipality would tell most."""
    import time

    from bayesstreams.analysis.voi import proposed_profiles, read_profile
    from bayesstreams.pipeline.robustness import next_evidence
    from bayesstreams.reporting.voi_text import measured_line, next_lines

    lang = _lang(lang)
    study = _study(run)
    profiles = None
    if profile:
        profiles = proposed_profiles(study.dataset) + [read_profile(p, study.dataset) for p in profile]
    start = time.perf_counter()
    found = next_evidence(study, queries=query, budget=budget, profiles=profiles, progress=sys.stderr.isatty())
    if as_json:
        typer.echo(found.frame.to_json(orient="records", force_ascii=False))
        return
    for line in next_lines(found, study.dataset, lang, top=top):
        typer.echo(line)
    typer.echo("")
    typer.echo(measured_line(time.perf_counter() - start, found.n_refits, lang))
    _notes(study)


@app.command()
def qca(
    source: Annotated[Path, typer.Argument(metavar="DATA_OR_RUN",
                                           help="plain QCA table (CSV), dataset folder or workbook, or run folder")],
    outcome: Annotated[Optional[str], typer.Option(help="outcome column (~ negates); a dataset: w1, w2, a stream "
                                                        "state (policy_2) or a factor (default: last column; both "
                                                        "windows for a dataset)")] = None,
    conditions: Annotated[Optional[str], typer.Option(help="comma-separated condition columns (default: every other "
                                                           "column; a window's phase streams)")] = None,
    incl_cut: Annotated[str, typer.Option("--incl-cut", help="inclusion cut-off for 1, or two (0.8,0.75) to mark "
                                                             "contradictions")] = "0.8",
    n_cut: Annotated[int, typer.Option("--n-cut", help="rows with fewer cases are remainders")] = 1,
    dir_exp: Annotated[Optional[str], typer.Option("--dir-exp", help="directional expectations for the intermediate "
                                                                     "solution, e.g. 'A, ~B'")] = None,
    membership: Annotated[str, typer.Option(help="a dataset's factor codes as sets: crisp or fuzzy "
                                                 "(docs/QCA.md)")] = "crisp",
    not_discussed: Annotated[str, typer.Option("--not-discussed", help="a dataset's not-discussed cells: drop the "
                                                                       "case, or zero")] = "drop",
    codebook: CodebookOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", help="also write the tables to this workbook")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing --xlsx file")] = False,
    posterior: Annotated[bool, typer.Option("--posterior/--no-posterior",
                                            help="for a run folder: also the posterior QCA (unknown cells, streams "
                                                 "and windows drawn from the run's posterior)")] = True,
    draws: Annotated[int, typer.Option("--draws", help="posterior draws the posterior QCA uses")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="seed of the posterior QCA's latent draws")] = 0,
) -> None:
    """Classical crisp/fuzzy-set QCA (truth table, necessity, solutions); of a run also the posterior QCA."""
    import json

    from bayesstreams.analysis.qca.result import qca as qca_of, outcomes_of
    from bayesstreams.reporting.qca_text import posterior_lines, qca_lines
    from bayesstreams.reporting.qca_workbook import write_qca_workbook

    if xlsx is not None:
        from bayesstreams.atomic import refuse_existing

        refuse_existing(xlsx, force)
    if draws < 1:
        raise UsageError("--draws", "at least 1")
    names = outcomes_of(source, outcome, codebook)
    run = _qca_run(source) if posterior else None
    if run is not None:
        from bayesstreams.analysis.qca.latent import draw_latent
        from bayesstreams.analysis.qca.posterior import posterior_qca

        latent = draw_latent(run.posterior, run.dataset, n_draws=draws, seed=seed)
        posteriors = [posterior_qca(run, name, conditions=conditions, incl_cut=incl_cut, n_cut=n_cut,
                                    dir_exp=dir_exp, membership=membership, seed=seed, latent=latent) for name in names]
    else:
        posteriors = [None] * len(names)
    results = [qca_of(source, outcome=name, conditions=conditions, incl_cut=incl_cut, n_cut=n_cut, dir_exp=dir_exp,
                      membership=membership, not_discussed=not_discussed, codebook=codebook) for name in names]
    if xlsx is not None:
        typer.echo(f"wrote {write_qca_workbook(results, xlsx, force=force, posteriors=posteriors)}", err=True)
    if as_json:
        payload = [{**r.to_dict(), **({"posterior": p.to_dict()} if p is not None else {})}
                   for r, p in zip(results, posteriors)]
        typer.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=1, allow_nan=False))
        return
    for i, (result, post) in enumerate(zip(results, posteriors)):
        if i:
            typer.echo("")
        for line in qca_lines(result):
            typer.echo(line)
        if post is not None:
            typer.echo("")
            for line in posterior_lines(post):
                typer.echo(line)
    if run is None and posterior and results[0].kind == "dataset":
        typer.echo("")
        typer.echo("note: for the posterior QCA (unknown cells drawn from a fitted model) give a run folder "
                   "(bayesstreams fit or analyze)")


def _qca_run(source: Path):
    """The run of a run folder given to ``qca`` (None for a table or a dataset)."""
    if not (source.is_dir() and (source / "run.json").is_file()):
        return None
    from bayesstreams.inference.store import load_run

    return load_run(source)


def _cores() -> int:
    """The cores this process may run on, at most 2 (two shares of the profiles already halve the batch's peak)."""
    from bayesstreams.forked import usable_cores

    return min(2, usable_cores())


def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for reuse instead of handing it back to the system at once.

    Scoring many profiles allocates and frees arrays of a few MB thousands of times; by default each
    is mapped afresh and page-faulted in (about 2.5 s of system time for 342 profiles, 0.9 s with these
    settings, at the same peak memory within 2%). Arrays of 32 MB and more are still mapped on their
    own. A no-op where the C library is not glibc.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    for option, value in ((-1, 1 << 30), (-2, 64 << 20), (-3, 32 << 20)):  # M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD
        mallopt(option, value)


def _study(run: Path, check_run: Path | None = None, agnostic: Path | None = None, prior_check: bool = False):
    """The study of ``RUN``: its companions beside it, ``--check-run``/``--agnostic`` in their place.

    With ``--prior-check`` a missing wide-prior refit is fitted and written beside the run.
    """
    from bayesstreams.analysis.accessor import load_study

    study = load_study(run, wide=check_run, agnostic=agnostic)
    if prior_check and "wide" in study.missing:
        study.fill(["wide"], progress=sys.stderr.isatty()).save(run)
    return study


def _notes(study) -> None:
    """After the output: each companion the study lacks, on stderr (the report and brief name it too)."""
    from bayesstreams.reporting.companions_text import missing_lines

    for line in missing_lines(study, "en"):
        echo_err(f"note: {line}")


def _print_outcome(outcome, strict: bool, advice: str) -> None:
    """Print a job's lines; warn on failed diagnostics, and exit 1 for them under --strict."""
    for line in outcome.lines:
        typer.echo(line)
    if not outcome.passed:
        echo_err(f"warning: diagnostics failed ({advice})")
        if strict:
            raise typer.Exit(1)


def _lang(value: str, option: str = "--lang") -> str:
    if value not in ("en", "nl"):
        raise UsageError(option, f"language {value!r} is not available (choose en or nl)")
    return value


def _print_usage_error(args: list[str], exc: BaseException) -> None:
    """Usage line, one ``error:`` line with a suggestion, the help hint; exit 2."""
    from bayesstreams.cli.usage import USAGE_EXIT, usage_lines

    for line in usage_lines(app, args, exc):
        echo_err(line)
    sys.exit(USAGE_EXIT)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: ``--debug`` anywhere shows tracebacks; errors otherwise print one line each.

    A command-line mistake prints the command's usage line, one ``error:`` line with a
    suggestion and the help hint (:mod:`bayesstreams.cli.usage`).  Returns 0 on success; on
    failure exits (``SystemExit``) with the error's code: 2 for bad input or usage, 1 for
    other failures.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args.remove("--debug")
        _DEBUG["on"] = True
    from bayesstreams import interrupts

    interrupts.reset()  # a command starts with no signal received (main may be called again in one process)
    interrupts.install()
    try:
        result = app(args=args, prog_name="bayesstreams", standalone_mode=False)
    except UsageError as exc:
        if _DEBUG["on"]:
            raise
        _print_usage_error(args, exc)
    except BayesStreamsError as exc:
        if _DEBUG["on"]:
            raise
        if interrupts.last() is not None:  # an error on the way out of an interruption: the interruption is the news
            _exit_interrupted(interrupts.last())
        for line in exc.lines():
            echo_err(f"error: {line}")
        sys.exit(exc.exit_code)
    except (interrupts.Interrupted, KeyboardInterrupt) as exc:  # Ctrl-C, SIGTERM, a sampler that stopped early
        _exit_interrupted(exc)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort,):
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        from bayesstreams.cli.usage import is_usage_error

        if is_usage_error(exc) and not _DEBUG["on"]:
            _print_usage_error(args, exc)
        if _DEBUG["on"]:
            raise
        if interrupts.last() is not None:  # e.g. a half-imported module read while a signal unwound its import
            _exit_interrupted(interrupts.last())
        echo_err(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        sys.exit(1)
    if result == 130:  # typer returns an interrupt as the bare code 130
        _exit_interrupted(interrupts.last() or KeyboardInterrupt())
    if isinstance(result, int) and result:
        sys.exit(result)
    return 0


def _exit_interrupted(exc: BaseException) -> None:
    """One line, and exit 128 + the signal: 130 for SIGINT, 143 for SIGTERM."""
    from bayesstreams.atomic import written

    done, kept = written(), getattr(exc, "kept", "")
    echo_err("interrupted; " + (f"only {_written_summary(done)} written completely" if done
                                else "nothing was written") + (f" ({kept})" if kept else ""))
    sys.exit(getattr(exc, "exit_code", 130))


def _written_summary(done) -> str:
    """The files an interrupted command finished, in a few words: named when few, counted per folder when many.

    >>> _written_summary(["a/x.csv"])
    'a/x.csv was'
    >>> _written_summary([f"j/sim-{i}.json" for i in range(40)] + ["j/settings.json"])
    '41 files in j were'
    """
    from pathlib import Path

    done = [str(p) for p in done]
    if len(done) <= 3:
        return ", ".join(done) + (" was" if len(done) == 1 else " were")
    folders: dict[str, int] = {}
    for path in done:
        folder = str(Path(path).parent)
        folders[folder] = folders.get(folder, 0) + 1
    return ", ".join(f"{n} files in {folder}" if n > 1 else f"1 file in {folder}"
                     for folder, n in folders.items()) + " were"


if __name__ == "__main__":
    sys.exit(main())
