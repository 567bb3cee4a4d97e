"""The report's factor effects and phase dependency, each number with its measured prior-driven flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesstreams.analysis.queries import STEPS
from bayesstreams.analysis.ranks import headline_contrasts
from bayesstreams.reporting.support_view import SUPPORT_KINDS, step_effects
from bayesstreams.reporting.view import Interval, _num


@dataclass
class FactorEffect:
    """A factor's effects: ACE (+1 vs -1) on each window it reaches and its coefficient ``beta``."""

    factor: str
    label: str
    phase: int
    stream: str
    ace_w1: Interval | None
    ace_w1_prior_driven: bool
    ace_w2: Interval
    ace_w2_prior_driven: bool
    ace_w2_path: str
    beta: Interval
    beta_p_positive: float | None
    beta_prior_driven: bool
    support: str = "data"
    support_kind: str = "data"
    steps: list = field(default_factory=list)  # StepEffect per window and step (reporting.support_view)
    aliases: list = field(default_factory=list)  # labels of factors with the same or opposite codes in every case
    actionable: bool = True  # False: context, never a lever (codebook ``actionable = false``)

    @property
    def no_data(self) -> bool:
        """Every number of this factor is the prior's ("no data: prior only", MODEL.md §8)."""
        return self.support_kind == "no_data"

    def extrapolated(self, window: str, step: str = "-1 -> +1") -> bool:
        """Whether ``step`` on ``window`` starts or ends at a code never observed for this factor."""
        return any(s.extrapolated for s in self.steps if s.window == window and s.step == step)


@dataclass
class Dependency:
    """The phase dependency: its parameter (``rho`` or ``delta``) and the average effect of W1 on W2."""

    parameter: str
    value: Interval
    value_prior_driven: bool
    effect: Interval
    effect_p_positive: float | None
    effect_prior_driven: bool


class PriorFlags:
    """The measured prior-driven flag of a quantity (:mod:`bayesstreams.analysis.prior_dependence`).

    ``source`` ("parameter" or "query") is kept for the callers' readability; names of
    parameters and queries do not collide, so the flag is looked up by name and index.
    """

    def __init__(self, measured):
        self._measured = measured

    def __call__(self, source: str, name: str, index: str = "") -> bool:
        return self._measured.flag(name, index)

    def measured(self, name: str, index: str = "") -> bool:
        """Whether the scalar was measured at all (a flag of False may mean "not measured")."""
        return self._measured.row(name, index) is not None


def _ace_row(own: list[dict], window: str):
    return next((r for r in own if r["quantity"] == "ace" and r["window"] == window and r["contrast"] == "+1 vs -1"),
                None)


def factor_effects(table, dataset, lang: str, flags: PriorFlags, support=None) -> list[FactorEffect]:
    """One :class:`FactorEffect` per factor, grouped by phase and stream (codebook order within).

    ``support`` (a :class:`~bayesstreams.reporting.support_view.DataSupport`) labels each factor;
    the per-step effects come from the ``step`` rows of ``table``.
    """
    order = sorted(range(len(dataset.factor_ids)), key=lambda k: (dataset.factor_phase[k], dataset.factor_stream[k], k))
    steps = [STEPS[c] if c is not None else None for c in headline_contrasts(dataset)]  # the observed step per factor
    by_factor: dict[str, list[dict]] = {}
    for row in table.to_dict("records"):  # one pass over the table, not a filter per factor and step
        by_factor.setdefault(row["factor"], []).append(row)
    out = []
    for k in order:
        factor = dataset.codebook.factors[k]
        own = by_factor.get(factor.id, [])
        beta = next(r for r in own if r["quantity"] == "beta")
        w1, w2 = _ace_row(own, "W1"), _ace_row(own, "W2")
        reaches_w1 = w1 is not None and w1["path"] != "none"  # a phase-2 factor cannot move W1
        out.append(FactorEffect(
            factor.id, factor.label(lang), factor.phase, factor.stream,
            Interval.of(w1) if reaches_w1 else None, reaches_w1 and flags("query", "ace_w1", factor.id),
            Interval.of(w2), flags("query", "ace_w2", factor.id), str(w2["path"]),
            Interval.of(beta), _num(beta["p_gt_0"]), flags("parameter", "beta", factor.id)))
        out[-1].actionable = factor.actionable
        if support is not None:
            out[-1].support = support.label_of(factor.id)
            out[-1].support_kind = SUPPORT_KINDS[out[-1].support]
            out[-1].aliases = [alias.label for alias in support.aliases_of(factor.id)]
        out[-1].steps = _flag_steps(step_effects(table, factor.id, reaches_w1, own), factor.id, steps[k], flags)
    return out


def _flag_steps(steps: list, factor: str, headline: str | None, flags: PriorFlags) -> list:
    """Each step that is a measured headline number carries its flag: ``-1 -> +1`` is the ACE (+1 vs -1), the
    factor's observed (headline) step is ``ace_step``; the other steps are not measured and carry no mark."""
    for s in steps:
        w = s.window.lower()
        s.prior_driven = bool((s.step == "-1 -> +1" and flags("query", f"ace_{w}", factor))
                              or (s.step == headline and flags("query", f"ace_step_{w}", factor)))
    return steps


def dependency(table, flags: PriorFlags) -> Dependency:
    """The phase-dependency rows of the query tables."""
    parameter = table[table["quantity"] != "dependency_effect"].iloc[0]
    effect = table[table["quantity"] == "dependency_effect"].iloc[0]
    name = str(parameter["quantity"])
    return Dependency(name, Interval.of(parameter), flags("parameter", name),
                      Interval.of(effect), _num(effect["p_gt_0"]), flags("query", "dependency_effect"))


def step_flags(highlights: list, window: str, flags: PriorFlags) -> list:
    """A headline shows the ACE of the common step ``0 -> +1``: it carries that number's measured flag.

    The number is ``ace_common_w*`` (prior_dependence.step_ace_draws) where the factor's observed
    step is another one, and its ``ace_step_w*`` where the observed step is ``0 -> +1`` itself.
    """
    for h in highlights:
        common = f"ace_common_{window.lower()}"
        name = common if flags.measured(common, h.factor) else f"ace_step_{window.lower()}"
        h.prior_driven = flags("query", name, h.factor)
    return highlights
