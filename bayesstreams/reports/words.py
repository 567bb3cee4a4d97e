"""Calibrated probability words: a documented scale, the same in every language.

==========================  ==================  ===============================
probability                 English             Dutch
==========================  ==================  ===============================
below 10%                   very unlikely       zeer onwaarschijnlijk
10% to 33%                  unlikely            onwaarschijnlijk
33% to 66%                  about as likely     ongeveer even waarschijnlijk
                            as not              als niet
66% to 90%                  likely              waarschijnlijk
90% and above               very likely         zeer waarschijnlijk
==========================  ==================  ===============================

The word follows the posterior mean.  When the 90% interval reaches into other
categories, the phrase says so ("likely, but could be anything from unlikely to very
likely"), so a wide interval is never hidden behind one confident word.
"""

from __future__ import annotations

SCALE = ((0.10, "very_unlikely"), (0.33, "unlikely"), (0.66, "even"), (0.90, "likely"), (1.01, "very_likely"))
RANGES = {"very_unlikely": "<10%", "unlikely": "10-33%", "even": "33-66%", "likely": "66-90%",
          "very_likely": ">90%"}


def word_key(p: float) -> str:
    """The scale category of a probability."""
    for upper, key in SCALE:
        if p < upper:
            return key
    return SCALE[-1][1]


def phrase(mean: float, low: float, high: float, t) -> str:
    """The calibrated phrase for a probability with its 90% interval; ``t`` translates keys."""
    key, lo_key, hi_key = word_key(mean), word_key(low), word_key(high)
    text = f"{t('prob_' + key)} ({RANGES[key]})"
    if lo_key != hi_key:
        text += " " + t("prob_span").format(low=t("prob_" + lo_key), high=t("prob_" + hi_key))
    return text
