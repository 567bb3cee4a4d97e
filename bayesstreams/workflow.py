"""Multi-step jobs the CLI runs with one call: fit-and-save, analyze.

Each function here strings library steps together and returns what the CLI prints;
nothing here computes statistics of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    passed: bool = True
    path: Path | None = None


def fit_and_save(dataset_path, out, model=None, seed=20200601, draws=None, tune=None, chains=None, sampler=None,
                 codebook=None, force=False, progress=False, command=None) -> Outcome:
    """Validate, fit and write a run; the lines say where it went and how the diagnostics came out."""
    from bayesstreams.atomic import refuse_existing
    from bayesstreams.config import load_config
    from bayesstreams.dataset import load_dataset
    from bayesstreams.fit import fit, write_run

    out = Path(out)
    refuse_existing(out, force)  # before the expensive part, not after it
    config = load_config(model)
    data = load_dataset(dataset_path, codebook=codebook)
    result = fit(data, config, seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler, progress=progress)
    write_run(result, out, force=force, command=command)
    lines = [f"fitted {config.name} ({config.kind}) to {data.name}: {data.n_cases} cases, "
             f"{result.log_likelihood.shape[0]} draws, sampler {result.sampler}, seed {seed}",
             *result.diagnostics.table(),
             f"run written to {out}"]
    if data.warnings:
        lines.insert(1, f"{len(data.warnings)} data warning(s); run `bayesstreams validate` to see them")
    return Outcome(lines=lines, passed=result.diagnostics.passed, path=out)
