"""Benchmark `analyze` and `fit`: wall time and peak memory, each next to a baseline measured in the same run.

    .venv/bin/python benchmarks/fit.py            # the shipped study (large data: benchmarks/large.py)

Every job runs in a fresh interpreter, so each wall time includes interpreter start and
imports.  The caches live in a temporary folder for the whole run: ``NUMBA_CACHE_DIR`` (the
compiled log-density of bayesstreams/fast/kernels.py), ``BAYESSTREAMS_CACHE_DIR`` (compiled
report templates) and PyTensor's ``compiledir`` (C modules of the baseline).  "cold" means
those folders are empty, "warm" that an earlier job of this run filled them.  Results go to
the section "analyze" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, run_child, table, write_section  # noqa: E402

ANALYZE_TARGET_S = 5.0
SPEEDUP_TARGET = 3.0


def measure(label: str, job: list[str], env: dict) -> dict:
    print(f"running: {label}", flush=True)
    result = run_child(job, env=env)
    print(f"   {result['outer_wall_s']:.1f} s, {result['peak_mb']:.0f} MB", flush=True)
    return result


def verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def shipped_study(tmp: Path, env: dict, repeat: int) -> None:
    study = str(ROOT / "data" / "trafficking_nl_2020")
    analyze = ["analyze", study, str(tmp / "run"), str(tmp / "report")]
    cold = measure("analyze, cold caches", analyze, env)
    warm = [measure(f"analyze, warm caches ({n + 1}/{repeat})", analyze, env) for n in range(repeat)]
    fit_warm = measure("fit, warm caches", ["fit", study, "nutpie"], env)
    plain_cold = measure("baseline: plain pm.sample(), cold PyTensor cache", ["plain", study], env)
    plain_warm = measure("baseline: plain pm.sample(), warm PyTensor cache", ["plain", study], env)
    own_nuts = measure("baseline: pm.sample(nuts_sampler='pymc'), warm", ["plain", study, "pymc"], env)
    analyze_s = statistics.median(r["outer_wall_s"] for r in warm)
    baseline_s = plain_warm["outer_wall_s"]

    def row(what, result, target=""):
        sample = result.get("timings", {}).get("sample_s")
        return [what, f"{result['outer_wall_s']:.1f}", "" if sample is None else f"{sample:.2f}",
                f"{result['peak_mb']:.0f}", result.get("divergences", ""), target]

    rows = [row("`bayesstreams analyze`, cold caches (first run on a machine)", cold),
            row(f"`bayesstreams analyze`, warm caches (median of {repeat})", {**warm[0], "outer_wall_s": analyze_s},
                f"<= {ANALYZE_TARGET_S:.0f} s: {verdict(analyze_s <= ANALYZE_TARGET_S)}"),
            row("`fit` only (library call), warm caches", fit_warm),
            row("baseline: plain `pm.sample()`, cold PyTensor cache", plain_cold),
            row(f"baseline: plain `pm.sample()` (runs {plain_warm.get('inference_library')}), warm PyTensor cache",
                plain_warm),
            row("baseline: `pm.sample(nuts_sampler=\"pymc\")`, PyMC's own NUTS, warm", own_nuts)]
    speedup = baseline_s / analyze_s
    body = table(["job", "wall s (process)", "of which sampling s", "peak MB", "divergences", "target"], rows)
    fit_speedup = baseline_s / fit_warm["outer_wall_s"]
    body += (f"\n\nSpeed-up over the plain `pm.sample()`, both warm: of `fit` (the same work: sampling, plus the "
             f"log-likelihood and diagnostics) **{fit_speedup:.1f}x** (target >= {SPEEDUP_TARGET:.0f}x: "
             f"{verdict(fit_speedup >= SPEEDUP_TARGET)}); of `analyze` (fit + report + brief) {speedup:.1f}x. "
             f"Over PyMC's own NUTS: {own_nuts['outer_wall_s'] / fit_warm['outer_wall_s']:.1f}x and "
             f"{own_nuts['outer_wall_s'] / analyze_s:.1f}x.  4 chains x 1000 draws after 1000 tuning steps "
             "everywhere, 2 cores; the baselines sample the same `build_model` graph, the plain `pm.sample()` "
             "through nutpie (PyTensor's numba backend makes that the default; it compiles the graph in every "
             "process), the other with PyMC's own NUTS.")
    write_section("analyze", body, "python benchmarks/fit.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="warm analyze runs (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {"PYTENSOR_FLAGS": f"compiledir={tmp / 'pytensor'}", "NUMBA_CACHE_DIR": str(tmp / "numba"),
               "BAYESSTREAMS_CACHE_DIR": str(tmp / "cache")}
        shipped_study(tmp, env, args.repeat)


if __name__ == "__main__":
    main()
