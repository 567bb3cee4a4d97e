"""The whole job in one call: validate, fit the study (the run and its companions), write the report and briefs.

It strings library steps together (the study stays in memory from the fit to the report:
nothing is read back from disk except companions of an earlier run of the same data, which
are reused) and returns the :class:`~bayesstreams.inference.study.Study` with the lines the
CLI prints; nothing here computes statistics of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.analysis.companion_memo import restore_companions, store_companions
from bayesstreams.atomic import atomic_write_bytes, probe_writable, safe_name, staged
from bayesstreams.data.cases import resolve_case
from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import BayesStreamsError, InputError, UsageError, Violation
from bayesstreams.forked import Forked, one_blas_thread
from bayesstreams.inference.fit import fit_lines, resolve_model
from bayesstreams.inference.study import MODE_PREFIX, Study, companion_path, expected_roles
from bayesstreams.pipeline.robustness import next_evidence
from bayesstreams.pipeline.robustness import robustness as check_robustness
from bayesstreams.reporting.brief import FORMATS as BRIEF_FORMATS
from bayesstreams.reporting.brief import brief_document
from bayesstreams.reporting.browser import find_chromium
from bayesstreams.reporting.companions_text import missing_lines
from bayesstreams.reporting.painter import Painter
from bayesstreams.reporting.report import draft_report, write_report

SHIPPED_STUDY = "data/trafficking_nl_2020"
SHIPPED_BRIEF_CASE = "g5"
MARKER = ".bayesstreams-analyze"


@dataclass
class Outcome:
    """What ``analyze`` did: the study, the lines the CLI prints, whether the diagnostics passed, the report folder."""

    study: Study | None = None
    lines: list[str] = field(default_factory=list)
    passed: bool = True
    path: Path | None = None


def default_dataset() -> Path:
    """The shipped study, looked up from the working directory, then from the checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / SHIPPED_STUDY
        if candidate.is_dir():
            return candidate
    raise BayesStreamsError(f"{SHIPPED_STUDY}: the shipped study is not here; give a DATASET argument")


def brief_name(case: str, lang: str, format: str = "html") -> str:
    """The brief's file name: a case id never becomes a path (:func:`bayesstreams.atomic.safe_name`).

    Examples
    --------
    >>> brief_name("../../etc/x", "nl")
    'brief-etc-x-56da1a2e-nl.html'
    >>> brief_name("g5", "nl", "docx")
    'brief-g5-nl.docx'
    """
    return f"brief-{safe_name(case)}-{safe_name(lang)}{BRIEF_FORMATS[format]}"


def _written_by_analyze(folder: Path) -> bool:
    return (folder / MARKER).exists()


def _replaceable(folder: Path, force: bool) -> bool:
    """An output folder may be replaced when analyze wrote it before (its marker is there) or with --force."""
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


