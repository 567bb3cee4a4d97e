"""What to find out next: the value of one more code, one more check, one more municipality (MODEL.md §10; issue 24).

**Queries** (:class:`Query`, spelled as ``--query`` takes them):

``claim:<id>``
    a claim's quantity (:mod:`bayesstreams.analysis.claims`) and its verdict;
``case:<id>``
    a case's first lever (:mod:`bayesstreams.analysis.advice`): the gain of the target window
    from its first lever, and which factor that lever is;
``effect:<factor>[:W1|W2]``
    a factor's ACE over its headline step (``ace_step``, the effect claims are judged on);
``dependency``
    ``1 - rho``: how much phase 2 needs phase 1.

The default set is every claim and every case with a window to open.

**Candidates** (:class:`Candidate`): ``reveal`` a not-discussed cell (ask about it); ``check`` a
coded cell or stream state with a second coder; ``new``: interview ``n`` new municipalities of a
:class:`Profile` (the tool proposes the design's gap, "phase-1 window closed, phase-2 streams
moving", and one municipality like each case whose phase-1 window stayed closed; a profile file
adds others, :func:`read_profile`).

**Preposterior value.**  Each candidate has a few outcomes ``e`` (a revealed code; the second
coder's code; the new municipalities' windows).  Their chance ``p(e | data)`` is the posterior
predictive: the mean over draws of ``p(e | draw)``.  The posterior after ``e`` is the saved
posterior reweighted by ``p(e | draw)`` (for a changed cell: the changed case's likelihood ratio,
as in :mod:`bayesstreams.analysis.fragility`), Pareto-smoothed; where ``k`` exceeds 0.7 the
outcome is *unreliable* unless an exact refit of it is given (``refits``; the pipeline fits them
within a budget, :func:`bayesstreams.pipeline.robustness.next_evidence`).  Summed over the outcomes:

* the expected reduction of the query's 90% interval width (and of its posterior sd);
* for a claim, ``P(verdict changes)`` and ``P(leaves "cannot tell")``;
* for a case, ``P(first lever changes)``.

The sum over outcomes is exact; the Monte Carlo error is that of the finite draws, by batch means
over :data:`BATCHES` consecutive blocks of draws (the chains).

**What is assumed.**  How a not-discussed cell is predicted follows the evidence mode in force
(:meth:`bayesstreams.model.modes.ZeroMode.reveal_odds`: under ``zero`` a found-out code is
predicted as the marginal reading would, and the analysis afterwards is the zero-mode analysis of
the data with the cell coded).  A second coder reads another code than the first with probability
:data:`CHECK_DISAGREE` (0.2, the mean of the respondents mode's confusion prior
``Dirichlet(8, 1, 1)``), that code drawn from the cell's predictive; a stream state is read
otherwise with the run's ``stream_error`` (else its prior mean 0.05).  A new municipality's
windows are drawn from the predictive of a case with the profile's codes and stream states.  A
claim's verdict after an outcome is judged on the interval and the contraction rule (posterior sd
over 0.8 x the prior sd: prior-driven); the shift under the wide prior is not re-measured.  The
per-draw values of the claims, effects and the dependency are those of the study's data (a cell
moves them through the weights); a case's lever gains are recomputed where its own data change.

Examples
--------
>>> found = next_evidence(run, queries=["claim:phase2_needs_phase1"], kinds=("new",))
>>> top = found.top("claim:phase2_needs_phase1", 1)
>>> top["candidate"].iloc[0], bool(top["expected_reduction"].iloc[0] > 0)
('new:gap:5', True)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesstreams.analysis.advice import DEFAULT_MIN_GAIN, lever_draws, lever_draws_many
from bayesstreams.analysis.claims import CANNOT_TELL, REFERENCE, _target
from bayesstreams.analysis.fragility import (K_MAX, Change, _in_target, _judge, _quantities, psis_weights,
                                            psis_weights_many)
from bayesstreams.analysis.queries import baseline, run_baseline, run_prior_baseline
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.errors import RunError
from bayesstreams.fast.registry import counterfactual_kernel, pointwise_loglik, weighted_interval_kernel
from bayesstreams.inference.run import Run
from bayesstreams.model.evidence import options_of_draws
from bayesstreams.model.kinds import get_kind
from bayesstreams.model.modes import get_mode, is_v1
from bayesstreams.model.windows import Baseline

LEVEL = 0.9
CHECK_DISAGREE = 0.2
STREAM_DISAGREE = 0.05
BATCHES = 4
PRIOR_DRIVEN_SD = 0.8  # MODEL.md §8: posterior sd above this share of the prior sd is prior-driven
CODES = (-1.0, 0.0, 1.0)
KINDS = ("reveal", "check", "new")
SIZES = (1, 5)


# ---------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    """What a candidate should tell about: ``kind`` claim / case / effect / dependency, and its subject."""

    kind: str
    subject: str = ""
    window: str = ""

    @property
    def key(self) -> str:
        return ":".join(part for part in (self.kind, self.subject, self.window) if part)


def parse_query(text: str, dataset) -> Query:
    """A :class:`Query` from its spelling (``claim:<id>``, ``case:<id or name>``, ``effect:<factor>[:W1|W2]``, ``dependency``)."""
    kind, _, rest = str(text).strip().partition(":")
    if kind == "dependency" and not rest:
        return Query("dependency")
    if kind == "claim":
        known = [c.id for c in dataset.claims]
        if rest not in known:
            raise RunError(f"--query {text}: no claim {rest!r} (known: {', '.join(known) or 'none'})")
        return Query("claim", rest)
    if kind == "case":
        return Query("case", dataset.resolve_case(rest))
    if kind == "effect":
        factor, _, window = rest.partition(":")
        if factor not in dataset.factor_ids:
            raise RunError(f"--query {text}: no factor {factor!r} in the codebook")
        phase = int(dataset.factor_phase[dataset.factor_ids.index(factor)])
        window = window or ("W1" if phase == 0 else "W2")
        if window not in ("W1", "W2") or (window == "W1" and phase == 1):
            raise RunError(f"--query {text}: the window is W1 (phase-1 factors) or W2")
        return Query("effect", factor, window)
    raise RunError(f"--query {text}: a query is claim:<id>, case:<id>, effect:<factor>[:W1|W2] or dependency")


def default_queries(dataset) -> list[Query]:
    """Every claim and every case with a window to open."""
    cases = [c for i, c in enumerate(dataset.case_ids) if not (dataset.w[i] == 1).all()]
    return [Query("claim", c.id) for c in dataset.claims] + [Query("case", c) for c in cases]


# ---------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Profile:
    """A kind of municipality to interview: its codes (NaN: not asked), stream states (phase-major) and windows.

    A window that is NaN is what the interview finds out; a known one selects the municipality.
    """

    name: str
    x: tuple
    s: tuple
    w: tuple
    origin: str = ""

    @property
    def key(self) -> str:
        return self.origin or self.name


def proposed_profiles(dataset) -> list[Profile]:
    """The design's gap (phase-1 window closed, phase-2 streams moving) and one like each case whose W1 stayed closed."""
    nan, n = float("nan"), len(dataset.factor_ids)
    out = []
    if 2 in dataset.phases:
        out.append(Profile("phase-1 window closed, phase-2 streams moving", (nan,) * n,
                           (nan, nan, nan, 1.0, 1.0, 1.0), (0.0, nan), "gap"))
    for i, case in enumerate(dataset.case_ids):
        if dataset.w[i, 0] == 0:
            out.append(Profile(f"like {dataset.cases[i].get('name') or case}", tuple(map(float, dataset.x[i])),
                               tuple(map(float, dataset.s[i].reshape(-1))), (nan, nan), f"like:{case}"))
    return out


