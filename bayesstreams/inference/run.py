"""One fitted model of one dataset: the :class:`Run`, a plain record.

A run holds the dataset, the model file, the posterior and prior draws (flattened to
``(sample, ...)`` arrays, chain-major: the fast path for queries), the pointwise
log-likelihood, typed diagnostics, the power-scaling importance weights and its provenance
(``info``: seed, sampler, settings, versions, timings, hashes).  The ArviZ DataTree with
labelled dims is :meth:`Run.tree`.

A run answers no questions itself: the queries are pure functions of the runs they are
given (:mod:`bayesstreams.analysis`), reached through a :class:`~bayesstreams.inference.study.Study`
(``study.q.effects()``).  Saving and loading live in :mod:`bayesstreams.inference.store` (``save_run``, ``load_run``).
Nothing here imports a layer above inference, recompiles a model or imports PyMC.

Examples
--------
>>> run.kind.name, run.n_samples == run.log_likelihood.shape[0], run.diagnostics.passed
('streams', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from pathlib import Path

import numpy as np

from bayesstreams.data.dataset import Dataset
from bayesstreams.errors import RunError
from bayesstreams.inference.diagnostics import Diagnostics
from bayesstreams.inference.imports import import_xarray
from bayesstreams.model.config import ModelConfig

if TYPE_CHECKING:  # xarray is imported where a tree is built: `score` never needs one
    import xarray as xr


@dataclass(eq=False)
class Run:
    """A fitted model: data, model file, draws, diagnostics and provenance.

    Attributes
    ----------
    dataset : the validated :class:`~bayesstreams.data.dataset.Dataset`.
    config : the :class:`~bayesstreams.model.config.ModelConfig` (kind, priors, sampler settings).
    posterior, prior : ``{name: array}`` with the sample first (prior: NumPy draws from the priors).
    log_likelihood : (sample, case) pointwise log-likelihood, or ``None``.
    diagnostics : :class:`~bayesstreams.inference.diagnostics.Diagnostics`, or ``None`` (a fake).
    info : provenance, as written to ``run.json``.
    path : the run folder once saved or loaded, else ``None``.
    trace : the sampler's DataTree while it is in memory (``tree()`` reads it from ``path`` otherwise).
    power_weights : the power-scaling importance weights of the posterior draws by power
        (:mod:`bayesstreams.inference.power`), saved with the run.
    power_khat : the Pareto ``k`` of each power's weights, saved with them (power-scaling is read
        only where ``k < 0.7``).
    memo : derived per-run values that the queries compute once and share (the baseline of
        the posterior); filled by :mod:`bayesstreams.analysis`, never saved, never compared.

    Examples
    --------
    >>> sorted(run.posterior)[:3], run.config.kind
    (['alpha', 'beta', 'kappa'], 'streams')
    """

    dataset: Dataset
    config: ModelConfig
    posterior: dict[str, np.ndarray]
    prior: dict[str, np.ndarray]
    log_likelihood: np.ndarray | None = None
    diagnostics: Diagnostics | None = None
    info: dict = field(default_factory=dict)
    path: Path | None = None
    trace: xr.DataTree | None = field(default=None, repr=False)
    power_weights: dict[float, np.ndarray] = field(default_factory=dict, repr=False)
    power_khat: dict[float, float] = field(default_factory=dict, repr=False)
    memo: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ what it is

    @property
    def kind(self):
        """The model kind object (:mod:`bayesstreams.model.kinds`)."""
        return self.config.model_kind

    @property
    def n_samples(self) -> int:
        """Posterior draws over all chains."""
        return int(next(iter(self.posterior.values())).shape[0])

    @property
    def n_chains(self) -> int:
        """Chains the draws came from (1 for a run without sampler settings); the draws are chain-major."""
        chains = int(self.info.get("settings", {}).get("chains", 1) or 1)
        return chains if self.n_samples % chains == 0 else 1

    @property
    def seed(self) -> int:
        """The seed the run was fitted with (companion refits reuse it)."""
        return int(self.info.get("seed", 20200601))

    @property
    def settings(self) -> dict:
        """The sampler settings the run was fitted with (companion refits reuse them)."""
        return dict(self.info.get("settings", {}))

    @property
    def label(self) -> str:
        """How messages name the run: its folder, else its model file's name."""
        return str(self.path) if self.path is not None else f"the {self.config.name} run in memory"

    def same_data(self, other: "Run") -> bool:
        """True when ``other`` was fitted to exactly this run's dataset (content hash).

        Examples
        --------
        >>> run.same_data(run)
        True
        """
        return other.dataset.content_hash() == self.dataset.content_hash()

    def tree(self) -> xr.DataTree:
        """The ArviZ DataTree: posterior, sample_stats, prior and log_likelihood groups, labelled dims.

        Examples
        --------
        >>> tree = run.tree()
        >>> tree["posterior"]["beta"].dims
        ('chain', 'draw', 'factor')
        """
        if self.trace is not None:
            return self.trace
        if self.path is None:
            raise RunError("this run has no trace in memory and no folder to read one from")
        xr = import_xarray()  # decoding the file asks, of each array, whether it is a dask array (see import_xarray)
        with xr.open_datatree(self.path / "trace.nc", engine="h5netcdf") as tree:
            self.trace = tree.load()
        return self.trace

    def case_id(self, case: str) -> str:
        """The case id of ``case``, given as an id or a name (case-insensitive).

        Examples
        --------
        >>> run.case_id("gemeente 5"), run.case_id("g5")
        ('g5', 'g5')
        """
        return self.dataset.resolve_case(case)
