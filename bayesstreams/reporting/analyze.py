"""The whole job in one call: validate, fit, save the run, write the report and briefs.

It strings library steps together (the run stays in memory from the fit to the report:
nothing is read back from disk) and returns what the CLI prints; nothing here computes
statistics of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    passed: bool = True
    path: Path | None = None


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


def brief_name(case: str, lang: str) -> str:
    """The brief's file name: a case id never becomes a path (:func:`bayesstreams.atomic.safe_name`)."""
    from bayesstreams.atomic import safe_name

    return f"brief-{safe_name(case)}-{safe_name(lang)}.html"


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


def _identity(folder: Path):
    try:
        info = folder.stat()
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _replace_rule(folder: Path, force: bool):
    """Whether ``folder`` may be replaced at the final rename: with ``--force``, or when it is still the
    folder analyze wrote that was there at the start.  Another ``analyze`` that renamed its folder
    into place meanwhile made a new one, so of two runs on one path one wins and the other exits 2."""
    _replaceable(folder, force)
    if force:
        return lambda _: True
    seen = _identity(folder)
    return lambda path: seen is not None and _identity(path) == seen and _written_by_analyze(path)


def analyze(dataset_path=None, out=None, run_dir=None, model=None, seed=20200601, lang="en", briefs=None,
            brief_lang="nl", force=False, progress=False, command=None, mode_comparison=True) -> Outcome:
    """Validate, fit and report in one go; the default is the shipped study with a Dutch brief for gemeente 5.

    The run, its wide-prior check run and its not-discussed comparison runs (when they are
    refitted) and the report folder are staged and renamed into place together: an interrupt
    or an error anywhere leaves all of them as they were.  ``mode_comparison=False`` skips the
    comparison runs (``<run>-nd-<mode>``, :mod:`bayesstreams.inference.mode_runs`); the report
    then compares with the ones already beside the run that still fit, if any.

    Examples
    --------
    >>> outcome = analyze(out=tmp / "reports", run_dir=tmp / "runs", briefs=["g5"])
    >>> outcome.passed, sorted(p.name for p in (tmp / "reports").iterdir() if p.suffix == ".html")
    (True, ['brief-g5-nl.html', 'report.html'])
    >>> (tmp / "runs-wide" / "run.json").is_file()        # the wide-prior check run beside the run
    True
    """
    from bayesstreams.atomic import staged
    from bayesstreams.data.cases import resolve_case
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.check_run import check_run_path
    from bayesstreams.inference.fit import fit, fit_lines, resolve_model
    from bayesstreams.inference.mode_runs import mode_run_path, other_modes

    shipped = dataset_path is None
    dataset_path = Path(dataset_path) if dataset_path else default_dataset()
    data = load_dataset(dataset_path)  # validate first: bad input fails before any fitting
    out = Path(out) if out else Path("reports") / data.name
    run_dir = Path(run_dir) if run_dir else Path("runs") / data.name
    wide_dir = check_run_path(run_dir)
    # ids or names; resolved before fitting, so a mistyped case fails at once
    briefs = [resolve_case(data, case, "--brief") for case in briefs or ([SHIPPED_BRIEF_CASE] if shipped else [])]
    config = resolve_model(model)
    mode_dirs = {m: mode_run_path(run_dir, m) for m in other_modes(config)} if mode_comparison else {}
    # before the fit, not after it; each folder may later be replaced only if it is still the one seen now
    rules = {folder: _replace_rule(folder, force) for folder in (out, run_dir, wide_dir, *mode_dirs.values())}
    run = fit(data, config, seed=seed, progress=progress)
    with staged() as stage:  # the run, its wide-prior check run and the report: renamed together at the end
        run_tmp = stage.folder(run_dir, force, rules[run_dir])
        run.save(run_tmp, force=True, command=command)
        run.path = run_dir  # where it will be: the check run's provenance names it
        (run_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
        wide = _prior_check(run, wide_dir, stage, force, progress, rules[wide_dir])
        others = {m: _mode_run(run, m, folder, stage, force, progress, rules[folder]) for m, folder in mode_dirs.items()}
        report_tmp = stage.folder(out, force, rules[out])
        _write_outputs(run, report_tmp, lang, briefs, brief_lang, wide, others if mode_comparison else None)
        (report_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
    lines = fit_lines(data, config, run, seed, run_dir)
    lines += [f"prior check (wide priors) in {wide_dir}"]
    lines += [f"not-discussed comparison ({m}) in {folder}" for m, folder in mode_dirs.items()]
    lines += [f"report written to {out / 'report.html'} (also report.md, summary.json)"]
    lines += [f"brief for {case} written to {out / brief_name(case, brief_lang)}" for case in briefs]
    return Outcome(lines=lines, passed=run.diagnostics.passed, path=out)


def _prior_check(run, wide_dir: Path, stage, force: bool, progress: bool, rule=_written_by_analyze):
    """The wide-prior refit beside the run: reused when its data and model hashes match, else fitted into ``stage``."""
    from bayesstreams.inference.check_run import check_run, matches, wide_config
    from bayesstreams.inference.store import load_run, read_info
    from bayesstreams.errors import RunError

    if wide_dir.is_dir():
        try:
            if matches(run, read_info(wide_dir), wide_config(run.config)):
                return load_run(wide_dir)  # left as it is: nothing to rename
        except RunError:
            pass  # incomplete or old: refitted below
    wide_tmp = stage.folder(wide_dir, force, rule)
    wide = check_run(run, wide_tmp, progress=progress)
    (wide_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
    return wide


def _mode_run(run, mode: str, folder: Path, stage, force: bool, progress: bool, rule=_written_by_analyze):
    """A not-discussed comparison run beside the run: reused when its data and model hashes match, else fitted into ``stage``."""
    from bayesstreams.inference.mode_runs import fit_mode_run, reusable

    found = reusable(run, folder, mode)
    if found is not None:
        return found  # left as it is: nothing to rename
    tmp = stage.folder(folder, force, rule)
    other = fit_mode_run(run, mode, tmp, progress)
    (tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
    return other


def _write_outputs(run, folder: Path, lang: str, briefs: list[str], brief_lang: str, wide=None,
                   others=None) -> None:
    from bayesstreams.reporting.brief import write_brief
    from bayesstreams.reporting.report import write_report

    write_report(run, folder, lang=lang, force=True, check_run=wide, mode_runs=others)
    for case in briefs:
        write_brief(run, folder / brief_name(case, brief_lang), case=case, lang=brief_lang, check_run=wide,
                    force=True)
