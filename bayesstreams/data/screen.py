"""Screen a valid dataset for weak spots that are not errors.

These become warnings: the data load, but a user should know before trusting a fit.
"""

from __future__ import annotations

import numpy as np

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


def separation(x: np.ndarray, w: np.ndarray) -> int:
    """+1 if codes separate the window upwards, -1 downwards, 0 if they do not.

    Separation means every case with the window open has a higher (or lower) code than
    every case without it, over the cases where both are known; then the likelihood alone
    would push the factor's effect to infinity and only the prior holds it.
    """
    known = ~np.isnan(x) & ~np.isnan(w)
    xs, ws = x[known], w[known]
    opened, closed = xs[ws == 1], xs[ws == 0]
    if opened.size == 0 or closed.size == 0:
        return 0
    if opened.min() > closed.max():
        return 1
    if opened.max() < closed.min():
        return -1
    return 0


def screen_dataset(dataset) -> list[Violation]:
    """Warnings: uncoded cases, never-coded factors, w2 without w1, perfect separation, respondent disagreement.

    Each warning has a ``kind`` and a ``subject`` (the case or factor) so that
    :func:`warning_lines` can print repeated warnings of one kind as one line.
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
    phase_of = dataset.factor_phase
    for j, factor in enumerate(dataset.factor_ids):
        file, line = _factor_location(dataset, factor)
        if not coded[:, j].any():
            warnings.append(Violation(file, line, factor, f"factor {factor!r} is never coded", "never_coded", factor))
            continue
        direction = separation(dataset.x[:, j], dataset.w[:, phase_of[j]])
        if direction:
            window = f"w{phase_of[j] + 1}"
            side = "higher" if direction > 0 else "lower"
            warnings.append(Violation(
                file, line, factor,
                f"factor {factor!r} separates {window} perfectly (cases with {window} = 1 all have {side} codes): "
                f"its effect rests on the prior", "separation", f"{factor} ({side} codes where {window} = 1)"))
    warnings += _respondent_disagreements(dataset)
    return warnings


# How a group of warnings of one kind reads: "{n} ..." followed by the subjects.
GROUPED = {
    "uncoded": "{n} cases have no codes",
    "w2_without_w1": "{n} cases have w2 = 1 but w1 = 0 (institutionalised without agenda setting)",
    "never_coded": "{n} factors are never coded",
    "separation": "{n} factors separate their window perfectly, so their effects rest on the prior",
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
