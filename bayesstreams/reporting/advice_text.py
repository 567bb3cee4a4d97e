"""The advice of one case as plain-text lines in English or Dutch (``score``, the brief and the report).

Numbers are those of :func:`bayesstreams.analysis.advice.advise` (as :func:`advice_to_dict`
data); words come from the translation tables (``advice_*`` keys), numbers from
:mod:`bayesstreams.reporting.numbers`.  A factor is named by what to do, its codebook *action*,
with its label beside it (:func:`step`); where the codebook gives no action the words are made
from the label and say so.  Nothing is computed here.
The order is the order of use: what is known, what it would take (phase 1 first), the levers
toward the next window, what to find out first, then what the evidence says of the past.
"""

from __future__ import annotations

import math

from bayesstreams.model.modes import DEFAULT_MODE, get_mode
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.numbers import interval, number, percent

MIN_SHOWN = 0.005  # a find-out-first factor whose answer moves the chance by less is not listed


def _state(value, t) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("advice_state_unknown")
    return t("advice_state_open") if value == 1 else t("advice_state_closed")


def known_line(advice: dict, lang: str = "en") -> str:
    """What is known of the case's windows."""
    t = translator(lang)
    if 2 not in advice.get("phases", (1, 2)):  # a one-phase study has no phase-2 window to speak of
        return t("advice_known_one").format(w1=_state(advice["w1"], t))
    return t("advice_known").format(w1=_state(advice["w1"], t), w2=_state(advice["w2"], t))


def _window(target: str, t) -> str:
    return t("advice_window_1") if target == "W1" else t("advice_window_2")


def _points(value: float, lang: str) -> str:
    return number(100 * value, lang, sign=True)


def action_text(action: str | None, label: str, t) -> str:
    """What to do about a factor: the codebook's action, or a sentence made from its label that says it is one."""
    if action:
        return action
    return t("action_generated").format(label=label) + f" ({t('action_generated_note')})"


def step(action: str | None, label: str, t, *notes: str) -> str:
    """A factor as a step: what to do, then the factor's label (and any ``notes``) in brackets.

    Without a codebook action the step is the sentence made from the label, marked as such.
    """
    head = action if action else t("action_generated").format(label=label)
    parts = [t("advice_factor").format(label=label) if action else t("action_generated_note"), *notes]
    return f"{head} ({'; '.join(parts)})"