def read_profile(path, dataset) -> Profile:
    """A profile from a TOML file: ``name``, ``w1``/``w2`` (left out: to find out), ``[streams]`` ``"2.problem" = 1``, ``[codes]``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RunError(f"{path}: not a readable profile file ({exc})") from None
    x = [float("nan")] * len(dataset.factor_ids)
    for factor, code in data.get("codes", {}).items():
        if factor not in dataset.factor_ids or code not in (-1, 0, 1):
            raise RunError(f"{path}: [codes] {factor} = {code!r}: a factor of the codebook coded -1, 0 or 1")
        x[dataset.factor_ids.index(factor)] = float(code)
    s = [float("nan")] * 6
    for name, state in data.get("streams", {}).items():
        phase, _, stream = name.partition(".")
        if phase not in ("1", "2") or stream not in STREAMS or state not in (0, 1):
            raise RunError(f"{path}: [streams] {name} = {state!r}: '<phase>.<stream>' = 0 or 1")
        s[(int(phase) - 1) * 3 + STREAMS.index(stream)] = float(state)
    w = tuple(float(data[k]) if k in data else float("nan") for k in ("w1", "w2"))
    if not all(np.isnan(v) or v in (0, 1) for v in w) or all(not np.isnan(v) for v in w):
        raise RunError(f"{path}: w1, w2 are 0 or 1, and at least one is left out (what the interview finds out)")
    return Profile(str(data.get("name", path.stem)), tuple(x), tuple(s), w, f"file:{path.stem}")


@dataclass(frozen=True)
class Candidate:
    """One piece of evidence to get: ``reveal`` / ``check`` a cell (``factor``) or stream state, or ``new`` cases."""

    kind: str
    case_id: str = ""
    factor: str = ""
    phase: int = 0
    stream: str = ""
    old: float = float("nan")
    profile: Profile | None = None
    n: int = 1

    @property
    def key(self) -> str:
        if self.kind == "new":
            return f"new:{self.profile.key}:{self.n}"
        return f"{self.kind}:{self.case_id}:{self.factor or f'{self.phase}.{self.stream}'}"


def candidates(dataset, kinds=KINDS, profiles=None, sizes=SIZES) -> list[Candidate]:
    """Every not-discussed cell to reveal, every coded cell and stream state to check, new cases of each profile."""
    out = []
    for i, case in enumerate(dataset.case_ids):
        for k, factor in enumerate(dataset.factor_ids):
            old = float(dataset.x[i, k])
            kind = "reveal" if np.isnan(old) else "check"
            if kind in kinds and dataset.factor_ids[k] not in dataset.codebook.context:
                out.append(Candidate(kind, case, factor=factor, old=old))
        for p, s in itertools.product(range(2), range(3)):
            if "check" in kinds and not np.isnan(dataset.s[i, p, s]):
                out.append(Candidate("check", case, phase=int(PHASES[p]), stream=STREAMS[s],
                                     old=float(dataset.s[i, p, s])))
    if "new" in kinds:
        profiles = proposed_profiles(dataset) if profiles is None else profiles
        out += [Candidate("new", profile=p, n=n) for p in profiles for n in sizes]
    return out


# ---------------------------------------------------------------------------- outcomes


@dataclass
class Outcome:
    """One outcome of a candidate: its label, ``p`` per draw (NaN: from the ratio), the log ratio, the change of the data."""

    label: str
    p_draw: np.ndarray | None
    log_ratio: np.ndarray
    change: Change | None = None
    counts: tuple = ()  # new cases: how many of them had each window outcome


@dataclass
class _Rows:
    """One-case rows whose log-likelihood is wanted, computed in one call (x, w, s stacked)."""

    x: list = field(default_factory=list)
    w: list = field(default_factory=list)
    s: list = field(default_factory=list)
    seen: dict = field(default_factory=dict)

    def add(self, x, w, s) -> int:
        """The row's index; a row asked for before (a case as it is, once per candidate of it) is computed once."""
        x, w, s = (np.asarray(x, dtype=float), np.asarray(w, dtype=float), np.asarray(s, dtype=float).reshape(2, 3))
        key = (x.tobytes(), w.tobytes(), s.tobytes())
        if key not in self.seen:
            self.x.append(x)
            self.w.append(w)
            self.s.append(s)
            self.seen[key] = len(self.x) - 1
        return self.seen[key]

    def loglik(self, run) -> np.ndarray:
        dataset = run.dataset
        n = len(self.x)
        if not n:
            return np.zeros((len(run.posterior["rho"]), 0))
        template = dataset.cases[0]
        cases = [{**{key: "" for key in template}, "case_id": f"voi{j}", "name": f"voi{j}"} for j in range(n)]
        codes = [{"case_id": f"voi{j}", "factor": f, "code": float(v)} for j, x in enumerate(self.x)
                 for f, v in zip(dataset.factor_ids, x) if not np.isnan(v)]
        rows = dataclasses.replace(dataset, cases=cases, codes=codes, x=np.array(self.x), w=np.array(self.w),
                                   s=np.array(self.s), group=np.full(n, -1), warnings=[])
        return pointwise_loglik(rows, get_kind(run.config.kind), run.posterior)


