"""The claim verdicts in words: the reason for a verdict as one sentence in the report's language.

:mod:`bayesstreams.analysis.claims` returns the verdict data only (the verdict, its reason as a
key, the numbers behind it); this module turns them into the sentence the report, the modes
view and the workbook show.
"""

from __future__ import annotations

from bayesstreams.analysis.claim_size import NECESSARY
from bayesstreams.analysis.claims import SUPPORTED, SUPPORTED_STREAMS_ONLY
from bayesstreams.data.codebook import STREAMS
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.numbers import style

SIZE_REASONS = ("above", "below", "spans", "prior_driven", "no_data")  # claim_size_<reason>
RAW_REASONS = ("phase1", "other_streams", "stream_in_motion", "prior_bounds", "prior_driven")  # claim_raw_<key>
STEP_KEYS = {"-1 -> +1": "col_step_neg_pos", "0 -> +1": "col_step_zero_pos", "-1 -> 0": "col_step_neg_zero"}


def claim_text(verdict, lang: str, t) -> str:
    """The claim itself in ``lang``; the computed "phase 2 needs phase 1" (no claims.toml entry) from the table."""
    return verdict.text(lang) or t("claim_text_dependency")


def _number(value: float | None, query: str, unit: str = "pp", decimal: str = ".") -> str:
    """A necessity as a share (0.53); an effect in signed percentage points, one decimal below 10.

    ``decimal`` is the language's decimal mark (``","`` in Dutch).
    """
    if value is None:
        return "n/a"
    if query != "factor_effect":
        return f"{value:.2f}".replace(".", decimal)
    points = 100 * value
    text = f"{points:+.1f}" if abs(points) < 9.95 else f"{points:+.0f}"
    return ("0" if float(text) == 0 else text.replace(".", decimal)) + f" {unit}"


def explain(verdict, t=None) -> str:
    """The reason for a verdict (:class:`~bayesstreams.analysis.claims.Verdict`) as one sentence.

    In the translator's language (default English).
    """
    t = t or translator("en")
    unit, decimal = t("unit_pp"), style(getattr(t, "lang", "en")).decimal
    number = {key: _number(getattr(verdict, attribute), verdict.query, unit, decimal)
              for key, attribute in (("low", "q05"), ("high", "q95"), ("mean", "mean"), ("reference", "reference"),
                                     ("prior_low", "prior_q05"), ("prior_high", "prior_q95"),
                                     ("prior_mean", "prior_mean"))}
    fill = {**number, "factor": verdict.factor, "ratio": f"{verdict.shift_ratio or 0:.1f}".replace(".", decimal)}
    key = verdict.reason
    if key in ("above", "below"):
        key = f"{key}_{'agrees' if verdict.verdict in (SUPPORTED, SUPPORTED_STREAMS_ONLY) else 'disagrees'}"
    text = t(f"claim_reason_{key}").format(**fill)
    step = verdict.details.get("step")
    if step and verdict.reason != "no_data":
        text += " " + t("claim_reason_step").format(step=t(STEP_KEYS[step]))
    if verdict.details.get("separating") and verdict.reason != "no_data":
        text += " " + t("claim_reason_separating")
    if verdict.prior_mean is not None and verdict.mean is not None:
        text += " " + t("claim_reason_prior").format(**fill)
    source = source_sentence(verdict, t, unit, decimal)
    text = f"{text} {source}" if source else text
    size = size_sentence(verdict, t, unit, decimal)
    return f"{text} {size}" if size else text


SIZE_SHORT = {"above": "large", "below": "small", "spans": "spans", "prior_driven": "prior", "no_data": "spans"}


def size_short(verdict, t) -> str:
    """A claim of size's size verdict in a few words ("size: small under the model: contradicts 'decisive'"); "" otherwise."""
    if not verdict.size:
        return ""
    short, claimed = SIZE_SHORT[verdict.size["reason"]], verdict.size["claimed"]
    return t(f"claim_size_short_{short}").format(size=t(f"size_word_{claimed}"))


def _code(value: float) -> str:
    return "0" if value == 0 else f"{value:+.0f}"


def size_sentence(verdict, t, unit: str = "pp", decimal: str = ".") -> str:
    """The size verdict of a claim of size, and where the raw table and the model disagree, why ("" for other claims)."""
    size = verdict.size
    if not size:
        return ""
    claimed, reason = size["claimed"], size["reason"]
    word = t(f"size_word_{claimed}")
    effect = size["effect"] or {}
    fill = {"size": word, "at_least": _number(size["at_least"], "factor_effect", unit, decimal).lstrip("+"),
            "low": _number(effect.get("q05"), "factor_effect", unit, decimal),
            "high": _number(effect.get("q95"), "factor_effect", unit, decimal),
            "p": f"{100 * (size['p_at_least'] or 0):.0f}%"}
    text = t(f"claim_size_{reason}").format(**fill)
    need = size.get("necessity")
    if need is not None:
        text += " " + t("claim_size_necessity").format(
            low=_number(need["q05"], "necessity", decimal=decimal), high=_number(need["q95"], "necessity", decimal=decimal),
            reference=_number(NECESSARY, "necessity", decimal=decimal))
    raw = verdict.raw_disagreement
    if raw:
        reasons = [t(f"claim_raw_{r['key']}").format(**_raw_fill(r, t, unit, decimal)) for r in raw["reasons"]]
        because = t("claim_raw_because").format(reasons=t("claim_raw_and").join(reasons)) if reasons else ""
        text += " " + t("claim_raw_disagrees").format(
            size=word, open_high=raw["open_high"], n_high=raw["n_high"], high=_code(raw["high"]),
            open_low=raw["open_low"], n_low=raw["n_low"], low=_code(raw["low"])) + because + "."
    return text


def _raw_fill(reason: dict, t, unit: str, decimal: str) -> dict:
    fill = dict(reason)
    if "stream" in reason:
        fill["stream"] = t(f"stream_{STREAMS[reason['stream']]}")
    if reason["key"] == "prior_bounds":
        high = reason.get("prior_high")
        fill["prior_high"] = _number(high, "factor_effect", unit, decimal) if high is not None else "n/a"
    return fill


def interval_text(summary: dict | None, query: str, unit: str = "pp", decimal: str = ".", t=None) -> str:
    """A companion's 90% interval of a claim's quantity ("-2.0 pp to +36 pp"); "–" when the companion is missing."""
    if summary is None:
        return "–"
    joiner = f" {t('interval_to') if t is not None else 'to'} "
    return _number(summary["q05"], query, unit, decimal) + joiner + _number(summary["q95"], query, unit, decimal)


def source_sentence(verdict, t, unit: str = "pp", decimal: str = ".") -> str:
    """What the source check found for a main-run support: it rests on the stream states, it holds, or it was not made."""
    if verdict.main_verdict != SUPPORTED:
        return ""
    fill = {"nostreams": interval_text(verdict.without_streams, verdict.query, unit, decimal, t),
            "streamerror": interval_text(verdict.with_stream_error, verdict.query, unit, decimal, t)}
    if verdict.verdict == SUPPORTED_STREAMS_ONLY:
        return t("claim_reason_streams_only").format(**fill)
    if verdict.source_missing:
        names = ", ".join(t(f"companion_{role}") for role in verdict.source_missing)
        return t("claim_reason_sources_missing").format(missing=names)
    return t("claim_reason_streams_hold").format(**fill)
