"""Screen a valid dataset for weak spots that are not errors.

These become warnings: the data load, but a user should know before trusting a fit.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.errors import Violation


def _case_line(dataset, i: int) -> int | None:
    return dataset.cases[i].get("_line")


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
    """Warnings: uncoded cases, never-coded factors, w2 without w1, perfect separation, respondent disagreement."""
    file = _cases_file(dataset)
    warnings: list[Violation] = []
    coded = ~np.isnan(dataset.x)
    for i, case_id in enumerate(dataset.case_ids):
        if not coded[i].any():
            warnings.append(Violation(file, _case_line(dataset, i), "case_id", f"case {case_id!r} has no codes"))
        if dataset.w[i, 1] == 1 and dataset.w[i, 0] == 0:
            warnings.append(Violation(file, _case_line(dataset, i), "w2",
                                      f"case {case_id!r} has w2 = 1 but w1 = 0 (institutionalised without agenda setting)"))
    phase_of = dataset.factor_phase
    for j, factor in enumerate(dataset.factor_ids):
        if not coded[:, j].any():
            warnings.append(Violation(file, None, factor, f"factor {factor!r} is never coded"))
            continue
        direction = separation(dataset.x[:, j], dataset.w[:, phase_of[j]])
        if direction:
            window = f"w{phase_of[j] + 1}"
            side = "higher" if direction > 0 else "lower"
            warnings.append(Violation(
                file, None, factor,
                f"factor {factor!r} separates {window} perfectly (cases with {window} = 1 all have {side} codes): "
                f"its effect rests on the prior"))
    warnings += _respondent_disagreements(dataset)
    return warnings


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
                                 f"({', '.join(map(str, codes))}): the sign of their sum is used"))
    return out
