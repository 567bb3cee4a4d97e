"""Which factor has the largest effect on a window, with the uncertainty of that ranking (MODEL.md §8).

A ranking is computed per posterior draw, so a reader sees how often each factor comes
first (``p_rank1``) or among the first three (``p_top3``), not only the order of the
posterior means.  Each factor is ranked by its *headline step*: the widest change of code
that stays inside the codes observed for it (not discussed read as 0), i.e. ``-1 -> +1``
when both ``-1`` and ``+1`` occur, else ``0 -> +1``, else ``-1 -> 0``.  Factors with no data
support (:mod:`bayesstreams.data.support`) are not ranked: their effect is the prior's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayesstreams.analysis.queries import CONTRASTS, STEPS, WINDOWS, ace_draws
from bayesstreams.data.support import CODES, observed_codes, support_arrays

if TYPE_CHECKING:
    import pandas as pd

TOP = 3
# widest first: the headline step of a factor is the first of these inside its observed codes
_PREFERENCE = ("+1 vs -1", "+1 vs 0", "0 vs -1")


def headline_contrasts(dataset, na_as: float | None = 0.0) -> list[str | None]:
    """Per factor, the contrast label (of :data:`~bayesstreams.analysis.queries.CONTRASTS`) headlines use.

    ``None`` for a factor with no data support (never coded or constant), which no headline uses.
    """
    seen = observed_codes(dataset, na_as)
    no_data = support_arrays(dataset, na_as).no_data
    bounds = {label: (a, b) for label, a, b in CONTRASTS}
    out: list[str | None] = []
    for k in range(len(dataset.factor_ids)):
        inside = [c for c in _PREFERENCE
                  if seen[k, CODES.index(bounds[c][0])] and seen[k, CODES.index(bounds[c][1])]]
        out.append(None if no_data[k] or not inside else inside[0])
    return out


def rank_probabilities(samples: np.ndarray, top: int = TOP) -> tuple[np.ndarray, np.ndarray]:
    """``P(rank 1)`` and ``P(rank <= top)`` per column of ``samples`` (sample, item); rank 1 = largest.

    Ties within a draw go to the earlier column, so ``P(rank 1)`` sums to 1 over the items.

    Examples
    --------
    >>> first, top = rank_probabilities(np.array([[3, 1, 2], [1, 3, 2.]]), top=2)
    >>> first.tolist(), top.tolist()
    ([0.5, 0.5, 0.0], [0.5, 0.5, 1.0])
    """
    samples = np.asarray(samples, dtype=float)
    order = np.argsort(-samples, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(samples.shape[1])[None, :].repeat(len(samples), axis=0), axis=1)
    return (ranks == 0).mean(axis=0), (ranks < top).mean(axis=0)


def effect_ranks(posterior: dict, dataset, top: int = TOP, na_as: float | None = 0.0, base=None) -> pd.DataFrame:
    """Rank the factors by their effect on each window, per draw.

    Parameters
    ----------
    posterior
        Draws ``{name: (sample, ...)}`` of a streams or additive run (``run.posterior``).
    dataset
        The run's :class:`~bayesstreams.data.dataset.Dataset`.
    top
        ``p_top`` is the probability of a rank ``<= top`` (default 3).
    na_as
        How not-discussed codes are read when choosing the headline step and the no-data factors.
    base
        A shared :class:`~bayesstreams.analysis.queries.Baseline` of ``posterior`` (``run.baseline``),
        whose cached ACE draws are reused; computed when not given.

    Returns
    -------
    DataFrame
        One row per window (W1, W2) and ranked factor: ``window, factor, contrast, step`` (the
        headline step), ``mean`` (posterior-mean ACE of that step), ``rank`` (1 = largest mean),
        ``p_rank1`` and ``p_top3`` (``P(rank <= top)``).  A window ranks the factors that reach it
        (phase-2 factors do not reach W1) and have data support; sorted by window, then ``rank``.

    Examples
    --------
    Two phase-1 factors in an additive model; the first has the larger effect in 3 of 4 draws,
    the third factor is never coded and is not ranked:

    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> nan = np.nan
    >>> book = Codebook((Factor("p1_a", 1, "problem"), Factor("p1_b", 1, "policy"), Factor("p1_c", 1, "politics")))
    >>> x = np.array([[1, 1, nan], [-1, 0, nan], [0, 1, nan]])
    >>> data = Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(3)], [], x,
    ...                np.zeros((3, 2)), np.full((3, 2, 3), nan), np.full(3, -1), ())
    >>> draws = {"a": np.zeros((4, 2)), "delta": np.zeros(4),
    ...          "beta": np.array([[2, 1, 0], [2, 1, 5], [1, 2, 5], [3, 0.5, 5.]])}
    >>> ranks = effect_ranks(draws, data).query("window == 'W1'")
    >>> ranks[["factor", "step", "rank", "p_rank1"]].values.tolist()
    [['p1_a', '-1 -> +1', 1, 0.75], ['p1_b', '0 -> +1', 2, 0.25]]
    """
    import pandas as pd

    ace = ace_draws(posterior, dataset, base)
    contrasts = headline_contrasts(dataset, na_as)
    labels = [label for label, _, _ in CONTRASTS]
    phase = np.asarray(dataset.factor_phase)
    frames = []
    for w, window in enumerate(WINDOWS):
        members = [k for k, c in enumerate(contrasts) if c is not None and phase[k] <= w]
        if not members:
            continue
        samples = np.column_stack([ace[:, k, w, labels.index(contrasts[k])] for k in members])
        p_first, p_top = rank_probabilities(samples, top)
        frame = pd.DataFrame({"window": window, "factor": [dataset.factor_ids[k] for k in members],
                              "contrast": [contrasts[k] for k in members],
                              "step": [STEPS[contrasts[k]] for k in members],
                              "mean": samples.mean(axis=0), "p_rank1": p_first, "p_top3": p_top})
        frame["rank"] = frame["mean"].rank(ascending=False, method="first").astype(int)
        frames.append(frame.sort_values("rank"))
    columns = ["window", "factor", "contrast", "step", "mean", "rank", "p_rank1", "p_top3"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
