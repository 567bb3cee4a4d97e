"""Sampler diagnostics: R-hat, ESS, divergences, E-BFMI -> a Diagnostics record (statistics as arviz-stats computes them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from bayesstreams.inference.mcmc_stats import bfmi, ess_bulk, ess_tail, over_quantities, rhat_rank

RHAT_MAX = 1.01
ESS_MIN = 400
BFMI_MIN = 0.3


@dataclass
class Diagnostics:
    """Worst values over all parameters, the checks they pass, and where they fail."""

    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    bfmi_min: float
    n_samples: int
    worst: dict = field(default_factory=dict)

    @property
    def checks(self) -> dict[str, bool]:
        return {
            "rhat": bool(self.rhat_max <= RHAT_MAX),
            "ess_bulk": bool(self.ess_bulk_min >= ESS_MIN),
            "ess_tail": bool(self.ess_tail_min >= ESS_MIN),
            "divergences": self.divergences == 0,
            "bfmi": bool(self.bfmi_min >= BFMI_MIN),
        }

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def to_dict(self) -> dict:
        return {**asdict(self), "checks": self.checks, "passed": self.passed,
                "thresholds": {"rhat_max": RHAT_MAX, "ess_min": ESS_MIN, "bfmi_min": BFMI_MIN}}

    @classmethod
    def from_dict(cls, data: dict | None) -> Diagnostics | None:
        """The record back from :meth:`to_dict` (as stored in ``run.json``); ``None`` for none."""
        if not data:
            return None
        missing = {"divergences": 0, "n_samples": 0}  # a record without them (a hand-made run) counts none
        values = {name: data.get(name, missing.get(name, float("nan")))
                  for name in ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "bfmi_min", "n_samples")}
        return cls(**values, worst=dict(data.get("worst", {})))

    def table(self) -> list[str]:
        """A short table for the terminal."""
        rows = [("R-hat (rank-normalised, max)", f"{self.rhat_max:.4f}", f"<= {RHAT_MAX}", "rhat"),
                ("bulk ESS (min)", f"{self.ess_bulk_min:.0f}", f">= {ESS_MIN}", "ess_bulk"),
                ("tail ESS (min)", f"{self.ess_tail_min:.0f}", f">= {ESS_MIN}", "ess_tail"),
                ("divergences", str(self.divergences), "= 0", "divergences"),
                ("E-BFMI (min over chains)", f"{self.bfmi_min:.3f}", f">= {BFMI_MIN}", "bfmi")]
        checks = self.checks
        lines = [f"{'diagnostic':<30}{'value':>10}  {'target':<8}  result"]
        for label, value, target, key in rows:
            lines.append(f"{label:<30}{value:>10}  {target:<8}  {'ok' if checks[key] else 'FAILED'}")
        return lines


def _worst(tree, reducer):
    """(value, variable) of the worst scalar over all posterior variables."""
    best_value, best_name = None, ""
    for name, array in tree.items():
        values = np.asarray(array).ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        value = reducer(values)
        if best_value is None or reducer(np.array([value, best_value])) == value:
            best_value, best_name = float(value), name
    return (np.nan if best_value is None else best_value), best_name


def diagnose(trace, var_names: list[str] | None = None) -> Diagnostics:
    """Diagnostics of a sampled DataTree (posterior and sample_stats groups).

    The statistics of :mod:`bayesstreams.inference.mcmc_stats`, each quantity's (chain, draw)
    draws at a time: equal to arviz-stats' ``rhat(method="rank")``, ``ess(method="bulk")``,
    ``ess(method="tail")`` and ``bfmi`` (tests/test_mcmc_stats.py).
    """
    posterior = trace["posterior"].to_dataset()
    names = var_names or [n for n in posterior.data_vars if n != "loglik"]
    draws = {name: np.asarray(posterior[name].transpose("chain", "draw", ...)) for name in names}
    rhat_max, rhat_var = _worst({k: over_quantities(rhat_rank, v) for k, v in draws.items()}, np.max)
    bulk_min, bulk_var = _worst({k: over_quantities(ess_bulk, v) for k, v in draws.items()}, np.min)
    tail_min, tail_var = _worst({k: over_quantities(ess_tail, v) for k, v in draws.items()}, np.min)
    stats = trace["sample_stats"].to_dataset()
    divergences = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    bfmi_min = (float(np.min(bfmi(np.asarray(stats["energy"].transpose("chain", "draw")))))
                if "energy" in stats else np.nan)
    n_samples = int(posterior.sizes["chain"] * posterior.sizes["draw"])
    return Diagnostics(rhat_max, bulk_min, tail_min, divergences, bfmi_min, n_samples,
                       worst={"rhat": rhat_var, "ess_bulk": bulk_var, "ess_tail": tail_var})
