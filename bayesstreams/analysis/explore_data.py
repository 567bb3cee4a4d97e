"""What the what-if page computes with: thinned posterior draws, the codebook and the reference cases.

The page (:mod:`bayesstreams.reporting.explore_page`) scores a profile of factor codes in the browser,
from the draws embedded in it.  This module decides what those draws are and holds the Python side
of the same scoring, so that a test can hold the page to the package:

* :func:`thin_indices` keeps ``n`` draws of a run, evenly spaced within each chain and spread over
  the chains as evenly as possible (deterministic: the same run and ``n`` give the same draws);
* :func:`explore_payload` is the page's data: per kept draw every parameter that scoring reads
  (:data:`SCORING_PARAMETERS`, those the run holds: the kind's window parameters, group offsets and,
  under an evidence mode of MODEL.md §7, ``code_prob``, the salience and confusion parameters), the
  evidence options read from the draws, the codebook with each factor's data support (a factor
  without data support is marked *no data: prior only* and never offered as a lever), and the
  reference cases' codes, names, levels and groups (their respondent counts too under latent
  respondents, so that a reference case scores as in the run);
* :func:`explore_scores` scores profiles on exactly those draws with the package's own code
  (:func:`bayesstreams.analysis.queries.baseline` and the lever and bottleneck code of
  :mod:`bayesstreams.analysis.scoring`), which the page must reproduce.

What the page shows is the case advice (:func:`bayesstreams.analysis.advice.advise`, MODEL.md §9) on
those draws, so that the page, the report, the brief, ``score`` and ``compare-cases`` say the same
(:func:`what_if`): starting from a reference case (its codes, coded streams and known windows) or
from a new municipality of which nothing is known, each window is shown as known or as its chance
given what is known, *before* (the start) and *after* the changes made on the page, each change an
intervention ``do(x_k = code)`` on the start (the plans' reading: the start's own noises are kept);
toward the first window not yet open, each factor of its phase with data support below +1 is a
step, *now* (after the changes) -> *with this step*, and a not-discussed one is *find out first*.
Unedited, a reference case's numbers are ``advise(draws, dataset, case)``'s exactly.  The additive
kind has no advice: the page then shows its codes-only chances and levers (:func:`codes_scores`).
"""

from __future__ import annotations

import base64

import numpy as np

from bayesstreams.analysis.advice import WINDOWS, _case, weighted_summary
from bayesstreams.analysis.case_evidence import case_evidence
from bayesstreams.analysis.prior_dependence import CASE_CHANCES, prior_dependence
from bayesstreams.analysis.queries import DEFAULT_MIN_GAIN, baseline, windows
from bayesstreams.analysis.scoring import _levers, _summary
from bayesstreams.analysis.voi import next_evidence, reveal_order, worth_level
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.data.dataset import Dataset
from bayesstreams.data.support import no_data_factors
from bayesstreams.model import evidence as ev
from bayesstreams.model.kinds import kind_of_draws
from bayesstreams.model.modes import EVIDENCE_DEFAULTS, respondents_of

DEFAULT_DRAWS = 400
PAYLOAD_VERSION = 1
# the parameters any kind's scoring reads (the others, mu, tau, z, gamma_raw, sigma_group, never enter a score)
SCORING_PARAMETERS = ("alpha", "beta", "lambda", "kappa", "rho", "a", "delta", "gamma", "code_prob",
                      "salience_zero", "salience_nonzero", "confusion")


