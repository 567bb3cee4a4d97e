"""The score of new cases as plain-text lines, in English or Dutch (what ``bayesstreams score`` prints).

Short by default, each thing once: where the case stands (each window as known, or its chance
given what is known), the next window, the first steps toward it (*now -> with this step*), what
it takes together when no single step does, and what to find out first: the sentences of the brief
(:mod:`bayesstreams.reporting.brief_steps`), from the same advice and so with the same numbers.
``details`` adds the rest: the plans with the number of plausible model worlds in which they pass
the threshold, what blocks the window, and, as a different question under a heading of its own,
the chances of *a case with these codes* when nothing else is known (codes-only chances, rank,
the not-discussed range, the codes-only weakest stream and levers) and the most similar cases.

Every word comes from the translation tables (``score_*`` keys), every number from
:mod:`bayesstreams.reporting.numbers` (percentages, decimal comma for Dutch), and factors are
named by what to do, their codebook action, with the label beside it (``--json`` keeps the ids
beside the labels and actions).  Numbers are those of
:func:`bayesstreams.analysis.scoring.score_dataset`; nothing is computed here.
"""

from __future__ import annotations

import math

from bayesstreams.analysis.advice import label_advice
from bayesstreams.reporting import brief_steps
from bayesstreams.reporting.advice_text import plan_lines, step, weakest_line
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.numbers import interval, number, pct_span, percent


def _chance(summary: dict, lang: str, t) -> str:
    return t("score_chance").format(mean=percent(summary["mean"], lang),
                                    middle=interval(summary["q25"], summary["q75"], lang),
                                    wide=interval(summary["q05"], summary["q95"], lang))


def _rank(case, n_reference: int, t) -> str:
    below, tied = case.n_reference_below, case.n_reference_tied
    if below == n_reference:
        return t("score_rank_all").format(n=n_reference)
    if below == 0 and tied == 0:
        return t("score_rank_none").format(n=n_reference)
    text = t("score_rank_some").format(below=below, n=n_reference)
    return text + (t("score_rank_tied").format(tied=tied) if tied else "")


def _code(code: float, t) -> str:
    if math.isnan(code):
        return t("score_not_discussed")
    return "+" if code > 0 else "\u2212" if code < 0 else "0"


def _windows(other: dict, t, phases=(1, 2)) -> str:
    states = []
    for phase in phases:
        value = other[f"w{phase}"]
        state = "unknown" if math.isnan(value) else "open" if value == 1 else "closed"
        states.append(t("score_window_state").format(phase=phase, state=t(f"score_state_{state}")))
    return ", ".join(states)


def _plural(count: int, one: str, many: str, **values) -> str:
    """The singular or plural text, filled in."""
    return (one if count == 1 else many).format(**values)


def _points(value: float, lang: str, t) -> str:
    shown = number(value, lang, sign=True)
    count = 1 if shown.lstrip("+\u2212") == "1" else 2
    return _plural(count, t("score_points_one"), t("score_points_many"), value=shown)


def _lever_line(rank: int, lever: dict, result, lang: str, t) -> str:
    gain = lever["gain_w1"] if lever.get("window") == "W1" else lever["gain_w2"]
    label = result.labels.get(lever["factor"], {}).get(lang, lever["factor"])
    action = result.actions.get(lever["factor"], {}).get(lang)
    phase, stream = lever["phase"], lever["stream"]
    where = f"{t(f'phase_short_{phase}')}, {t(f'stream_{stream}')}"
    return t("score_lever").format(
        rank=rank, step=step(action, label, t, where, t("advice_now").format(code=_code(lever["code"], t))),
        gain=_points(100 * gain["mean"], lang, t),
        interval=interval(100 * gain["q05"], 100 * gain["q95"], lang, as_percent=False, sign=True),
        threshold=number(100 * lever["threshold"], lang), chance=percent(lever["p_gain_gt_threshold"], lang))


def _similar_line(other: dict, lang: str, t, phases=(1, 2)) -> str:
    name = f" ({other['name']})" if other["name"] and other["name"] != other["case_id"] else ""
    windows = _windows(other, t, phases)
    if math.isnan(other["distance"]):
        return t("score_similar_none").format(case=other["case_id"] + name, windows=windows)
    shared = _plural(other["n_shared"], t("score_shared_one"), t("score_shared_many"), n=other["n_shared"])
    return t("score_similar_case").format(case=other["case_id"] + name, similarity=percent(other["similarity"], lang),
                                          shared=shared, windows=windows)


def _section_lines(section, indent: str = "  ") -> list[str]:
    """One brief section as text: its heading, its sentences, its numbered items, the sentences after them."""
    lines = [indent + section.heading]
    lines += [indent + "  " + sentence for sentence in section.sentences]
    lines += [f"{indent}    {n}. {item}" for n, item in enumerate(section.items, start=1)]
    lines += [indent + "  " + sentence for sentence in section.after]
    return lines


def short_lines(advice: dict, name: str, lang: str, study: dict | None = None) -> list[str]:
    """The advice of one case, each thing once: where it stands, the next step, what it takes, what to find out.

    The brief's sentences (:mod:`bayesstreams.reporting.brief_steps`) of the labelled advice data.
    """
    t = translator(lang, study)
    parts = [brief_steps.where(advice, name, t), brief_steps.next_step(advice, name, t), brief_steps.plan(advice, t),
             brief_steps.find_out(advice, t)]
    return [line for part in parts if part is not None for line in _section_lines(part)]