def inline(text: str) -> str:
    """``text`` to stand inside a sentence: its first letter in lower case unless the first word is an acronym."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


def _chance(summary: dict, lang: str, plain: bool = False) -> tuple[str, str]:
    """The mean and the 90% interval in words: "90% interval a to b", or plainly "with 90% certainty ..."."""
    t = translator(lang)
    low, high = percent(summary["q05"], lang), percent(summary["q95"], lang)
    wide = (t("brief_interval").format(low=low, high=high) if plain
            else t("advice_interval").format(range=interval(summary["q05"], summary["q95"], lang)))
    return percent(summary["mean"], lang), wide


def plan_lines(plans: list[dict], reach: bool, target: str, threshold: float, lang: str = "en",
               after: bool = False, plain: bool = False) -> list[str]:
    """The head line and one line per plan of what it would take to bring ``target`` over ``threshold``."""
    t = translator(lang)
    if not plans:
        return [t("advice_no_candidates").format(window=_window(target, t))]
    head = t("advice_then_head") if after else t("advice_plans_head")
    lines = [head.format(window=_window(target, t), threshold=percent(threshold, lang))]
    if not reach:
        missing = t("advice_then_no_plan") if after else t("advice_no_plan")
        lines[0] = missing.format(window=_window(target, t), threshold=percent(threshold, lang))
    elif plans[0]["size"] > 1 and not after:
        lines[0] += " " + t("advice_no_single")
    for n, plan in enumerate(plans, start=1):
        mean, wide = _chance(plan["p_target"], lang, plain)
        names = plan.get("labels", plan["factors"])
        actions = plan.get("actions", [None] * len(names))
        steps = [step(action, name, t, *([t("advice_find_out_short")] if factor in plan["find_out_first"] else []))
                 for action, name, factor in zip(actions, names, plan["factors"])]
        lines.append("  " + t("advice_plan").format(rank=n, steps=" + ".join(steps),
                                                    chance=mean, interval=wide,
                                                    threshold=percent(threshold, lang),
                                                    n=worlds(plan["p_over_threshold"])))
    return lines


def worlds(p: float, of: int = 10) -> int:
    """In how many of ``of`` plausible model worlds (posterior draws) a plan's chance is over the threshold.

    The report words the posterior probability this way, never as a second percentage beside the plan's
    chance (readers take "a chance of a chance" for the chance that the plan works); the brief leaves it out.
    """
    return int(round(of * float(p)))


def useful_levers(levers: list[dict]) -> list[dict]:
    """The levers whose gain alone is at least half a percentage point (the others need a plan)."""
    return [lever for lever in levers if lever["gain"]["mean"] >= MIN_SHOWN]


def lever_lines(advice: dict, lang: str = "en", n_find_out: int = 3, min_find_out: float = MIN_SHOWN) -> list[str]:
    """The levers toward the target window, then the factors to find out first.

    Of the factors to find out first, the ``n_find_out`` with the largest gain are shown, and
    only those whose answer would move the chance by at least ``min_find_out`` (half a point).
    """
    t = translator(lang)
    window = _window(advice["target"], t)
    advice = {**advice, "levers": useful_levers(advice["levers"])}
    lines = [t("advice_levers_head").format(window=window) if advice["levers"] else
             t("advice_no_levers").format(window=window)]
    for n, lever in enumerate(advice["levers"], start=1):
        gain = lever["gain"]
        now = t("advice_now").format(code=_code(lever["code"]))
        lines.append("  " + t("advice_lever").format(
            rank=n, step=step(lever.get("action"), lever.get("label", lever["factor"]), t, now),
            gain=_points(gain["mean"], lang), interval=interval(100 * gain["q05"], 100 * gain["q95"], lang,
                                                                as_percent=False, sign=True)))
    shown = [e for e in advice["find_out_first"]
             if max(abs(e["gain"]["mean"]), abs(e["gain_if_plus1"]["mean"])) >= min_find_out][:n_find_out]
    if shown:
        lines.append(t("advice_find_out_head"))
    for entry in shown:
        lines.append("  " + find_out_line(entry, advice.get("not_discussed", DEFAULT_MODE), lang))
    return lines


def find_out_line(entry: dict, not_discussed: str = DEFAULT_MODE, lang: str = "en") -> str:
    """One factor to find out first: what acting on it gains, and what it means if it is already ``+``.

    ``gain`` is the gain of acting on it as the run reads it now: if it is 0 (``zero`` mode), or
    weighing what it may be (the other modes of MODEL.md §7).  ``gain_if_plus1`` is how the chance
    moves if it is already ``+``: then there is nothing to gain from it, and the sentence says
    whether the chance is that much higher (the same number: nothing else is known that it would
    change), stays as it is (0: e.g. a window known to be closed stays closed), or moves otherwise.
    """
    t = translator(lang)
    gain0, gain1 = _points(entry["gain"]["mean"], lang), _points(entry["gain_if_plus1"]["mean"], lang)
    reads_zero = get_mode(not_discussed).fills_zero
    first = (t("advice_find_out_if0") if reads_zero else t("advice_find_out_unsure")).format(gain=gain0)
    if gain1.lstrip("+\u2212") == "0":
        second = t("advice_find_out_plus_none")
    elif gain1 == gain0:
        second = t("advice_find_out_plus_same")
    else:
        second = t("advice_find_out_plus").format(gain=gain1)
    label = entry.get("label", entry["factor"])
    return t("advice_find_out").format(step=step(entry.get("action"), label, t), first=first, second=second)


def _code(code) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "?"
    return "+" if code > 0 else "\u2212" if code < 0 else "0"


def weakest_line(advice: dict, lang: str = "en") -> str:
    """The stream of each phase least likely in motion given what is known (coded streams count as known)."""
    t = translator(lang)
    parts = []
    for b in advice["bottlenecks"]:
        if advice[f"w{b['phase']}"] == 1:  # an open window's streams are no bottleneck any more
            continue
        where = t("score_weakest_part").format(phase=t(f"phase_short_{b['phase']}"), stream=t(f"stream_{b['stream']}"),
                                               chance=percent(b["p_in_motion"], lang))
        parts.append(where + (t("advice_coded") if b["coded"] else ""))
    return t("advice_weakest").format(parts=", ".join(parts))


def advice_lines(advice: dict, lang: str = "en", n_levers: int = 3, plain: bool = False, n_plans: int | None = None,
                 n_find_out: int = 3, weakest: bool = True, known: bool = True,
                 min_find_out: float = MIN_SHOWN) -> list[str]:
    """Every line of one case's advice, in the order of use (see the module docs).

    ``plain`` words the intervals for a reader without statistics; ``n_plans`` (all when None),
    ``n_find_out``, ``min_find_out``, ``weakest`` and ``known`` shorten it for a one-page brief.
    """
    advice = {**advice, "plans": advice["plans"][:n_plans], "then_w2_plans": advice["then_w2_plans"][:n_plans]}
    t = translator(lang)
    lines = [known_line(advice, lang)] if known else []
    if advice["target"] is None and advice.get("phase1_necessary") is None:  # a one-phase study, its window open
        lines.append(t("advice_last_open"))
        return lines
    if advice["target"] is None:
        entry = advice["phase1_necessary"]
        prior = percent(entry["prior_mean"], lang) if entry["prior_mean"] is not None else "?"
        lines.append(t("advice_both_open").format(chance=_chance(entry["posterior"], lang)[0], prior=prior)
                     + (f"; {t('prior_driven')}" if entry.get("prior_driven") else ""))
        return lines
    mean, wide = _chance(advice["p_target"], lang, plain)
    if advice["w1" if advice["target"] == "W1" else "w2"] == 0:
        lines.append(t("advice_target_closed").format(window=_window(advice["target"], t)))
    else:
        lines.append(t("advice_target").format(window=_window(advice["target"], t), chance=mean, interval=wide))
    if weakest:
        lines.append(weakest_line(advice, lang))
    lines += plan_lines(advice["plans"], advice["plans_reach"], advice["target"], advice["threshold"], lang,
                        plain=plain)
    if advice["target"] == "W1" and 2 in advice.get("phases", (1, 2)):
        lines += plan_lines(advice["then_w2_plans"], advice["then_w2_reach"], "W2", advice["threshold"], lang,
                            after=True, plain=plain)
    lines += lever_lines({**advice, "levers": useful_levers(advice["levers"])[:n_levers]}, lang, n_find_out,
                         min_find_out)
    return lines
