"""What would it take (MODEL.md §9): the smallest sets of factor changes that bring a window over a threshold.

A *plan* is a set of up to ``max_size`` factors, each set to ``+1``; it *reaches* when the
posterior mean of ``P(target | do(plan), evidence)`` exceeds the threshold.  The search goes
by size: all single factors, then pairs, then triples, and stops at the first size at which a
plan reaches, so every plan returned is minimal (no proper subset reaches: all smaller sets
were tried and none did).  Pairs and triples are drawn from the ``keep`` factors with the
largest single gains (pruning; exact whenever there are at most ``keep`` candidates, as in
the shipped study).  Every size is one vectorised evaluation over all its sets and all draws.
When no plan of up to ``max_size`` reaches, the closest plan of the largest size is returned,
marked as not reaching.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

DEFAULT_THRESHOLD = 0.5
MAX_SIZE = 3
KEEP = 10
N_PLANS = 5


def weighted_mean(samples: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over the last (draw) axis with normalised draw weights."""
    return (samples * weights).sum(axis=-1)


def search_plans(evaluate, candidates: list[int], single_gain: np.ndarray, weights: np.ndarray,
                 threshold: float = DEFAULT_THRESHOLD, max_size: int = MAX_SIZE, keep: int = KEEP,
                 n_plans: int = N_PLANS) -> tuple[list[tuple[int, ...]], np.ndarray, bool]:
    """The minimal plans of the smallest size that reaches ``threshold``.

    Parameters
    ----------
    evaluate
        ``evaluate(sets) -> (set, draw)`` the per-draw probability of the target under each set.
    candidates
        Factor indices that may enter a plan.
    single_gain
        The posterior-mean gain of each candidate alone (same order), used to prune.
    weights
        Normalised draw weights (draw,).

    Returns
    -------
    (plans, samples, reached)
        The plans (factor index tuples, by decreasing mean), their per-draw probabilities
        (plan, draw), and whether they reach the threshold.
    """
    if not candidates:
        return [], np.empty((0, len(weights))), False
    ranked = [candidates[j] for j in np.argsort(-np.asarray(single_gain), kind="stable")]
    last_sets, last_samples = [], None
    for size in range(1, min(max_size, len(candidates)) + 1):
        pool = ranked if size == 1 else ranked[:keep]
        sets = list(combinations(pool, size))
        samples = evaluate(sets)
        means = weighted_mean(samples, weights)
        order = np.argsort(-means, kind="stable")
        reaching = [j for j in order if means[j] > threshold]
        if reaching:
            chosen = reaching[:n_plans]
            return [sets[j] for j in chosen], samples[chosen], True
        last_sets, last_samples = [sets[order[0]]], samples[order[:1]]
    return last_sets, last_samples, False
