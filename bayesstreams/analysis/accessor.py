"""``study.q``: every query of a study by one name, with one vocabulary of inputs and outputs.

Each method is a pure function of the study's runs (the main run and the companions the
query needs: the wide-prior refit for prior dependence, the other not-discussed modes for
the mode comparison); nothing here reads the disk or recompiles a model.  Tables are pandas
summaries of the per-draw quantities; ``draws=True`` returns those quantities themselves as
labelled xarray (:mod:`bayesstreams.analysis.draws`), and ``quantiles`` sets the summary's
interval bounds.  Cases are named by id or name (any letter case).

The accessor is registered on :class:`~bayesstreams.inference.study.Study` when
:mod:`bayesstreams.analysis` is imported (``import bayesstreams as bs`` does it on first use of
``bs.load_study``, ``bs.fit_study`` or ``bs.analyze``).  The query methods that :class:`Run`
had before (``run.effects()`` ...) still work for one release, with a ``DeprecationWarning``:
they answer for ``Study.of(run)``, the run alone (no companion is looked up on disk).

Examples
--------
>>> study = Study.of(run)
>>> study.q.effects().query("quantity == 'ace' and window == 'W1' and contrast == '+1 vs -1'").shape[0]
23
>>> study.q.cases(draws=True)["p_w1"].dims
('draw', 'case')
"""

from __future__ import annotations

import functools
import warnings

from bayesstreams.analysis.advice import case_advice, necessity, what_it_takes
from bayesstreams.analysis.claims import claim_verdicts, source_effects, source_levers
from bayesstreams.analysis.compare_cases import compare_cases
from bayesstreams.analysis.contraction import what_the_data_taught
from bayesstreams.analysis.fragility import fragility
from bayesstreams.analysis.identification import cases_needed, rho_identification
from bayesstreams.analysis.voi import next_evidence
from bayesstreams.analysis.mode_comparison import mode_comparison, not_discussed_reliance, reliance_frame, run_mode
from bayesstreams.analysis.prior_dependence import prior_dependence
from bayesstreams.analysis.queries import (DEFAULT_MIN_GAIN, bottlenecks, case_predictions, factor_importance,
                                           levers, phase_dependency, query_tables, run_baseline,
                                           stream_activation, stream_summary)
from bayesstreams.analysis.ranks import effect_ranks
from bayesstreams.analysis.scoring import score_profiles
from bayesstreams.data.raw_view import raw_view
from bayesstreams.data.support import data_support
from bayesstreams.inference.run import Run
from bayesstreams.inference.store import save_run  # noqa: F401  (the docstring examples save a run)
from bayesstreams.inference.study import Study, register_accessor


def _per_draw():
    """:mod:`bayesstreams.analysis.draws`, imported on first use: it needs xarray and pandas, which `score` never loads."""
    from bayesstreams.analysis import draws  # lazy: xarray and pandas, which `score` never loads

    return draws


