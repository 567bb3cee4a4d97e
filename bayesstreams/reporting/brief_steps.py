"""The brief's advice as plain sentences: where the case stands, its next step, what helps, what blocks.

Every number is one of :func:`bayesstreams.analysis.advice.advise` (as labelled
:func:`~bayesstreams.analysis.advice.advice_to_dict` data), so the brief, its Word version and
the other outputs say the same: a known window is said as known ("open, per the interviews"),
never as a chance; the next window's chance *now* is the one every step starts from, and each
step is said as *now -> with this step*.  A plan is a numbered list of sentences with the chance
of the whole plan and its 90% range in words; the chance that a plan exceeds the threshold is
the report's (it is a chance of a chance).  Where no single step helps, the sentences say which
stream holds the window back and which steps move it.  Words come from the ``voice_*`` keys of
the translation tables (no statistical or technical terms: the analyst details are a section of
their own); numbers from :mod:`bayesstreams.reporting.numbers`.  Nothing is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.model.modes import get_mode
from bayesstreams.reporting.numbers import percent

N_STEPS = 3
N_BLOCK_STEPS = 2  # per blocking stream, on a one-page brief
MIN_STEP = 0.005  # a step that moves the chance by less than half a point is no step on its own


@dataclass
class Section:
    """One part of the brief: a heading, sentences (one paragraph) and numbered items."""

    key: str
    heading: str
    sentences: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # sentences after the numbered items


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and a closing full stop (or colon) as a sentence needs."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".:!?" else text + "."


def _goal(window: str, t) -> str:
    return t(f"voice_goal_{window[-1]}")


def _range(summary: dict, t) -> str:
    return t("brief_interval").format(low=percent(summary["q05"], t.lang), high=percent(summary["q95"], t.lang))


def _do(entry: dict, t) -> str:
    """What to do, with the factor's label in brackets (a step without a codebook action is worded from its label)."""
    label = entry.get("label") or entry["factor"]
    action = entry.get("action")
    if not action:
        return t("action_generated").format(label=label) + f" ({t('voice_generated')})"
    return f"{action.rstrip('.')} ({label})"


def _step(entry: dict, goal: str, closed: bool, t) -> str:
    template = t("voice_step_closed") if closed else t("voice_step")
    return _sentence(template.format(do=_do(entry, t), goal=goal, now=percent(entry["now"]["mean"], t.lang),
                                   with_step=percent(entry["with_step"]["mean"], t.lang),
                                   range=_range(entry["with_step"], t)))


def useful(levers: list[dict]) -> list[dict]:
    """The steps that raise the chance on their own by at least half a point."""
    return [lever for lever in levers if lever["gain"]["mean"] >= MIN_STEP]


def where(advice: dict, name: str, t) -> Section:
    """Where the case stands: each window as known, or its chance given what is known."""
    out = Section("where", t("voice_head_where").format(name=name))
    for entry in advice["windows"]:
        phase = entry["phase"]
        if entry["known"]:
            out.sentences.append(_sentence(t(f"voice_known_{phase}_{entry['known']}")))
        else:
            out.sentences.append(_sentence(t("voice_chance").format(
                goal=t(f"voice_goal_{phase}"), p=percent(entry["p"]["mean"], t.lang), range=_range(entry["p"], t))))
    return out


def next_step(advice: dict, name: str, t) -> Section:
    """The next window, its chance now, and the single steps that raise it (now -> with this step)."""
    out = Section("next", t("voice_head_next"))
    target = advice["target"]
    if target is None:
        out.sentences.append(_sentence(t("voice_both_open")))
        return out
    goal = _goal(target, t)
    out.sentences.append(_sentence(t(f"voice_next_{target[-1]}").format(name=name)))
    closed = advice[f"w{target[-1]}"] == 0
    steps = useful(advice["levers"])[:N_STEPS]
    if steps:
        out.sentences.append(_sentence(t("voice_steps_intro").format(goal=goal)))
        out.items = [_step(entry, goal, closed, t) for entry in steps]
    else:
        out.sentences.append(_sentence(t("voice_no_single").format(goal=goal)))
    return out


def plan(advice: dict, t) -> Section | None:
    """The best plan toward the next window as numbered steps, with its chance and range in words.

    Left out when it is one step that the single steps already name (each thing once).
    """
    target, plans = advice["target"], advice["plans"]
    if target is None or not plans:
        return None
    best = plans[0]
    steps = useful(advice["levers"])
    if best["size"] == 1 and steps and steps[0]["factor"] == best["factors"][0]:
        return None
    return _plan(best, advice["plans_reach"], _goal(target, t), advice["threshold"], t, "plan", t("voice_head_plan"))


