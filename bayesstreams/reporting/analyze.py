"""Multi-step jobs the CLI runs with one call: fit-and-save, analyze.

Each function here strings library steps together and returns what the CLI prints;
nothing here computes statistics of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    passed: bool = True
    path: Path | None = None


def fit_and_save(dataset_path, out, model=None, seed=20200601, draws=None, tune=None, chains=None, sampler=None,
                 codebook=None, force=False, progress=False, command=None) -> Outcome:
    """Validate, fit and write a run; the lines say where it went and how the diagnostics came out."""
    from bayesstreams.atomic import refuse_existing
    from bayesstreams.inference.fit import write_run

    out = Path(out)
    refuse_existing(out, force)  # before the expensive part, not after it
    data, config, result = _fit(dataset_path, model, seed, draws, tune, chains, sampler, codebook, progress)
    write_run(result, out, force=force, command=command)
    return _fit_outcome(data, config, result, seed, out)


def _fit(dataset_path, model, seed, draws=None, tune=None, chains=None, sampler=None, codebook=None, progress=False):
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.config import load_config

    config = load_config(model)
    data = load_dataset(dataset_path, codebook=codebook)
    result = fit(data, config, seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler, progress=progress)
    return data, config, result


def _fit_outcome(data, config, result, seed, out: Path) -> Outcome:
    lines = [f"fitted {config.name} ({config.kind}) to {data.name}: {data.n_cases} cases, "
             f"{result.log_likelihood.shape[0]} draws, sampler {result.sampler}, seed {seed}",
             *result.diagnostics.table(),
             f"run written to {out}"]
    if data.warnings:
        lines.insert(1, f"{len(data.warnings)} data warning(s); run `bayesstreams validate` to see them")
    return Outcome(lines=lines, passed=result.diagnostics.passed, path=out)


SHIPPED_STUDY = "data/trafficking_nl_2020"
SHIPPED_BRIEF_CASE = "g5"
MARKER = ".bayesstreams-analyze"


def default_dataset() -> Path:
    """The shipped study, looked up from the working directory, then from the checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / SHIPPED_STUDY
        if candidate.is_dir():
            return candidate
    from bayesstreams.errors import BayesStreamsError

    raise BayesStreamsError(f"{SHIPPED_STUDY}: the shipped study is not here; give a DATASET argument")


def _written_by_analyze(folder: Path) -> bool:
    return (folder / MARKER).exists()


def _replaceable(folder: Path, force: bool) -> bool:
    """An output folder may be replaced when analyze wrote it before (its marker is there) or with --force."""
    from bayesstreams.atomic import probe_writable
    from bayesstreams.errors import InputError, Violation

    probe_writable(folder)  # a read-only folder fails now, not after the fit
    if not folder.exists() or force or _written_by_analyze(folder):
        return True
    raise InputError(Violation(str(folder), None, None,
                               "exists and was not written by `bayesstreams analyze`; pass --force to replace it"))


def analyze(dataset_path=None, out=None, run_dir=None, model=None, seed=20200601, lang="en", briefs=None,
            brief_lang="nl", force=False, progress=False, command=None) -> Outcome:
    """Validate, fit and report in one go; the default is the shipped study with a Dutch brief for gemeente 5.

    The run and the report folder are staged and renamed into place together: an
    interrupt or an error anywhere leaves both as they were.
    """
    from bayesstreams.atomic import staged
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.fit import write_run

    shipped = dataset_path is None
    dataset_path = Path(dataset_path) if dataset_path else default_dataset()
    data = load_dataset(dataset_path)  # validate first: bad input fails before any fitting
    out = Path(out) if out else Path("reports") / data.name
    run_dir = Path(run_dir) if run_dir else Path("runs") / data.name
    _replaceable(out, force)
    _replaceable(run_dir, force)
    data, config, result = _fit(dataset_path, model, seed, progress=progress)
    briefs = list(briefs or ([SHIPPED_BRIEF_CASE] if shipped else []))
    with staged() as stage:
        run_tmp = stage.folder(run_dir, force, _written_by_analyze)
        write_run(result, run_tmp, force=True, command=command)
        (run_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
        report_tmp = stage.folder(out, force, _written_by_analyze)
        _write_outputs(run_tmp, report_tmp, lang, briefs, brief_lang)
        (report_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
    lines = _fit_outcome(data, config, result, seed, run_dir).lines
    lines += [f"report written to {out / 'report.html'} (also report.md, summary.json)"]
    lines += [f"brief for {case} written to {out / f'brief-{case}-{brief_lang}.html'}" for case in briefs]
    return Outcome(lines=lines, passed=result.diagnostics.passed, path=out)


def _write_outputs(run_dir: Path, folder: Path, lang: str, briefs: list[str], brief_lang: str) -> None:
    from bayesstreams.reporting.brief import write_brief
    from bayesstreams.reporting.report import write_report

    write_report(run_dir, folder, lang=lang, force=True)
    for case in briefs:
        write_brief(run_dir, folder / f"brief-{case}-{brief_lang}.html", case_id=case, lang=brief_lang, force=True)