def _code_counts(dataset, k: int) -> np.ndarray:
    column = dataset.x[:, k]
    return np.array([(column == c).sum() for c in CODES], dtype=float)


def _plan_outcomes(run, cands: list[Candidate]) -> tuple[_Rows, list]:
    """The rows to compute and, per candidate, a recipe of its outcomes (row indices)."""
    dataset, rows, plans = run.dataset, _Rows(), []
    for cand in cands:
        if cand.kind == "new":
            p = cand.profile
            unknown = [j for j in range(2) if np.isnan(p.w[j])]
            recipe = []
            for values in itertools.product((0.0, 1.0), repeat=len(unknown)):
                w = np.array(p.w, dtype=float)
                w[unknown] = values
                recipe.append(("".join(f"W{j + 1}={int(w[j])} " for j in unknown).strip(), rows.add(p.x, w, p.s)))
            plans.append(recipe)
            continue
        i = dataset.case_ids.index(cand.case_id)
        old = rows.add(dataset.x[i], dataset.w[i], dataset.s[i])
        recipe = [("old", old)]
        if cand.factor:
            k = dataset.factor_ids.index(cand.factor)
            for c in CODES:
                x = dataset.x[i].copy()
                x[k] = c
                recipe.append((c, rows.add(x, dataset.w[i], dataset.s[i])))
        else:
            s = dataset.s[i].copy()
            s[cand.phase - 1, STREAMS.index(cand.stream)] = 1.0 - cand.old
            recipe.append((1.0 - cand.old, rows.add(dataset.x[i], dataset.w[i], s)))
        plans.append(recipe)
    return rows, plans


def _cell_outcomes(run, cand: Candidate, recipe, ll: np.ndarray) -> list[Outcome]:
    """The outcomes of revealing or checking one cell, or checking one stream state."""
    dataset, draws = run.dataset, run.posterior
    old = ll[:, recipe[0][1]]
    if not cand.factor:  # a stream state read otherwise by a second coder
        epsilon = draws["stream_error"] if "stream_error" in draws else np.full(len(old), STREAM_DISAGREE)
        new, j = recipe[1]
        change = Change("stream", cand.case_id, phase=cand.phase, stream=cand.stream, old=cand.old, new=new)
        return [Outcome("same", 1.0 - epsilon, np.zeros_like(old)),
                Outcome(_code_text(new), epsilon, ll[:, j] - old, change)]
    k = dataset.factor_ids.index(cand.factor)
    mode = get_mode(options_of_draws(draws)["not_discussed"])
    fit = np.stack([ll[:, j] for _, j in recipe[1:]], axis=1)  # (draw, code)
    odds = np.log(mode.reveal_odds(draws, _code_counts(dataset, k)))
    share = np.exp(fit + odds - (fit + odds).max(axis=1, keepdims=True))
    if cand.kind == "check":
        share[:, CODES.index(cand.old)] = 0.0
    share /= share.sum(axis=1, keepdims=True)
    out = [Outcome("same", np.full(len(old), 1.0 - CHECK_DISAGREE), np.zeros_like(old))] if cand.kind == "check" else []
    for j, c in enumerate(CODES):
        if cand.kind == "check" and c == cand.old:
            continue
        p = share[:, j] * (CHECK_DISAGREE if cand.kind == "check" else 1.0)
        out.append(Outcome(_code_text(c), p, fit[:, j] - old,
                           Change("code", cand.case_id, factor=cand.factor, old=cand.old, new=c)))
    return out


def _new_outcomes(cand: Candidate, recipe, ll: np.ndarray) -> list[Outcome]:
    """The outcomes of ``n`` new cases of a profile: how many had each window outcome (their chance from the ratio)."""
    single = np.stack([ll[:, j] for _, j in recipe], axis=1)  # (draw, outcome)
    out = []
    for combo in itertools.combinations_with_replacement(range(len(recipe)), cand.n):
        counts = np.bincount(combo, minlength=len(recipe))
        label = ", ".join(f"{c} x {recipe[o][0]}" if cand.n > 1 else recipe[o][0]
                          for o, c in enumerate(counts) if c)
        ways = math.factorial(cand.n) / np.prod([math.factorial(int(c)) for c in counts])
        out.append(Outcome(label or "-", None, single @ counts + np.log(ways), counts=tuple(int(c) for c in counts)))
    return out


def _code_text(value: float) -> str:
    return f"{int(value):+d}" if value else "0"


def outcomes(run, cands: list[Candidate]) -> list[list[Outcome]]:
    """Every outcome of every candidate (one log-likelihood call for all the rows they need)."""
    rows, plans = _plan_outcomes(run, cands)
    ll = rows.loglik(run)
    return [_new_outcomes(c, r, ll) if c.kind == "new" else _cell_outcomes(run, c, r, ll)
            for c, r in zip(cands, plans)]


def outcome_dataset(dataset, cand: Candidate, outcome: Outcome):
    """The study's data after ``outcome`` (a copy): the cell changed, or the new cases appended (for an exact refit)."""
    if cand.kind != "new":
        return outcome.change.apply(dataset) if outcome.change is not None else dataset
    p = cand.profile
    unknown = [j for j in range(2) if np.isnan(p.w[j])]
    windows = [np.array(p.w, dtype=float) for _ in range(0)]
    for o, count in enumerate(outcome.counts):
        w = np.array(p.w, dtype=float)
        w[unknown] = list(itertools.product((0.0, 1.0), repeat=len(unknown)))[o]
        windows += [w] * count
    n = len(windows)
    ids = [f"new{j + 1}" for j in range(n)]
    cases = [{**{key: "" for key in dataset.cases[0]}, "case_id": c, "name": f"{p.name} ({j + 1})"}
             for j, c in enumerate(ids)]
    codes = [{"case_id": c, "factor": f, "code": v} for c in ids for f, v in zip(dataset.factor_ids, p.x)
             if not np.isnan(v)]
    return dataclasses.replace(
        dataset, cases=list(dataset.cases) + cases, codes=list(dataset.codes) + codes,
        x=np.vstack([dataset.x, np.tile(p.x, (n, 1))]), w=np.vstack([dataset.w, np.array(windows)]),
        s=np.concatenate([dataset.s, np.tile(np.array(p.s).reshape(1, 2, 3), (n, 1, 1))]),
        group=np.concatenate([dataset.group, np.full(n, -1)]), warnings=[])


