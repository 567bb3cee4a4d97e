"""The one-page brief for one municipality: what it would take, its chances, weakest stream, levers, peers, caveats.

A brief is for a case of the run (``case_id``) or for a coded profile of a municipality
that is not in the data (``profile``, see :mod:`bayesstreams.data.profile`).  Its numbers come
from :func:`bayesstreams.analysis.scoring.score_dataset` (the same as ``bayesstreams score``; for
a case of the run they equal its in-sample predictions), from
:func:`bayesstreams.analysis.queries.stream_activation` for the stream picture and from
:mod:`bayesstreams.analysis.contraction` for the prior-driven marks.  Probabilities are given as
numbers with their 90% interval and in the calibrated words of :mod:`bayesstreams.reporting.words`.
The brief leads with what it would take (:mod:`bayesstreams.analysis.advice`, given what is known
of the case: phase 1 first), and its levers are the advice's levers toward the next window, so it
offers no lever without data and none toward a window that is already open.  Levers and plans
are phrased as what to do (the codebook's action), with the factor's label beside it.

The page is HTML with an A4 ``@page`` rule; :func:`write_brief` prints it to PDF through
headless Chromium when the output file ends in ``.pdf``: one A4 page when it fits in the
brief's type sizes, else two (the figure's text is never shrunk below 9 pt); and it writes
the same content as an editable Word document when it ends in ``.docx``
(:mod:`bayesstreams.reporting.brief_docx`).
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.analysis.advice import label_advice
from bayesstreams.analysis.prior_dependence import prior_dependence
from bayesstreams.analysis.queries import stream_activation
from bayesstreams.analysis.scoring import score_dataset
from bayesstreams.analysis.voi import next_evidence, reveal_order
from bayesstreams.atomic import atomic_write_bytes, refuse_existing
from bayesstreams.data.cases import resolve_case
from bayesstreams.data.codebook import PHASES
from bayesstreams.data.profile import read_profile
from bayesstreams.errors import InputError, UsageError, Violation
from bayesstreams.model.kinds import kind_of_draws
from bayesstreams.reporting.advice_text import useful_levers
from bayesstreams.reporting.brief_steps import sections
from bayesstreams.reporting.brief_text import advice
from bayesstreams.reporting.browser import find_chromium, pdf_page_count, print_pdf
from bayesstreams.reporting.figure_text import stream_text
from bayesstreams.reporting.figures import PNG_DPI, stream_strip
from bayesstreams.reporting.painter import Drawing, Painter
from bayesstreams.reporting.fragility_text import case_rests_on
from bayesstreams.reporting.i18n import study_translator
from bayesstreams.reporting.render import render, trusted
from bayesstreams.reporting.report_figures import stream_tables
from bayesstreams.reporting.view import Interval, StreamState, WindowChance
from bayesstreams.reporting.words import verbal

N_LEVERS = 3
N_SIMILAR = 3
BRIEF_MIN_FIND_OUT = 0.02  # a factor to find out first is on the brief when its answer moves the chance this much
FORMATS = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}  # the brief's formats and their suffixes
SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
COMPACT_LEVELS = (0, 1, 2)  # type sizes tried in turn until the brief fits one A4 page (actions make lines longer)


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@dataclass
class BriefWindow:
    """One window: its chance as numbers and in words, and (for a case of the run) what was observed."""

    phase: int
    p: Interval
    word_key: str
    words: str
    spans: bool
    observed: float | None
    prior_driven: bool
    known: str | None = None  # "open" / "closed": known from the interviews, shown as known (never as a chance)


@dataclass
class BriefLever:
    """A lever toward the case's next window, given what is known of it (MODEL.md §9)."""

    factor: str
    label: str
    phase: int
    stream: str
    code: float | None
    gain: Interval
    p_gain: float | None
    threshold: float
    action: str | None = None  # the codebook's action in the brief's language; None: it gives none
    now: Interval | None = None  # the chance of the next window now and with this step (one baseline)
    with_step: Interval | None = None


