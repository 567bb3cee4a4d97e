"""Calibrated probability words: one documented scale for every brief and report.

The scale (the same boundaries in every language; the words live in the translation
tables under ``prob_<key>``):

==============  ===============  ===========================  ==========================
probability     key              English                      Dutch
==============  ===============  ===========================  ==========================
below 10%       very_unlikely    very unlikely                zeer onwaarschijnlijk
10% to 33%      unlikely         unlikely                     onwaarschijnlijk
33% to 66%      even             about as likely as not       ongeveer even waarschijnlijk
                                                              als niet
66% to 90%      likely           likely                       waarschijnlijk
90% and above   very_likely      very likely                  zeer waarschijnlijk
==============  ===============  ===========================  ==========================

A boundary belongs to the category above it (exactly 10% is "unlikely").

Intervals that span categories
    The word follows the posterior mean, and its range is given in brackets:
    "likely (66-90%)".  When the 90% interval reaches into other categories, the
    phrase names the categories at both ends of the interval, so that a wide interval is
    never hidden behind one confident word: "likely (66-90%); the 90% interval runs
    from unlikely to very likely" (Dutch: "waarschijnlijk (66-90%); het 90%-interval
    loopt van onwaarschijnlijk tot zeer waarschijnlijk").  The interval itself is always
    printed next to the words as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

# (upper bound, exclusive; key), in increasing order
SCALE: tuple[tuple[float, str], ...] = (
    (0.10, "very_unlikely"), (0.33, "unlikely"), (0.66, "even"), (0.90, "likely"), (float("inf"), "very_likely"),
)
RANGES = {"very_unlikely": "<10%", "unlikely": "10-33%", "even": "33-66%", "likely": "66-90%",
          "very_likely": ">90%"}


@dataclass(frozen=True)
class Verbal:
    """A probability in words: the category of the mean and of both interval ends, and the phrase."""

    key: str
    low_key: str
    high_key: str
    text: str

    @property
    def spans(self) -> bool:
        """True when the 90% interval reaches into more than one category."""
        return self.low_key != self.high_key


def word_key(p: float) -> str:
    """The scale category of a probability (see the module docstring)."""
    for upper, key in SCALE:
        if p < upper:
            return key
    return SCALE[-1][1]


def verbal(mean: float, low: float, high: float, t, plain: bool = False) -> Verbal:
    """The calibrated phrase of a probability with its 90% interval.

    Parameters
    ----------
    mean, low, high
        Posterior mean and the 5% and 95% quantiles.
    t
        Translator (key -> text) of the output language.
    plain
        Name both ends of a wide interval without the word "interval" (``brief_span``
        instead of ``prob_span``): the brief's wording for a reader without statistics.
    """
    key, low_key, high_key = word_key(mean), word_key(low), word_key(high)
    text = t("prob_phrase").format(word=t(f"prob_{key}"), range=RANGES[key])
    if low_key != high_key:
        text += (t("brief_span") if plain else t("prob_span")).format(low=t(f"prob_{low_key}"), high=t(f"prob_{high_key}"))
    return Verbal(key, low_key, high_key, text)