# ---------------------------------------------------------------------------- what the queries read


@dataclass
class _Values:
    """Per-draw values of the queries on one posterior: ``draws[key]`` (draw,), ``levers[case]`` (factors, (lever, draw))."""

    draws: dict
    levers: dict
    prior_sd: dict


def _query_values(run_like, dataset, queries: list[Query], reference=None) -> _Values:
    posterior, reference = run_like.posterior, reference if reference is not None else dataset
    shared = isinstance(run_like, Run) and dataset is run_like.dataset
    base = run_baseline(run_like) if shared else baseline(posterior, dataset)  # the run's own: shared with its queries
    names = {_target(c)[0] for c in dataset.claims} | {"ace_step_w1", "ace_step_w2", "dependency_necessity"}
    wanted = {q.kind for q in queries}
    quantities = _quantities(posterior, dataset, base, names) if wanted - {"case"} else {}
    prior = run_like.prior or {}
    prior_base = (run_prior_baseline(run_like) if shared else baseline(prior, dataset)) if prior else None
    prior_quantities = _quantities(prior, dataset, prior_base, names) if prior and "claim" in wanted else {}
    draws, prior_sd, levers = {}, {}, {}
    for q in queries:
        if q.kind == "case":
            levers[q.key] = lever_draws(posterior, dataset, q.subject, base=base, reference=reference)
            continue
        name, index = _query_target(q, dataset)
        labels, values = quantities.get(name, ([], None))
        if index in labels:
            draws[q.key] = values[:, labels.index(index)]
            p_labels, p_values = prior_quantities.get(name, ([], None))
            if index in p_labels:
                prior_sd[q.key] = float(p_values[:, p_labels.index(index)].std())
    return _Values(draws, levers, prior_sd)


def _query_target(q: Query, dataset) -> tuple[str, str]:
    if q.kind == "claim":
        return _target(next(c for c in dataset.claims if c.id == q.subject))
    if q.kind == "effect":
        return ("ace_step_w1" if q.window == "W1" else "ace_step_w2"), q.subject
    return "dependency_necessity", ""


def _one_case(dataset, case_id: str):
    i = dataset.case_ids.index(case_id)
    rows = slice(i, i + 1)
    return dataclasses.replace(dataset, cases=dataset.cases[rows], x=dataset.x[rows], w=dataset.w[rows],
                               s=dataset.s[rows], group=dataset.group[rows],
                               codes=[c for c in dataset.codes if c["case_id"] == case_id], warnings=[])


# ---------------------------------------------------------------------------- weighted intervals, many weightings at once