@dataclass
class Reference:
    """A reference municipality with a similar coded profile, and its observed windows."""

    case_id: str
    name: str
    similarity: float | None
    n_shared: int
    w1: float | None
    w2: float | None


@dataclass
class Barrier:
    """A factor the case's data code as a barrier (-1), with the quotes and sections behind the code."""

    factor: str
    label: str
    phase: int
    stream: str
    quotes: list[str]
    sections: list[str]


@dataclass
class Brief:
    """Everything the brief shows."""

    lang: str
    case_id: str
    name: str
    is_profile: bool
    title: str
    model_name: str
    model_kind: str
    n_reference: int
    n_factors: int
    n_not_discussed: int
    not_discussed: str  # the run's reading of a not-discussed cell (MODEL.md §7): zero, marginal or salience
    windows: list[BriefWindow]
    weakest: list[StreamState]
    streams: list[StreamState]
    levers: list[BriefLever]
    steps: list  # the advice as plain sections (brief_steps.Section): where it stands, next step, plan, blocks
    similar: list[Reference]
    barriers: list[Barrier]
    n_prior_driven: int
    n_taught: int
    diagnostics_passed: bool
    seed: int | None
    data_hash: str
    not_discussed_range: dict = field(default_factory=dict)  # scoring.CaseScore.not_discussed_range
    # what the case's first lever and best plan rest on (reporting.fragility_text), when the fragility was checked
    rests_on: list = field(default_factory=list)
    rests_checked: bool = False
    target: str | None = None  # the first window not yet open ("W1", "W2"; None: both open)


def one_case(dataset, case_id: str):
    """The run's dataset reduced to one case (same codebook and groups); ``case_id`` may be its id or its name."""
    case_id = resolve_case(dataset, case_id)
    i = dataset.case_ids.index(case_id)
    return dataclasses.replace(dataset, cases=[dataset.cases[i]], codes=[c for c in dataset.codes if c["case_id"] == case_id],
                               x=dataset.x[i:i + 1], w=dataset.w[i:i + 1], s=dataset.s[i:i + 1],
                               group=dataset.group[i:i + 1], warnings=[])


def select_case(run, case_id: str | None = None, profile=None):
    """The one-case Dataset a brief is about: a case of the run, or one case of a profile file.

    With a profile, ``case_id`` picks one of its cases (needed when it holds several).
    """
    if profile is None:
        if case_id is None:
            raise UsageError("--case/--profile", "give --case ID or --profile FILE")
        return one_case(run.dataset, case_id)
    profiles = read_profile(profile, run.dataset.codebook, tuple(run.dataset.groups))
    if case_id is None and profiles.n_cases > 1:
        raise InputError(Violation(str(profile), None, "case_id", "the profile holds several cases "
                                   f"({', '.join(profiles.case_ids)}); choose one with --case"))
    return one_case(profiles, case_id or profiles.case_ids[0])


def barriers(case, lang: str) -> list[Barrier]:
    """The factors coded -1 for the (one-case) dataset ``case``, in codebook order, with their quotes.

    Quotes come from the coded records (long layout); a factor coded -1 without a quote is
    still listed, with no quote.
    """
    found = []
    for k, factor in enumerate(case.codebook.factors):
        if not case.x[0, k] < 0:  # NaN (not discussed) is no barrier either
            continue
        records = [r for r in case.codes if r["factor"] == factor.id and str(r.get("quote", "") or "").strip()]
        found.append(Barrier(factor.id, factor.label(lang), factor.phase, factor.stream,
                             [str(r["quote"]).strip() for r in records],
                             [str(r.get("section", "") or "").strip() for r in records]))
    return found


