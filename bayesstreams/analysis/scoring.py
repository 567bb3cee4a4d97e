"""Score coded profiles of new cases against a saved run (MODEL.md §4, "Scoring a new case").

For every case of a profile file (see :mod:`bayesstreams.data.profile`) the posterior draws of
the run give the predicted P(W1) and P(W2) with intervals, the bottleneck stream of each
phase, the top levers, the most similar reference cases with their observed windows,
and where the case's P(W2) falls among the reference cases.  A factor without data support
in the reference cases (:mod:`bayesstreams.data.support`) is never offered as a lever.

Similarity
    Two cases are compared on the factors coded in *both* (not discussed on either side
    is left out): ``distance`` is the mean absolute code difference over those factors,
    from 0 (identical) to 2 (opposite on every shared factor), and
    ``similarity = 1 - distance / 2``.  Ties are broken by the number of shared coded
    factors (more first), then by the reference case order; a reference case sharing no
    coded factor is ranked last with NaN distance.

Percentile
    The share, in percent, of reference cases whose in-sample posterior-mean P(W2) is
    below the profile's posterior-mean P(W2), ties counting half.

Scoring runs on the NumPy kernels of :mod:`bayesstreams.analysis.queries` and never imports pandas,
so ``bayesstreams score`` starts fast.  Its numbers are those of the query tables
(``case_predictions``, ``bottlenecks``, ``levers``) for the profile cases; a test holds
the two to each other.

Advice
    Each case also carries its advice (:mod:`bayesstreams.analysis.advice`): the next window to
    open, what it would take (``threshold``, default 50%), levers toward that window and what to
    find out first, all given what the profile says is known (windows, stream states: MODEL.md §9),
    with the posterior draws reweighted by the profile's likelihood.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.mode_comparison import reliance_rows
from bayesstreams.analysis.prior_dependence import CASE_CHANCES, prior_dependence
from bayesstreams.analysis.quantiles import row_quantiles
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.profile import read_profile
from bayesstreams.data.support import no_data_factors
from bayesstreams.fast.registry import batch_kernels
from bayesstreams.forked import Forked, can_fork
from bayesstreams.model.likelihood import logistic_into
from bayesstreams.model.modes import DEFAULT_MODE
from bayesstreams.analysis.advice import advice_to_dict, advise_many, json_safe, label_advice
from bayesstreams.analysis.advice_fast import prepare_cases
from bayesstreams.analysis.case_evidence import case_evidence
from bayesstreams.analysis.queries import (
    CAUSAL_NOTE,
    DEFAULT_MIN_GAIN,
    PREDICTION_NOTE,
    Baseline,
    Windows,
    baseline,
    bottleneck_draws,
    do_factor,
    quantile_names,
    run_baseline,
    summarise,
    windows,
)

SIMILARITY_NOTE = (
    "Similarity compares codes on the factors coded in both cases: distance = mean |code difference| "
    "(0 identical, 2 opposite), ties broken by the number of shared coded factors."
)


@dataclass
class CaseScore:
    """The score of one profile case; summaries are dicts with mean, q05, q25, q75, q95."""

    case_id: str
    n_factors: int
    n_coded: int
    not_discussed: list[str]
    group: str | None
    p_w1: dict
    p_w2: dict
    p_w2_given_w1: dict
    percentile_p_w2: float
    bottlenecks: list[dict] | None
    levers: list[dict]
    similar: list[dict]
    n_reference_below: int = 0
    n_reference_tied: int = 0
    name: str = ""
    level: str = ""
    advice: dict | None = None  # advice_to_dict of the case given what its profile says is known (streams model)
    prior_driven: dict = field(default_factory=dict)  # {"p_w1": bool, "p_w2": bool}, MODEL.md §8
    # {"p_w1": {n, low, high, rests}, "p_w2": ...}: the chance's range over the not-discussed cells (analysis.mode_comparison)
    not_discussed_range: dict = field(default_factory=dict)

    @property
    def n_not_discussed(self) -> int:
        return len(self.not_discussed)


@dataclass
class ScoreResult:
    """Scores of every case of one profile file against one run."""

    profile: str
    n_reference: int
    kind: str
    cases: list[CaseScore] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)  # factors never offered as levers (no data: prior only)
    labels: dict = field(default_factory=dict)  # factor id -> {"en": label, "nl": label}, from the codebook
    actions: dict = field(default_factory=dict)  # factor id -> {"en": action, "nl": action, "source": note}; "" if none
    prior_checks: list[str] = field(default_factory=list)  # the checks behind the prior-driven flags
    not_discussed: str = DEFAULT_MODE  # how the run reads a not-discussed cell (MODEL.md §7, model.modes.MODES)
    phases: list = field(default_factory=lambda: list(PHASES))  # the study's phases: nothing said of another
    study_words: dict = field(default_factory=dict)  # lang -> the study's own words (codebook.study_words)

    def label(self, factor: str, lang: str) -> str:
        """The factor's codebook label in ``lang`` (its id where the codebook gives none)."""
        return self.labels.get(factor, {}).get(lang, factor)