@register_accessor("q")
class Queries:
    """The queries of one study (``study.q``)."""

    def __init__(self, study: Study):
        self._study = study

    @property
    def run(self) -> Run:
        return self._study.run

    def _table(self, function, quantiles, **kwargs):
        return function(self.run.posterior, self.run.dataset, base=run_baseline(self.run), quantiles=quantiles,
                        **kwargs)

    # ------------------------------------------------------------ effects and streams

    def effects(self, draws: bool = False, quantiles=None):
        """Factor effects: ``beta`` and the average causal effects on W1 and W2.

        A table (one row per quantity, :func:`~bayesstreams.analysis.queries.factor_importance`),
        or with ``draws`` the per-draw ``beta`` (draw, factor) and ``ace`` (draw, factor, window, contrast).

        Examples
        --------
        >>> Study.of(run).q.effects(quantiles=(0.1, 0.9)).columns[-4:].tolist()
        ['mean', 'q10', 'q90', 'p_gt_0']
        """
        return _per_draw().effect_draws(self.run) if draws else self._table(factor_importance, quantiles)

    def streams(self, quantiles=None):
        """Per phase and stream: ``mu``, ``tau`` and the mean effect of the stream's factors.

        Examples
        --------
        >>> sorted(study.q.streams()["quantity"].unique())
        ['mean_ace', 'mu', 'tau']
        """
        return self._table(stream_summary, quantiles)

    def dependency(self, draws: bool = False, quantiles=None):
        """The phase dependency: its parameter and the effect of W1 on P(W2) (per draw with ``draws``).

        Examples
        --------
        >>> list(study.q.dependency()["quantity"]), study.q.dependency(draws=True)["rho"].dims
        (['rho', 'dependency_effect'], ('draw',))
        """
        return _per_draw().dependency_draws_xr(self.run) if draws else self._table(phase_dependency, quantiles)

    def identify_rho(self, n_new: int = 1, codes: dict | None = None):
        """How much ``n_new`` cases without a phase-1 window but with moving phase-2 streams would tell about ``rho``.

        The expected posterior sd and 90% width of ``rho`` after adding them, each outcome of their
        phase-2 windows with its predictive chance, Pareto k and verdict, and the Monte Carlo error
        (:func:`~bayesstreams.analysis.identification.rho_identification`; streams model only).

        Examples
        --------
        >>> found = study.q.identify_rho()
        >>> found.expected_sd < found.sd_now, found.in_data   # no such municipality in the shipped study
        (True, [])
        """
        return rho_identification(self.run, n_new, codes)

    def cases_to_identify_rho(self, max_new: int = 12, codes: dict | None = None):
        """The fewest such cases whose expected sd of ``rho`` passes the contraction rule (None: not within ``max_new``).

        Examples
        --------
        >>> needed = study.q.cases_to_identify_rho()
        >>> needed is not None and needed.expected_sd <= needed.sd_limit
        True
        """
        return cases_needed(self.run, max_new, codes)

    def cases(self, draws: bool = False, quantiles=None):
        """In-sample P(W1), P(W2) and P(W2 | W1 = 1) per case, from the codes (per draw with ``draws``).

        Examples
        --------
        >>> table, draws = study.q.cases(), study.q.cases(draws=True)
        >>> mean = float(table.query("case_id == 'g5' and quantity == 'p_w1'")["mean"].iloc[0])
        >>> abs(mean - float(draws["p_w1"].sel(case="g5").mean())) < 1e-12
        True
        """
        return _per_draw().case_draws(self.run) if draws else self._table(case_predictions, quantiles)

    def activation(self, draws: bool = False, quantiles=None):
        """Stream activation ``q`` per case, phase and stream (kinds with streams only).

        Examples
        --------
        >>> len(study.q.activation()), study.q.activation(draws=True).dims  # 8 cases x 2 phases x 3 streams
        (48, ('draw', 'case', 'phase', 'stream'))
        """
        return _per_draw().activation_draws(self.run) if draws else self._table(stream_activation, quantiles)

    def bottlenecks(self):
        """The weakest stream of each case and phase (kinds with streams only).

        Examples
        --------
        >>> list(study.q.bottlenecks().columns)
        ['case_id', 'phase', 'stream', 'q_mean', 'p_lowest']
        """
        return bottlenecks(self.run.posterior, self.run.dataset, base=run_baseline(self.run))

    def necessity(self, quantiles=None):
        """Probability of necessity of each factor for each window that opened, given what is known of the case.

        The one definition the case advice shares (:func:`~bayesstreams.analysis.advice.necessity`):
        ``P(W stays closed under do(x_k = -1) | evidence)``, for factors the case coded ``+1`` that have data.

        Examples
        --------
        >>> table = study.q.necessity()
        >>> set(table["case_id"]) <= {"g2", "g6", "g7", "g8"}, bool(table["mean"].between(0, 1).all())  # cases with an open window
        (True, True)
        """
        return self._table(necessity, quantiles)

    def levers(self, case: str | None = None, min_gain: float | None = None, quantiles=None):
        """Levers (gain from ``do(x = +1)``) per case from the codes only, ranked; ``case`` keeps one case.

        Examples
        --------
        >>> levers = study.q.levers("g5")
        >>> set(levers["case_id"]), int(levers["rank"].min())
        ({'g5'}, 1)
        """
        table = self._table(levers, quantiles, min_gain=DEFAULT_MIN_GAIN if min_gain is None else min_gain)
        if case is None:
            return table
        return table[table["case_id"] == self.run.case_id(case)].reset_index(drop=True)

    def ranks(self):
        """P(rank 1) and P(top 3) of every factor's effect on each window.

        Examples
        --------
        >>> {"factor", "window", "p_rank1", "p_top3"} <= set(study.q.ranks().columns)
        True
        """
        return effect_ranks(self.run.posterior, self.run.dataset, base=run_baseline(self.run))

    def tables(self) -> dict:
        """Every query table, keyed by name (what the report shows).

        Examples
        --------
        >>> sorted(study.q.tables())[:3]
        ['bottlenecks', 'case_predictions', 'factor_importance']
        """
        return query_tables(self.run)

    # ------------------------------------------------------------ one case

    def advice(self, case: str, threshold: float = 0.5):
        """What one case can act on, given its codes, coded streams and known windows (MODEL.md §9).

        Examples
        --------
        >>> advice = study.q.advice("g6")  # phase 1 opened, phase 2 did not
        >>> advice.target, [e["phase"] for e in advice.levers][:1]
        ('W2', [2])
        """
        return case_advice(self.run, case, threshold)

    def what_it_takes(self, case: str, threshold: float = 0.5):
        """The smallest sets of up to 3 factor changes that bring the case's target window over ``threshold``.

        Examples
        --------
        >>> list(study.q.what_it_takes("Gemeente 5")["after"].unique())  # phase 1 first, then phase 2
        ['', 'W1 open']
        """
        return what_it_takes(self.run, case, threshold)

    def compare_cases(self, a: str, b: str, min_gain: float = DEFAULT_MIN_GAIN):
        """Case A beside case B: codes, chances, windows and what separates them (prior checks: the study's).

        Examples
        --------
        >>> comparison = study.q.compare_cases("g5", "Gemeente 2")
        >>> comparison.a.case_id, comparison.b.w1, comparison.window
        ('g5', 1.0, 'W1')
        """
        return compare_cases(self.run, a, b, min_gain=min_gain, check_run=self._study.wide)

    def score(self, profile, top_levers: int = 3, threshold: float = 0.5, workers: int = 1):
        """Score coded profiles of cases not in the data (a profile file); the same as ``bayesstreams score``.

        Examples
        --------
        >>> _ = (tmp / "profile.csv").write_text("case_id,factor,code\\nnew,p1_insight,1\\n")
        >>> [case.case_id for case in study.q.score(tmp / "profile.csv").cases]
        ['new']
        """
        return score_profiles(self.run, profile, top_levers=top_levers, threshold=threshold,
                              check_run=self._study.wide, workers=workers)

    # ------------------------------------------------------------ what the data can tell

    def support(self):
        """What the data can tell of each factor: code counts, no data, separating (MODEL.md §8).

        Examples
        --------
        >>> study.q.support().set_index("factor").loc["p2_framing", "label"]
        'no data: prior only'
        """
        return data_support(self.run.dataset)

    def raw(self):
        """The raw-data view: W1 x W2 and each factor's codes against each window.

        Examples
        --------
        >>> study.q.raw().phase2_given_phase1()  # (reached phase 2, of) with and without a phase-1 window
        {'with': (3, 4), 'without': (0, 4)}
        """
        return raw_view(self.run.dataset)

    def contraction(self):
        """Prior-to-posterior contraction of every parameter and headline query.

        Examples
        --------
        >>> sorted(study.q.contraction()["source"].unique())
        ['parameter', 'query']
        """
        return what_the_data_taught(self.run)

    @functools.cached_property
    def _prior_dependence(self):
        return prior_dependence(self.run, self._study.wide, self._study.agnostic)

    def prior_dependence(self):
        """Which headline numbers are prior-driven: under the study's wide-prior refit (when it holds one) and power-scaling.

        Examples
        --------
        >>> measured = study.q.prior_dependence()
        >>> measured.checks, measured.count()[1]    # no wide refit in this study: contraction and power-scaling
        (['contraction', 'power'], 108)
        """
        return self._prior_dependence

    def claims(self):
        """The verdict on each claim of the source study (``claims.toml``).

        Examples
        --------
        >>> [(v.claim_id, v.verdict) for v in study.q.claims()][0]
        ('phase2_needs_phase1', 'cannot_tell')
        """
        return claim_verdicts(self.run, self.run.dataset.claims, self._prior_dependence,
                              sources=self._study.source_runs())

    def source_check(self):
        """Each claim's quantity in the main run, without the coded stream states and with stream_error, side by side.

        One row per claim: its verdict (after the source check), the main run's verdict and the
        90% intervals of the three runs (NaN where the study lacks that companion: ``missing``
        names it).  The companions are ``study.nostreams`` and ``study.streamerror``.

        Examples
        --------
        >>> table = study.q.source_check()                  # this study holds neither companion
        >>> table["missing"].iloc[0], table["verdict"].iloc[0]
        ('nostreams, streamerror', 'cannot_tell')
        """
        import pandas as pd

        rows = []
        for v in self.claims():
            row = {"claim_id": v.claim_id, "verdict": v.verdict, "main_verdict": v.main_verdict or v.verdict,
                   "q05": v.q05, "q95": v.q95, "missing": ", ".join(v.source_missing)}
            for prefix, summary in (("nostreams", v.without_streams), ("streamerror", v.with_stream_error)):
                row[f"{prefix}_q05"] = summary["q05"] if summary else float("nan")
                row[f"{prefix}_q95"] = summary["q95"] if summary else float("nan")
                row[f"{prefix}_holds"] = summary["holds"] if summary else None
            rows.append(row)
        return pd.DataFrame(rows)

    def source_effects(self):
        """Every headline effect beside its value without the coded stream states and with stream_error.

        Examples
        --------
        >>> rows = study.q.source_effects()             # no companion: the main run's column alone
        >>> rows[0]["window"], rows[0]["nostreams"], rows[0]["kept_nostreams"]
        ('W1', None, None)
        """
        return source_effects(self.run, self._study.source_runs() or {})

    def source_levers(self):
        """Each case's first lever and its gain in the refits without the coded stream states and with stream_error.

        Examples
        --------
        >>> [row["case_id"] for row in study.q.source_levers()][:1]
        ['g1']
        """
        return source_levers(self.run, self._study.source_runs() or {}, case_advice)

    def fragility(self, cases=None, changes_of=None):
        """What each conclusion rests on, by reweighting the saved draws alone (no refit; see ``bayesstreams robustness``).

        A change whose reweighting is unreliable (Pareto k > 0.7) is listed in ``unchecked``;
        :func:`bayesstreams.pipeline.robustness.robustness` refits those within a budget.

        Examples
        --------
        >>> found = study.q.fragility(cases=["g6"], changes_of=lambda c: c.case_id == "g6" and c.factor == "p2_internal_communication")
        >>> found.conclusion("lever", "g6").value
        'p2_internal_communication'
        """
        cases = None if cases is None else [self.run.case_id(c) for c in cases]
        return fragility(self.run, verdicts=claim_verdicts(self.run, self.run.dataset.claims, self._prior_dependence,
                                                           with_prior=False),
                         cases=cases, changes_of=changes_of)

    def next(self, queries=None, kinds=("reveal", "check", "new"), profiles=None, refits=None):
        """What to find out next: the value of each candidate piece of evidence for each query (reweighting; see
        :mod:`bayesstreams.analysis.voi`; ``bayesstreams next --budget N`` adds exact refits).

        Examples
        --------
        >>> found = study.q.next(queries=["case:Gemeente 6"], kinds=("check",))
        >>> found.for_case("g6", 1)["candidate"].iloc[0]
        'check:g6:p2_internal_communication'
        """
        return next_evidence(self.run, queries=queries, kinds=kinds, profiles=profiles, refits=refits)

    def mode_comparison(self):
        """The headline numbers beside the same numbers under the study's other not-discussed modes.

        Examples
        --------
        >>> comparison = study.q.mode_comparison()   # this study holds no other mode: nothing can depend on it
        >>> comparison.in_force, comparison.modes, comparison.count()[0]
        ('zero', ['zero'], 0)
        """
        return mode_comparison(self.run, self._study.modes, self._prior_dependence)

    def not_discussed(self):
        """Per case and window: the chance's range over every completion of the not-discussed cells.

        Examples
        --------
        >>> table = study.q.not_discussed()
        >>> bool(((table["low"] <= table["mean"]) & (table["mean"] <= table["high"])).all())
        True
        """
        return reliance_frame(not_discussed_reliance(self.run))