def _windows(score, case, flags: dict, t, advice: dict | None = None) -> list[BriefWindow]:
    """Each window: known from the interviews (shown as known), else its chance given what is known.

    With the case advice (streams model) the chances are the advice's, the "now" every step starts
    from; without it (the additive model knows no evidence) they are the codes' predictions.
    """
    out = []
    by_phase = {w["phase"]: w for w in advice["windows"]} if advice is not None else {}
    for p in PHASES:
        if advice is not None and p not in by_phase:
            continue  # a window the study does not have
        entry = by_phase[p] if advice is not None else {"known": None, "p": getattr(score, f"p_w{p}")}
        if entry["known"]:
            value = 1.0 if entry["known"] == "open" else 0.0
            out.append(BriefWindow(p, Interval(value, value, value, value, value), f"known_{entry['known']}",
                                   t(f"voice_card_known_{entry['known']}"), False, value, False, entry["known"]))
            continue
        summary = entry["p"]
        words = verbal(summary["mean"], summary["q05"], summary["q95"], t, plain=True)
        out.append(BriefWindow(p, Interval.of(summary), words.key, words.text, words.spans,
                               _num(case.w[0, p - 1]), flags.get(f"p_w{p}", False)))
    return out


def _streams(run, case) -> list[StreamState]:
    """Stream activation of the case (streams model only; empty for the additive model)."""
    if not kind_of_draws(run.posterior).has_streams:
        return []
    table = stream_activation(run.posterior, case)
    return [StreamState(int(r["phase"]), str(r["stream"]), Interval.of(r), _num(r["observed"]), bool(r["bottleneck"]))
            for _, r in table.iterrows()]


def _levers(advice: dict | None, labels: dict) -> list[BriefLever]:
    """The levers toward the next window that gain something alone (none for the additive model or both windows open)."""
    if advice is None:
        return []
    return [BriefLever(lever["factor"], labels[lever["factor"]], int(lever["phase"]), lever["stream"],
                       _num(lever["code"]), Interval.of(lever["gain"]), _num(lever["p_gain_gt_threshold"]),
                       float(lever["threshold"]), lever.get("action"), Interval.of(lever["now"]),
                       Interval.of(lever["with_step"]))
            for lever in useful_levers(advice["levers"])[:N_LEVERS]]


def _steps(advice: dict | None, name: str, t) -> list:
    """The advice as the brief's plain sections (:mod:`bayesstreams.reporting.brief_steps`)."""
    return sections(advice, name, t)


def _similar(score, exclude: str | None) -> list[Reference]:
    found = [s for s in score.similar if s["case_id"] != exclude][:N_SIMILAR]
    return [Reference(s["case_id"], s["name"], _num(s["similarity"]), int(s["n_shared"]), _num(s["w1"]),
                      _num(s["w2"])) for s in found]


def _prior_count(run, check_run=None) -> tuple[int, int]:
    """The run's count of prior-driven headline numbers (the report's *In short* count).

    The case's own flags come from ``score`` (:func:`~bayesstreams.analysis.scoring.score_dataset`),
    so brief, score and report read one flag.
    """
    return prior_dependence(run, check_run).count()


def _order_by_value(run, case_id: str, advice: dict, found=None) -> None:
    """Order the case's find-out-first factors by what finding them out is worth for its advice (issue 24).

    The value is :mod:`bayesstreams.analysis.voi`'s for revealing that cell: the chance the case's
    first lever changes, then the expected narrowing of its gain's 90% interval; each entry keeps
    it as ``value``.  The words of the brief do not change, only which factors come first.
    ``found``: the study's :class:`~bayesstreams.analysis.voi.NextEvidence` when it was computed
    already (``analyze`` computes it for the report); its values are read, not computed again.
    """
    factors = {e["factor"] for e in advice.get("find_out_first", [])}
    if not factors or advice.get("target") is None:
        return
    values = found.reveal_values(case_id, factors) if found is not None else None
    if values is None:
        values = next_evidence(run, queries=[f"case:{case_id}"], kinds=("reveal",),
                               candidates_of=lambda c: c.case_id == case_id and c.factor in factors
                               ).reveal_values(case_id) or {}
    order = reveal_order(values)  # the what-if page marks its cells in the same order
    for entry in advice["find_out_first"]:
        entry["value"] = values.get(entry["factor"])
    advice["find_out_first"].sort(key=lambda e: order.index(e["factor"]) if e["factor"] in order else len(order))


