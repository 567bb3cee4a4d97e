"""Per-draw window probabilities: the shape every model kind hands to the queries.

A model kind computes a :class:`Baseline` of a posterior (or prior) at the coded factor
values once, and :class:`Windows` from it, at the codes or under an intervention
``do(x[:, k] = v)``.  The queries in :mod:`bayesstreams.analysis.queries` only read these
two records, so they need no branch on the model kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesstreams.model.likelihood import stream_product


@dataclass(frozen=True)
class Windows:
    """Per-draw window probabilities, each (sample, case).

    Attributes
    ----------
    p1 : P(W1 = 1 | x).
    p2_open : P(W2 = 1 | x, W1 = 1) (``pibar2`` in the streams model).
    p2_closed : P(W2 = 1 | x, W1 = 0) (``pibar2 * rho`` in the streams model).
    """

    p1: np.ndarray
    p2_open: np.ndarray
    p2_closed: np.ndarray

    @property
    def p2(self) -> np.ndarray:
        """P(W2 = 1 | x), marginal over W1: ``p2_open * p1 + p2_closed * (1 - p1)``."""
        return self.p2_open * self.p1 + self.p2_closed * (1.0 - self.p1)


@dataclass(frozen=True)
class Baseline:
    """Per-draw quantities at the coded factor values, shared by every intervention.

    ``eta`` is (sample, case, phase, stream) for the streams model and (sample, case, phase)
    for the additive one; ``q`` and ``pibar`` are filled by kinds that have streams only.
    ``kind`` is the model kind's name (:func:`bayesstreams.model.kinds.get_kind`).
    """

    kind: str
    draws: dict
    x: np.ndarray
    factor_phase: np.ndarray
    factor_stream: np.ndarray
    eta: np.ndarray
    q: np.ndarray | None = None
    pibar: np.ndarray | None = None
    _others: dict = field(default_factory=dict, repr=False, compare=False)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # per-draw results shared by queries

    @property
    def has_streams(self) -> bool:
        return self.q is not None

    def q_others(self, p: int, s: int) -> np.ndarray:
        """prod of ``q`` over the streams of phase ``p`` other than ``s`` (sample, case), computed once."""
        if (p, s) not in self._others:
            self._others[p, s] = stream_product(np.delete(self.q[:, :, p, :], s, axis=-1))
        return self._others[p, s]
