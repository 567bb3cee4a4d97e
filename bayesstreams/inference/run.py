"""One fitted model of one dataset: the :class:`Run`, in memory after ``fit`` and loaded from disk alike.

A run holds the dataset, the model file, the posterior and prior draws (flattened to
``(sample, ...)`` arrays, chain-major: the fast path for queries), the pointwise
log-likelihood, typed diagnostics and its provenance (``info``: seed, sampler, settings,
versions, timings, hashes).  The ArviZ DataTree with labelled dims is :meth:`Run.tree`.

Queries are methods that return tidy pandas tables (the same numbers as the CLI and the
report); they share one :attr:`Run.baseline` (the per-draw window probabilities at the
coded values), computed once per run.  Nothing here recompiles a model or imports PyMC.

Examples
--------
>>> run.effects().query("quantity == 'ace' and window == 'W1' and contrast == '+1 vs -1'").shape[0]
23
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np


@dataclass(eq=False)
class Run:
    """A fitted model: data, model file, draws, diagnostics and provenance.

    Attributes
    ----------
    dataset : the validated :class:`~bayesstreams.data.dataset.Dataset`.
    config : the :class:`~bayesstreams.model.config.ModelConfig` (kind, priors, sampler settings).
    posterior, prior : ``{name: array}`` with the sample first (prior: NumPy draws from the priors).
    log_likelihood : (sample, case) pointwise log-likelihood, or ``None``.
    diagnostics : :class:`~bayesstreams.inference.diagnostics.Diagnostics`, or ``None``.
    info : provenance, as written to ``run.json``.
    path : the run folder once saved or loaded, else ``None``.
    power_weights : the power-scaling importance weights of the posterior draws by power (saved with
        the run, so that measuring prior dependence on a loaded run needs NumPy only).

    Examples
    --------
    >>> run.kind.name, run.n_samples == run.log_likelihood.shape[0], run.diagnostics.passed
    ('streams', True, True)
    """

    dataset: object
    config: object
    posterior: dict
    prior: dict
    log_likelihood: np.ndarray | None = None
    diagnostics: object = None
    info: dict = field(default_factory=dict)
    path: Path | None = None
    trace: object = field(default=None, repr=False)
    power_weights: dict = field(default_factory=dict, repr=False)  # alpha -> importance weights (sample,)

    # ------------------------------------------------------------------ what it is

    @property
    def kind(self):
        """The model kind object (:mod:`bayesstreams.model.kinds`)."""
        return self.config.model_kind

    @property
    def n_samples(self) -> int:
        return int(next(iter(self.posterior.values())).shape[0])

    @property
    def n_chains(self) -> int:
        return int(self.info.get("settings", {}).get("chains", 1))

    @cached_property
    def baseline(self):
        """Per-draw quantities at the coded factor values, shared by every query of this run."""
        from bayesstreams.analysis.queries import baseline

        return baseline(self.posterior, self.dataset)

    def tree(self):
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
            raise ValueError("this run has no trace in memory and no folder to read one from")
        import xarray as xr

        with xr.open_datatree(self.path / "trace.nc", engine="h5netcdf") as tree:
            self.trace = tree.load()
        return self.trace

    def save(self, path, force: bool = False, command: str | None = None) -> Path:
        """Write the run folder atomically (see :mod:`bayesstreams.inference.store`); returns its path.

        An existing folder is never replaced unless ``force``.

        Examples
        --------
        >>> run.save(tmp / "run").name
        'run'
        """
        from bayesstreams.inference.store import save_run

        self.path = save_run(self, path, force=force, command=command)
        return self.path

    # ------------------------------------------------------------------ queries (tidy tables)

    def effects(self):
        """Factor effects: ``beta`` and the average causal effects on W1 and W2 (one row per quantity).

        Examples
        --------
        >>> table = run.effects()
        >>> sorted(table["quantity"].unique()), list(table.columns[-6:])
        (['ace', 'beta'], ['mean', 'q05', 'q25', 'q75', 'q95', 'p_gt_0'])
        """
        from bayesstreams.analysis.queries import factor_importance

        return factor_importance(self.posterior, self.dataset, base=self.baseline)

    def streams(self):
        """Per phase and stream: ``mu``, ``tau`` and the mean effect of the stream's factors.

        Examples
        --------
        >>> sorted(run.streams()["quantity"].unique())
        ['mean_ace', 'mu', 'tau']
        """
        from bayesstreams.analysis.queries import stream_summary

        return stream_summary(self.posterior, self.dataset, base=self.baseline)

    def dependency(self):
        """The phase dependency: its parameter and the effect of W1 on P(W2).

        Examples
        --------
        >>> list(run.dependency()["quantity"])
        ['rho', 'dependency_effect']
        """
        from bayesstreams.analysis.queries import phase_dependency

        return phase_dependency(self.posterior, self.dataset, base=self.baseline)

    def cases(self):
        """In-sample P(W1), P(W2) and P(W2 | W1 = 1) per case.

        Examples
        --------
        >>> cases = run.cases()
        >>> len(cases), sorted(cases["quantity"].unique())
        (24, ['p_w1', 'p_w2', 'p_w2_given_w1'])
        """
        from bayesstreams.analysis.queries import case_predictions

        return case_predictions(self.posterior, self.dataset, base=self.baseline)

    def activation(self):
        """Stream activation ``q`` per case, phase and stream (kinds with streams only).

        Examples
        --------
        >>> len(run.activation())  # 8 cases x 2 phases x 3 streams
        48
        """
        from bayesstreams.analysis.queries import stream_activation

        return stream_activation(self.posterior, self.dataset, base=self.baseline)

    def bottlenecks(self):
        """The weakest stream of each case and phase (kinds with streams only).

        Examples
        --------
        >>> list(run.bottlenecks().columns)
        ['case_id', 'phase', 'stream', 'q_mean', 'p_lowest']
        """
        from bayesstreams.analysis.queries import bottlenecks

        return bottlenecks(self.posterior, self.dataset, base=self.baseline)

    def necessity(self):
        """Probability of necessity of each factor for each window that opened.

        Examples
        --------
        >>> set(run.necessity()["case_id"]) <= {"g2", "g6", "g7", "g8"}  # the cases with an open window
        True
        """
        from bayesstreams.analysis.queries import necessity

        return necessity(self.posterior, self.dataset, base=self.baseline)

    def levers(self, case: str | None = None, min_gain: float | None = None):
        """Levers (gain from ``do(x = +1)``) per case, ranked; ``case`` (an id or a name) keeps one case.

        Examples
        --------
        >>> levers = run.levers("g5")
        >>> set(levers["case_id"]), int(levers["rank"].min())
        ({'g5'}, 1)
        """
        from bayesstreams.analysis.queries import DEFAULT_MIN_GAIN, levers

        table = levers(self.posterior, self.dataset, DEFAULT_MIN_GAIN if min_gain is None else min_gain,
                       base=self.baseline)
        if case is None:
            return table
        return table[table["case_id"] == self.case_id(case)].reset_index(drop=True)

    def advice(self, case: str, threshold: float = 0.5):
        """What one case can act on, given its codes, coded streams and known windows (MODEL.md §9).

        The same as :func:`bayesstreams.analysis.advice.case_advice`: target window, levers,
        find-out-first factors, plans, bottlenecks and necessity given the evidence.

        Examples
        --------
        >>> advice = run.advice("g6")  # phase 1 opened, phase 2 did not
        >>> advice.target, [e["phase"] for e in advice.levers][:1]
        ('W2', [2])
        """
        from bayesstreams.analysis.advice import case_advice

        return case_advice(self, case, threshold)

    def what_it_takes(self, case: str, threshold: float = 0.5):
        """The smallest sets of up to 3 factor changes that bring the case's target window over ``threshold``.

        Examples
        --------
        >>> plans = run.what_it_takes("Gemeente 5")
        >>> list(plans["after"].unique())  # phase 1 first, then phase 2 once phase 1 is open
        ['', 'W1 open']
        """
        from bayesstreams.analysis.advice import what_it_takes

        return what_it_takes(self, case, threshold)

    def compare_cases(self, a: str, b: str, min_gain: float = 0.05, check_run=None):
        """Case A beside case B: codes, chances, windows and what separates them (``bs.compare_cases``).

        Examples
        --------
        >>> comparison = run.compare_cases("g5", "Gemeente 2")
        >>> comparison.a.case_id, comparison.b.w1, comparison.window
        ('g5', 1.0, 'W1')
        """
        from bayesstreams.analysis.compare_cases import compare_cases

        return compare_cases(self, a, b, min_gain=min_gain, check_run=check_run)

    def support(self):
        """What the data can tell of each factor: code counts, no data, separating (MODEL.md §8).

        Examples
        --------
        >>> support = run.support()
        >>> support.set_index("factor").loc["p2_framing", "label"]
        'no data: prior only'
        """
        from bayesstreams.data.support import data_support

        return data_support(self.dataset)

    def raw(self):
        """The raw-data view a reviewer checks first: W1 x W2 and each factor's codes against each window.

        Examples
        --------
        >>> run.raw().phase2_given_phase1()  # (reached phase 2, of) with and without a phase-1 window
        {'with': (3, 4), 'without': (0, 4)}
        """
        from bayesstreams.data.raw_view import raw_view

        return raw_view(self.dataset)

    def ranks(self):
        """P(rank 1) and P(top 3) of every factor's effect on each window, from the draws.

        Examples
        --------
        >>> ranks = run.ranks()
        >>> {"factor", "window"} <= set(ranks.columns)
        True
        """
        from bayesstreams.analysis.ranks import effect_ranks

        return effect_ranks(self.posterior, self.dataset, base=self.baseline)

    def prior_dependence(self, check_run=None):
        """Which headline numbers are prior-driven: moved by a wider prior or power-scaling (MODEL.md §8).

        ``check_run`` is the wide-prior refit (``bayesstreams.inference.check_run.check_run(run)``);
        without it, the refit saved beside this run is used when there is one, else power-scaling alone.

        Examples
        --------
        >>> measured = run.prior_dependence()
        >>> n, total = measured.count()
        >>> 0 <= n <= total
        True
        """
        from bayesstreams.analysis.prior_dependence import prior_dependence
        from bayesstreams.inference.check_run import find_check_run

        return prior_dependence(self, check_run if check_run is not None else find_check_run(self))

    def claims(self, check_run=None):
        """The verdict on each claim of the source study (``claims.toml``): supported, contradicted or cannot tell.

        Examples
        --------
        >>> [(v.claim_id, v.verdict) for v in run.claims()][0]
        ('phase2_needs_phase1', 'cannot_tell')
        """
        from bayesstreams.analysis.claims import claim_verdicts

        return claim_verdicts(self, getattr(self.dataset, "claims", ()), self.prior_dependence(check_run))

    def mode_comparison(self, others=None):
        """The headline numbers beside the same numbers under the other not-discussed modes (MODEL.md §7).

        ``others`` are the comparison runs (loaded or folders); without them, the ones saved beside
        this run (``<run>-nd-<mode>``, :mod:`bayesstreams.inference.mode_runs`) that still fit.

        Examples
        --------
        >>> run.mode_comparison().in_force           # the shipped default reads not discussed as 0
        'zero'
        """
        from bayesstreams.analysis.mode_comparison import mode_comparison
        from bayesstreams.inference.mode_runs import find_mode_runs

        return mode_comparison(self, find_mode_runs(self) if others is None else others)

    def not_discussed(self):
        """Per case and window: the chance's range over every completion of the not-discussed cells, as a table.

        Examples
        --------
        >>> table = run.not_discussed()
        >>> bool(((table["low"] <= table["mean"]) & (table["mean"] <= table["high"])).all())
        True
        """
        from bayesstreams.analysis.mode_comparison import not_discussed_reliance, reliance_frame

        return reliance_frame(not_discussed_reliance(self))

    def contraction(self):
        """Prior-to-posterior contraction of every parameter and headline query.

        Examples
        --------
        >>> sorted(run.contraction()["source"].unique())
        ['parameter', 'query']
        """
        from bayesstreams.analysis.contraction import what_the_data_taught

        return what_the_data_taught(self)

    def tables(self) -> dict:
        """Every query table, keyed by name (what the report shows).

        Examples
        --------
        >>> sorted(run.tables())[:3]
        ['bottlenecks', 'case_predictions', 'factor_importance']
        """
        from bayesstreams.analysis.queries import query_tables

        return query_tables(self)

    def score(self, profile, top_levers: int = 3):
        """Score coded profiles of cases not in the data (a file path); the same as ``bayesstreams score``.

        Examples
        --------
        >>> _ = (tmp / "profile.csv").write_text("case_id,factor,code\\nnew,p1_insight,1\\n")
        >>> [case.case_id for case in run.score(tmp / "profile.csv").cases]
        ['new']
        """
        from bayesstreams.analysis.scoring import score_profiles

        return score_profiles(self, profile, top_levers=top_levers)

    def explore(self, out, lang: str = "nl", draws: int = 400, force: bool = False):
        """Write the what-if page of this run (one self-contained HTML file); the same as ``bayesstreams explore``.

        Examples
        --------
        >>> run.explore(tmp / "what-if.html", lang="en", draws=50).name
        'what-if.html'
        """
        from bayesstreams.reporting.explore_page import write_explore

        return write_explore(self, out, lang=lang, draws=draws, force=force)

    def case_id(self, case: str) -> str:
        """The case id of ``case``, given as an id or a name (case-insensitive).

        Examples
        --------
        >>> run.case_id("gemeente 5"), run.case_id("g5")
        ('g5', 'g5')
        """
        return self.dataset.resolve_case(case)
