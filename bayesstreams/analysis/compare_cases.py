"""Compare two cases of a run: why did B get further than A? (MODEL.md §8, §9), NumPy on saved draws.

One implementation serves ``Run.compare_cases``, ``bs.compare_cases`` and ``bayesstreams compare-cases``:

* **codes side by side**: every factor's recorded code for A and B (not discussed stays not discussed),
  whether they differ, and the factor's data support in the run's data (``data``, ``separating``,
  ``no data: prior only``);
* **windows**: each case's observed windows, its P(W1) and P(W2) predicted from the codes only
  (the in-sample predictions of ``study.q.cases()``), the per-draw difference B - A with ``P(diff > 0)``,
  and its chances *given what is known* of it (coded streams and known windows, MODEL.md §9: a known
  window is its observation);
* **streams**: per phase and stream the chance it is in motion given what is known
  (:func:`~bayesstreams.analysis.case_evidence.stream_posterior`) beside the codes-only ``q``, and the
  coded state;
* **what separates them**: for each factor coded differently, with data support and coded by B,
  the per-draw change of A's windows if A took B's code,
  ``P(W | do(x_k = B's code), A's evidence) - P(W | A's evidence)``, for A's target window (the first
  not yet open; W2 when both are), W1 and W2, ranked by the target's mean, with ``P(gain > min_gain)``;
  and the joint change if A took all of them.  Where A's windows are observed this is a counterfactual
  of A (its own noises kept), not B's chance: a window known closed has chance 0, and the change is the
  chance that it *would have opened*;
* **not ranked**: a differing factor without data support (its effect is the prior's: never an
  explanation) and one B did not discuss (B has no code to take).

The counterfactuals are those of :mod:`bayesstreams.analysis.advice` (the same per-case state and
stream shifts), so a lever of A's advice and the change from B's code ``+1`` agree exactly.  Every
summary is the posterior mean with the 50% and 90% interval bounds; :func:`compare_cases` adds the
prior-driven flag of each number (:func:`bayesstreams.analysis.prior_dependence.flag_draws`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from bayesstreams.analysis.advice import DEFAULT_MIN_GAIN, WINDOWS, _case, json_safe, weighted_summary
from bayesstreams.analysis.case_evidence import W1, W2, case_evidence, stream_posterior
from bayesstreams.analysis.prior_dependence import flag_draws
from bayesstreams.analysis.queries import baseline, run_baseline, summarise, windows
from bayesstreams.data.cases import resolve_case
from bayesstreams.data.support import LABEL_NO_DATA, support_arrays
from bayesstreams.inference.power import usable_power_weights
from bayesstreams.data.codebook import STREAMS
from bayesstreams.errors import RunError, UsageError

REASON_NO_DATA = "no_data"
REASON_B_NOT_DISCUSSED = "b_not_discussed"


@dataclass
class ComparedCase:
    """One side of a comparison; summaries are dicts with ``mean, q05, q25, q75, q95``.

    ``p_w1``, ``p_w2`` are predicted from the codes only; ``given_w1``, ``given_w2`` are the chances
    given what is known of the case, summarised as the advice summarises them (None for a known
    window: it is its observation, never a chance).  ``streams`` holds per phase
    and stream the coded state (1, 0, NaN), ``given`` and ``codes_only`` (``q``).
    """

    case_id: str
    name: str
    level: str
    w1: float
    w2: float
    target: str | None
    p_w1: dict
    p_w2: dict
    given_w1: dict | None
    given_w2: dict | None
    streams: list[dict]
    prior_driven: dict = field(default_factory=dict)  # {"p_w1": bool, "p_w2": bool}


@dataclass
class CaseComparison:
    """Case A beside case B: codes, windows, streams and what separates them (see the module docs).

    ``window`` is the window the separating factors are ranked on: A's target, or W2 when both of A's
    windows opened.  ``counterfactual`` says that some window of A is observed, so the changes are
    counterfactuals of A given its evidence.
    """

    a: ComparedCase
    b: ComparedCase
    codes: list[dict]
    difference: dict  # {"p_w1": summary + p_gt_0 + prior_driven, "p_w2": ...}: B - A per draw
    window: str
    separating: list[dict]
    not_ranked: list[dict]
    joint: dict | None
    min_gain: float
    counterfactual: bool
    no_data: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # factor id -> {"en": label, "nl": label}
    prior_checks: list[str] = field(default_factory=list)

    @property
    def n_differ(self) -> int:
        """How many factors the two cases' records code differently (not discussed counts as a code)."""
        return sum(row["differs"] for row in self.codes)

    def to_dict(self, lang: str = "en") -> dict:
        """JSON-safe data (NaN -> None: a code not discussed, a window unknown), factors labelled in ``lang``.

        Examples
        --------
        >>> data = compare_cases(run, "g5", "g2").to_dict("nl")
        >>> data["a"]["case_id"], data["b"]["case_id"], data["window"]
        ('g5', 'g2', 'W1')
        """
        data = json_safe(asdict(self))
        data["n_differ"] = self.n_differ
        label = self._label(lang)
        for key in ("codes", "separating", "not_ranked"):
            for entry in data[key]:
                entry["label"] = label(entry["factor"])
        if data["joint"] is not None:
            data["joint"]["labels"] = [label(f) for f in data["joint"]["factors"]]
        return data

    def _label(self, lang: str):
        return lambda factor: self.labels.get(factor, {}).get(lang, factor)


