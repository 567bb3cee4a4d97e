"""The brief's paragraphs beside the case advice: "What does this mean?", the caveats and the section for analysts.

The advice itself (where the case stands, the next step, what helps and what blocks) is
:mod:`bayesstreams.reporting.brief_steps`.  Every sentence here is a translation-table template
filled with the brief's own numbers; numbers are written by :mod:`bayesstreams.reporting.numbers`
in the brief's language; words come from ``t``.  The HTML page and the Word brief
(:mod:`bayesstreams.reporting.brief_docx`) both print these lists, so they say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.reporting import numbers


@dataclass(frozen=True)
class Advice:
    """The sentences of the brief's paragraph "What does this mean?", its caveats and its section for analysts."""

    meaning: list[str]
    analysts: list[str]
    caveats: list[str]


def _join(items: list[str], t) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the brief's language."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('word_and')} {items[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text[-1:] in ".:!?" else ".")


def meaning(brief, t) -> list[str]:
    """What to make of it: the barriers the interviews name, and that these are estimates, not promises.

    Where the case stands and its chances are the advice's sections (:mod:`~bayesstreams.reporting.brief_steps`),
    said once there.
    """
    out = []
    if brief.barriers:
        n = len(brief.barriers)
        out.append(_sentence(t("voice_barriers_one") if n == 1 else t("voice_barriers").format(n=n)))
    out.append(_sentence(t("voice_caution")))
    return out


def not_discussed_sentence(brief, t) -> str:
    """How much a chance rests on factors nobody discussed: the window whose range over them is widest (none: "")."""
    ranges = [(key, r) for key, r in (getattr(brief, "not_discussed_range", None) or {}).items() if r["n"]]
    if not ranges:
        return ""
    key, r = max(ranges, key=lambda item: item[1]["high"] - item[1]["low"])
    return t("brief_nd").format(name=brief.name, n=r["n"], window=t(f"brief_nd_window_{key[-1]}"),
                                low=numbers.pct(r["low"], t.lang), high=numbers.pct(r["high"], t.lang))


def analysts(brief, t) -> list[str]:
    """The details for analysts: the model and what the chances are given, the causal assumption, the not-discussed range."""
    out = [_sentence(t("voice_analysts_model").format(model=brief.model_name, kind=brief.model_kind,
                                                      n=brief.n_reference)),
           _sentence(t("voice_analysts_causal"))]
    sentence = not_discussed_sentence(brief, t)
    missing = t(f"caveat_missing_{brief.not_discussed}").format(n_missing=brief.n_not_discussed,
                                                                n_factors=brief.n_factors)
    return out + ([_sentence(sentence)] if sentence else []) + [t("caveat_measurement"), missing]


def caveats(brief, t) -> list[str]:
    """What to read with care: a profile is not a case of the study, how few cases the model learnt from, the word scale."""
    n = t("caveat_n").format(n=brief.n_reference, n_prior=brief.n_prior_driven, n_total=brief.n_taught)
    if any(w.prior_driven for w in brief.windows):
        n += " " + t("caveat_own_prior")
    return ([t("caveat_profile")] if brief.is_profile else []) + [n, t("caveat_words")]


def advice(brief, t) -> Advice:
    """The brief's paragraphs that are not the case advice itself."""
    return Advice(meaning(brief, t), analysts(brief, t), caveats(brief, t))