def brief_data(run, case_id: str | None = None, profile=None, lang: str = "nl", check_run=None,
               threshold: float = 0.5, next_found=None) -> Brief:
    """Everything a brief shows, for a case of the run or a coded profile (see :func:`select_case`).

    ``check_run`` is the wide-prior refit (``study.wide``) the
    prior-driven marks are measured with, besides power-scaling; ``threshold`` is the chance of
    the next window that "what would it take" aims at; ``next_found`` the study's what to find out
    next (:func:`bayesstreams.analysis.voi.next_evidence`), whose values order "find out first"
    instead of computing them again.
    """
    t = study_translator(lang, run.dataset)
    case = select_case(run, case_id, profile)
    is_profile = profile is not None
    score = score_dataset(run, case, top_levers=N_LEVERS, n_similar=N_SIMILAR + 1, check_run=check_run,
                          threshold=threshold, in_data=not is_profile).cases[0]
    labels = {f.id: f.label(lang) for f in run.dataset.codebook.factors}
    advice = None
    if score.advice is not None:
        advice = label_advice(score.advice, {k: {lang: v} for k, v in labels.items()}, lang,
                              run.dataset.codebook.actions())
        if not is_profile:
            _order_by_value(run, case.case_ids[0], advice, next_found)
    flags, n_prior, n_taught = score.prior_driven, *_prior_count(run, check_run)
    phases = run.dataset.phases  # a one-phase study: no card, stream or sentence about the other window
    streams = [s for s in _streams(run, case) if s.phase in phases]
    name = case.case_column("name")[0] or case.case_ids[0]
    return Brief(
        lang=lang, case_id=case.case_ids[0], name=name, is_profile=is_profile,
        title=run.dataset.codebook.describe("title", lang) or run.dataset.name,
        model_name=run.config.name, model_kind=run.config.kind, n_reference=run.dataset.n_cases,
        n_factors=score.n_factors, n_not_discussed=score.n_not_discussed,
        not_discussed=run.config.evidence_options["not_discussed"],
        windows=[w for w in _windows(score, case, flags, t, advice) if w.phase in phases],
        weakest=[s for s in streams if s.bottleneck], streams=streams,
        levers=_levers(advice, labels), steps=_steps(advice, name, t),
        target=None if advice is None else advice["target"],
        similar=_similar(score, None if is_profile else case.case_ids[0]), barriers=barriers(case, lang),
        n_prior_driven=n_prior, n_taught=n_taught,
        diagnostics_passed=bool((run.info.get("diagnostics") or {}).get("passed", False)),
        seed=run.info.get("seed"), data_hash=str(run.info.get("dataset", {}).get("hash", "")),
        not_discussed_range={k: v for k, v in score.not_discussed_range.items() if int(k[-1]) in phases})


def brief_picture(brief: Brief, t, form: str = "svg", painter: Painter | None = None):
    """The brief's stream picture (:func:`~bayesstreams.reporting.figures.stream_strip`) and its texts, or ``(None, None)`` without streams.

    ``form`` ``"svg"``: SVG text with its title and description, which the HTML page (and the PDF
    printed from it) inlines; ``"png"``: PNG bytes at :data:`~bayesstreams.reporting.figures.PNG_DPI` for the Word brief.
    Drawn by ``painter`` (in its worker process, if it has one), else here.
    """
    if not brief.streams:
        return None, None
    windows = [WindowChance(w.phase, w.p, w.observed, w.prior_driven) for w in brief.windows]
    text = stream_text(brief.name, brief.streams, windows, t)
    drawing = Drawing(stream_strip, (stream_tables(brief.streams, windows)[0], t), form=form, title=text.title,
                      desc=text.desc, ident="brief-streams", dpi=PNG_DPI)
    return (painter or Painter(in_process=True)).submit(drawing).result(), text