def _plan(best: dict, reach: bool, goal: str, threshold: float, t, key: str, heading: str, then: bool = False) -> Section:
    out = Section(key, heading)
    chance = dict(goal=goal, n=t(f"voice_n_{best['size']}"), p=percent(best["p_target"]["mean"], t.lang),
                  range=_range(best["p_target"], t), threshold=percent(threshold, t.lang))
    if then:
        lead = t("voice_then_reach") if reach else t("voice_then_closest")
    else:
        lead = t("voice_plan_reach") if reach else t("voice_plan_closest")
    out.sentences.append(_sentence(lead.format(**chance)))
    entries = [{"factor": f, "label": label, "action": action}
               for f, label, action in zip(best["factors"], best.get("labels", best["factors"]),
                                           best.get("actions", [None] * best["size"]))]
    out.items = [_sentence(_do(e, t)) + (" " + _sentence(t("voice_find_out_note"))
                                         if e["factor"] in best["find_out_first"] else "") for e in entries]
    return out


def then(advice: dict, t) -> Section | None:
    """When phase 1 is the next window: what phase 2 would then take (its best plan)."""
    if advice["target"] != "W1" or not advice["then_w2_plans"]:
        return None
    return _plan(advice["then_w2_plans"][0], advice["then_w2_reach"], _goal("W2", t), advice["threshold"], t,
                 "then", t("voice_head_then"), then=True)


def blocks(advice: dict, t) -> Section | None:
    """What holds the next window back: the streams coded still (else the weakest), and the steps that move them.

    The steps are listed only where no single step raises the chance on its own (the single
    steps say it otherwise; each thing once).
    """
    if advice["target"] is None or not advice.get("blocks"):
        return None
    goal, closed = _goal(advice["target"], t), advice[f"w{advice['target'][-1]}"] == 0
    out = Section("blocks", t("voice_head_blocks"), [_sentence(t("voice_streams_explained"))])
    list_steps = not useful(advice["levers"])
    helps = False
    for block in advice["blocks"]:
        stream = t(f"voice_stream_{block['stream']}")
        if block["coded_still"]:
            out.sentences.append(_sentence(t("voice_block_still").format(stream=stream)))
        else:
            out.sentences.append(_sentence(t("voice_block_weak").format(
                stream=stream, p=percent(block["p_in_motion"]["mean"], t.lang))))
        if not list_steps:
            continue
        for entry in block["steps"][:N_BLOCK_STEPS]:
            moves = entry["with_step"]["mean"] - entry["now"]["mean"] >= MIN_STEP
            helps |= moves
            template = (t("voice_block_step_closed") if closed else t("voice_block_step")) if moves \
                else t("voice_block_step_stream")
            out.items.append(_sentence(template.format(
                do=_do(entry, t), stream=stream, stream_p=percent(entry["stream_with_step"]["mean"], t.lang),
                goal=goal, now=percent(entry["now"]["mean"], t.lang),
                with_step=percent(entry["with_step"]["mean"], t.lang))))
    if list_steps and out.items:
        out.sentences.append(_sentence(t("voice_block_steps_intro")))
        if not helps and len(advice["blocks"]) > 1:  # each stream alone moves nothing: say why together
            out.after.append(_sentence(t("voice_block_together").format(goal=goal)))
    elif list_steps:
        out.after.append(_sentence(t("voice_block_none")))
    return out


def find_out(advice: dict, t, min_gain: float = 0.02, n: int = 2) -> Section | None:
    """The steps not discussed for the case whose answer moves the chance the most (``min_gain`` or more)."""
    if advice["target"] is None:
        return None
    shown = [e for e in advice["find_out_first"] if e["gain"]["mean"] >= min_gain][:n]
    if not shown:
        return None
    goal = _goal(advice["target"], t)
    reads_zero = get_mode(advice.get("not_discussed", "zero")).fills_zero
    template = t("voice_find_out_if0") if reads_zero else t("voice_find_out_unsure")
    out = Section("find_out", t("voice_head_find_out"), [_sentence(t("voice_find_out_intro"))])
    out.items = [_sentence(template.format(do=_do(e, t), goal=goal, with_step=percent(e["with_step"]["mean"], t.lang)))
                 for e in shown]
    return out


def notes(advice: dict, t) -> Section | None:
    """Notes on what the advice rests on (``advice["notes"]``, e.g. robustness checks), in the brief's language."""
    texts = [n["text"].get(t.lang) if isinstance(n.get("text"), dict) else n.get("text") for n in advice.get("notes", [])]
    texts = [_sentence(x) for x in texts if x]
    return Section("notes", t("voice_head_notes"), texts) if texts else None


def sections(advice: dict | None, name: str, t) -> list[Section]:
    """Every advice section of the brief, in reading order (none for a model without streams)."""
    if advice is None:
        return []
    parts = [where(advice, name, t), next_step(advice, name, t), plan(advice, t), blocks(advice, t),
             find_out(advice, t), then(advice, t), notes(advice, t)]
    return [part for part in parts if part is not None]
