"""What the data taught: prior-to-posterior contraction (MODEL.md §4).

For every scalar of every parameter, and for the headline queries, the contraction is::

    contraction = 1 - var_posterior / var_prior

computed from the run's prior draws (``run.prior``) and posterior draws (``run.posterior``);
a query is evaluated on both sets of draws with the same kernels
(:mod:`bayesstreams.analysis.queries`).  1 means the data pinned the quantity down, 0 means the
posterior is as wide as the prior (the number is the prior's, not the data's), and a
negative value means the posterior is wider than the prior (possible when the data pull
a quantity into a region where it varies more, e.g. probabilities moving towards 0.5).

The flag ``prior_driven`` marks contraction below :data:`PRIOR_DRIVEN_BELOW` = 0.1.
Why 0.1:

* a contraction of 0.1 leaves the posterior standard deviation at ``sqrt(0.9)`` = 95% of
  the prior's: the data removed about 5% of the uncertainty, which no reader would call
  learned from the data;
* it is about the Monte Carlo noise of the ratio itself: the relative standard error of a
  variance estimated from ``n`` effective draws is about ``sqrt(2 / n)``, so with the few
  hundred effective draws of a small run (n = 400: 7% per variance, about 10% for the
  ratio of two) a contraction below 0.1 cannot be told apart from none.

A quantity with no prior variance (a constant) gets NaN contraction and is not flagged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.errors import RunError
from bayesstreams.analysis.queries import (CONTRASTS, ace_draws, baseline, dependency_draws, model_kind, run_baseline,
                                           run_prior_baseline, windows)
from bayesstreams.model.evidence import code_coords
from bayesstreams.model.kinds import var_dims

if TYPE_CHECKING:  # pandas is imported where tables are built: the per-draw kernels serve `score` without it
    import pandas as pd

PRIOR_DRIVEN_BELOW = 0.1
COLUMNS = ("source", "name", "index", "prior_mean", "posterior_mean", "prior_sd", "posterior_sd",
           "contraction", "prior_driven")


def contraction(prior_samples: np.ndarray, posterior_samples: np.ndarray) -> np.ndarray:
    """``1 - var_post / var_prior`` over the first (sample) axis; NaN where the prior variance is 0."""
    var_prior = np.var(np.asarray(prior_samples, dtype=float), axis=0)
    var_post = np.var(np.asarray(posterior_samples, dtype=float), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var_prior > 0, 1.0 - var_post / np.where(var_prior > 0, var_prior, 1.0), np.nan)


def contraction_frame(source: str, name: str, index: list[str], prior_samples: np.ndarray,
                      posterior_samples: np.ndarray) -> pd.DataFrame:
    """Rows of one quantity: ``prior_samples`` (prior draw, n) and ``posterior_samples`` (draw, n)."""
    import pandas as pd

    prior_samples = np.asarray(prior_samples, dtype=float).reshape(len(prior_samples), -1)
    posterior_samples = np.asarray(posterior_samples, dtype=float).reshape(len(posterior_samples), -1)
    value = contraction(prior_samples, posterior_samples)
    return pd.DataFrame({
        "source": source, "name": name, "index": list(index),
        "prior_mean": prior_samples.mean(axis=0), "posterior_mean": posterior_samples.mean(axis=0),
        "prior_sd": prior_samples.std(axis=0), "posterior_sd": posterior_samples.std(axis=0),
        "contraction": value, "prior_driven": value < PRIOR_DRIVEN_BELOW,
    }, columns=list(COLUMNS))


def scalar_labels(name: str, shape: tuple[int, ...], dataset, kind: str) -> list[str]:
    """A label per scalar of a parameter, e.g. ``"p1_media"`` or ``"1, problem"`` (C order)."""
    coords = {"phase": [str(p) for p in PHASES], "stream": list(STREAMS), "factor": list(dataset.factor_ids),
              "group": list(dataset.groups), **code_coords()}
    try:
        dims = var_dims(name, kind)
    except KeyError:
        dims = None
    if dims is None or len(dims) != len(shape) or any(len(coords[d]) != n for d, n in zip(dims, shape)):
        return [", ".join(str(i) for i in index) for index in np.ndindex(*shape)]
    return [", ".join(coords[d][i] for d, i in zip(dims, index)) for index in np.ndindex(*shape)]


def _require_prior(prior: dict) -> None:
    if not prior:
        raise RunError("the run holds no prior draws: contraction needs them (refit with `bayesstreams fit`)")


def parameter_contraction(prior: dict, posterior: dict, dataset) -> pd.DataFrame:
    """Contraction of every scalar of every parameter present in both the prior and the posterior draws."""
    import pandas as pd

    _require_prior(prior)
    kind = model_kind(posterior)
    frames = [contraction_frame("parameter", name, scalar_labels(name, posterior[name].shape[1:], dataset, kind),
                                prior[name], posterior[name])
              for name in posterior if name in prior]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))


def _query_draws(draws: dict, dataset, base=None) -> dict[str, np.ndarray]:
    """The headline queries per draw: ACE (+1 vs -1) per factor, dependency effect, per-case P(W1), P(W2).

    ``base``: a :class:`~bayesstreams.analysis.queries.Baseline` of ``draws`` on ``dataset`` to share.
    """
    contrast = [label for label, _, _ in CONTRASTS].index("+1 vs -1")
    base = base if base is not None else baseline(draws, dataset)
    ace = ace_draws(draws, dataset, base)[..., contrast]
    phase_one = np.asarray(dataset.factor_phase) == 0
    w = windows(base)
    return {"ace_w1": ace[:, phase_one, 0], "ace_w2": ace[:, :, 1],
            "dependency_effect": dependency_draws(draws, dataset, base)[:, None], "p_w1": w.p1, "p_w2": w.p2}


def query_contraction(prior: dict, posterior: dict, dataset, bases: tuple | None = None) -> pd.DataFrame:
    """Contraction of the headline queries, each computed on the prior and on the posterior draws.

    Rows: ``ace_w1`` (phase-1 factors) and ``ace_w2`` (all factors; phase-1 factors through
    W1), both for the contrast do(x=+1) vs do(x=-1), indexed by factor; ``dependency_effect``;
    ``p_w1`` and ``p_w2`` indexed by case.
    """
    import pandas as pd

    _require_prior(prior)
    bases = bases or (None, None)  # the baselines of the prior and the posterior draws, when shared
    before, after = _query_draws(prior, dataset, bases[0]), _query_draws(posterior, dataset, bases[1])
    factors = np.asarray(dataset.factor_ids)
    index = {"ace_w1": list(factors[np.asarray(dataset.factor_phase) == 0]), "ace_w2": list(factors),
             "dependency_effect": [""], "p_w1": list(dataset.case_ids), "p_w2": list(dataset.case_ids)}
    frames = [contraction_frame("query", name, index[name], before[name], after[name]) for name in before]
    return pd.concat(frames, ignore_index=True)


def what_the_data_taught(run) -> pd.DataFrame:
    """Parameter and query contraction of a run (``run.prior``, ``run.posterior``, ``run.dataset``) in one table."""
    import pandas as pd

    return pd.concat([parameter_contraction(run.prior, run.posterior, run.dataset),
                      query_contraction(run.prior, run.posterior, run.dataset,
                                        (run_prior_baseline(run), run_baseline(run)))], ignore_index=True)


def contraction_sentence(frame: pd.DataFrame) -> str:
    """A plain sentence on how much of a contraction table is prior-driven, for reports."""
    parts = []
    for source, noun in (("parameter", "parameter scalars"), ("query", "headline query values")):
        rows = frame[(frame["source"] == source) & frame["contraction"].notna()]
        if len(rows):
            flagged = int(rows["prior_driven"].sum())
            parts.append(f"{flagged} of {len(rows)} {noun} ({100 * flagged / len(rows):.0f}%)")
    if not parts:
        return "No contraction could be computed."
    return (" and ".join(parts) + f" are prior-driven: the data narrowed their uncertainty by less than "
            f"{PRIOR_DRIVEN_BELOW:.0%} of the prior variance, so these numbers mostly restate the prior.")
