"""Fit the shipped study under each evidence mode (MODEL.md §7); time the fit and the queries.

    .venv/bin/python benchmarks/evidence_modes.py streams streams-marginal streams-salience

Each named model file under ``models/`` is fitted with its default settings (4 x 1000 draws, nutpie)
in this one process, one after another; the query times are ``run.cases()``, ``run.effects()`` and
``run.dependency()``.  Prints one line per model, then the table of docs/PERFORMANCE.md ("The
evidence modes") with each model's fit + queries time as a multiple of the first model's (``streams``,
zero mode, measured in the same process) and the CPU time of one log-density + gradient call of the
fast path, and writes every headline table to ``evidence_modes.json``
in the current folder.  Results go to "The evidence modes" in
docs/PERFORMANCE.md and the comparison in docs/MODEL.md.
"""

from __future__ import annotations

import json
import sys
import time

import bayesstreams as bs


def gradient_us(dataset, name: str, calls: int = 20000, repeats: int = 5) -> float:
    """CPU time of one log-density + gradient call of the fast path (best of ``repeats`` loops, in µs)."""
    import numpy as np

    from bayesstreams.fast import kernels, modes
    from bayesstreams.fast.problem import EvidenceProblem
    from bayesstreams.fast.registry import fast_problem
    from bayesstreams.model.config import load_config

    config = load_config(f"models/{name}.toml")
    problem = fast_problem(dataset, config)
    logp_grad = (modes if isinstance(problem, EvidenceProblem) else kernels).logp_grad
    theta = np.random.default_rng(0).normal(0.0, 0.3, problem.n_dim)
    grad, arrays = np.empty(problem.n_dim), problem.arrays()
    logp_grad(theta, grad, *arrays)  # compiled or loaded before timing
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            logp_grad(theta, grad, *arrays)
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


def main(names: list[str]) -> None:
    dataset = bs.load_dataset("data/trafficking_nl_2020")
    out = {}
    for name in names:
        start = time.perf_counter()
        run = bs.fit(dataset, model=f"models/{name}.toml", seed=1)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        cases, effects, dependency = run.cases(), run.effects(), run.dependency()
        queries_s = time.perf_counter() - start
        out[name] = {"fit_s": round(fit_s, 1), "timings": run.info["timings"], "queries_s": round(queries_s, 1),
                     "gradient_us": round(gradient_us(dataset, name), 1),
                     "diag": run.diagnostics.to_dict(), "cases": cases.to_dict(orient="records"),
                     "effects": effects.to_dict(orient="records"), "dependency": dependency.to_dict(orient="records")}
        print(name, out[name]["fit_s"], out[name]["timings"], out[name]["queries_s"], flush=True)
        with open("evidence_modes.json", "w", encoding="utf-8") as handle:
            json.dump(out, handle, default=str, indent=1)
    print(table(out))


def table(out: dict) -> str:
    """The markdown table of docs/PERFORMANCE.md: seconds per model and the multiple of the first row."""
    rows = ["| model file | fit (s) | of which sampling (s) | pointwise log-lik and post-processing (s) | "
            "`cases()` + `effects()` + `dependency()` (s) | fit + queries (imports left out), x the first row | "
            "divergences | "
            "one gradient (µs CPU) |",
            "|---|---|---|---|---|---|---|---|"]
    base = None
    for name, r in out.items():
        # the first fit of the process also imports nutpie and ArviZ: left out of every row's multiple
        total = r["fit_s"] - r["timings"].get("import_s", 0.0) + r["queries_s"]
        base = base or total
        rows.append(f"| `{name}.toml` | {r['fit_s']} | {r['timings'].get('sample_s', float('nan')):.1f} | "
                    f"{r['timings'].get('post_s', float('nan')):.1f} | {r['queries_s']} | {total / base:.2f} | "
                    f"{r['diag'].get('divergences')} | {r.get('gradient_us', float('nan'))} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main(sys.argv[1:] or ["streams", "streams-marginal", "streams-salience"])
