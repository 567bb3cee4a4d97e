"""What to find out next, in words: "1. interview 5 new municipalities: phase-1 window closed, ...: the interval narrows by 0.37".

:mod:`bayesstreams.analysis.voi` computes the values; this module words the top candidates of
each query in the output's language (through the translation tables) and computes nothing.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.reporting.fragility_text import code_text
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.view import index_words


def _num(value: float, lang: str, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def _pct(value: float, lang: str) -> str:
    return f"{100 * value:.0f}%"


def candidate_text(row, words: dict, t) -> str:
    """One candidate as something to do: ask, check, interview."""
    case = words.get(row["case_id"], row["case_id"])
    if row["kind"] == "reveal":
        return t("voi_reveal").format(case=case, factor=words.get(row["factor"], row["factor"]))
    if row["kind"] == "check" and row["factor"]:
        return t("voi_check").format(case=case, factor=words.get(row["factor"], row["factor"]),
                                     old=code_text(row["old"], t))
    if row["kind"] == "check":
        return t("voi_check_stream").format(case=case, stream=words.get(row["stream"], row["stream"]).lower(),
                                            phase=int(row["phase"]), old=int(row["old"]))
    profile = _profile_text(row["candidate"], row["profile"], words, t)
    n = int(row["n"])
    return t("voi_new_one").format(profile=profile) if n == 1 else t("voi_new_many").format(n=n, profile=profile)


def _profile_text(key: str, name: str, words: dict, t) -> str:
    origin = key.split(":")[1:-1]
    if origin == ["gap"]:
        return t("voi_gap")
    if origin and origin[0] == "like":
        return t("voi_like").format(case=words.get(origin[1], origin[1]))
    return name


def query_text(query, now: dict, words: dict, t, lang: str) -> str:
    width = _num(float(now["width"]), lang)
    if query.kind == "claim":
        return t("voi_query_claim").format(subject=query.subject, verdict=t(f"verdict_{now['verdict']}"), width=width)
    if query.kind == "case":
        lever = now.get("lever")
        return t("voi_query_case").format(subject=words.get(query.subject, query.subject),
                                          lever=words.get(lever, lever) if lever else t("voi_no_lever"), width=width)
    if query.kind == "effect":
        return t("voi_query_effect").format(subject=words.get(query.subject, query.subject), window=query.window,
                                            width=width)
    return t("voi_query_dependency").format(width=width)


def value_text(row, words: dict, t, lang: str) -> str:
    """One ranked candidate with its value: the expected narrowing, the chance the verdict or the first lever changes."""
    reduction = float(row["expected_reduction"])
    # A negative reduction is an interval expected to widen (e.g. a lever that may appear where there is none):
    # said as such, never "narrows by -0.04".
    wider = reduction <= -0.005
    text = t("voi_value_wider") if wider else t("voi_value")
    line = text.format(rank=int(row["rank"]), what=candidate_text(row, words, t),
                       reduction=_num(abs(reduction) if wider else max(reduction, 0.0), lang),
                       se=_num(row["expected_reduction_se"], lang, 3))
    if not np.isnan(row.get("p_verdict_change", np.nan)):
        line += t("voi_verdict").format(p=_pct(row["p_verdict_change"], lang),
                                        leave=_pct(row["p_leaves_cannot_tell"], lang))
    if not np.isnan(row.get("p_lever_change", np.nan)):
        line += t("voi_lever").format(p=_pct(row["p_lever_change"], lang))
    if row["p_unreliable"] > 0.005:
        line += t("voi_unreliable").format(p=_pct(row["p_unreliable"], lang))
    return line


def next_lines(found, dataset, lang: str = "en", top: int = 3) -> list[str]:
    """The top candidates of each query, in plain words (the CLI's ``next`` and the report's section)."""
    t, words = translator(lang), index_words(dataset, lang)
    lines = [t("voi_title")]
    for query in found.queries:
        if query.key not in found.now:
            continue
        lines.append("")
        lines.append(query_text(query, found.now[query.key], words, t, lang))
        for _, row in found.top(query, top).iterrows():
            lines.append("  " + value_text(row, words, t, lang))
    return lines


def measured_line(seconds: float, refits: int, lang: str = "en") -> str:
    """How long the analysis took and how many exact refits it made."""
    t = translator(lang)
    return t("voi_measured").format(seconds=_num(seconds, lang, 1), refits=refits)


def next_view(found, dataset, lang: str = "en", top: int = 3) -> list[dict]:
    """The report's "What to find out next": per query ``{"label", "lines"}``, its top candidates in words."""
    t, words = translator(lang), index_words(dataset, lang)
    return [{"label": query_text(q, found.now[q.key], words, t, lang),
             "lines": [value_text(row, words, t, lang) for _, row in found.top(q, top).iterrows()]}
            for q in found.queries if q.key in found.now]