def run_analysis(dataset_path=None, out=None, run_dir=None, model=None, seed=20200601, lang="en", briefs=None,
                 brief_lang=None, force=False, progress=False, command=None, mode_comparison=True,
                 robustness=False, brief_format: str = "html") -> Outcome:
    """Validate, fit the study and report in one go; the CLI's ``analyze`` (see :func:`analyze`)."""
    brief_lang = brief_lang or lang  # the brief speaks the report's language unless asked otherwise
    if brief_format not in BRIEF_FORMATS:
        raise UsageError("--brief-format", f"{brief_format!r} is no brief format (html, pdf or docx)")
    if brief_format == "pdf":
        find_chromium()  # a missing browser fails before the fit, not after it
    shipped = dataset_path is None
    dataset_path = Path(dataset_path) if dataset_path else default_dataset()
    data = load_dataset(dataset_path)  # validate first: bad input fails before any fitting
    out = Path(out) if out else Path("reports") / data.name
    run_dir = Path(run_dir) if run_dir else Path("runs") / data.name
    # ids or names; resolved before fitting, so a mistyped case fails at once
    briefs = [resolve_case(data, case, "--brief") for case in briefs or ([SHIPPED_BRIEF_CASE] if shipped else [])]
    config = resolve_model(model)
    roles = [r for r in expected_roles(config, data) if mode_comparison or not r.startswith(MODE_PREFIX)]
    # before the fit, not after it; each folder may later be replaced only if it is still the one seen now
    rules = {folder: _replace_rule(folder, force) for folder in (out, run_dir, *(companion_path(run_dir, r) for r in roles))}
    # one BLAS thread: the second core is the figure worker's and the forked copies'
    with one_blas_thread(), Painter() as painter:  # its worker loads matplotlib during the fit, then draws the figures
        study = Study.fit(data, config, seed=seed, companions=False, progress=progress)
        # what to find out next reads the run alone: a forked copy of this process (the second core) computes it
        # from here on, while the companions are read (or fitted) and the report is drafted
        with Forked(_next, study) as upcoming:
            study.reuse(run_dir)  # companions of an earlier run of the same data and model files
            study.fill([r for r in roles if r in study.missing], progress=progress)
            restore_companions(study)  # what a reused companion contributed to the last report, when still its own
            found = check_robustness(study, progress=progress) if robustness else None
            with staged() as stage:  # the run, its companions and the report: renamed together at the end
                # the runs are written by another forked copy while the report is drafted
                with study.start_saving(stage, run_dir, force, command,
                                        lambda path: _rule(rules, path)(path)) as saving:
                    report_tmp = stage.folder(out, force, rules[out])
                    _write_outputs(study, report_tmp, lang, briefs, brief_lang, found, brief_format, painter, upcoming)
                    written = saving.finish()
                for folder in written.values():
                    (folder / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
                (report_tmp / MARKER).write_text("written by bayesstreams analyze\n", encoding="utf-8")
    store_companions(study)  # beside each companion, now in place: the next analyze of the same data reads it
    lines = fit_lines(data, config, study.run, seed, run_dir)
    lines += [f"{_role_words(role)} in {companion_path(run_dir, role)}" for role in study.companions]
    lines += missing_lines(study, "en")
    lines += [f"report written to {out / 'report.html'} (also report.md, summary.json)"]
    lines += [f"brief for {case} written to {out / brief_name(case, brief_lang, brief_format)}" for case in briefs]
    return Outcome(study=study, lines=lines, passed=study.run.diagnostics.passed, path=out)


def analyze(dataset_path=None, out=None, run_dir=None, model=None, seed=20200601, lang="en", briefs=None,
            brief_lang=None, force=False, progress=False, command=None, mode_comparison=True,
            robustness=False, brief_format: str = "html") -> Study:
    """Validate, fit and report in one go; the default is the shipped study with a brief for gemeente 5.

    The briefs are written in ``brief_lang``, by default the report's ``lang``, as ``brief_format``:
    ``"html"`` (default), ``"pdf"`` (one A4 page, needs Chromium) or ``"docx"`` (Word).

    The run, its companions (the wide-prior refit, the other not-discussed modes and the source
    check's refits without the coded stream states and with stream_error,
    :mod:`bayesstreams.inference.study`; reused beside ``run_dir`` while the data and model files
    are unchanged) and the report folder are staged and renamed into place together: an
    interrupt or an error anywhere leaves all of them as they were.  ``mode_comparison=False``
    fits no not-discussed companion; the report then compares with the ones already beside the
    run that still fit, if any, and names the missing ones.  ``robustness=True`` also checks what
    each conclusion rests on (:mod:`bayesstreams.pipeline.robustness`; minutes, with exact refits)
    and the report and briefs say it.

    Returns
    -------
    Study
        The fitted study, saved at ``run_dir`` (its companions beside it).

    Examples
    --------
    >>> study = analyze(out=tmp / "reports", run_dir=tmp / "runs", briefs=["g5"], brief_lang="nl")
    >>> study.run.diagnostics.passed, sorted(p.name for p in (tmp / "reports").iterdir() if p.suffix == ".html")
    (True, ['brief-g5-nl.html', 'report.html'])
    >>> sorted(study.companions), (tmp / "runs-wide" / "run.json").is_file()
    (['nd-marginal', 'nd-salience', 'nostreams', 'streamerror', 'wide'], True)
    """
    return run_analysis(dataset_path, out, run_dir, model, seed, lang, briefs, brief_lang, force, progress, command,
                        mode_comparison, robustness, brief_format).study


def _rule(rules: dict, path: Path):
    """The replace rule of ``path``, checked at the start; a folder not checked then (none today: every companion
    written is one of the roles checked, a reused one is not rewritten) may be replaced only if analyze wrote it."""
    return rules.get(Path(path), _written_by_analyze)


def _role_words(role: str) -> str:
    if role == "wide":
        return "prior check (wide priors)"
    if role == "nostreams":
        return "source check (without the coded stream states)"
    if role == "streamerror":
        return "source check (stream_error on)"
    return f"not-discussed comparison ({role[len(MODE_PREFIX):]})" if role.startswith(MODE_PREFIX) else role


def _next(study: Study):
    """What to find out next for the report (reweighting alone: a few seconds), or None for a kind without streams."""
    if not study.run.config.model_kind.has_streams:
        return None
    return next_evidence(study, budget=0)


def _write_outputs(study: Study, folder: Path, lang: str, briefs: list[str], brief_lang: str, fragility=None,
                   brief_format: str = "html", painter: Painter | None = None, upcoming: Forked | None = None) -> None:
    """The report and the briefs in ``folder``; ``upcoming``: what to find out next (:func:`_next`) being computed
    by a forked copy (:class:`~bayesstreams.forked.Forked`), else started here."""
    # the report is drafted here while its figures are drawn by the painter's worker and what to find out next is
    # computed by the forked copy (the second core's share); read once: the report's section and each brief's
    # "find out first"
    with upcoming or Forked(_next, study) as upcoming:
        draft = draft_report(study, lang, painter=painter)
        found = upcoming.result()
    # the briefs are composed while the worker draws the report's last figures, and written after the report, which
    # writes its folder whole
    documents = {brief_name(case, brief_lang, brief_format): brief_document(
        study, case, lang=brief_lang, format=brief_format, fragility=fragility, next_found=found, painter=painter)
        for case in briefs}
    write_report(study, folder, lang=lang, force=True, fragility=fragility, next_found=found, draft=draft)
    for name, content in documents.items():
        atomic_write_bytes(folder / name, content)
