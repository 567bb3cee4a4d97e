"""The brief's two plain-language paragraphs, "What does this mean?" and "What can you do?".

Every sentence is a translation-table template filled with the brief's own numbers (window
chances, weakest streams, levers, coded barriers), so the paragraphs change with the data
and say nothing the tables do not show.  A lever is named by what to do (its codebook action)
with the factor's label beside it.  Numbers are written by
:mod:`bayesstreams.reporting.numbers` in the brief's language; words come from ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.reporting import numbers
from bayesstreams.reporting.advice_text import inline, step


@dataclass(frozen=True)
class Advice:
    """The sentences of the two paragraphs, in reading order."""

    meaning: list[str]
    actions: list[str]


def _join(items: list[str], t) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the brief's language."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('word_and')} {items[-1]}"


def meaning(brief, t) -> list[str]:
    """Where the municipality stands: both chances in words and numbers, the weakest streams, the barriers."""
    if len(brief.windows) == 1:  # a one-phase study: its one window
        w1 = brief.windows[0]
        out = [t("brief_means_chance_one").format(name=brief.name, p1=numbers.pct(w1.p.mean),
                                                  word1=t(f"prob_{w1.word_key}"))]
    else:
        w1, w2 = brief.windows
        out = [t("brief_means_chances").format(name=brief.name, p1=numbers.pct(w1.p.mean),
                                               word1=t(f"prob_{w1.word_key}"), p2=numbers.pct(w2.p.mean),
                                               word2=t(f"prob_{w2.word_key}"))]
    if brief.weakest:
        items = [t("brief_means_weakest_item").format(stream=t(f"stream_title_{s.stream}"),
                                                      phase=t(f"phase_short_{s.phase}"), q=numbers.pct(s.q.mean))
                 for s in brief.weakest]
        out.append(t("brief_means_weakest").format(items=_join(items, t)))
    if brief.barriers:
        out.append(t("brief_means_barriers").format(n=len(brief.barriers)))
    sentence = not_discussed_sentence(brief, t)
    return out + ([sentence] if sentence else [])


def not_discussed_sentence(brief, t) -> str:
    """How much a chance rests on factors nobody discussed: the window whose range over them is widest (none: "")."""
    ranges = [(key, r) for key, r in (getattr(brief, "not_discussed_range", None) or {}).items() if r["n"]]
    if not ranges:
        return ""
    key, r = max(ranges, key=lambda item: item[1]["high"] - item[1]["low"])
    return t("brief_nd").format(name=brief.name, n=r["n"], window=t(f"brief_nd_window_{key[-1]}"),
                                low=numbers.pct(r["low"], t.lang), high=numbers.pct(r["high"], t.lang))


def actions(brief, t) -> list[str]:
    """What would help most: the levers by expected gain, each as what to do with its label, and which are barriers today."""
    if not brief.levers:  # with a window to aim at, no single step is enough: the plans above say what is
        return [t("brief_do_none") if brief.plans else t("no_levers")]
    threshold = brief.levers[0].threshold
    if max(lever.gain.mean for lever in brief.levers) < threshold:
        first = brief.levers[0]
        out = [t("brief_do_small").format(threshold=round(100 * threshold), step=inline(step(first.action, first.label, t)))]
    else:
        items = [inline(step(lever.action, lever.label, t,
                             t("brief_do_item").format(gain=numbers.pp(lever.gain.mean, t.lang))))
                 for lever in brief.levers]
        out = [t("brief_do_levers").format(items=_join(items, t))]
    blocking = [lever.label for lever in brief.levers if lever.code is not None and lever.code < 0]
    if blocking:
        labels = _join(blocking, t)
        sentence = t("brief_do_barriers_one") if len(blocking) == 1 else t("brief_do_barriers_many")
        out.append(sentence.format(labels=labels[:1].upper() + labels[1:]))
    out.append(t("brief_do_caution"))
    return out


def advice(brief, t) -> Advice:
    """Both paragraphs of the brief."""
    return Advice(meaning(brief, t), actions(brief, t))