def code_distance(codes: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean absolute code difference of one profile to each reference case, and the shared-factor count.

    ``codes`` (factor,) and ``reference`` (case, factor) hold NaN where not discussed;
    only factors coded in both enter.  The distance is NaN where nothing is shared.
    """
    both = ~np.isnan(reference) & ~np.isnan(codes)[None, :]
    shared = both.sum(axis=1)
    total = np.where(both, np.abs(reference - codes[None, :]), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.where(shared > 0, total / np.maximum(shared, 1), np.nan)
    return distance, shared


def most_similar(codes: np.ndarray, reference, n: int = 3) -> list[dict]:
    """The ``n`` reference cases closest to ``codes``, with their observed windows (see module docs)."""
    distance, shared = code_distance(codes, np.asarray(reference.x, dtype=float))
    order = np.lexsort((np.arange(len(distance)), -shared, np.nan_to_num(distance, nan=np.inf)))
    names = reference.case_column("name")
    return [{"case_id": reference.case_ids[j], "name": names[j], "distance": float(distance[j]),
             "similarity": float(1.0 - distance[j] / 2.0), "n_shared": int(shared[j]),
             "w1": float(reference.w[j, 0]), "w2": float(reference.w[j, 1])} for j in order[:n]]


def percentile_among(value: float, reference: np.ndarray) -> float:
    """Percent of ``reference`` values below ``value``, ties counting half."""
    reference = np.asarray(reference, dtype=float)
    return float(100.0 * ((reference < value).sum() + 0.5 * (reference == value).sum()) / len(reference))


def _summary(samples: np.ndarray) -> dict:
    return {column: float(value) for column, value in summarise(samples).items()}


def _summaries(samples: np.ndarray) -> list[dict]:
    """:func:`_summary` of each column of ``samples`` (sample, column) in one pass, with the same numbers.

    Each column is made a contiguous row first, so that its mean is summed as :func:`_summary`
    sums one case's draws.
    """
    rows = np.ascontiguousarray(np.asarray(samples, dtype=float).T)
    names = quantile_names()
    columns = {"mean": rows.mean(axis=1), **dict(zip(names, row_quantiles(rows, list(names.values()))))}
    return [{column: float(values[j]) for column, values in columns.items()} for j in range(len(rows))]


def _levers(profiles, base: Baseline, now: Windows, n: int, min_gain: float,
            no_data=frozenset(), window: str = "W2", kernels=None) -> list[list[dict]]:
    """Per case, the ``n`` factors not at +1 with the largest posterior-mean gain in P(W2).

    Factors in ``no_data`` (no data support in the reference cases, MODEL.md §8-§9) are never
    offered: their gain would be the prior's.  ``window="W1"`` (a one-phase study) ranks the
    phase-1 factors by their gain in P(W1) instead, kept under ``gain_w1``.  ``kernels``: the numba
    kernels of a batch (:mod:`bayesstreams.fast.batch`, loaded by the caller), which give
    :func:`~bayesstreams.analysis.queries.do_factor`'s gains bit for bit (the streams model, no evidence mode).
    """
    found: list[list[tuple]] = [[] for _ in range(profiles.n_cases)]  # per case: (mean gain, entry, draws)
    now_p2 = now.p2  # a property computed anew at each reading: once here, not once per factor
    key = "gain_w1" if window == "W1" else "gain_w2"
    gains_of = _kernel_gains(base, now, now_p2, kernels)
    for k, factor in enumerate(profiles.factor_ids):
        if factor in no_data:
            continue
        phase = PHASES[base.factor_phase[k]]
        if window == "W1" and phase != 1:
            continue  # a phase-2 factor does not move the phase-1 window
        rows = np.flatnonzero(base.x[:, k] != 1)
        if not len(rows):
            continue
        if gains_of is not None:  # each case's draws a contiguous row already
            rows_w1, rows_w2 = gains_of(k, rows)
            draws = rows_w1 if window == "W1" else rows_w2
        else:
            # queries.lever_gains of the cases not at +1 alone (each case's numbers are its own), P(W2) now read once
            up = do_factor(base, k, 1.0, cases=rows)
            gain_w1, gain_w2 = up.p1 - now.p1[:, rows], up.p2 - now_p2[:, rows]
            # each case's draws as a contiguous row, its mean summed as _summaries sums it
            rows_w1 = np.ascontiguousarray(gain_w1.T)
            draws = rows_w1 if window == "W1" else np.ascontiguousarray(gain_w2.T)
        means = draws.mean(axis=1)
        means_w1 = rows_w1.mean(axis=1) if window != "W1" else means
        above = (draws > min_gain).mean(axis=1)  # a mean of 0s and 1s: exact, whichever way it is summed
        for j, i in enumerate(rows):
            entry = {"factor": factor, "phase": phase, "stream": STREAMS[base.factor_stream[k]],
                     "code": float(profiles.x[i, k])}
            if window != "W1":
                entry["gain_w2"] = None  # its summary once the levers shown are known
            entry.update(p_gain_gt_threshold=float(above[j]), threshold=float(min_gain),
                         gain_w1_mean=float(means_w1[j]) if phase == 1 else 0.0)
            if window == "W1":  # a one-phase study says nothing of the phase-2 window
                entry.update(window="W1", gain_w1=None)
            found[i].append((float(means[j]), entry, draws[j]))
    chosen = []
    for entries in found:
        entries.sort(key=lambda lever: -lever[0])  # stable: ties keep the codebook order
        chosen.append(entries[:n])
    # the quantiles of the levers shown alone (one sort per lever), not of every factor of every case
    shown = [lever for levers in chosen for lever in levers]
    if shown:
        names = quantile_names()
        bounds = row_quantiles(np.stack([lever[2] for lever in shown]), list(names.values()))
        for j, (mean, entry, _) in enumerate(shown):
            entry[key] = {"mean": mean, **{name: float(bounds[m, j]) for m, name in enumerate(names)}}
    return [[entry for _, entry, _ in levers] for levers in chosen]


def _kernel_gains(base: Baseline, now: Windows, now_p2: np.ndarray, kernels):
    """``gains(k, rows) -> (gain in P(W1), gain in P(W2))``, each (row, draw), of ``do(x_k = +1)`` for the cases
    ``rows`` by the batch kernels; None where :func:`~bayesstreams.analysis.queries.do_factor` serves (no
    kernels, no streams, an evidence mode).  NumPy's logistic between the two kernels: the same bits."""
    if kernels is None or base.q is None or "evidence" in base.cache or base.eta.ndim != 4:
        return None
    d = base.draws
    eta, beta, x = (np.ascontiguousarray(a, dtype=float) for a in (base.eta, d["beta"], base.x))
    pibar, rho = np.ascontiguousarray(base.pibar), np.ascontiguousarray(d["rho"], dtype=float)
    # each phase's lambda and kappa as contiguous columns, once, not once per factor
    lam, kap = ([np.ascontiguousarray(np.asarray(d[name], dtype=float)[:, p]) for p in range(2)]
                for name in ("lambda", "kappa"))
    p1_now, p2_now = np.ascontiguousarray(now.p1), np.ascontiguousarray(now_p2)

    def gains(k: int, rows: np.ndarray):
        p, s = int(base.factor_phase[k]), int(base.factor_stream[k])
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        q_new = np.empty((len(rows), eta.shape[0]))
        kernels.lever_log_odds(eta, beta, x, k, p, s, 1.0, rows, q_new)
        logistic_into(q_new)
        gain_w1, gain_w2 = np.empty_like(q_new), np.empty_like(q_new)
        kernels.lever_gains(q_new, np.ascontiguousarray(base.q_others(p, s)), lam[p], kap[p], pibar, rho, p1_now,
                            p2_now, p, rows, gain_w1, gain_w2)
        return gain_w1, gain_w2

    return gains


def _bottlenecks(base: Baseline) -> list[list[dict]] | None:
    if not base.has_streams:
        return None
    lowest, q_mean, p_lowest = bottleneck_draws(base)
    return [[{"phase": PHASES[p], "stream": STREAMS[lowest[i, p]], "q_mean": float(q_mean[i, p, lowest[i, p]]),
              "p_lowest": float(p_lowest[i, p])} for p in range(len(PHASES))] for i in range(len(lowest))]


def _case_score(profiles, i: int, chances: dict, reference_p2: np.ndarray, **parts) -> CaseScore:
    """The score of profile case ``i``; ``chances`` holds the :func:`_summaries` of P(W1), P(W2), P(W2 | W1) of every case."""
    missing = [f for f, code in zip(profiles.factor_ids, profiles.x[i]) if np.isnan(code)]
    n_factors = len(profiles.factor_ids)
    mean_p2 = chances["p_w2"][i]["mean"]
    return CaseScore(
        n_reference_below=int((reference_p2 < mean_p2).sum()), n_reference_tied=int((reference_p2 == mean_p2).sum()),
        case_id=profiles.case_ids[i], n_factors=n_factors, n_coded=n_factors - len(missing),
        not_discussed=missing, group=profiles.groups[profiles.group[i]] if profiles.group[i] >= 0 else None,
        p_w1=chances["p_w1"][i], p_w2=chances["p_w2"][i], p_w2_given_w1=chances["p_w2_given_w1"][i],
        percentile_p_w2=percentile_among(mean_p2, reference_p2), **parts)


KERNELS_FROM = 16  # profiles from which the advice loads the numba kernels (importing numba costs about 0.3 s)


def _batch_kernels(profiles, reference_path: bool):
    """The numba kernels of :mod:`bayesstreams.fast.batch` for a batch of :data:`KERNELS_FROM` profiles or more on the
    batch path, else None: the same bits as the NumPy they replace (tests/test_score_kernels.py), only the time differs."""
    return batch_kernels() if not reference_path and profiles.n_cases >= KERNELS_FROM else None
BLOCK = 32  # profiles advised together (memory: about 1.5 MB per profile per 1,000 draws until their quantiles are read)


def _advice(run, profiles, base: Baseline, labels: dict, actions: dict, threshold: float, min_gain: float,
            in_data: bool, fast: bool = True, kernels=None) -> list[dict | None]:
    """Per profile case, the advice given its known windows and streams.

    The draws are reweighted by the case's likelihood unless the case is one of the run's own
    (``in_data``: the posterior already holds its evidence).  ``fast=False`` is the reference path
    (:func:`~bayesstreams.analysis.advice.advise` as the report calls it) that the tests hold the fast one to.
    ``kernels``: the batch kernels (:func:`_batch_kernels`), on the fast path only.
    """
    if not base.has_streams:
        return [None] * profiles.n_cases
    targets = [case_evidence(profiles, i).target for i in range(profiles.n_cases)]
    no_data = no_data_factors(run.dataset)  # the reference's: once, not once per profile
    kernels = kernels if fast else None
    out = []
    for start in range(0, profiles.n_cases, BLOCK):  # a block at a time: the prepared pieces bound the memory
        rows = slice(start, min(start + BLOCK, profiles.n_cases))
        prepared = [None] * (rows.stop - rows.start)
        if fast and "evidence" not in base.cache:  # under an evidence mode a case's q is summed out per stream
            prepared = prepare_cases(base, profiles.s, profiles.w, targets, list(run.dataset.phases), rows, kernels)
        advised = advise_many(run.posterior, profiles, list(profiles.case_ids[rows]), prepared, base=base,
                              reference=run.dataset, prior=run.prior, threshold=threshold, min_gain=min_gain,
                              reweight=not in_data, fast=fast, no_data=no_data,
                              kernels=kernels)  # the block's quantiles in one pass
        out += [advice_to_dict(advice, labels, actions=actions) for advice in advised]
    return out


def score_dataset(run, profiles, top_levers: int = 3, n_similar: int = 3,
                  min_gain: float = DEFAULT_MIN_GAIN, threshold: float = 0.5, in_data: bool = False,
                  check_run=None, measure_prior: bool = True, reference_path: bool = False,
                  workers: int = 1) -> ScoreResult:
    """Score the cases of a profile Dataset (see :func:`bayesstreams.data.profile.read_profile`) against ``run``.

    ``threshold`` is the chance of the next window that the plans of each case's advice must reach;
    ``in_data`` says the cases are the run's own (the brief of a case of the run), so the draws
    are not reweighted by their likelihood.

    With ``measure_prior`` each case's P(W1) and P(W2) carry the prior-driven flag of
    :func:`bayesstreams.analysis.prior_dependence.prior_dependence` (power-scaling, and the
    wide-prior ``check_run`` when given): the flag the report and the brief show.

    ``reference_path=True`` scores on the reference path, one profile at a time as the report computes
    one case; the default batch path gives the same numbers (to rounding, tests/test_score_batch.py).

    More than :data:`PASS` profiles are scored :data:`PASS` at a time, so that the per-draw arrays of a pass
    (about 2 MB per profile) bound the memory at any number of profiles.  ``workers > 1`` splits the profiles (from :data:`SPLIT_FROM` profiles on, where :func:`~bayesstreams.forked.can_fork`) over
    that many processes forked from this one, each scoring its share on the batch path: every profile's
    score is computed alone (no number depends on the other profiles), so the result is the same, in the
    same order (tests/test_score_fast.py).
    """
    options = dict(top_levers=top_levers, n_similar=n_similar, min_gain=min_gain, threshold=threshold,
                   in_data=in_data, check_run=check_run, measure_prior=measure_prior, reference_path=reference_path)
    if workers > 1 and profiles.n_cases >= SPLIT_FROM and can_fork():
        return _score_split(run, profiles, workers, **options)
    if profiles.n_cases > PASS:
        return _score_in_passes(run, profiles, **options)
    posterior, reference = run.posterior, run.dataset
    base = baseline(posterior, profiles)
    now = windows(base)
    reference_p2 = windows(run_baseline(run)).p2.mean(axis=0)  # the run's own: once per run, not once per pass
    per_case_bottlenecks = _bottlenecks(base)
    no_data = no_data_factors(reference)
    # context factors (codebook actionable = false) are modelled, never offered as a lever
    phases = list(reference.phases)
    kernels = _batch_kernels(profiles, reference_path)
    per_case_levers = _levers(profiles, base, now, top_levers, min_gain, no_data | reference.codebook.context,
                              window="W2" if 2 in phases else "W1", kernels=kernels)
    labels = {f.id: {"en": f.label("en"), "nl": f.label("nl")} for f in profiles.codebook.factors}
    actions = profiles.codebook.actions()
    advice = _advice(run, profiles, base, labels, actions, threshold, min_gain, in_data, fast=not reference_path,
                     kernels=kernels)
    result = ScoreResult(profile=str(profiles.source), n_reference=reference.n_cases, kind=base.kind, labels=labels,
                         actions=actions, no_data=[f for f in reference.factor_ids if f in no_data],
                         not_discussed=_not_discussed_mode(run), phases=phases,
                         study_words={lang: reference.codebook.study_words(lang) for lang in ("en", "nl")})
    ranges = _not_discussed_ranges(posterior, profiles, base)
    # each chance once over all cases (Windows.p2 is computed anew at each reading)
    chances = {"p_w1": _summaries(now.p1), "p_w2": _summaries(now.p2), "p_w2_given_w1": _summaries(now.p2_open)}
    for i in range(profiles.n_cases):
        result.cases.append(_case_score(
            profiles, i, chances, reference_p2, levers=per_case_levers[i], advice=advice[i],
            name=profiles.case_column("name")[i], level=profiles.case_column("level")[i],
            bottlenecks=per_case_bottlenecks[i] if per_case_bottlenecks else None,
            similar=most_similar(profiles.x[i], reference, n_similar), not_discussed_range=ranges[i]))
    if measure_prior:
        measured = prior_dependence(run, check_run, dataset=profiles, names=CASE_CHANCES, base=base)
        result.prior_checks = list(measured.checks)
        for case in result.cases:
            case.prior_driven = {name: measured.flag(name, case.case_id) for name in CASE_CHANCES}
    return result


SPLIT_FROM = 64  # profiles below which score_dataset(workers > 1) stays in one process (a fork costs more)
PASS = 96  # profiles scored together (memory: about 2 MB per profile at 4,000 draws)


def _score_in_passes(run, profiles, **options) -> ScoreResult:
    """:func:`score_dataset` of :data:`PASS` profiles at a time, the cases put together in order."""
    result = None
    for start in range(0, profiles.n_cases, PASS):
        part = score_dataset(run, _rows_of(profiles, range(start, min(start + PASS, profiles.n_cases))), **options)
        if result is None:
            result = part
        else:
            result.cases += part.cases
    result.profile = str(profiles.source)
    return result


def _rows_of(profiles, rows: range):
    """The profiles ``rows`` as a profile Dataset of their own (their codes, windows, streams and groups)."""
    ids = {profiles.case_ids[i] for i in rows}
    index = np.asarray(rows, dtype=int)
    return dataclasses.replace(profiles, cases=[profiles.cases[i] for i in rows],
                               codes=[c for c in profiles.codes if c["case_id"] in ids], x=profiles.x[index],
                               w=profiles.w[index], s=profiles.s[index], group=profiles.group[index])


def _score_split(run, profiles, workers: int, **options) -> ScoreResult:
    """:func:`score_dataset` with the profiles split in ``workers`` consecutive shares, all but the first in forked
    processes (:class:`~bayesstreams.forked.Forked`) that send their result back (pickled: plain dicts, lists and floats)."""
    shares = [rows for rows in np.array_split(np.arange(profiles.n_cases), workers) if len(rows)]
    if not options.get("reference_path") and len(shares[0]) >= KERNELS_FROM:
        batch_kernels().warm()  # numba and the kernels loaded (from its cache) once, here, not in every forked process
    windows(run_baseline(run))  # the reference cases' windows: computed once here, read by every share
    children = []
    try:
        for rows in shares[1:]:
            children.append(Forked(score_dataset, run, _rows_of(profiles, range(rows[0], rows[-1] + 1)), fork=True,
                                   **options))
        result = score_dataset(run, _rows_of(profiles, range(shares[0][0], shares[0][-1] + 1)), **options)
        for child in children:
            result.cases += child.result().cases
    finally:
        for child in children:
            child.cancel()  # a share not read (an error here, or in an earlier share) is ended, not left running
    result.profile = str(profiles.source)
    return result


def _not_discussed_ranges(posterior: dict, profiles, base: Baseline) -> list[dict]:
    """Per profile case: each chance's range over its not-discussed cells (:func:`~bayesstreams.analysis.mode_comparison.reliance_rows`)."""
    out = [{} for _ in range(profiles.n_cases)]
    position = {case: i for i, case in enumerate(profiles.case_ids)}
    for row in reliance_rows(posterior, profiles, base):
        out[position[row.case_id]][f"p_{row.window.lower()}"] = {"n": row.n_not_discussed, "low": row.low,
                                                                 "high": row.high, "rests": row.rests}
    return out


def score_profiles(run, profile_path, top_levers: int = 3, n_similar: int = 3,
                   min_gain: float = DEFAULT_MIN_GAIN, threshold: float = 0.5, check_run=None,
                   workers: int = 1) -> ScoreResult:
    """Read a profile file and score each of its cases against a saved run.

    Parameters
    ----------
    run
        A loaded run (``run.posterior``, ``run.dataset``).
    profile_path
        A long (``case_id, factor, code``) or wide (``case_id`` + one column per factor)
        CSV or xlsx; partial profiles are allowed (absent factors are not discussed = 0).
    top_levers, n_similar
        How many levers and similar reference cases to report per case.
    min_gain
        The gain in P(W2) whose posterior probability is reported for each lever.
    threshold
        The chance of the next window the plans ("what would it take") must reach (default 50%).
    check_run
        The wide-prior refit of the run's data (:mod:`bayesstreams.inference.check_run`) for
        the prior-driven flags; None: power-scaling alone.
    workers
        Processes to split many profiles over (:func:`score_dataset`); the result is the same.

    Raises
    ------
    InputError
        Unknown factors, codes, columns or groups, located by file, row and column.

    Examples
    --------
    >>> _ = (tmp / "profile.csv").write_text("case_id,factor,code\\nnew,p1_insight,1\\n")
    >>> result = score_profiles(run, tmp / "profile.csv")
    >>> [case.case_id for case in result.cases], 0 <= result.cases[0].p_w1["mean"] <= 1
    (['new'], True)
    """
    profiles = read_profile(profile_path, run.dataset.codebook, tuple(run.dataset.groups))
    return score_dataset(run, profiles, top_levers, n_similar, min_gain, threshold, check_run=check_run,
                         workers=workers)


# ---------------------------------------------------------------------------- output


def _not_discussed_mode(run) -> str:
    """The run's reading of a not-discussed cell."""
    return run.config.evidence_options["not_discussed"]


def score_to_dict(result: ScoreResult, lang: str = "en") -> dict:
    """The score as plain JSON-ready data (NaN -> None: a code of None is "not discussed").

    Each lever (and each factor of the advice) carries the factor's codebook ``label`` and
    ``action`` in ``lang`` beside its id; ``action`` is None where the codebook gives none.
    """
    cases = []
    for case in result.cases:
        entry = json_safe({item.name: getattr(case, item.name) for item in dataclasses.fields(case)})  # a copy
        if entry["advice"] is not None:  # the advice carries its labels and actions in the language asked for
            entry["advice"] = label_advice(entry["advice"], result.labels, lang, result.actions)
        entry["n_not_discussed"] = case.n_not_discussed
        for lever in entry["levers"]:
            lever["label"] = result.label(lever["factor"], lang)
            lever["action"] = result.actions.get(lever["factor"], {}).get(lang) or None
        cases.append(entry)
    return json_safe({"profile": result.profile, "n_reference_cases": result.n_reference, "model": result.kind,
                       "notes": {"prediction": PREDICTION_NOTE, "causal": CAUSAL_NOTE, "similarity": SIMILARITY_NOTE},
                       "no_data": list(result.no_data), "prior_checks": result.prior_checks, "cases": cases})
