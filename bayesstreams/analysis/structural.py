"""Structural certainty is not evidence (MODEL.md §8): probabilities next to their prior value.

A posterior probability such as ``P(dependency effect > 0)`` can be 100% only because the
model allows nothing else (``rho <= 1`` makes the dependency effect non-negative in every
draw, prior or posterior).  :func:`prior_probabilities` computes ``P(> 0)`` of the headline
quantities under the run's prior draws and its posterior draws side by side, and marks as
*structural* a probability that is already beyond :data:`STRUCTURAL` (or below
``1 - STRUCTURAL``) under the prior.  :func:`density_table` bins prior and posterior draws
of one parameter (rho) on a shared grid, for the figure that draws them together.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.prior_dependence import headline_draws, run_headline_draws

STRUCTURAL = 0.99
PROBABILITY_NAMES = ("beta", "ace_w1", "ace_w2", "dependency_effect")
N_BINS = 20


def prior_probabilities(prior: dict, posterior: dict, dataset, names=PROBABILITY_NAMES) -> list[dict]:
    """``P(quantity > 0)`` under the prior and the posterior, per scalar of ``names``.

    Parameters
    ----------
    prior, posterior
        Prior and posterior draws (name -> (sample, ...) array) of one run.
    dataset
        The run's dataset.
    names
        Quantities of :func:`bayesstreams.analysis.prior_dependence.headline_draws`.

    Returns
    -------
    list of dict
        ``name, index, prior_p, posterior_p, structural``; ``prior_p`` is None when the run
        holds no prior draws.

    Examples
    --------
    >>> rows = prior_probabilities(run.prior, run.posterior, run.dataset)
    >>> dependency = [r for r in rows if r["name"] == "dependency_effect"][0]
    >>> dependency["prior_p"], dependency["structural"]    # rho <= 1: positive in every prior draw
    (1.0, True)
    """
    after = headline_draws(posterior, dataset)
    before = headline_draws(prior, dataset) if prior else {}
    return _rows(after, before, names)


def run_prior_probabilities(run, names=PROBABILITY_NAMES) -> list[dict]:
    """:func:`prior_probabilities` of ``run``'s prior and posterior on its own dataset, from the headline draws
    the run keeps (:func:`~bayesstreams.analysis.prior_dependence.run_headline_draws`: computed once per run)."""
    return _rows(run_headline_draws(run), run_headline_draws(run, group="prior"), names)


def _rows(after: dict, before: dict, names) -> list[dict]:
    rows = []
    for name in names:
        if name not in after:
            continue
        labels, values = after[name]
        p_post = (values > 0).mean(axis=0)
        p_prior = (before[name][1] > 0).mean(axis=0) if name in before else [None] * len(labels)
        for label, post, pre in zip(labels, p_post, p_prior):
            structural = pre is not None and (pre >= STRUCTURAL or pre <= 1.0 - STRUCTURAL)
            rows.append({"name": name, "index": label, "prior_p": None if pre is None else float(pre),
                         "posterior_p": float(post), "structural": bool(structural)})
    return rows


def density_table(prior_samples, posterior_samples, low: float = 0.0, high: float = 1.0, bins: int = N_BINS) -> list[dict]:
    """Prior and posterior densities of one scalar on ``bins`` equal bins of [low, high].

    Returns
    -------
    list of dict
        ``low, high, prior, posterior``: each a histogram density (integrating to 1 over
        the grid); ``prior`` is None when there are no prior draws.
    """
    edges = np.linspace(low, high, bins + 1)
    post, _ = np.histogram(np.asarray(posterior_samples, dtype=float).ravel(), bins=edges, density=True)
    pre = None
    if prior_samples is not None and len(prior_samples):
        pre, _ = np.histogram(np.asarray(prior_samples, dtype=float).ravel(), bins=edges, density=True)
    return [{"low": float(edges[j]), "high": float(edges[j + 1]), "prior": None if pre is None else float(pre[j]),
             "posterior": float(post[j])} for j in range(bins)]