# ---------------------------------------------------------------------------- the old spellings, one release

_OLD_RUN_METHODS = ("effects", "streams", "dependency", "cases", "activation", "bottlenecks", "necessity", "levers",
                    "advice", "what_it_takes", "compare_cases", "support", "raw", "ranks", "prior_dependence",
                    "claims", "mode_comparison", "not_discussed", "contraction", "tables", "score")


def _deprecated(name: str):
    def method(self, *args, check_run=None, others=None, **kwargs):
        warnings.warn(f"Run.{name}() is deprecated and goes in the next release: use "
                      f"bs.load_study(folder).q.{name}() (with the run's companions) or Study.of(run).q.{name}()",
                      DeprecationWarning, stacklevel=2)
        if others is not None and not isinstance(others, dict):
            others = {run_mode(other): other for other in others}
        study = Study.of(self, wide=check_run, modes=others)
        return getattr(study.q, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Deprecated: ``Study.of(run).q.{name}()`` (:class:`Queries`)."
    return method


for _name in _OLD_RUN_METHODS:
    setattr(Run, _name, _deprecated(_name))


def load_study(path, wide=None, agnostic=None, companions: bool = True) -> Study:
    """Load the run at ``path`` with its companions beside it (:meth:`Study.load`), queries at ``study.q``.

    Examples
    --------
    >>> study = load_study(save_run(run, tmp / "for-load"))
    >>> study.q.dependency()["quantity"].tolist(), "wide" in study.missing
    (['rho', 'dependency_effect'], True)
    """
    return Study.load(path, wide=wide, agnostic=agnostic, companions=companions)


def fit_study(dataset, model=None, seed: int = 20200601, companions: bool = True, progress: bool = False,
              **settings) -> Study:
    """Fit a dataset's main run and (``companions``) its companion runs in memory (:meth:`Study.fit`).

    Examples
    --------
    >>> study = fit_study(small_data, seed=1, draws=100, tune=200, companions=False)
    >>> study.run.n_samples, study.q.effects(draws=True)["ace"].sizes["draw"]
    (400, 400)
    """
    return Study.fit(dataset, model, seed=seed, companions=companions, progress=progress, **settings)