def _summary(values: np.ndarray) -> dict:
    return {key: float(v) for key, v in summarise(values).items()}


def _differs(a: float, b: float) -> bool:
    """Whether two recorded codes differ; not discussed on both sides is the same record."""
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) != np.isnan(b))
    return bool(a != b)


def _side(base, dataset, i: int, samples: dict, key: str):
    """One case's side of the comparison, its per-case state (advice's), and its per-draw chances in ``samples``."""
    evidence = case_evidence(dataset, i)
    state = _case(base, i, evidence, reweight=False)
    now, d = windows(base), base.draws
    samples[f"{key}.p_w1"], samples[f"{key}.p_w2"] = now.p1[:, i], now.p2[:, i]
    given = [state.probability(state.q, window)[1] for window in (W1, W2)]
    known = ~np.isnan(evidence.w)  # a known window is its observation, never a chance
    posterior = stream_posterior(state.q, d["lambda"], d["kappa"], d["rho"], evidence)
    streams = [{"phase": p + 1, "stream": STREAMS[s], "coded": float(evidence.s[p, s]),
                "given": _summary(posterior[:, p, s]), "codes_only": _summary(state.q[:, p, s])}
               for p in range(2) for s in range(3)]
    row = dataset.cases[i]
    target = evidence.target
    side = ComparedCase(case_id=dataset.case_ids[i], name=str(row.get("name") or dataset.case_ids[i]),
                        level=str(row.get("level") or ""), w1=float(evidence.w[0]), w2=float(evidence.w[1]),
                        target=None if target is None else WINDOWS[target], p_w1=_summary(now.p1[:, i]),
                        p_w2=_summary(now.p2[:, i]),
                        # the advice's own summary (advice.weighted_summary): the case's "now" as every output shows it
                        given_w1=None if known[0] else weighted_summary(given[0], state.weights),
                        given_w2=None if known[1] else weighted_summary(given[1], state.weights),
                        streams=streams)
    return side, state


def _codes(dataset, ia: int, ib: int, support) -> list[dict]:
    rows = []
    for k, factor in enumerate(dataset.factor_ids):
        a, b = float(dataset.x[ia, k]), float(dataset.x[ib, k])
        rows.append({"factor": factor, "phase": int(dataset.factor_phase[k]) + 1,
                     "stream": STREAMS[dataset.factor_stream[k]], "code_a": a, "code_b": b,
                     "differs": _differs(a, b), "support": support.labels[k]})
    return rows