def render_brief(brief: Brief, t, compact: int = 0, picture: str | None = None) -> str:
    """The brief as one HTML page (inline CSS and figure); ``compact`` 1 or 2 uses smaller type to fit one A4 page.

    ``picture`` is the stream picture's SVG when already drawn (:func:`brief_picture`).
    """
    picture = picture if picture is not None else brief_picture(brief, t)[0]
    figure = None if picture is None else trusted(picture)
    return render("brief.html", t, b=brief, figure=figure, compact=compact, advice=advice(brief, t))


def brief_target(out, format: str | None = None) -> tuple[Path, str]:
    """The file a brief is written to and its format: ``format`` (html, pdf, docx), else the suffix of ``out``.

    With a format, an ``out`` without a brief's suffix gets the format's; a suffix that names
    another format is a mistake.

    Examples
    --------
    >>> brief_target("g5.docx")
    (PosixPath('g5.docx'), 'docx')
    >>> brief_target("briefs/g5", "pdf")
    (PosixPath('briefs/g5.pdf'), 'pdf')
    """
    out = Path(out)
    known = SUFFIXES.get(out.suffix.lower())
    if format is None:
        if known is None:
            raise InputError(Violation(str(out), None, "--out", "the brief is written as .html, .pdf or .docx"))
        return out, known
    _known_format(format)
    if known is None:
        return out.with_name(out.name + FORMATS[format]), format
    if known != format:
        raise UsageError("--format", f"--out ends in {out.suffix} but the format is {format}; give one of them")
    return out, format


def _known_format(format: str) -> None:
    """Refuse a format that is no brief's (:data:`FORMATS`)."""
    if format not in FORMATS:
        raise UsageError("--format", f"{format!r} is no brief format (html, pdf or docx)")


def write_brief(study, out=None, case: str | None = None, profile=None, lang: str = "nl", case_id: str | None = None,
                out_file=None, threshold: float = 0.5, force: bool = False, fragility=None,
                format: str | None = None, next_found=None, painter: Painter | None = None) -> Path:
    """Write the brief of one municipality as HTML, a one-page A4 PDF or a Word document (by ``format`` or the suffix).

    Parameters
    ----------
    study
        A :class:`~bayesstreams.inference.study.Study` (``bs.load_study(folder)``): the run and
        its wide-prior refit, which measures the prior-driven marks with power-scaling (without
        one, power-scaling alone, and the brief says so).
    out
        ``*.html`` (one self-contained page), ``*.pdf`` (printed by headless Chromium) or
        ``*.docx`` (an editable Word document with the same content); ``out_file`` is the same.
    case
        A case of the run, by id or name; with ``profile``, the case of the profile file to
        brief.  ``case_id`` is the same.
    profile
        A coded profile (CSV/xlsx, long or wide) of a municipality not in the run.
    lang
        ``"nl"`` (default) or ``"en"``.
    threshold
        The chance of the next window that "what would it take" aims at (default 50%).
    force
        Replace an existing ``out_file`` (without it an existing file, or one another
        process wrote meanwhile, is refused).
    fragility
        The study's :class:`~bayesstreams.analysis.fragility.Fragility`
        (:func:`bayesstreams.pipeline.robustness.robustness`): the brief then says which single
        code or stream state the case's first lever and best plan rest on.
    format
        ``"html"``, ``"pdf"`` or ``"docx"``; default: the suffix of ``out`` (see :func:`brief_target`).
    next_found
        The study's :class:`~bayesstreams.analysis.voi.NextEvidence` when already computed (``analyze``
        computes it for the report): "find out first" is ordered by its values, not computed again.
    painter
        Draws the stream picture (:class:`~bayesstreams.reporting.painter.Painter`; ``analyze``
        passes the report's, whose worker process has matplotlib loaded); by default, here.

    Returns
    -------
    Path
        The file written (``out``, with the format's suffix when it had none).

    Raises
    ------
    UsageError
        ``case_id`` names no case (by id or name, in any letter case) or several.
    InputError
        An invalid profile, an unsupported file type, or ``out_file`` exists.
    DependencyError
        A PDF was asked for and Chromium is not installed.

    Examples
    --------
    >>> write_brief(study, case="Gemeente 5", out=tmp / "g5.html").name
    'g5.html'
    """
    out_file, format = brief_target(out if out is not None else out_file, format)
    refuse_existing(out_file, force)  # before the work, and again at the rename
    content = brief_document(study, case if case is not None else case_id, profile, lang, format, threshold,
                             fragility, next_found, painter)
    atomic_write_bytes(out_file, content, replace=force)
    return out_file


