"""Screen a valid dataset for weak spots that are not errors.

These become warnings: the data load, but a user should know before trusting a fit.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.support import separation, support_arrays  # noqa: F401  (separation: re-exported)
from bayesstreams.errors import Violation


def _case_line(dataset, i: int) -> int | None:
    return dataset.cases[i].get("_line")


def _cases_file(dataset) -> str:
    from pathlib import Path

    source = Path(dataset.source)
    return str(source / "cases.csv") if source.is_dir() else str(source)


def screen_dataset(dataset) -> list[Violation]:
    """Warnings: uncoded cases, w2 without w1, no-data and separating factors, respondent disagreement.

    Factor warnings come from :func:`bayesstreams.data.support.support_arrays`, on the codes as
    the model reads them (not discussed = 0) and against both the factor's own window and
    the coded state of its own stream.  Never-coded factors share one line, and so do
    constant ones.
    """
    file = _cases_file(dataset)
    warnings: list[Violation] = []
    coded = ~np.isnan(dataset.x)
    for i, case_id in enumerate(dataset.case_ids):
        if not coded[i].any():
            warnings.append(Violation(file, _case_line(dataset, i), "case_id", f"case {case_id!r} has no codes"))
        if dataset.w[i, 1] == 1 and dataset.w[i, 0] == 0:
            warnings.append(Violation(file, _case_line(dataset, i), "w2",
                                      f"case {case_id!r} has w2 = 1 but w1 = 0 (institutionalised without agenda setting)"))
    warnings += factor_warnings(dataset, file)
    warnings += _respondent_disagreements(dataset)
    return warnings


def factor_warnings(dataset, file: str) -> list[Violation]:
    """One line for the never-coded factors, one for the constant ones, one per separating factor."""
    support = support_arrays(dataset)
    ids = np.asarray(dataset.factor_ids, dtype=object)
    out = []
    never = list(ids[support.never_coded])
    if never:
        out.append(Violation(file, None, ", ".join(never),
                             f"{_count(len(never), 'factor')} never coded: {_quoted(never)}; "
                             "their effects are the prior's (no data: prior only)"))
    constant = list(ids[support.constant])
    if constant:
        values = [_code(dataset, f) for f in constant]
        out.append(Violation(file, None, ", ".join(constant),
                             f"{_count(len(constant), 'factor')} constant over the cases once not discussed is "
                             f"read as 0: {', '.join(f'{f!r} (always {v})' for f, v in zip(constant, values))}; "
                             "their effects are the prior's (no data: prior only)"))
    phase, stream = dataset.factor_phase, dataset.factor_stream
    for k in np.flatnonzero(support.separating):
        targets = []
        if support.separates_window[k]:
            window = f"w{phase[k] + 1}"
            targets.append(f"{window} (cases with {window} = 1 all have {_side(support.separates_window[k])} codes)")
        if support.separates_stream[k]:
            targets.append(f"the coded phase-{PHASES[phase[k]]} {STREAMS[stream[k]]} stream (cases in motion all "
                           f"have {_side(support.separates_stream[k])} codes)")
        out.append(Violation(file, None, str(ids[k]),
                             f"factor {ids[k]!r} separates {' and '.join(targets)}, with not discussed read as 0: "
                             "its effect rests on the prior"))
    return out


def _side(direction: int) -> str:
    return "higher" if direction > 0 else "lower"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("s are" if n != 1 else " is")


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _code(dataset, factor: str) -> str:
    column = dataset.x[:, list(dataset.factor_ids).index(factor)]
    value = np.nan_to_num(column, nan=0.0)[0]
    return f"{value:+.0f}" if value else "0"


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