def _gain_entry(row: dict, gains: np.ndarray, window: int, min_gain: float) -> dict:
    """The changes (W1, W2, window) of one set: summaries and ``P(gain > min_gain)`` on the ranked window."""
    return {"gain": _summary(gains[window]), "gain_w1": _summary(gains[W1]), "gain_w2": _summary(gains[W2]),
            "p_gain_gt_threshold": float((gains[window] > min_gain).mean()), "threshold": float(min_gain),
            "prior_driven": False, "prior_driven_w1": False, "prior_driven_w2": False, **row}


def _separating(dataset, base, state, codes: list[dict], ib: int, window: int, min_gain: float, samples: dict):
    """Ranked changes of A's windows from taking B's code, one factor at a time and all together."""
    members = [k for k, row in enumerate(codes) if row["differs"] and row["support"] != "no data: prior only"
               and not np.isnan(row["code_b"])]
    not_ranked = [{**{key: row[key] for key in ("factor", "phase", "stream", "code_a", "code_b", "support")},
                   "reason": REASON_NO_DATA if row["support"] == "no data: prior only" else REASON_B_NOT_DISCUSSED}
                  for k, row in enumerate(codes) if row["differs"] and k not in members]
    if not members:
        return [], not_ranked, None
    b_codes = np.where(np.isnan(dataset.x[ib]), state.x, dataset.x[ib])
    sets = [(k,) for k in members] + [tuple(members)]
    q_new = state.q_under(sets, b_codes)
    shape = (len(sets), len(state.weights))  # a set that changes nothing in the model (B's 0 for A's n.d.) moves no phase
    gains = np.stack([np.broadcast_to(state.probability(q_new, w)[0] - state.probability(state.q, w)[1], shape)
                      for w in (W1, W2)])
    ranked = []
    for j, k in enumerate(members):
        row = codes[k]
        samples[f"gain.{row['factor']}.W1"], samples[f"gain.{row['factor']}.W2"] = gains[W1, j], gains[W2, j]
        entry = {key: row[key] for key in ("factor", "phase", "stream", "code_a", "code_b", "support")}
        ranked.append(_gain_entry({**entry, "a_not_discussed": bool(np.isnan(row["code_a"]))}, gains[:, j],
                                  window, min_gain))
    ranked.sort(key=lambda e: -e["gain"]["mean"])  # stable: ties keep the codebook order
    samples["joint.W1"], samples["joint.W2"] = gains[W1, -1], gains[W2, -1]
    joint = _gain_entry({"factors": [dataset.factor_ids[k] for k in members]}, gains[:, -1], window, min_gain)
    return ranked, not_ranked, joint


def compare(posterior: dict, dataset, a: str, b: str, base=None, min_gain: float = DEFAULT_MIN_GAIN):
    """Case ``a`` beside case ``b`` of ``dataset`` (ids or names), and the per-draw arrays behind its numbers.

    The kernel of :func:`compare_cases` (no prior-driven flags); ``a`` and ``b`` may be the same case.

    Returns
    -------
    (CaseComparison, dict)
        The comparison, and ``{name: (sample,) array}`` of every summarised number that can be
        prior-driven (``a.p_w1``, ``diff.p_w2``, ``gain.<factor>.W1``, ``joint.W2``, ...).
    """
    base = base or baseline(posterior, dataset)
    if not base.has_streams:
        raise RunError(f"comparing cases needs the streams model; this run is a {base.kind} model")
    ia = dataset.case_ids.index(resolve_case(dataset, a, option="A"))
    ib = dataset.case_ids.index(resolve_case(dataset, b, option="B"))
    support = support_arrays(dataset)
    samples: dict[str, np.ndarray] = {}
    side_a, state = _side(base, dataset, ia, samples, "a")
    side_b, _ = _side(base, dataset, ib, samples, "b")
    codes = _codes(dataset, ia, ib, support)
    difference = {}
    for name in ("p_w1", "p_w2"):
        diff = samples[f"b.{name}"] - samples[f"a.{name}"]
        samples[f"diff.{name}"] = diff
        difference[name] = {**_summary(diff), "p_gt_0": float((diff > 0).mean()), "prior_driven": False}
    window = state.evidence.target if state.evidence.target is not None else W2
    separating, not_ranked, joint = _separating(dataset, base, state, codes, ib, window, min_gain, samples)
    labels = {f.id: {"en": f.label("en"), "nl": f.label("nl")} for f in dataset.codebook.factors}
    comparison = CaseComparison(
        a=side_a, b=side_b, codes=codes, difference=difference, window=WINDOWS[window], separating=separating,
        not_ranked=not_ranked, joint=joint, min_gain=float(min_gain),
        counterfactual=bool((~np.isnan(state.evidence.w)).any()),
        no_data=[f for f, label in zip(dataset.factor_ids, support.labels) if label == LABEL_NO_DATA], labels=labels)
    return comparison, samples