def thin_indices(n_samples: int, n_chains: int, n: int = DEFAULT_DRAWS) -> np.ndarray:
    """Indices of ``n`` of a run's ``n_samples`` chain-major draws, evenly spaced within each chain.

    The first ``n % n_chains`` chains give one draw more; within a chain of ``D`` draws the ``m``
    kept ones are ``floor(j * D / m)``, ``j = 0 .. m - 1``.  ``n >= n_samples`` keeps every draw.

    Examples
    --------
    >>> thin_indices(8, 2, 4).tolist()
    [0, 2, 4, 6]
    >>> thin_indices(9, 3, 4).tolist()
    [0, 1, 3, 6]
    """
    if n < 1:
        raise ValueError("keep at least one draw")
    n_chains = max(1, int(n_chains))
    if n_samples % n_chains:  # not a chain-major flattening of equal chains: spread over all draws
        n_chains = 1
    if n >= n_samples:
        return np.arange(n_samples)
    per_chain = n_samples // n_chains
    counts = [n // n_chains + (1 if c < n % n_chains else 0) for c in range(n_chains)]
    kept = [c * per_chain + (np.arange(m) * per_chain) // m for c, m in enumerate(counts) if m]
    return np.concatenate(kept).astype(int)


def thin_draws(posterior: dict, n_chains: int, n: int = DEFAULT_DRAWS) -> dict:
    """The scoring parameters of ``posterior`` at :func:`thin_indices` (copies, float64)."""
    n_samples = int(next(iter(posterior.values())).shape[0])
    keep = thin_indices(n_samples, n_chains, n)
    return {name: np.array(posterior[name][keep], dtype=float) for name in SCORING_PARAMETERS if name in posterior}


def _nested(array: np.ndarray):
    """A float array as nested lists of Python floats (``json`` writes each with ``repr``: exact)."""
    return np.asarray(array, dtype=float).tolist()


def pack(array: np.ndarray) -> dict:
    """A float array as ``{"shape", "data"}``: its little-endian float64 bytes in base64 (exact, half the size of JSON)."""
    array = np.ascontiguousarray(array, dtype="<f8")
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode("ascii")}


def unpack(packed: dict) -> np.ndarray:
    """The array of :func:`pack`."""
    return np.frombuffer(base64.b64decode(packed["data"]), dtype="<f8").reshape(packed["shape"]).astype(float)


def _codes(row: np.ndarray) -> list:
    return [None if np.isnan(v) else int(v) for v in row]


def prior_flags(run, profiles, check_run=None) -> tuple[list[dict], list[str]]:
    """Per case of ``profiles``, whether its P(W1) and P(W2) are prior-driven (on all of the run's draws), and the checks.

    The flag ``score`` shows (:func:`bayesstreams.analysis.prior_dependence.prior_dependence`):
    power-scaling, and the wide-prior ``check_run`` when given.
    """
    measured = prior_dependence(run, check_run, dataset=profiles, names=CASE_CHANCES)
    return ([{name: bool(measured.flag(name, case)) for name in CASE_CHANCES} for case in profiles.case_ids],
            list(measured.checks))


def explore_payload(run, n_draws: int = DEFAULT_DRAWS, min_gain: float | None = None, top_levers: int = 3,
                    check_run=None, measure_prior: bool = True, next_found=None) -> dict:
    """The what-if page's data: thinned draws, evidence options, codebook, reference cases (see module docs).

    Parameters
    ----------
    run
        A fitted or loaded run.
    n_draws
        How many posterior draws to keep (:func:`thin_indices`).
    min_gain
        The gain in P(W2) whose posterior probability each lever reports (default that of ``score``).
    top_levers
        How many levers the page lists.
    check_run, measure_prior
        With ``measure_prior`` (and a model file on the run) every reference case and the empty
        profile carry the prior-driven flags of their P(W1) and P(W2) (:func:`prior_flags`, with the
        wide-prior ``check_run`` when given): the page shows them while that profile is unedited.
    next_found
        The study's what to find out next, when computed already: each reference case's
        ``worth`` (:func:`worth_marks`, the value of asking about each not-discussed cell) is
        read from it instead of computed (a kind with streams only).

    Returns
    -------
    dict
        JSON-ready: ``draws`` (parameter -> :func:`pack`, draw first), ``options``, ``factors``,
        ``groups``, ``cases`` (each with its ``worth`` marks, :func:`worth_marks`) and the settings;
        every number exact.

    Examples
    --------
    >>> payload = explore_payload(run, n_draws=40)
    >>> payload["n_draws"], payload["draws"]["beta"]["shape"][0], len(payload["cases"]) == run.dataset.n_cases
    (40, 40, True)
    """
    dataset = run.dataset
    draws = thin_draws(run.posterior, run.n_chains, n_draws)
    kind = kind_of_draws(run.posterior)
    options = ev.options_of_draws(draws) if kind.has_streams else dict(EVIDENCE_DEFAULTS)
    no_data = no_data_factors(dataset)
    counts = ev.respondent_counts(dataset, dataset.x) if respondents_of(options).codes_latent else None
    cases = []
    for i, case_id in enumerate(dataset.case_ids):
        entry = {"id": case_id, "name": dataset.case_column("name")[i] or case_id,
                 "level": dataset.case_column("level")[i], "group": int(dataset.group[i]),
                 "codes": _codes(dataset.x[i]), "w": _codes(dataset.w[i]),
                 "s": [_codes(row) for row in dataset.s[i]]}
        if counts is not None:
            entry["counts"] = _nested(counts[i])
        cases.append(entry)
    factors = [{"id": f.id, "label": {"en": f.label("en"), "nl": f.label("nl")},
                "action": {"en": f.action("en"), "nl": f.action("nl")}, "phase": PHASES.index(f.phase),
                "stream": STREAMS.index(f.stream), "no_data": f.id in no_data, "context": not f.actionable}
               for f in dataset.codebook.factors]
    if kind.has_streams:
        for entry, marks in zip(cases, worth_marks(run, next_found)):
            entry["worth"] = marks
    n_kept = len(next(iter(draws.values())))
    checks, empty_flags = [], {"p_w1": False, "p_w2": False}
    if measure_prior:
        flags, checks = prior_flags(run, dataset, check_run)
        for entry, flag in zip(cases, flags):
            entry["prior_driven"] = flag
        empty = profile_of_codes({"factors": factors, "groups": list(dataset.groups)}, dataset.codebook,
                                 [{"case_id": "empty", "codes": [None] * len(factors)}])
        empty_flags = prior_flags(run, empty, check_run)[0][0]
    return {"prior_checks": checks, "empty_prior_driven": empty_flags,"version": PAYLOAD_VERSION, "kind": kind.name, "has_streams": bool(kind.has_streams), "options": options,
            "n_draws": n_kept, "n_samples": run.n_samples,
            "min_gain": float(DEFAULT_MIN_GAIN if min_gain is None else min_gain), "top_levers": int(top_levers),
            "dataset": dataset.name, "phases": list(PHASES), "study_phases": list(dataset.phases),
            "study_words": {lang: dataset.codebook.study_words(lang) for lang in ("en", "nl")}, "streams": list(STREAMS), "groups": list(dataset.groups),
            "factors": factors, "cases": cases, "draws": {name: pack(value) for name, value in draws.items()}}


def worth_marks(run, found=None) -> list[dict]:
    """Per case of the run: what revealing each of its not-discussed cells is worth for its own advice.

    ``{factor: {"p_lever_change", "expected_reduction", "share", "level", "order"}}`` from
    :func:`bayesstreams.analysis.voi.next_evidence` (query ``case:<id>``, candidates ``reveal``) on
    all of the run's draws, not the page's thinned ones: ``share`` is the expected narrowing over
    the interval's width now, ``level`` :func:`~bayesstreams.analysis.voi.worth_level`'s word and
    ``order`` the rank of :func:`~bayesstreams.analysis.voi.reveal_order` (the brief's "find out
    first" order).  Empty for a case with no window to open or no not-discussed cell; ``found``
    (the study's result, when ``analyze`` computed it) is read instead of computing again.
    """
    dataset = run.dataset
    wanted = [c for i, c in enumerate(dataset.case_ids)
              if not (dataset.w[i] == 1).all() and np.isnan(dataset.x[i]).any()]
    values = {c: found.reveal_values(c) for c in wanted} if found is not None else {}
    missing = [c for c in wanted if values.get(c) is None]
    if missing:
        fresh = next_evidence(run, queries=[f"case:{c}" for c in missing], kinds=("reveal",),
                              candidates_of=lambda cand: cand.case_id in missing)
        values.update({c: fresh.reveal_values(c) for c in missing})
    out = []
    for case in dataset.case_ids:
        mine = values.get(case) or {}
        marks = {}
        for rank, factor in enumerate(reveal_order(mine), start=1):
            v = mine[factor]
            share = v["expected_reduction"] / v["width_now"] if v["width_now"] > 0 else 0.0
            marks[factor] = {"p_lever_change": v["p_lever_change"], "expected_reduction": v["expected_reduction"],
                             "share": share, "level": worth_level(v["p_lever_change"], share), "order": rank}
        out.append(marks)
    return out


def payload_draws(payload: dict) -> dict:
    """The draws of a payload back as NumPy arrays (exactly what the page computes with)."""
    return {name: unpack(value) for name, value in payload["draws"].items()}


def explore_scores(payload: dict, profiles) -> list[dict]:
    """What the page shows for every case of ``profiles`` unedited (:func:`what_if` from the case itself).

    For a reference case of the run that is its advice given what is known of it; for a profile
    of :func:`profile_of_codes` (nothing known), the advice ``score`` gives it.  The additive kind:
    :func:`codes_scores`.

    Examples
    --------
    >>> payload = explore_payload(run, n_draws=40)
    >>> scores = explore_scores(payload, run.dataset)
    >>> len(scores) == run.dataset.n_cases, scores[0]["windows"][0]["phase"]
    (True, 1)
    """
    draws = payload_draws(payload)
    if not payload["has_streams"]:
        return codes_scores(payload, profiles)
    base = baseline(draws, profiles)
    return [{"case_id": profiles.case_ids[i], **what_if(payload, profiles, i, _codes(profiles.x[i]), draws=draws,
                                                         base=base)} for i in range(profiles.n_cases)]


def what_if(payload: dict, dataset, start: int | None, codes: list, group: int = -1, draws: dict | None = None,
            base=None) -> dict:
    """The page's numbers: case ``start`` of ``dataset`` (None: a new municipality, nothing coded) after ``codes``.

    Every cell of ``codes`` (one code or None per factor) that differs from the start's is an
    intervention ``do(x_k = code)`` on the start, given what is known of it (its coded streams and
    known windows; nothing for a new municipality); a cell can go back to *not discussed* only
    where the start did not discuss it.  ``group`` is the new municipality's group (a reference
    case keeps its own).

    Returns
    -------
    dict
        ``windows`` (phase 1 first: ``known`` "open"/"closed" or None; ``before``, the chance given
        what is known at the start (None where known); ``after``, the chance after the changes
        given what is known (None for a known window while nothing changed)), ``target`` (the first
        window not yet open, or None), ``now`` (the target's chance after the changes), ``levers``
        and ``find_out_first`` (each ``now``, ``with_step`` and ``gain``, ranked by the gain),
        ``changed`` (the factor indices changed).  Summaries are the advice's weighted summaries.
    """
    draws = payload_draws(payload) if draws is None else draws
    if start is None:
        dataset = profile_of_codes(payload, dataset.codebook, [{"case_id": "new", "codes": [None] * len(codes),
                                                                "group": group}])
        start, base = 0, None
    base = base or baseline(draws, dataset)
    evidence = case_evidence(dataset, start)
    state = _case(base, start, evidence, reweight=False)
    first = np.asarray(dataset.x[start], dtype=float)
    current = np.array([np.nan if c is None else float(c) for c in codes])
    if (np.isnan(current) & ~np.isnan(first)).any():
        raise ValueError("a discussed cell cannot be made not discussed: a change is an intervention")
    changed = tuple(int(k) for k in np.flatnonzero(~np.isnan(current) & ~(current == first)))
    values = np.where(np.isnan(current), 0.0, current)

    def chance(step: int | None, window: int) -> np.ndarray:
        members = changed + ((step,) if step is not None and step not in changed else ())
        if not members:
            return state.probability(state.q, window)[0]
        moved = values.copy()
        if step is not None:
            moved[step] = 1.0
        return np.reshape(state.probability(state.q_under([members], moved), window)[0], -1)

    phases = payload.get("study_phases", payload["phases"])
    out_windows, after = [], {}
    for window, name in enumerate(WINDOWS):
        if PHASES[window] not in phases:
            continue
        known = None if np.isnan(evidence.w[window]) else ("open" if evidence.w[window] == 1 else "closed")
        entry = {"window": name, "phase": window + 1, "known": known, "before": None, "after": None}
        if known is None:
            entry["before"] = weighted_summary(state.probability(state.q, window)[1], state.weights)
        if known is None or changed:  # a known window stays known until a change asks what it would have been
            after[window] = chance(None, window)
            entry["after"] = weighted_summary(after[window], state.weights)
        out_windows.append(entry)
    target = evidence.target if evidence.target is not None and PHASES[evidence.target] in phases else None
    result = {"windows": out_windows, "target": None if target is None else WINDOWS[target], "now": None,
              "levers": [], "find_out_first": [], "changed": list(changed)}
    if target is None:
        return result
    now = after[target] if target in after else chance(None, target)
    not_offered = {f["id"] for f in payload["factors"] if f["no_data"] or f.get("context")}
    result["now"] = weighted_summary(now, state.weights)
    for k, factor in enumerate(payload["factors"]):
        if factor["phase"] != target or values[k] == 1 or factor["id"] in not_offered:
            continue
        with_step = chance(k, target)
        entry = {"factor": factor["id"], "index": k, "phase": target + 1, "stream": STREAMS[factor["stream"]],
                 "code": None if np.isnan(current[k]) else int(current[k]), "now": result["now"],
                 "with_step": weighted_summary(with_step, state.weights),
                 "gain": weighted_summary(with_step - now, state.weights)}
        (result["find_out_first"] if np.isnan(current[k]) else result["levers"]).append(entry)
    for key in ("levers", "find_out_first"):
        result[key].sort(key=lambda e: -e["gain"]["mean"])
    return result


def codes_scores(payload: dict, profiles) -> list[dict]:
    """The additive kind's page: codes-only P(W1), P(W2) and levers by the gain in P(W2) (``score``'s)."""
    draws = payload_draws(payload)
    base = baseline(draws, profiles)
    now = windows(base)
    no_data = {f["id"] for f in payload["factors"] if f["no_data"] or f.get("context")}  # never a lever
    levers = _levers(profiles, base, now, len(profiles.factor_ids), payload["min_gain"], no_data)
    return [{"case_id": profiles.case_ids[i], "p_w1": _summary(now.p1[:, i]), "p_w2": _summary(now.p2[:, i]),
             "levers": levers[i]} for i in range(profiles.n_cases)]


def profile_of_codes(payload: dict, codebook, rows: list[dict]):
    """A profile Dataset of ``rows`` (``{"case_id", "codes": [code or None per factor], "group": index}``).

    Built as a wide profile file would be read (one respondent per coded cell), so that it scores
    as the page's "copy as profile CSV" would.
    """
    factor_ids = [f["id"] for f in payload["factors"]]
    x = np.array([[np.nan if c is None else float(c) for c in row["codes"]] for row in rows], dtype=float)
    groups = tuple(payload["groups"])
    cases = [{"case_id": row["case_id"], "name": row["case_id"], "level": "", "w1": np.nan, "w2": np.nan,
              "group": groups[row["group"]] if row.get("group", -1) >= 0 else ""} for row in rows]
    codes = [{"case_id": row["case_id"], "factor": f, "code": x[i, j], "respondent": ""}
             for i, row in enumerate(rows) for j, f in enumerate(factor_ids) if not np.isnan(x[i, j])]
    return Dataset(name="explore", source="<explore>", codebook=codebook, cases=cases, codes=codes, x=x,
                   w=np.full((len(rows), 2), np.nan), s=np.full((len(rows), 2, 3), np.nan),
                   group=np.array([row.get("group", -1) for row in rows], dtype=int), groups=groups)
