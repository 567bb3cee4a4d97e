"""What a conclusion rests on, in words: "rests on: Gemeente 6's code for internal communication (0; quote ...);
recoded +1, there is no lever".

:mod:`bayesstreams.analysis.fragility` finds the changes; this module words them in the
output's language (through the translation tables) and computes nothing.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.view import index_words

QUOTE_WORDS = 12  # a quote is cut to its first words (the report's code table holds it whole)


def code_text(value: float, t) -> str:
    """A code as the reader sees it: +1, 0, -1 or "not discussed"."""
    if value is None or np.isnan(value):
        return t("rests_not_discussed")
    return f"{int(value):+d}" if value else "0"


def _quote(text: str) -> str:
    words = str(text or "").split()
    return " ".join(words[:QUOTE_WORDS]) + (" …" if len(words) > QUOTE_WORDS else "")


def cell_text(flip, words: dict, t) -> str:
    """The changed cell: "Gemeente 6's code for internal communication (0; 5.4.2: “In gemeente 6 …”)"."""
    change = flip.change
    case = words.get(change.case_id, change.case_id)
    if change.kind == "code":
        where = [code_text(change.old, t)]
        quote = flip.provenance.get("quote")
        if quote:
            section = flip.provenance.get("section", "")
            where.append(f"{section}: “{_quote(quote)}”" if section else f"“{_quote(quote)}”")
        return t("rests_code").format(case=case, factor=words.get(change.factor, change.factor),
                                      detail="; ".join(where))
    state = t("rests_in_motion") if change.old == 1 else t("rests_not_in_motion")
    return t("rests_stream").format(case=case, phase=words.get(str(change.phase), change.phase),
                                    stream=words.get(change.stream, change.stream), state=state)


def change_text(flip, t) -> str:
    """How the cell changed: "recoded +1", "left out" (a stream state removed)."""
    change = flip.change
    if change.kind == "stream" and np.isnan(change.new):
        return t("rests_left_out")
    if change.kind == "stream":
        return t("rests_flipped")
    return t("rests_recoded").format(code=code_text(change.new, t))


def outcome_text(flip, words: dict, t) -> str:
    """What the conclusion becomes: "there is no lever", "the first lever becomes X", "the verdict becomes Y"."""
    kind, after = flip.conclusion.kind, flip.after
    if kind == "claim":
        return t("rests_claim").format(verdict=t(f"verdict_{after}"))
    if kind == "lever":
        return t("rests_no_lever") if after is None else t("rests_lever").format(
            factor=words.get(after, after))
    if kind == "plan":
        return t("rests_no_plan") if not after else t("rests_plan").format(
            factors=", ".join(words.get(f, f) for f in after))
    return t("rests_top3").format(factors=", ".join(words.get(f, f) for f in after))


def rests_on_lines(fragility, dataset, kind: str, subject: str, lang: str = "en") -> list[str]:
    """One sentence per change that overturns the conclusion ``(kind, subject)``; empty when none does."""
    t, words = translator(lang), index_words(dataset, lang)
    return [t("rests_on").format(cell=cell_text(f, words, t), change=change_text(f, t),
                                 outcome=outcome_text(f, words, t))
            for f in fragility.rests_on(kind, subject)]


def summary_lines(fragility, dataset, lang: str = "en", n: int = 5) -> list[str]:
    """The check in a few sentences: how many conclusions rest on a single cell, and the cells most relied on."""
    t, words = translator(lang), index_words(dataset, lang)
    fragile = {(f.conclusion.kind, f.conclusion.subject) for f in fragility.flips}
    lines = [t("rests_summary").format(fragile=len(fragile), total=len(fragility.conclusions),
                                       changes=fragility.n_changes, refits=fragility.n_refits,
                                       unchecked=len(fragility.unchecked))]
    ranked = fragility.most_relied_on(None)
    for (kind, case, what), count in ranked[:n]:
        name = words.get(case, case)
        if kind == "code":
            cell = t("rests_code_short").format(case=name, factor=words.get(what, what))
        else:
            phase, stream = what.split("/")
            cell = t("rests_stream_short").format(case=name, phase=words.get(phase, phase),
                                                  stream=words.get(stream, stream))
        lines.append(t("rests_most").format(cell=cell, count=count))
    tied = [c for _, c in ranked[n:] if ranked[n - 1][1] == c] if n and len(ranked) > n else []
    if tied:  # a cut through a tie would hide cells exactly as relied on as the last one shown
        more = t("rests_more_one") if len(tied) == 1 else t("rests_more")
        lines.append(more.format(more=len(tied), count=tied[0]))
    return lines


def case_rests_on(fragility, dataset, case_id: str, lang: str = "en") -> list[str]:
    """What a case's first lever and best plan rest on: one sentence per change, each said once.

    When no checked change overturns them, one sentence that says so and how many of the case's
    changes could not be checked (never a bare "robust").
    """
    lines = []
    for kind in ("lever", "plan"):
        for line in rests_on_lines(fragility, dataset, kind, case_id, lang):
            if line not in lines:
                lines.append(line)
    if not lines:
        unchecked = sum(1 for change, _ in fragility.unchecked if change.case_id == case_id)
        t = translator(lang)
        lines.append(t("rests_none").format(unchecked=unchecked))
    return lines


def fragility_view(fragility, dataset, lang: str = "en") -> tuple[list[str], list[dict]]:
    """The report's "What the conclusions rest on": the summary lines, and per conclusion that a single
    change overturns ``{kind, subject, label, lines}`` (label: the conclusion in the reader's words)."""
    t, words = translator(lang), index_words(dataset, lang)
    claims = {c.id: c.text(lang) for c in dataset.claims}
    rows = []
    for conclusion in fragility.conclusions:
        lines = rests_on_lines(fragility, dataset, conclusion.kind, conclusion.subject, lang)
        if not lines:
            continue
        subject = (claims.get(conclusion.subject, conclusion.subject) if conclusion.kind == "claim"
                   else words.get(conclusion.subject, conclusion.subject))
        rows.append({"kind": conclusion.kind, "subject": conclusion.subject,
                     "label": t(f"rests_kind_{conclusion.kind}").format(subject=subject), "lines": lines})
    return summary_lines(fragility, dataset, lang), rows