def _flag(comparison: CaseComparison, flags: dict) -> None:
    """Set the prior-driven flag of every number of ``comparison`` from ``flags`` (name -> bool)."""
    for key, side in (("a", comparison.a), ("b", comparison.b)):
        side.prior_driven = {name: flags[f"{key}.{name}"] for name in ("p_w1", "p_w2")}
    for name, entry in comparison.difference.items():
        entry["prior_driven"] = flags[f"diff.{name}"]
    entries = [(f"gain.{e['factor']}", e) for e in comparison.separating]
    for key, entry in entries + ([("joint", comparison.joint)] if comparison.joint is not None else []):
        for window in WINDOWS:
            entry[f"prior_driven_{window.lower()}"] = flags[f"{key}.{window}"]
        entry["prior_driven"] = flags[f"{key}.{comparison.window}"]  # the ranked window's


def compare_cases(run, a: str, b: str, min_gain: float = DEFAULT_MIN_GAIN, check_run=None) -> CaseComparison:
    """Case A beside case B of a run's data: codes, chances, windows and what separates them (MODEL.md §8, §9).

    Parameters
    ----------
    run
        A fitted or loaded run of the streams model.
    a, b
        Two different cases of the run's data, by id or name (any letter case); A is the case
        the explanation is for ("why did B get further?").
    min_gain
        The change of A's target window whose posterior probability each factor reports (5 points).
    check_run
        The wide-prior refit of the same data (a run; ``study.wide``), or None for power-scaling
        alone.  With power-scaling it gives the prior-driven flag of every number.

    Returns
    -------
    CaseComparison
        Both sides (observed windows, chances from the codes only and given what is known, streams),
        the codes side by side with data support, the difference B - A of P(W1) and P(W2), the
        factors that separate them ranked by how much A's target window would change with B's code,
        the joint change with all of B's codes, and the differing factors that are not ranked.
        ``to_dict(lang)`` gives JSON-safe data.

    Raises
    ------
    UsageError
        A or B names no case of the run (the message lists the known ones), or both name the same case.

    Examples
    --------
    >>> comparison = compare_cases(run, "Gemeente 5", "g2")
    >>> comparison.window, comparison.n_differ > 0, comparison.counterfactual
    ('W1', True, True)
    >>> all(e["support"] != "no data: prior only" for e in comparison.separating)
    True
    """
    id_a, id_b = resolve_case(run.dataset, a, option="A"), resolve_case(run.dataset, b, option="B")
    if id_a == id_b:
        raise UsageError("B", f"A and B are the same case ({id_a}); give two different cases")
    comparison, samples = compare(run.posterior, run.dataset, id_a, id_b, base=run_baseline(run), min_gain=min_gain)
    wide = compare(check_run.posterior, run.dataset, id_a, id_b, min_gain=min_gain)[1] if check_run is not None else {}
    weights = usable_power_weights(run)
    names = list(samples)
    flags = flag_draws(np.column_stack([samples[n] for n in names]), weights or None,
                       np.column_stack([wide[n] for n in names]) if wide else None)
    _flag(comparison, dict(zip(names, map(bool, flags))))
    comparison.prior_checks = (["wide"] if check_run is not None else []) + (["power"] if weights else [])
    return comparison