def _interp_rows(level: float, cumulative: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.interp(level, cumulative[r], values)`` for every row ``r`` (``values`` sorted, as ``weighted_summary``)."""
    n = cumulative.shape[1]
    rows = np.arange(cumulative.shape[0])
    hi = np.clip((cumulative < level).sum(axis=1), 1, n - 1)
    lo = hi - 1
    c0, c1 = cumulative[rows, lo], cumulative[rows, hi]
    t = np.clip((level - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0, 1.0)
    out = values[lo] + t * (values[hi] - values[lo])
    out = np.where(level <= cumulative[:, 0], values[0], out)
    return np.where(level >= cumulative[:, -1], values[-1], out)


def _intervals(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``weights`` (row, draw; rows sum to 1): the 90% interval's ends and the sd of ``values``."""
    order = np.argsort(values, kind="stable")
    ordered, w = values[order], weights[:, order]
    cumulative = np.cumsum(w, axis=1) - 0.5 * w
    tail = (1.0 - LEVEL) / 2
    mean = weights @ values
    sd = np.sqrt(np.maximum(weights @ values ** 2 - mean ** 2, 0.0))
    return _interp_rows(tail, cumulative, ordered), _interp_rows(1.0 - tail, cumulative, ordered), sd


def _intervals_fast(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_intervals` by the numba kernel (:mod:`bayesstreams.fast.intervals`): no (row, draw) temporaries."""
    order = np.argsort(values, kind="stable")
    tail = (1.0 - LEVEL) / 2
    lo, hi, _, sd = weighted_interval_kernel()(values[order][None], order[None], np.zeros(len(weights), dtype=np.intp),
                                           weights, tail, 1.0 - tail)
    return lo, hi, sd


def _claim_stats(q: Query, dataset, values: _Values, weights: np.ndarray, fixed: set, intervals=_intervals) -> dict:
    lo, hi, sd = intervals(values.draws[q.key], weights)
    out = {"width": hi - lo, "sd": sd}
    if q.kind == "claim":
        claim = next(c for c in dataset.claims if c.id == q.subject)
        limit = PRIOR_DRIVEN_SD * values.prior_sd.get(q.key, np.inf)
        out["verdict"] = np.array([CANNOT_TELL if claim.id in fixed or s > limit else
                                   _judge(claim.expected, REFERENCE[claim.query], a, b)
                                   for a, b, s in zip(lo, hi, sd)], dtype=object)
    return out


def _first_levers(factors: list, gains: np.ndarray, weights: np.ndarray, min_gain: float):
    """Each weight row's first lever: ``(first, lever)``, or ``None`` when there is no factor to pull.

    ``first`` is the index of the factor with the largest weighted mean gain per row; ``lever`` names it
    where that mean reaches ``min_gain`` (else ``None``).  Shared by the reference and the fast path.
    """
    if not factors:
        return None
    means = weights @ gains.T
    first = means.argmax(axis=1)
    lever = np.array([factors[f] if means[r, f] >= min_gain else None for r, f in enumerate(first)], dtype=object)
    return first, lever


def _no_lever(n: int) -> dict:
    return {"width": np.zeros(n), "sd": np.zeros(n), "lever": np.array([None] * n, dtype=object)}


def _lever_stats(factors: list, gains: np.ndarray, weights: np.ndarray, min_gain: float) -> dict:
    n = weights.shape[0]
    found = _first_levers(factors, gains, weights, min_gain)
    if found is None:
        return _no_lever(n)
    first, lever = found
    width, sd = np.zeros(n), np.zeros(n)
    for f in np.unique(first):
        rows = first == f
        lo, hi, s = _intervals(gains[f], weights[rows])
        width[rows], sd[rows] = hi - lo, s
    return {"width": width, "sd": sd, "lever": lever}


def _lever_stats_fast(factors: list, gains: np.ndarray, weights: np.ndarray, min_gain: float) -> dict:
    """:func:`_lever_stats` in one kernel call: each row's interval read against its own first lever's gains."""
    found = _first_levers(factors, gains, weights, min_gain)
    if found is None:
        return _no_lever(weights.shape[0])
    first, lever = found
    order = np.argsort(gains, axis=1, kind="stable")
    tail = (1.0 - LEVEL) / 2
    lo, hi, _, sd = weighted_interval_kernel()(np.take_along_axis(gains, order, axis=1), order, first,
                                           weights, tail, 1.0 - tail)
    return {"width": hi - lo, "sd": sd, "lever": lever}


# ---------------------------------------------------------------------------- the preposterior analysis


@dataclass
class _Table:
    """Every outcome of every candidate, one row each: candidate, PSIS weights, predictive weight per draw, Pareto k.

    ``k`` is NaN where no Pareto tail was fitted (:func:`~bayesstreams.analysis.fragility.psis_weights`'
    None) and on the rows refitted exactly (``refit``).
    """

    cand: np.ndarray
    weights: np.ndarray
    g: np.ndarray
    k: np.ndarray
    items: list
    refit: dict


def _table(run, cands, outs, refits, reference: bool = False) -> _Table:
    """The table of outcomes; ``reference``: PSIS one outcome at a time, else all rows in one vectorised fit."""
    n = len(run.posterior["rho"])
    items = [(c, o) for c, group in enumerate(outs) for o in group]
    weights, g, k = np.empty((len(items), n)), np.empty((len(items), n)), np.zeros(len(items))
    top = {}
    for c, o in items:
        if o.p_draw is None:
            top[c] = max(top.get(c, -np.inf), float(o.log_ratio.max()))
    refit = {}
    for e, (c, o) in enumerate(items):
        g[e] = o.p_draw if o.p_draw is not None else np.exp(o.log_ratio - top[c])
        given = (refits or {}).get((cands[c].key, o.label))
        if given is not None:
            refit[e], weights[e], k[e] = given, 1.0 / n, np.nan
        elif reference:
            weights[e], one = psis_weights(o.log_ratio)
            k[e] = np.nan if one is None else one  # NaN: no tail fitted (a refit row is told by ``refit``)
    rest = [e for e in range(len(items)) if e not in refit]
    if not reference and rest:
        weights[rest], k[rest] = psis_weights_many(np.array([items[e][1].log_ratio for e in rest]))
    return _Table(np.array([c for c, _ in items], dtype=int), weights, g, k, items, refit)


def _row_stats(run, queries, values: _Values, weights, fixed, min_gain, table: _Table, block, own: dict,
               reference: bool = False, flat=None) -> dict:
    """Per query: the stats of the current posterior (row 0) and of each outcome (rows 1...), on one block of draws.

    ``reference``: the plain NumPy path the fast one (numba intervals, the own levers in one call) is held to;
    the fast one reads an outcome whose weights are all the same (``flat``) as the current posterior (row 0).
    """
    dataset = run.dataset
    lever_stats, intervals = (_lever_stats, _intervals) if reference else (_lever_stats_fast, _intervals_fast)
    if reference:
        w = np.vstack([np.full(weights.shape[1], 1.0), weights])[:, block]
        w /= w.sum(axis=1, keepdims=True)
        rows, index = w, np.arange(len(w))
    else:  # ``weights`` holds row 0 already; a block is a run of consecutive draws, read as a view
        part = weights[:, int(block[0]):int(block[-1]) + 1]
        w = part / part.sum(axis=1, keepdims=True)
        keep = np.flatnonzero(np.concatenate([[True], ~flat]))
        index = np.zeros(len(w), dtype=int)
        index[keep] = np.arange(len(keep))
        rows = w[keep]
    expand = lambda stats: {name: values[index] for name, values in stats.items()}  # noqa: E731
    out = {}
    for q in queries:
        if q.kind == "case":
            stats = expand(lever_stats(*_block_levers(values.levers[q.key], block), rows, min_gain))
            mine = own.get(q.key, {})
            if reference:
                for e, gains in mine.items():
                    one = _lever_stats(*_block_levers(gains, block), w[e + 1:e + 2], min_gain)
                    for name in stats:
                        stats[name][e + 1] = one[name][0]
            elif mine:
                _own_lever_stats(stats, mine, block, w, min_gain)
        elif q.key in values.draws:
            stats = expand(_claim_stats(q, dataset, _Values({q.key: values.draws[q.key][block]}, {}, values.prior_sd),
                                        rows, fixed, intervals))
        else:
            continue
        out[q.key] = stats
    for e, refit in table.refit.items():  # an exact refit: its own draws, each weighing the same
        _refit_stats(out, e, refit, run, queries, fixed, min_gain, block, w.shape[1], table.items[e][1].change)
    return out


def _own_lever_stats(stats: dict, mine: dict, block, w: np.ndarray, min_gain: float) -> None:
    """The rows whose outcome changes the case's own data, each with its own lever gains, in one kernel call."""
    rows = np.array(sorted(mine)) + 1
    chosen, levers, means = [], [], []
    for e in rows - 1:
        factors, gains = _block_levers(mine[e], block)
        if not factors:
            chosen.append(np.zeros(len(block)))
            levers.append(None)
            means.append(np.nan)
            continue
        m = w[e + 1] @ gains.T
        f = int(m.argmax())
        chosen.append(gains[f])
        levers.append(factors[f] if m[f] >= min_gain else None)
        means.append(m[f])
    chosen = np.array(chosen)
    order = np.argsort(chosen, axis=1, kind="stable")
    tail = (1.0 - LEVEL) / 2
    sub = w[rows]
    lo, hi, _, sd = weighted_interval_kernel()(np.take_along_axis(chosen, order, axis=1), order, np.arange(len(rows)),
                                           sub, tail, 1.0 - tail)
    empty = np.array([lever is None and np.isnan(m) for lever, m in zip(levers, means)])
    stats["width"][rows] = np.where(empty, 0.0, hi - lo)
    stats["sd"][rows] = np.where(empty, 0.0, sd)
    for r, lever in zip(rows, levers):
        stats["lever"][r] = lever


def _block_levers(levers, block):
    factors, gains = levers
    return factors, gains[:, block]


def _refit_reading(refit, run, queries, change) -> _Values:
    """The refit's draws read as a reweighted outcome is read: claims, effects and the dependency on the study's
    data (new cases do not join the average over cases), a case's lever on its changed data only where the change
    is in its target (as :func:`_own_levers`)."""
    values = _query_values(refit, run.dataset, [q for q in queries if q.kind != "case"])
    for q in queries:
        if q.kind == "case":
            own = change is not None and change.case_id == q.subject and _in_target(run.dataset, q.subject, change)
            data = _one_case(change.apply(run.dataset), q.subject) if own else run.dataset
            values.levers[q.key] = lever_draws(refit.posterior, data, q.subject, reference=run.dataset)
    return values


def _refit_stats(out, e, refit, run, queries, fixed, min_gain, block, n_block, change=None):
    values = _refit_reading(refit, run, queries, change)
    n = len(refit.posterior["rho"])
    rows = np.arange(n) if n_block == len(run.posterior["rho"]) else np.array_split(np.arange(n), BATCHES)[
        _block_index(block, run)]
    w = np.full((1, len(rows)), 1.0 / len(rows))
    for q in queries:
        if q.key not in out:
            continue
        if q.kind == "case":
            one = _lever_stats(*_block_levers(values.levers[q.key], rows), w, min_gain)
        elif q.key in values.draws:
            one = _claim_stats(q, refit.dataset, _Values({q.key: values.draws[q.key][rows]}, {}, values.prior_sd),
                               w, fixed)
        else:
            continue
        for name in out[q.key]:
            out[q.key][name][e + 1] = one[name][0]


def _block_index(block, run) -> int:
    starts = [b[0] for b in np.array_split(np.arange(len(run.posterior["rho"])), BATCHES)]
    return starts.index(block[0])


def _own_levers(run, queries, table: _Table, cands) -> dict:
    """``{case query: {outcome row: (factors, gains)}}``: the lever gains where the outcome changes that case's own data."""
    dataset, out = run.dataset, {}
    for q in queries:
        if q.kind != "case":
            continue
        mine = {}
        for e, (c, o) in enumerate(table.items):
            change = o.change
            if change is None or change.case_id != q.subject or e in table.refit or not _in_target(dataset, q.subject, change):
                continue
            changed = _one_case(change.apply(dataset), q.subject)
            mine[e] = lever_draws(run.posterior, changed, q.subject, reference=dataset)
        out[q.key] = mine
    return out


def _own_levers_fast(run, queries, table: _Table, cands) -> dict:
    """:func:`_own_levers` with each case's changed data stacked as cases of one dataset (one baseline, few calls)."""
    dataset, out = run.dataset, {}
    for q in queries:
        if q.kind != "case":
            continue
        rows = [e for e, (c, o) in enumerate(table.items) if o.change is not None and o.change.case_id == q.subject
                and e not in table.refit and _in_target(dataset, q.subject, o.change)]
        if not rows:
            out[q.key] = {}
            continue
        changes = [table.items[e][1].change for e in rows]
        stacked = _stacked(dataset, [_one_case(change.apply(dataset), q.subject) for change in changes])
        base = _shifted_baseline(run, stacked, q.subject, changes) if is_v1(options_of_draws(run.posterior)) else None
        levers = lever_draws_many(run.posterior, stacked, reference=dataset, base=base, kernel=counterfactual_kernel())
        out[q.key] = dict(zip(rows, levers))
    return out


def _shifted_baseline(run, stacked, case: str, changes: list) -> Baseline:
    """The baseline of one case's changed data without recomputing it (the v1 model, where ``eta`` is linear
    in the codes): the case's ``eta`` with the changed cell's ``beta x`` moved, a stream state changing nothing."""
    base, i = run_baseline(run), run.dataset.case_ids.index(case)
    beta = run.posterior["beta"]
    eta = np.repeat(base.eta[:, i][:, None], len(changes), axis=1)
    for j, change in enumerate(changes):
        if change.kind == "code":
            k = run.dataset.factor_ids.index(change.factor)
            step = np.nan_to_num(change.new) - np.nan_to_num(change.old)
            eta[:, j, base.factor_phase[k], base.factor_stream[k]] += beta[:, k] * step
    return Baseline(base.kind, base.draws, np.nan_to_num(np.asarray(stacked.x, dtype=float)), base.factor_phase,
                    base.factor_stream, eta)


def _stacked(dataset, variants: list):
    """One-case datasets as the cases of one dataset, each under its own id (``voi0``, ``voi1``, ...)."""
    ids = [f"voi{j}" for j in range(len(variants))]
    return dataclasses.replace(
        dataset, cases=[{**v.cases[0], "case_id": i} for i, v in zip(ids, variants)],
        codes=[{**c, "case_id": i} for i, v in zip(ids, variants) for c in v.codes],
        x=np.concatenate([v.x for v in variants]), w=np.concatenate([v.w for v in variants]),
        s=np.concatenate([v.s for v in variants]), group=np.concatenate([v.group for v in variants]), warnings=[])


def _aggregate(stats: dict, table: _Table, block, n_cands: int) -> dict:
    """Per (query, candidate): expected width, reduction, P(verdict / lever changes), P(leaves cannot tell)."""
    mass = table.g[:, block].sum(axis=1)
    total = np.bincount(table.cand, weights=mass, minlength=n_cands)
    p = mass / total[table.cand]
    out = {}
    for key, s in stats.items():
        width, sd = s["width"], s["sd"]
        row = {"width_now": np.full(n_cands, width[0]), "sd_now": np.full(n_cands, sd[0]),
               "expected_width": np.bincount(table.cand, weights=p * width[1:], minlength=n_cands),
               "expected_sd": np.bincount(table.cand, weights=p * sd[1:], minlength=n_cands)}
        row["expected_reduction"] = width[0] - row["expected_width"]
        for name in ("verdict", "lever"):
            if name in s:
                changed = np.array([a != s[name][0] for a in s[name][1:]], dtype=float)
                row[f"p_{name}_change"] = np.bincount(table.cand, weights=p * changed, minlength=n_cands)
        if "verdict" in s:
            leaves = np.array([s["verdict"][0] == CANNOT_TELL and a != CANNOT_TELL for a in s["verdict"][1:]],
                              dtype=float)
            row["p_leaves_cannot_tell"] = np.bincount(table.cand, weights=p * leaves, minlength=n_cands)
        out[key] = row
    return out, p


WORTH_LEVELS = ((0.25, "high"), (0.05, "medium"))  # P(first lever changes) or share of the interval narrowed


def reveal_order(values: dict) -> list[str]:
    """Factors by what revealing them is worth for the case's advice: P(first lever changes), then the
    expected narrowing of its gain's interval (the brief's "find out first" and the what-if page's marks)."""
    return sorted(values, key=lambda f: (-values[f]["p_lever_change"], -values[f]["expected_reduction"]))


def worth_level(p_lever_change: float, reduction_share: float) -> str:
    """``"high"``, ``"medium"`` or ``"low"``: the larger of P(first lever changes) and the share of the
    interval narrowed, against 0.25 and 0.05."""
    value = max(p_lever_change, reduction_share)
    return next((name for limit, name in WORTH_LEVELS if value >= limit), "low")


@dataclass
class NextEvidence:
    """The value of each candidate for each query: ``frame`` (one row per query and candidate, ranked) and the outcomes."""

    frame: object
    queries: list
    candidates: list
    outcomes: list  # per candidate, its Outcome list, in ``candidates`` order
    now: dict = field(default_factory=dict)  # per query: {"width", "sd", "verdict" or "lever"} of the current posterior
    n_refits: int = 0

    def top(self, query, n: int = 3):
        """The ``n`` most valuable candidates for one query (its key or :class:`Query`)."""
        key = query.key if isinstance(query, Query) else str(query)
        rows = self.frame[self.frame["query"] == key]
        return rows.nsmallest(n, "rank")

    def to_xarray(self):
        """The table as an ``xarray.Dataset`` with dims ``(query, candidate)``."""
        numeric = [c for c in self.frame.columns if self.frame[c].dtype.kind == "f"]
        return self.frame.set_index(["query", "candidate"])[numeric].to_xarray()

    def reveal_values(self, case_id: str, factors=None) -> dict | None:
        """Per not-discussed factor of a case: what revealing it is worth for the case's own advice.

        ``{factor: {"p_lever_change", "expected_reduction"}}`` from the rows of query ``case:<id>``
        and the case's ``reveal`` candidates (all, or those of ``factors``); None when this result
        has no such query or lacks one of ``factors`` (then compute it: :func:`next_evidence`).
        """
        frame = self.frame
        if frame is None or frame.empty:
            return None
        rows = frame[(frame["query"] == f"case:{case_id}") & (frame["kind"] == "reveal") & (frame["case_id"] == case_id)]
        values = {row["factor"]: {"p_lever_change": float(row["p_lever_change"]),
                                  "expected_reduction": float(row["expected_reduction"]),
                                  "width_now": float(row["width_now"])}
                  for row in rows.to_dict("records")}
        if rows.empty or (factors is not None and not set(factors) <= set(values)):
            return None
        return values if factors is None else {f: values[f] for f in factors}

    def for_case(self, case_id: str, n: int = 3):
        """What to find out first for one case: the candidates ranked for its query ``case:<id>``."""
        return self.top(f"case:{case_id}", n)


def next_evidence(run, queries=None, candidates_of=None, kinds=KINDS, profiles=None, sizes=SIZES, refits=None,
                  min_gain: float = DEFAULT_MIN_GAIN, fixed_claims=(), reference: bool = False) -> NextEvidence:
    """The preposterior value of each candidate for each query (see the module docstring).

    Parameters
    ----------
    run
        A fitted or loaded run of a kind with streams.
    queries
        :class:`Query` objects or their spellings (default :func:`default_queries`).
    candidates_of
        A filter on :class:`Candidate` (default: every candidate of ``kinds``).
    kinds, profiles, sizes
        Which candidates: ``reveal``, ``check``, ``new``; the profiles of new cases (default
        :func:`proposed_profiles`) and how many of each.
    refits
        ``{(candidate.key, outcome.label): Run}``: exact refits of an outcome's data, used instead of
        its reweighting (:func:`bayesstreams.pipeline.robustness.next_evidence` fits them).
    fixed_claims
        Claim ids whose verdict stays (a claim on a factor with no data).
    reference
        Compute with the plain NumPy path (one outcome at a time) that the default fast path is
        tested against (equal to 1e-12); slower, for checks only.

    Returns
    -------
    NextEvidence
    """
    dataset = run.dataset
    queries = [q if isinstance(q, Query) else parse_query(q, dataset) for q in (queries or default_queries(dataset))]
    cands = [c for c in candidates(dataset, kinds, profiles, sizes) if candidates_of is None or candidates_of(c)]
    outs = outcomes(run, cands)
    table = _table(run, cands, outs, refits, reference)
    values = _query_values(run, dataset, queries)
    own = (_own_levers if reference else _own_levers_fast)(run, queries, table, cands)
    fixed = set(fixed_claims)
    n = len(run.posterior["rho"])
    blocks = [np.arange(n)] + np.array_split(np.arange(n), BATCHES)
    flat = ~np.any(table.weights != table.weights[:, :1], axis=1)  # outcomes that leave every weight the same
    weights = table.weights if reference else np.vstack([np.full(n, 1.0), table.weights])  # row 0: the posterior now
    results = []
    for block in blocks:
        stats = _row_stats(run, queries, values, weights, fixed, min_gain, table, block, own, reference, flat)
        results.append((stats, *_aggregate(stats, table, block, len(cands))))
    frame = (_frame if reference else _frame_fast)(queries, cands, table, results)
    now = {key: {name: s[name][0] for name in s} for key, s in results[0][0].items()}
    return NextEvidence(frame, queries, cands, outs, now, len(table.refit))


def _frame(queries, cands, table: _Table, results):
    import pandas as pd

    stats, full, p = results[0]
    unreliable, max_k = _reliability(table, len(cands))
    p_unreliable = np.bincount(table.cand, weights=p * unreliable, minlength=len(cands))
    refitted = np.bincount(table.cand, weights=np.isin(np.arange(len(table.items)), list(table.refit)),
                           minlength=len(cands))
    rows = []
    for q in queries:
        if q.key not in full:
            continue
        batch = [r[1][q.key] for r in results[1:]]
        for j, c in enumerate(cands):
            row = {"query": q.key, "candidate": c.key, "kind": c.kind, "case_id": c.case_id, "factor": c.factor,
                   "phase": c.phase or None, "stream": c.stream, "old": c.old,
                   "profile": c.profile.name if c.profile else "", "n": c.n if c.kind == "new" else None}
            for name, values in full[q.key].items():
                row[name] = float(values[j])
                spread = np.std([b[name][j] for b in batch], ddof=1) / np.sqrt(len(batch))
                if name in ("expected_reduction", "p_verdict_change", "p_leaves_cannot_tell", "p_lever_change"):
                    row[f"{name}_se"] = float(spread)
            row["verdict_now"] = stats[q.key]["verdict"][0] if "verdict" in stats[q.key] else None
            row["lever_now"] = stats[q.key]["lever"][0] if "lever" in stats[q.key] else None
            row.update(max_k=float(max_k[j]), p_unreliable=float(p_unreliable[j]), refits=int(refitted[j]))
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["p_lever_change"] = frame.get("p_lever_change", np.nan)
    frame["rank"] = _ranks(frame)
    return frame.sort_values(["query", "rank"], kind="stable").reset_index(drop=True)


def _reliability(table: _Table, n_cands: int) -> tuple[np.ndarray, np.ndarray]:
    """Per outcome whether its reweighting is unreliable (k above 0.7 or no tail fitted, and no refit); per
    candidate its largest Pareto k over the outcomes not refitted (NaN, null in JSON: some outcome had no tail fitted)."""
    refitted = np.isin(np.arange(len(table.items)), list(table.refit))
    unfitted = np.isnan(table.k) & ~refitted
    unreliable = ((table.k > K_MAX) | unfitted) & ~refitted
    max_k = np.full(n_cands, 0.0)
    with np.errstate(invalid="ignore"):  # NaN wins: no tail fitted
        np.maximum.at(max_k, table.cand, np.where(refitted, 0.0, table.k))
    return unreliable, max_k


def _frame_fast(queries, cands, table: _Table, results):
    """:func:`_frame` built column by column (the same rows, columns and order) instead of row by row."""
    import pandas as pd

    stats, full, p = results[0]
    refitted_rows = np.isin(np.arange(len(table.items)), list(table.refit))
    n_cands = len(cands)
    unreliable, max_k = _reliability(table, n_cands)
    p_unreliable = np.bincount(table.cand, weights=p * unreliable, minlength=n_cands)
    refitted = np.bincount(table.cand, weights=refitted_rows, minlength=n_cands).astype(int)
    labels = {"candidate": [c.key for c in cands], "kind": [c.kind for c in cands],
              "case_id": [c.case_id for c in cands], "factor": [c.factor for c in cands],
              "phase": [c.phase or None for c in cands], "stream": [c.stream for c in cands],
              "old": np.array([c.old for c in cands], dtype=float),
              "profile": [c.profile.name if c.profile else "" for c in cands],
              "n": [c.n if c.kind == "new" else None for c in cands]}
    blocks = []
    for q in queries:
        if q.key not in full:
            continue
        block = {"query": [q.key] * n_cands, **labels}
        batch = [r[1][q.key] for r in results[1:]]
        for name, values in full[q.key].items():
            block[name] = np.asarray(values, dtype=float)
            if name in ("expected_reduction", "p_verdict_change", "p_leaves_cannot_tell", "p_lever_change"):
                spread = np.std(np.array([b[name] for b in batch], dtype=float), axis=0, ddof=1)
                block[f"{name}_se"] = spread / np.sqrt(len(batch))
        block["verdict_now"] = [stats[q.key]["verdict"][0] if "verdict" in stats[q.key] else None] * n_cands
        block["lever_now"] = [stats[q.key]["lever"][0] if "lever" in stats[q.key] else None] * n_cands
        block.update(max_k=max_k, p_unreliable=p_unreliable, refits=refitted)
        blocks.append(block)
    if not blocks or not n_cands:
        return pd.DataFrame()
    columns = list(dict.fromkeys(name for block in blocks for name in block))
    data = {}
    for name in columns:
        parts = [block.get(name, np.full(n_cands, np.nan)) for block in blocks]
        data[name] = np.concatenate(parts) if all(isinstance(v, np.ndarray) for v in parts) else \
            [v for part in parts for v in part]
    frame = pd.DataFrame(data)
    frame["p_lever_change"] = frame.get("p_lever_change", np.nan)
    frame["rank"] = _ranks(frame)
    return frame.sort_values(["query", "rank"], kind="stable").reset_index(drop=True)


def _ranks(frame):
    """Within each query: by P(first lever changes) for a case, then by expected reduction of the interval width.

    Values equal to 1e-9 are ties, kept in the candidates' order: which of two alike cases to ask
    first must not hang on the last bits of a sum.
    """
    key = frame["p_lever_change"].fillna(0.0).round(3) * 10 + frame["expected_reduction"] / frame["width_now"].where(
        frame["width_now"] > 0, 1.0)
    return key.round(9).groupby(frame["query"]).rank(ascending=False, method="first").astype(int)