def _head(case, result, t) -> str:
    head = t("score_case").format(case=case.case_id, coded=case.n_coded, total=case.n_factors,
                                  missing=case.n_not_discussed,
                                  reading=t("nd_reading_" + getattr(result, "not_discussed", "zero")))
    name = f" ({case.name})" if case.name and case.name != case.case_id else ""
    return head.replace(case.case_id, case.case_id + name, 1) + (t("score_group").format(group=case.group)
                                                                  if case.group else "")


def case_lines(case, result, lang: str = "en", details: bool = False) -> list[str]:
    """The lines of one scored case: short (see the module docs), or with ``details`` everything."""
    t = translator(lang)
    study = getattr(result, "study_words", {}).get(lang)
    lines = [_head(case, result, t)]
    advice = label_advice(case.advice, result.labels, lang, result.actions) if case.advice is not None else None
    if advice is not None:  # given what is known (MODEL.md §9), in ``lang``: the one baseline of every output
        lines += short_lines(advice, case.name or case.case_id, lang, study)
    if not details and advice is not None:
        return lines
    two = 2 in getattr(result, "phases", (1, 2))  # a one-phase study: no line about the phase-2 window
    if advice is not None and advice["target"] is not None:  # the analysts' side of the advice
        lines.append("  " + t("score_details_head"))
        lines += ["    " + line for line in plan_lines(advice["plans"], advice["plans_reach"], advice["target"],
                                                        advice["threshold"], lang)]
        if advice["target"] == "W1" and two:
            lines += ["    " + line for line in plan_lines(advice["then_w2_plans"], advice["then_w2_reach"], "W2",
                                                            advice["threshold"], lang, after=True)]
        lines.append("    " + weakest_line(advice, lang))
        block = brief_steps.blocks({**advice, "levers": []}, translator(lang, study))  # every blocking step
        if block is not None:
            lines += ["  " + line for line in _section_lines(block)]
    lines.append("  " + t("score_codes_only_head"))  # a different question: a case with these codes, nothing else known
    lines += ["  " + line for line in _codes_only_lines(case, result, lang, t, two)]
    return lines


def _codes_only_lines(case, result, lang: str, t, two: bool) -> list[str]:
    """What the codes alone say (nothing known of windows or streams): chances, rank, levers, similar cases."""
    lines = []
    for key, name, summary in (("p_w1", t("score_p_w1"), case.p_w1), ("p_w2", t("score_p_w2"), case.p_w2),
                               ("", t("score_p_w2_given_w1"), case.p_w2_given_w1))[:3 if two else 1]:
        mark = f"  [{t('prior_driven')}]" if case.prior_driven.get(key) else ""
        lines.append(f"  {name}: {_chance(summary, lang, t)}{mark}")
    if two:
        lines.append("  " + _rank(case, result.n_reference, t))
    nd = getattr(case, "not_discussed_range", None) or {}
    if nd and case.n_not_discussed:  # how much the chances rest on the factors nobody discussed
        names = {"p_w1": t("score_p_w1"), "p_w2": t("score_p_w2")}
        parts = [t("score_nd_part").format(window=names[key], span=pct_span(r["low"], r["high"]))
                 + (f" [{t('nd_rests')}]" if r["rests"] else "") for key, r in nd.items() if r["n"]
                 and (two or key == "p_w1")]
        lines.append("  " + t("score_nd").format(n=case.n_not_discussed, parts="; ".join(parts)))
    if case.bottlenecks:
        parts = [t("score_weakest_part").format(phase=t(f"phase_short_{b['phase']}"), stream=t(f"stream_{b['stream']}"),
                                                chance=percent(b["q_mean"], lang)) for b in case.bottlenecks
                 if b["phase"] == 1 or two]
        lines.append("  " + t("score_weakest").format(parts=", ".join(parts)))
    lines.append("  " + ((t("score_levers") if two else t("score_levers_w1")) if case.levers else t("no_levers")))
    lines += [f"    {_lever_line(n, lever, result, lang, t)}" for n, lever in enumerate(case.levers, start=1)]
    lines.append("  " + t("score_similar"))
    lines += [f"    {_similar_line(other, lang, t, getattr(result, 'phases', (1, 2)))}" for other in case.similar]
    return lines


def format_score(result, lang: str = "en", details: bool = False) -> list[str]:
    """The score of every case of a profile as plain-text lines in ``lang`` ("en" or "nl").

    Parameters
    ----------
    result
        A :class:`~bayesstreams.analysis.scoring.ScoreResult`.
    lang
        The language of words and numbers.
    details
        Short (False, the default): per case where it stands, the next window, the first steps and
        what to find out, each once.  True: also the plans' model worlds, what blocks, the
        codes-only reading (a different question, under its own heading), similar cases and notes.
    """
    t = translator(lang)
    n = len(result.cases)
    cases = _plural(n, t("score_cases_one"), t("score_cases_many"), n=n)
    lines = [t("score_header").format(profile=result.profile, cases=cases, n_reference=result.n_reference,
                                      kind=t(f"score_kind_{result.kind}"))]
    if not details:
        for case in result.cases:
            lines += [""] + case_lines(case, result, lang)
        return lines + ["", t("score_more")]
    lines += [t("score_note_prediction"), t("score_note_causal"), t("score_note_similarity")]
    if result.prior_checks:  # which checks the prior-driven marks rest on (MODEL.md §8)
        checks = ", ".join(t(f"score_check_{check}") for check in result.prior_checks)
        lines.append(t("score_note_prior").format(checks=checks))
    if getattr(result, "no_data", None):
        names = [result.labels.get(f, {}).get(lang, f) for f in result.no_data]
        lines.append(t("score_no_data").format(factors="; ".join(names)))
    for case in result.cases:
        lines += [""] + case_lines(case, result, lang, details=True)
    return lines
