"""What to find out next in words: the sign of the expected change is said, not printed as a negative narrowing."""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.voi_text import value_text


def _row(reduction: float) -> dict:
    return {"rank": 1, "kind": "reveal", "case_id": "g5", "factor": "insight", "expected_reduction": reduction,
            "expected_reduction_se": 0.001, "p_verdict_change": np.nan, "p_lever_change": 0.05,
            "p_unreliable": 0.0}


@pytest.mark.parametrize("lang, narrows, widens", [("en", "narrows by 0.08", "widens by 0.04"),
                                                    ("nl", "gemiddeld 0,08 smaller", "gemiddeld 0,04 breder")])
def test_an_interval_expected_to_widen_is_said_to_widen(lang, narrows, widens):
    t = translator(lang)
    words = {"g5": "Gemeente 5", "insight": "insight"}
    assert narrows in value_text(_row(0.08), words, t, lang)
    wider = value_text(_row(-0.04), words, t, lang)
    assert widens in wider and "-0" not in wider
    # a change that rounds to nothing stays "narrows by 0.00", not "widens by 0.00"
    assert ("narrows by 0.00" if lang == "en" else "gemiddeld 0,00 smaller") in value_text(_row(-0.001), words, t, lang)
