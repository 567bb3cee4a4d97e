"""The fragility check of a study: reweighting first, exact refits where the reweighting is unreliable.

:func:`bayesstreams.analysis.fragility.fragility` tries every single change of the data by PSIS
reweighting of the saved draws and leaves a change *unchecked* where the weights' Pareto k
exceeds 0.7.  This step refits those changes exactly (:meth:`Study.refit`, about a second per fit
on the shipped study with nutpie), at most ``budget`` of them, in the order that matters most
for the conclusions a reader acts on:

1. a case's own cells of its first lever and its best plan (recoded +1 first: "what if that code
   were already +1?");
2. the stream states of the cases with a window to open;
3. the cells of the factors the claims and the top 3s are about;
4. everything else, the least reliable reweighting (largest k) first.

What is left over stays unchecked and is counted in every output (never read as "robust").
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis import voi
from bayesstreams.analysis.claims import claim_verdicts
from bayesstreams.analysis.fragility import Fragility, fragility, unreliable
from bayesstreams.analysis.prior_dependence import prior_dependence
from bayesstreams.reporting.fragility_text import rests_on_lines, summary_lines

DEFAULT_BUDGET = 12


def _priority(change, k: float, conclusions) -> tuple:
    """Sort key of an unchecked change (see the module docstring): lower first."""
    acted = {}
    claimed = set()
    for c in conclusions:
        if c.kind == "lever" and c.value:
            acted.setdefault(c.subject, set()).add(c.value)
        elif c.kind == "plan" and c.value:
            acted.setdefault(c.subject, set()).update(c.value)
        elif c.kind == "top3":
            claimed.update(c.value)
    if change.kind == "code" and change.factor in acted.get(change.case_id, ()):
        rank = 0
    elif change.kind == "stream" and change.case_id in acted:
        rank = 1
    elif change.kind == "code" and change.factor in claimed:
        rank = 2
    else:
        rank = 3
    return rank, not (change.new == 1), -np.inf if k is None else -k  # no tail fitted: the least reliable


def robustness(study, budget: int = DEFAULT_BUDGET, cases=None, progress: bool = False) -> Fragility:
    """The fragility of the study's conclusions, with up to ``budget`` exact refits (see the module docstring).

    Parameters
    ----------
    study
        A :class:`~bayesstreams.inference.study.Study` (its main run is examined).
    budget
        The most exact refits to make (0: reweighting alone).
    cases
        Case ids (or names) whose lever and plan are examined; default every case with a window to open.

    Returns
    -------
    Fragility
        The flips found by reweighting and by the refits; ``unchecked`` holds the changes neither could check.
    """
    run = study.run
    if cases is not None:
        cases = [run.dataset.resolve_case(c) for c in cases]
    verdicts = claim_verdicts(run, run.dataset.claims, prior_dependence(run, study.wide), with_prior=False)
    first = fragility(run, verdicts=verdicts, cases=cases)
    conclusions = first.conclusions
    order = sorted(first.unchecked, key=lambda item: _priority(item[0], item[1], conclusions))
    chosen = [change for change, _ in order[:max(0, int(budget))]]
    if not chosen:
        return first
    refits = {change.key: study.refit(change.apply(run.dataset), progress=progress) for change in chosen}
    second = fragility(run, verdicts=verdicts, cases=cases, changes_of=lambda c: c.key in refits, refits=refits)
    done = set(refits)
    unchecked = [(c, k) for c, k in first.unchecked if c.key not in done]
    return Fragility(conclusions, first.flips + second.flips, unchecked, first.n_changes, len(refits))


def robustness_lines(found: Fragility, dataset, lang: str = "en") -> list[str]:
    """What the CLI prints: the summary, then per conclusion that rests on a single cell, what it rests on."""
    lines = summary_lines(found, dataset, lang)
    for conclusion in found.conclusions:
        rests = rests_on_lines(found, dataset, conclusion.kind, conclusion.subject, lang)
        if rests:
            value = ", ".join(conclusion.value) if isinstance(conclusion.value, tuple) else conclusion.value
            lines.append(f"{conclusion.kind} {conclusion.subject} = {value}:")
            lines += [f"  {line}" for line in rests]
    return lines


def next_evidence(study, queries=None, budget: int = 0, kinds=None, profiles=None, progress: bool = False):
    """What to find out next (:func:`bayesstreams.analysis.voi.next_evidence`), with up to ``budget`` exact refits.

    The outcomes whose reweighting is unreliable (Pareto k > 0.7, or no tail fitted) are refitted in the order of their
    predictive chance (the most likely first), each with the data that outcome would give.
    """
    run = study.run
    kinds = tuple(kinds or voi.KINDS)
    first = voi.next_evidence(run, queries=queries, kinds=kinds, profiles=profiles)
    if budget <= 0:
        return first
    queries = first.queries
    wanted = []
    for cand, group in zip(first.candidates, first.outcomes):
        chance = _outcome_chances(group)
        for outcome, p in zip(group, chance):
            if unreliable(voi.psis_weights(outcome.log_ratio)[1]):  # k above 0.7 or no tail fitted
                wanted.append((-p, cand, outcome))
    wanted.sort(key=lambda item: item[0])
    refits = {(cand.key, outcome.label): study.refit(voi.outcome_dataset(run.dataset, cand, outcome), progress=progress)
              for _, cand, outcome in wanted[:int(budget)]}
    return voi.next_evidence(run, queries=queries, kinds=kinds, profiles=profiles, refits=refits)


def _outcome_chances(group) -> list[float]:
    if all(o.p_draw is not None for o in group):
        return [float(np.mean(o.p_draw)) for o in group]
    top = max(float(o.log_ratio.max()) for o in group)
    mass = [float(np.mean(np.exp(o.log_ratio - top))) for o in group]
    return [m / sum(mass) for m in mass]
