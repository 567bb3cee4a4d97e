"""Many scored profiles as one table a national body can sort (``bayesstreams score ... --table``).

One row per profile case, copied from :func:`bayesstreams.analysis.scoring.score_to_dict` (nothing
is computed here).  Columns, for a study with phases 1 and 2 (a one-phase study has no ``*w2*``
columns):

``case_id, name, level, group, n_not_discussed``
    The case as the profile gives it, and how many of its factors it did not discuss.
``w1_known, w2_known``
    ``open`` or ``closed`` where the profile says so, else empty.
``p_w1, p_w1_q05, p_w1_q95`` (and W2)
    The chance of each window given what the profile says (codes, known windows, stream states;
    MODEL.md §9), posterior mean and 90% interval; empty where the window is known.  For a model
    without streams: the chance given the codes.
``percentile_p_w2``
    Where the codes-only P(W2) falls among the reference cases (percent below, ties half).
``bottleneck_phase1, bottleneck_phase2``
    The stream least likely in motion in each phase, given what is known.
``next_window, p_next_window``
    The first window not yet open and its chance now; empty when both are open.
``lever_1, lever_1_label, lever_1_gain``
    The first step toward the next window (codebook id and label in the table's language) and
    its posterior-mean gain in that window's chance.
``plan, plan_p, plan_reaches``
    What it would take: the first plan (factors joined by `` + ``), the chance of the next window
    with it, and whether it brings the chance over the threshold (``threshold``).

Written as CSV (``.csv``), JSON lines (``.jsonl``) or an Excel workbook (``.xlsx``), chosen by the
suffix; never over an existing file without ``force``.  The rows (:func:`score_rows`) and the CSV are
made without pandas, which ``score --table x.csv`` then never imports (about 0.4 s of a 3 s batch); the
CSV holds the bytes pandas' ``to_csv`` of the same rows writes (tests/test_score_batch.py).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from bayesstreams.analysis.advice import json_safe
from bayesstreams.analysis.scoring import ScoreResult, score_profiles
from bayesstreams.atomic import atomic_write_bytes, refuse_existing
from bayesstreams.errors import InputError, Violation

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".xlsx": "xlsx"}


def table_format(path, force: bool = False) -> str:
    """The format of ``path`` by its suffix; an unknown suffix, or an existing file without ``force``, is an error."""
    kind = FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise InputError(Violation(str(path), None, "--table", "a score table is written as .csv, .jsonl or .xlsx"))
    refuse_existing(Path(path), force)
    return kind


def _chance(row: dict, window: str, summary: dict | None) -> None:
    row[f"p_{window}"] = None if summary is None else summary["mean"]
    row[f"p_{window}_q05"] = None if summary is None else summary["q05"]
    row[f"p_{window}_q95"] = None if summary is None else summary["q95"]


def _row(case: dict, phases: list) -> dict:
    advice = case.get("advice")
    row = {"case_id": case["case_id"], "name": case["name"], "level": case["level"], "group": case["group"] or "",
           "n_not_discussed": case["n_not_discussed"]}
    known = {f"w{p}": None for p in phases}
    if advice is not None:
        for window in advice["windows"]:
            known[window["window"].lower()] = window
    for phase in phases:
        window = known[f"w{phase}"]
        row[f"w{phase}_known"] = (window or {}).get("known") or ""
        if window is not None:
            _chance(row, f"w{phase}", window["p"])
        else:  # a model without streams: the chance given the codes
            _chance(row, f"w{phase}", case[f"p_w{phase}"])
    row["percentile_p_w2" if 2 in phases else "percentile"] = case["percentile_p_w2"]
    streams = {b["phase"]: b["stream"] for b in (advice["bottlenecks"] if advice else case["bottlenecks"] or [])}
    for phase in phases:
        row[f"bottleneck_phase{phase}"] = streams.get(phase, "")
    _next_step(row, case, advice, phases)
    return row


def _next_step(row: dict, case: dict, advice: dict | None, phases: list) -> None:
    row["next_window"] = (advice or {}).get("target") or ""
    row["p_next_window"] = advice["p_target"]["mean"] if advice and advice["p_target"] else None
    levers = advice["levers"] if advice else case["levers"]
    first = levers[0] if levers else None
    gain = None if first is None else (first.get("gain") or first.get("gain_w2") or first.get("gain_w1"))
    row.update(lever_1=first["factor"] if first else "", lever_1_label=first["label"] if first else "",
               lever_1_gain=None if gain is None else gain["mean"])
    plan = advice["plans"][0] if advice and advice["plans"] else None
    row.update(plan=" + ".join(plan["factors"]) if plan else "", plan_p=plan["p_target"]["mean"] if plan else None,
               plan_reaches=plan["reaches"] if plan else None, threshold=advice["threshold"] if advice else None)


ADVICE_READ = ("windows", "bottlenecks", "target", "p_target", "plans", "threshold")  # what a row reads of the advice


def _case_data(case, result: ScoreResult, lang: str) -> dict:
    """What :func:`_row` reads of one case, as :func:`~bayesstreams.analysis.scoring.score_to_dict` gives it
    (NaN as None, the first lever's label in ``lang``), without converting the rest of the case."""

    def first_lever(levers: list) -> list:
        return [{**levers[0], "label": result.label(levers[0]["factor"], lang)}] if levers else []

    advice = None
    if case.advice is not None:
        advice = {key: case.advice[key] for key in ADVICE_READ}
        advice["levers"] = first_lever(case.advice["levers"])
    return json_safe({"case_id": case.case_id, "name": case.name, "level": case.level, "group": case.group,
                      "n_not_discussed": case.n_not_discussed, "p_w1": case.p_w1, "p_w2": case.p_w2,
                      "percentile_p_w2": case.percentile_p_w2, "bottlenecks": case.bottlenecks,
                      "levers": first_lever(case.levers), "advice": advice})


def score_rows(result: ScoreResult, lang: str = "en") -> list[dict]:
    """The score of every profile case as one row each (columns: see module docs), plain dicts in column order."""
    phases = [int(p) for p in result.phases]
    return [_row(_case_data(case, result, lang), phases) for case in result.cases]


def score_frame(result: ScoreResult, lang: str = "en"):
    """The score of every profile case as one DataFrame, one row per case (columns: see module docs)."""
    import pandas as pd

    return pd.DataFrame.from_records(score_rows(result, lang))


def _columns(rows: list[dict]) -> list[str]:
    """Every key of ``rows``, in the order of first appearance (the columns pandas makes of the records)."""
    return list(dict.fromkeys(key for row in rows for key in row))


def _csv(rows: list[dict]) -> bytes:
    """``rows`` as CSV: what pandas' ``DataFrame.from_records(rows).to_csv(index=False)`` writes of them.

    A missing value (None) is an empty field; numbers are written as Python writes them (the shortest
    text that reads back the same float, pandas' own), text quoted where it holds a comma, quote or line break.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=os.linesep)
    columns = _columns(rows)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(column) is None else row[column] for column in columns])
    return out.getvalue().encode("utf-8")


def score_table(run, profiles, lang: str = "en", top_levers: int = 3, threshold: float = 0.5, check_run=None):
    """Score a profile file (or a profile Dataset) against ``run`` and return one row per case.

    Parameters
    ----------
    run
        A loaded run of the study the profiles are coded for.
    profiles
        A profile file (see :func:`bayesstreams.data.profile.read_profile`) or a
        :class:`~bayesstreams.analysis.scoring.ScoreResult` already computed.
    lang
        The language of the factor labels (``en`` or ``nl``).

    Returns
    -------
    DataFrame
        The columns of the module docs, in that order.

    Examples
    --------
    >>> _ = (tmp / "many.csv").write_text("case_id,factor,code\\na,p1_insight,1\\nb,p1_insight,-1\\n")
    >>> table = score_table(run, tmp / "many.csv")
    >>> list(table["case_id"]), bool(table["p_w1"].between(0, 1).all())
    (['a', 'b'], True)
    """
    result = profiles if isinstance(profiles, ScoreResult) else score_profiles(
        run, profiles, top_levers=top_levers, threshold=threshold, check_run=check_run)
    return score_frame(result, lang)


def write_score_table(frame, path, force: bool = False) -> Path:
    """Write ``frame`` to ``path`` as CSV, JSON lines or xlsx (by the suffix), atomically; never replaces without ``force``.

    ``frame`` is a DataFrame (:func:`score_frame`) or its rows (:func:`score_rows`): a CSV of rows is written
    without pandas, the same bytes.
    """
    path = Path(path)
    kind = table_format(path, force)
    if isinstance(frame, list) and kind == "csv":
        data = _csv(frame)
    else:
        if isinstance(frame, list):
            import pandas as pd

            frame = pd.DataFrame.from_records(frame)
        if kind == "csv":
            data = frame.to_csv(index=False).encode("utf-8")
        elif kind == "jsonl":
            data = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15).encode("utf-8")
        else:
            buffer = io.BytesIO()
            frame.to_excel(buffer, index=False, sheet_name="scores", engine="openpyxl")
            data = buffer.getvalue()
    atomic_write_bytes(path, data, replace=force)
    return path
