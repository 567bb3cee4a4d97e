"""Claims of size (MODEL.md §8, issue 23 item 5): is the effect as large as the claim's word says?

A ``factor_effect`` claim of ``claims.toml`` may state a size (:mod:`bayesstreams.data.claims`):
``important`` (at least ``at_least_pp`` percentage points) or ``decisive`` (necessary, or at
least ``at_least_pp`` points).  The sign verdict (:mod:`bayesstreams.analysis.claims`) says whether
the effect points the claimed way; this module says, separately, whether it is that large.  On
the factor's ACE over its headline step, turned to the claimed direction (``e``), with threshold
``T = at_least_pp / 100``:

* *large* (the size holds) when the 90% interval of ``e`` lies at or above ``T``, or, for
  ``decisive``, when the factor is necessary: the 90% interval of its necessity
  ``mean_i [1 - P(W | do(x = low)) / P(W | do(x = high))]`` (low and high: the step's codes) lies at
  or above 0.5, i.e. the higher code at least doubles the window's chance (the reference of the
  necessity claims);
* *small* (contradicts the word) when the interval of ``e`` lies below ``T`` (and, for
  ``decisive``, that of the necessity below 0.5);
* *cannot tell* otherwise (``spans``), when the factor has no data, or when a "large" rests on a
  prior-driven number (``prior_driven``: the size is the prior's).  A "small" on a prior-driven number
  stays "small under the model" and names the prior among its reasons.

**The raw table against the model.**  When the coded cells (not-discussed cells left out) separate
the claim's window perfectly in the claimed direction while the model calls the effect small, the
two disagree, and the reasons are computed from the data and the prior, never assumed:

``phase1``         (W2 claims) the phase-1 window was closed in cases with the lower code: the model
                   credits the closed phase-2 window to phase 1 not having opened;
``other_streams``  in cases with the lower code and a closed window, another stream of the factor's
                   phase was coded not in motion: the model credits the closed window to it;
``stream_in_motion`` the factor's own stream was coded in motion in most cases, some with the lower
                   code: the factor's code does not move its stream in the data;
``prior_bounds``   the prior alone keeps the effect below ``T`` (its 90% prior interval ends below);
``prior_driven``   the number is prior-driven (analysis.prior_dependence): the prior, not the data, sized it.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.queries import CONTRASTS, do_factor
from bayesstreams.data.support import separation

LARGE, SMALL, CANNOT_TELL = "large", "small", "cannot_tell"
NECESSARY = 0.5  # necessity at or above which the higher code at least doubles the window's chance


def necessity_draws(base, k: int, window: str, contrast: str) -> np.ndarray:
    """Per draw: ``mean_i [1 - P(W | do(x_k = low)) / P(W | do(x_k = high))]`` over the cases, for the step ``contrast``."""
    high, low = next((a, b) for label, a, b in CONTRASTS if label == contrast)
    up, down = do_factor(base, k, high), do_factor(base, k, low)
    p_up, p_down = (up.p1, down.p1) if window == "W1" else (up.p2, down.p2)
    return (1.0 - p_down / np.maximum(p_up, 1e-300)).mean(axis=1)


def _interval(values: np.ndarray) -> dict:
    q05, q95 = np.quantile(values, [0.05, 0.95])
    return {"mean": float(values.mean()), "q05": float(q05), "q95": float(q95)}


def size_test(claim, effect: np.ndarray, necessity: np.ndarray | None, prior_driven: bool, no_data: bool) -> dict:
    """The size verdict of one claim from its effect draws (turned to the claimed direction inside).

    Returns ``{claimed, at_least, verdict, reason, effect: {mean, q05, q95}, p_at_least, necessity}``:
    ``effect`` is the ACE in the claimed direction, ``p_at_least`` the posterior probability that it
    reaches the threshold, ``necessity`` the necessity's summary for a ``decisive`` claim (else None).
    """
    threshold = claim.at_least_pp / 100.0
    oriented = effect if claim.expected == "positive" else -effect
    summary = _interval(oriented)
    need = _interval(necessity) if necessity is not None else None
    out = {"claimed": claim.size, "at_least": threshold, "effect": summary,
           "p_at_least": float((oriented >= threshold).mean()), "necessity": need}
    large = summary["q05"] >= threshold or (need is not None and need["q05"] >= NECESSARY)
    small = summary["q95"] < threshold and (need is None or need["q95"] < NECESSARY)
    if no_data:
        return {**out, "verdict": CANNOT_TELL, "reason": "no_data"}
    if small:
        return {**out, "verdict": SMALL, "reason": "below"}
    if large and prior_driven:
        return {**out, "verdict": CANNOT_TELL, "reason": "prior_driven"}
    if large:
        return {**out, "verdict": LARGE, "reason": "above"}
    return {**out, "verdict": CANNOT_TELL, "reason": "spans"}


def raw_against_model(claim, dataset, contrast: str | None, size: dict, prior: tuple | None,
                      prior_driven: bool) -> dict | None:
    """Where the coded cells separate the window perfectly but the model calls the effect small: the why.

    ``contrast`` is the claim's headline step; ``prior`` the prior's (mean, q05, q95) of the effect
    (not yet turned to the claimed direction).  Returns None when the two do not disagree, else
    ``{high, low, n_high, open_high, n_low, open_low, reasons: [{key, ...counts}]}`` (see the module
    docstring for the reasons; each carries the counts its sentence needs).
    """
    if size["verdict"] != SMALL or contrast is None:
        return None
    k = dataset.factor_ids.index(claim.factor)
    w = 0 if claim.window == "W1" else 1
    x = np.asarray(dataset.x, dtype=float)[:, k]               # coded cells only: NA stays NaN
    window = np.asarray(dataset.w, dtype=float)[:, w]
    direction = 1 if claim.expected == "positive" else -1
    if separation(x, window) != direction:
        return None
    high, low = next((a, b) for label, a, b in CONTRASTS if label == contrast)
    known = ~np.isnan(window)
    at_high, at_low = known & (x == high), known & (x == low)
    if claim.expected == "negative":
        at_high, at_low = at_low, at_high
    out = {"high": high, "low": low, "n_high": int(at_high.sum()), "open_high": int(window[at_high].sum()),
           "n_low": int(at_low.sum()), "open_low": int(window[at_low].sum()), "reasons": []}
    closed_low = at_low & (window == 0)
    reasons = out["reasons"]
    if w == 1:
        w1 = np.asarray(dataset.w, dtype=float)[:, 0]
        n = int((closed_low & (w1 == 0)).sum())
        if n:
            reasons.append({"key": "phase1", "n": n, "of": int(closed_low.sum())})
    phase, stream = dataset.factor_phase[k], dataset.factor_stream[k]
    states = np.asarray(dataset.s, dtype=float)[:, phase, :]
    others = [s for s in range(states.shape[1]) if s != stream]
    blocked = closed_low & (states[:, others] == 0).any(axis=1)
    if blocked.any():
        reasons.append({"key": "other_streams", "n": int(blocked.sum()), "of": int(closed_low.sum()),
                        "phase": int(phase) + 1})
    own = states[:, stream]
    coded = ~np.isnan(own)
    moving = int((own[coded] == 1).sum())
    moving_low = int((at_low & (own == 1)).sum())
    if coded.any() and moving > coded.sum() / 2 and moving_low:
        reasons.append({"key": "stream_in_motion", "n": moving, "of": int(coded.sum()), "n_low": moving_low,
                        "phase": int(phase) + 1, "stream": int(stream)})
    prior_high = None
    if prior is not None and prior[1] is not None:
        prior_high = prior[2] if claim.expected == "positive" else -prior[1]
    if prior_high is not None and prior_high < size["at_least"]:
        reasons.append({"key": "prior_bounds", "prior_high": prior_high})
    if prior_driven:
        reasons.append({"key": "prior_driven"})
    return out