def brief_document(study, case: str | None = None, profile=None, lang: str = "nl", format: str = "html",
                   threshold: float = 0.5, fragility=None, next_found=None, painter: Painter | None = None) -> bytes:
    """The brief's file as :func:`write_brief` writes it (``format`` html, pdf or docx: the HTML page as UTF-8), not
    written: ``analyze`` composes its brief while the report's last figures are drawn, then writes it into the report's
    folder.  The arguments are :func:`write_brief`'s."""
    _known_format(format)
    t = study_translator(lang, study.run.dataset)  # the study's own words for its cases and evidence
    if format == "pdf":
        find_chromium()  # a missing browser fails before the work, not after it
    run = study.run
    if case is not None and profile is None:
        case = run.dataset.resolve_case(case)
    brief = brief_data(run, case, profile, lang, study.wide, threshold, next_found)
    if fragility is not None and profile is None:
        brief.rests_on = case_rests_on(fragility, run.dataset, brief.case_id, lang)
        brief.rests_checked = True
    if format == "docx":
        return word_brief(brief, t, painter)
    picture = brief_picture(brief, t, "svg", painter)[0]  # the HTML page's, which the PDF prints
    if format == "html":
        return render_brief(brief, t, picture=picture).encode("utf-8")
    return brief_pdf(brief, t, picture)


def word_brief(brief: Brief, t, painter: Painter | None = None) -> bytes:
    """The brief as a Word document (:mod:`bayesstreams.reporting.brief_docx`), with the HTML page's figure as PNG."""
    figure, text = brief_picture(brief, t, "png", painter)
    from bayesstreams.reporting.brief_docx import docx_brief  # lazy: python-docx (0.05 s) for a Word brief only

    return docx_brief(brief, t, advice(brief, t), figure, "" if text is None else f"{text.title}. {text.desc}")


def brief_pdf(brief: Brief, t, picture: str | None = None) -> bytes:
    """The brief printed to A4 PDF: one page in normal type, else in compact, then tighter type; else two pages.

    The type is never set below the compact levels' and the figure is never shrunk to fit
    (its text stays 9 pt): a brief whose advice is too long for one page even in the tightest
    type is printed on two pages in its normal type, rather than in type nobody can read.
    """
    with tempfile.TemporaryDirectory(prefix="bayesstreams-brief-") as tmp:
        page = Path(tmp) / "brief.html"
        for compact in COMPACT_LEVELS:
            page.write_text(render_brief(brief, t, compact, picture), encoding="utf-8")
            data = print_pdf(page, Path(tmp) / "brief.pdf").read_bytes()
            if pdf_page_count(data) == 1:
                return data
        page.write_text(render_brief(brief, t, 0, picture), encoding="utf-8")
        return print_pdf(page, Path(tmp) / "brief.pdf").read_bytes()
