"""Which factor has the largest effect on a window, with the uncertainty of that ranking (MODEL.md §8).

A ranking is computed per posterior draw, so a reader sees how often each factor comes
first (``p_rank1``) or among the first three (``p_top3``), not only the order of the
posterior means.  Two rankings, side by side (issue 23, item 6):

* **the common step** (the ranking every "largest effect" statement uses): every factor's ACE
  for the same change of code, ``0 -> +1`` (:data:`COMMON`).  Ranking a two-step effect
  (``-1 -> +1``) against one-step effects (``0 -> +1``) would compare different contrasts: a
  factor coded ``-1`` somewhere would win for having a wider step, not a larger effect.  A
  factor for which ``0`` or ``+1`` was never coded is still ranked, its step marked
  ``extrapolated``;
* **the observed-range step** (the ``observed_*`` columns): each factor's *headline step*, the
  widest change of code inside the codes actually coded for it, i.e. ``-1 -> +1`` when both
  ``-1`` and ``+1`` were coded, else ``0 -> +1``, else ``-1 -> 0``.  A not-discussed cell is
  never an observed code here, whatever the evidence mode does with it: a factor coded ``+1``
  in some cases and not discussed in the rest has no observed step (reading "not discussed" as
  ``0`` would let it "separate" a window through cells nobody coded).

Factors with no data support (:mod:`bayesstreams.data.support`) are in neither: their effect is
the prior's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayesstreams.analysis.queries import CONTRASTS, STEPS, WINDOWS, ace_draws
from bayesstreams.data.support import CODES, observed_codes, support_arrays

if TYPE_CHECKING:
    import pandas as pd

TOP = 3
COMMON = "+1 vs 0"  # the contrast every factor is ranked on: the step 0 -> +1
# widest first: the headline step of a factor is the first of these inside its observed codes
_PREFERENCE = ("+1 vs -1", "+1 vs 0", "0 vs -1")


def headline_contrasts(dataset, na_as: float | None = 0.0) -> list[str | None]:
    """Per factor, the contrast label (of :data:`~bayesstreams.analysis.queries.CONTRASTS`) headlines use.

    The widest step whose two codes were both coded for the factor: not-discussed cells never
    count as observed codes (``na_as`` says only how they are read when telling which factors
    have no data support).  ``None`` for a factor with no data support (never coded or constant),
    which no headline uses, and for a factor coded with one value only (the rest not discussed).

    Examples
    --------
    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> book = Codebook((Factor("p1_a", 1, "problem"), Factor("p1_b", 1, "policy")))
    >>> x = np.array([[1, 1], [-1, np.nan], [0, np.nan]])
    >>> data = Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(3)], [], x,
    ...                np.zeros((3, 2)), np.full((3, 2, 3), np.nan), np.full(3, -1), ())
    >>> headline_contrasts(data)                  # p1_b: +1 where coded, never 0 or -1
    ['+1 vs -1', None]
    """
    seen = observed_codes(dataset, None)
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


def _ranked(samples: np.ndarray, top: int) -> dict[str, np.ndarray]:
    """``mean``, ``rank`` (1 = largest mean), ``p_rank1`` and ``p_top3`` of the columns of ``samples``."""
    p_first, p_top = rank_probabilities(samples, top)
    means = samples.mean(axis=0)
    order = np.argsort(-means, kind="stable")
    rank = np.empty(len(means), dtype=int)
    rank[order] = np.arange(1, len(means) + 1)
    return {"mean": means, "rank": rank, "p_rank1": p_first, "p_top3": p_top}


COLUMNS = ["window", "factor", "contrast", "step", "extrapolated", "mean", "rank", "p_rank1", "p_top3",
           "observed_contrast", "observed_step", "observed_mean", "observed_rank", "observed_p_rank1",
           "observed_p_top3"]


def common_step_draws(posterior: dict, dataset, base=None, na_as: float | None = 0.0) -> dict[str, tuple]:
    """Per window (``"W1"``, ``"W2"``): the ranked factors' ids and their ACE draws (sample, factor) on the common step.

    The factors a ranking holds (data support, reaching the window) and the step every one of them
    is ranked on (:data:`COMMON`); :func:`effect_ranks` and the fragility of the top 3 read these.
    """
    ace = ace_draws(posterior, dataset, base)
    no_data = support_arrays(dataset, na_as).no_data
    phase = np.asarray(dataset.factor_phase)
    common = [label for label, _, _ in CONTRASTS].index(COMMON)
    out = {}
    for w, window in enumerate(WINDOWS):
        members = [k for k in range(len(dataset.factor_ids)) if not no_data[k] and phase[k] <= w]
        out[window] = ([dataset.factor_ids[k] for k in members], ace[:, members, w, common])
    return out


def effect_ranks(posterior: dict, dataset, top: int = TOP, na_as: float | None = 0.0, base=None) -> pd.DataFrame:
    """Rank the factors by their effect on each window, per draw, on a common step and on their observed step.

    Parameters
    ----------
    posterior
        Draws ``{name: (sample, ...)}`` of a streams or additive run (``run.posterior``).
    dataset
        The run's :class:`~bayesstreams.data.dataset.Dataset`.
    top
        ``p_top3`` is the probability of a rank ``<= top`` (default 3).
    na_as
        How not-discussed codes are read when telling the no-data factors (never when choosing a step).
    base
        A shared :class:`~bayesstreams.analysis.queries.Baseline` of ``posterior`` (``run.baseline``),
        whose cached ACE draws are reused; computed when not given.

    Returns
    -------
    DataFrame
        One row per window (W1, W2) and ranked factor, sorted by window, then ``rank``:

        * the common step (:data:`COMMON`, ``0 -> +1`` for every factor): ``contrast, step``,
          ``extrapolated`` (``0`` or ``+1`` was never coded for the factor), ``mean`` (posterior-mean
          ACE), ``rank`` (1 = largest mean), ``p_rank1`` and ``p_top3`` (``P(rank <= top)``);
        * the observed-range step (:func:`headline_contrasts`): ``observed_contrast, observed_step,
          observed_mean, observed_rank, observed_p_rank1, observed_p_top3``, ranked among the factors
          that have one; None/NaN for a factor without (one coded value only).

        A window ranks the factors that reach it (phase-2 factors do not reach W1) and have data support.

    Examples
    --------
    Two phase-1 factors in an additive model; the third factor is never coded and is not ranked.
    On the common step ``0 -> +1`` the second factor is larger in 3 of 4 draws; on its observed
    step ``-1 -> +1`` (two steps of code) the first one would look larger:

    >>> import numpy as np
    >>> from bayesstreams.data.codebook import Codebook, Factor
    >>> from bayesstreams.data.dataset import Dataset
    >>> nan = np.nan
    >>> book = Codebook((Factor("p1_a", 1, "problem"), Factor("p1_b", 1, "policy"), Factor("p1_c", 1, "politics")))
    >>> x = np.array([[1, 1, nan], [-1, 0, nan], [0, 1, nan]])
    >>> data = Dataset("demo", "", book, [{"case_id": f"c{i}"} for i in range(3)], [], x,
    ...                np.zeros((3, 2)), np.full((3, 2, 3), nan), np.full(3, -1), ())
    >>> draws = {"a": np.zeros((4, 2)), "delta": np.zeros(4),
    ...          "beta": np.array([[1, 1.5, 0], [1, 1.5, 5], [1.5, 1, 5], [1, 1.5, 5.]])}
    >>> ranks = effect_ranks(draws, data).query("window == 'W1'")
    >>> ranks[["factor", "step", "rank", "p_rank1"]].values.tolist()
    [['p1_b', '0 -> +1', 1, 0.75], ['p1_a', '0 -> +1', 2, 0.25]]
    >>> ranks[["factor", "observed_step", "observed_p_rank1"]].values.tolist()
    [['p1_b', '0 -> +1', 0.0], ['p1_a', '-1 -> +1', 1.0]]
    """
    import pandas as pd

    ace = ace_draws(posterior, dataset, base)
    observed = headline_contrasts(dataset, na_as)
    seen = observed_codes(dataset, None)
    labels = [label for label, _, _ in CONTRASTS]
    index = {f: k for k, f in enumerate(dataset.factor_ids)}
    frames = []
    for w, (window, (factors, common)) in enumerate(common_step_draws(posterior, dataset, base, na_as).items()):
        if not factors:
            continue
        members = [index[f] for f in factors]
        frame = pd.DataFrame({"window": window, "factor": factors, "contrast": COMMON, "step": STEPS[COMMON],
                              "extrapolated": [not (seen[k, CODES.index(0.0)] and seen[k, CODES.index(1.0)])
                                               for k in members],
                              **_ranked(common, top)})
        frame["observed_contrast"] = [observed[k] for k in members]
        frame["observed_step"] = [STEPS[observed[k]] if observed[k] else None for k in members]
        with_step = [j for j, k in enumerate(members) if observed[k] is not None]
        for column in ("observed_mean", "observed_rank", "observed_p_rank1", "observed_p_top3"):
            frame[column] = np.nan  # a factor without an observed step has none of these (the rank too: NaN)
        if with_step:
            own = np.column_stack([ace[:, members[j], w, labels.index(observed[members[j]])] for j in with_step])
            for key, values in _ranked(own, top).items():
                frame.loc[with_step, f"observed_{key}"] = values
        frames.append(frame.sort_values("rank"))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]
