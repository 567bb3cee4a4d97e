"""Screen a valid dataset for weak spots that are not errors.

These become warnings: the data load, but a user should know before trusting a fit.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.support import aliased_factors, separation, support_arrays  # noqa: F401  (separation: re-exported)
from bayesstreams.errors import Violation


def _case_location(dataset, i: int) -> tuple[str, int | None]:
    """File and line of case ``i`` in its case table."""
    record = dataset.cases[i]
    return record.get("_file") or _cases_file(dataset), record.get("_line")


def _factor_location(dataset, factor: str) -> tuple[str, int | None]:
    """Where a factor is declared: its codebook line, else the header of a wide case table."""
    file, line = dataset.codebook.location(factor)
    if file:
        return file, line
    return _cases_file(dataset), None


def _cases_file(dataset) -> str:
    from pathlib import Path

    source = Path(dataset.source)
    return str(source / "cases.csv") if source.is_dir() else str(source)


def screen_dataset(dataset) -> list[Violation]:
    """Warnings: uncoded cases, w2 without w1, no-data and separating factors, respondent disagreement.

    Factor warnings come from :func:`bayesstreams.data.support.support_arrays`, on the codes as
    the model reads them (not discussed = 0), against the factor's own window and the coded
    state of its own stream (MODEL.md §8).  Each warning has a ``kind`` and a ``subject`` (the
    case or factor) so that :func:`warning_lines` can print repeated warnings of one kind as one line.
    """
    warnings: list[Violation] = []
    coded = ~np.isnan(dataset.x)
    for i, case_id in enumerate(dataset.case_ids):
        file, line = _case_location(dataset, i)
        if not coded[i].any():
            warnings.append(Violation(file, line, "case_id", f"case {case_id!r} has no codes", "uncoded", case_id))
        if dataset.w[i, 1] == 1 and dataset.w[i, 0] == 0:
            warnings.append(Violation(file, line, "w2", f"case {case_id!r} has w2 = 1 but w1 = 0 "
                                      "(institutionalised without agenda setting)", "w2_without_w1", case_id))
    warnings += factor_warnings(dataset)
    warnings += alias_warnings(dataset)
    warnings += _respondent_disagreements(dataset)
    warnings += study_warnings(dataset)
    return warnings


def alias_warnings(dataset) -> list[Violation]:
    """One warning per pair of factors whose codes are identical or exactly opposite in every case."""
    out = []
    for factor, others in aliased_factors(dataset).items():
        file, line = _factor_location(dataset, factor)
        for other, sign in others:
            if dataset.factor_ids.index(other) < dataset.factor_ids.index(factor):
                continue  # each pair once, at its first factor
            how = "the same codes as" if sign > 0 else "exactly the opposite codes of"
            out.append(Violation(file, line, factor, f"factor {factor!r} has {how} {other!r} in every case (not "
                                 "discussed read as 0): their effects cannot be told apart", "aliased",
                                 f"{factor} = {'' if sign > 0 else '-'}{other}"))
    return out


def study_warnings(dataset) -> list[Violation]:
    """The ``[dataset]`` words an import left as placeholders: reports leave them out until they are written."""
    codebook = dataset.codebook
    keys = codebook.placeholders()
    if not keys:
        return []
    return [Violation(codebook.file or _cases_file(dataset), None, "dataset",
                      f"[dataset] still has placeholders for {', '.join(keys)}: write your study's own words there "
                      "(reports leave out its title and source, and say 'case' and 'sources', until you do)",
                      "placeholder", "dataset")]


def factor_warnings(dataset) -> list[Violation]:
    """Per factor: never coded, constant once not discussed is read as 0, or separating its window / stream."""
    support = support_arrays(dataset)
    x = np.nan_to_num(np.asarray(dataset.x, dtype=float), nan=0.0)
    phase, stream = dataset.factor_phase, dataset.factor_stream
    out = []
    for k, factor in enumerate(dataset.factor_ids):
        file, line = _factor_location(dataset, factor)
        if support.never_coded[k]:
            out.append(Violation(file, line, factor, f"factor {factor!r} is never coded: its effect is the prior's "
                                 "(no data: prior only)", "never_coded", factor))
        elif support.constant[k]:
            value = _code_text(x[0, k])
            out.append(Violation(file, line, factor, f"factor {factor!r} is {value} in every case once not discussed "
                                 "is read as 0: its effect is the prior's (no data: prior only)",
                                 "constant", f"{factor} (always {value})"))
        elif support.separating[k]:
            targets, short = _separated(support, k, phase[k], stream[k])
            out.append(Violation(file, line, factor, f"factor {factor!r} separates {' and '.join(targets)}, with not "
                                 "discussed read as 0: its effect rests on the prior", "separation",
                                 f"{factor} ({'; '.join(short)})"))
    return out


def _separated(support, k: int, p: int, s: int) -> tuple[list[str], list[str]]:
    """What factor ``k`` separates, in full (the message) and in short (the grouped line)."""
    targets, short = [], []
    if support.separates_window[k]:
        window, side = f"w{p + 1}", _side(support.separates_window[k])
        targets.append(f"{window} (cases with {window} = 1 all have {side} codes)")
        short.append(f"{side} codes where {window} = 1")
    if support.separates_stream[k]:
        name, side = f"phase-{PHASES[p]} {STREAMS[s]} stream", _side(support.separates_stream[k])
        targets.append(f"the coded {name} (cases in motion all have {side} codes)")
        short.append(f"{side} codes where the {name} is in motion")
    return targets, short


def _side(direction: int) -> str:
    return "higher" if direction > 0 else "lower"


def _code_text(value: float) -> str:
    return f"{value:+.0f}" if value else "0"


# How a group of warnings of one kind reads: "{n} ..." followed by the subjects.
GROUPED = {
    "uncoded": "{n} cases have no codes",
    "w2_without_w1": "{n} cases have w2 = 1 but w1 = 0 (institutionalised without agenda setting)",
    "never_coded": "{n} factors are never coded",
    "constant": "{n} factors are constant once not discussed is read as 0, so their effects are the prior's "
                "(no data: prior only)",
    "separation": "{n} factors separate their window or coded stream perfectly (not discussed read as 0), "
                  "so their effects rest on the prior",
    "aliased": "{n} pairs of factors have the same or exactly opposite codes in every case (not discussed read "
               "as 0), so their effects cannot be told apart",
    "disagreement": "{n} case-factor pairs have respondents who disagree (the sign of their sum is used)",
}


def _subject(warning: Violation) -> str:
    """``subject (row N)``; a subject that ends in a parenthesis takes the row inside it."""
    if warning.row is None:
        return warning.subject
    if warning.subject.endswith(")"):
        return f"{warning.subject[:-1]}, row {warning.row})"
    return f"{warning.subject} (row {warning.row})"


def warning_lines(warnings: list[Violation]) -> list[str]:
    """The warnings as printed lines: one per warning, or one per kind when a kind repeats.

    A group keeps the position of its first warning and lists every subject with its
    row, e.g. ``codebook.toml: 2 factors are never coded: p2_framing (row 57), ...``.
    """
    by_kind: dict[str, list[Violation]] = {}
    for warning in warnings:
        by_kind.setdefault(warning.kind, []).append(warning)
    lines, done = [], set()
    for warning in warnings:
        group = by_kind[warning.kind]
        if len(group) < 2 or warning.kind not in GROUPED:
            lines.append(str(warning))
        elif warning.kind not in done:
            done.add(warning.kind)
            files = sorted({w.file for w in group})
            where = files[0] if len(files) == 1 else ", ".join(files)
            subjects = ", ".join(_subject(w) for w in group)
            lines.append(f"{where}: {GROUPED[warning.kind].format(n=len(group))}: {subjects}")
    return lines


def _respondent_disagreements(dataset) -> list[Violation]:
    blocks: dict[tuple[str, str], list[dict]] = {}
    for record in dataset.codes:
        if record.get("respondent") and not np.isnan(record["code"]):
            blocks.setdefault((record["case_id"], record["factor"]), []).append(record)
    out = []
    for (case_id, factor), block in blocks.items():
        codes = [int(r["code"]) for r in block]
        if len(set(codes)) > 1:
            out.append(Violation(block[0]["_file"], block[0]["_line"], "code",
                                 f"respondents disagree on case {case_id!r}, factor {factor!r} "
                                 f"({', '.join(map(str, codes))}): the sign of their sum is used",
                                 "disagreement", f"{case_id}/{factor} ({', '.join(map(str, codes))})"))
    return out
