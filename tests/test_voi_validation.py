"""What to find out next, validated (issue 24 item 4): predicted value = realised value over simulated acquisitions.

The truth of each acquisition is a posterior draw (what the data allow the world to be); the new
municipality is simulated from it by the model's simulator (``model.simulate.simulate_outcomes``,
not the log-likelihood the prediction reads), kept when it matches the profile's known parts
(rejection: a draw under which such a municipality is likelier is kept more often), and the
posterior is updated with what was found.  Averaged over many acquisitions, the realised reduction
of the 90% interval must equal the predicted one within Monte Carlo error (the preposterior
identity), the ranking of the candidates must agree, and a candidate that cannot tell about the
query (a municipality like those whose phase-1 window stayed closed, for ``1 - rho``) is worth
about nothing in both.
"""

import numpy as np
import pytest

from bayesstreams.analysis.fragility import psis_weights
from bayesstreams.analysis.voi import Query, _intervals, _query_values, next_evidence
from bayesstreams.model.simulate import simulate_outcomes

PER_DRAW = 40  # simulated municipalities per posterior draw


def _realised(run, cand, group, values, rng):
    """Mean and standard error of the realised reduction over simulated acquisitions of ``cand``."""
    posterior, data = run.posterior, run.dataset
    now = _intervals(values, np.full((1, len(values)), 1.0 / len(values)))
    width_now = float(now[1][0] - now[0][0])
    width = {}
    for o in group:
        lo, hi, _ = _intervals(values, psis_weights(o.log_ratio)[0][None])
        width[o.label] = float(hi[0] - lo[0])
    p = cand.profile
    x = np.tile(np.nan_to_num(np.array(p.x)), (PER_DRAW, 1))
    known_s, known_w = np.array(p.s).reshape(2, 3), np.array(p.w)
    found = []
    for d in range(len(posterior["rho"])):
        params = {k: v[d] for k, v in posterior.items()}
        s, w = simulate_outcomes(params, x, data.factor_phase, data.factor_stream, rng)
        keep = np.all((s == known_s) | np.isnan(known_s), axis=(1, 2)) & np.all((w == known_w) | np.isnan(known_w), axis=1)
        unknown = [j for j in range(2) if np.isnan(known_w[j])]
        for row in w[keep]:
            label = " ".join(f"W{j + 1}={int(row[j])}" for j in unknown)
            found.append(width_now - width[label])
    found = np.array(found)
    return found.mean(), found.std(ddof=1) / np.sqrt(len(found)), len(found)


@pytest.mark.model
def test_predicted_reduction_equals_the_realised_reduction_over_simulated_acquisitions(study_fit):
    run = study_fit
    found = next_evidence(run, queries=["dependency"], kinds=("new",), sizes=(1,))
    values = _query_values(run, run.dataset, [Query("dependency")]).draws["dependency"]
    frame = found.frame.set_index("candidate")
    rng = np.random.default_rng(24)
    predicted, realised = {}, {}
    for cand, group in zip(found.candidates, found.outcomes):
        mean, se, n = _realised(run, cand, group, values, rng)
        row = frame.loc[cand.key]
        assert n > 500, (cand.key, n)
        bound = 4 * np.hypot(se, row["expected_reduction_se"]) + 0.005
        assert abs(mean - row["expected_reduction"]) < bound, (cand.key, mean, row["expected_reduction"], bound)
        predicted[cand.key], realised[cand.key] = row["expected_reduction"], mean
    order = sorted(predicted, key=predicted.get, reverse=True)
    assert order[0] == "new:gap:1" and max(realised, key=realised.get) == "new:gap:1"
    for key in order[1:]:  # the negative controls: cases like those we have tell (almost) nothing of rho
        assert predicted[key] < 0.1 * predicted["new:gap:1"] and realised[key] < 0.1 * realised["new:gap:1"]
