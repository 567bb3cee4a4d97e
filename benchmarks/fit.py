"""Benchmark `analyze` and `fit`: wall time and peak memory, each next to a baseline measured in the same run.

    .venv/bin/python benchmarks/fit.py            # shipped study, simulated N = 1,000 and 10,000
                                                  # (+ numpyro at N = 1,000 after `setup.sh --jax`)
    .venv/bin/python benchmarks/fit.py --quick    # shipped study and N = 1,000 only

Every job runs in a fresh interpreter, so each wall time includes interpreter start and
imports.  The caches live in a temporary folder for the whole run: ``NUMBA_CACHE_DIR`` (the
compiled log-density of bayesstreams/fast/kernels.py), ``BAYESSTREAMS_CACHE_DIR`` (compiled
report templates) and PyTensor's ``compiledir`` (C modules of the baseline).  "cold" means
those folders are empty, "warm" that an earlier job of this run filled them.  Results go to
the sections "analyze" and "large" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, run_child, table, write_section  # noqa: E402

ANALYZE_TARGET_S = 5.0
SPEEDUP_TARGET = 3.0
LARGE_TARGET_S = 60.0
LARGE_MEMORY_MB = 2048.0
LINEARITY_TARGET = 1.5


def simulate(n: int, folder: Path) -> Path:
    from bayesstreams.model.simulate import simulate_to_folder

    return simulate_to_folder(folder / f"sim{n}", n, seed=1, observed_streams=0.5)


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


def large_data(tmp: Path, env: dict, sizes: list[int]) -> None:
    rows, walls = [], {}
    # numpyro (installed by `setup.sh --jax`) only at N = 1,000: at 10,000 it needs ~50 minutes on
    # 2 CPU cores (docs/SAMPLERS.md), which would make this benchmark unusable
    jax = importlib.util.find_spec("numpyro") is not None
    for n in sizes:
        path = str(simulate(n, tmp))
        for sampler in ["nutpie"] + (["numpyro"] if jax and n == 1000 else []):
            result = measure(f"fit N = {n:,}, {sampler}", ["fit", path, sampler], env)
            timings = result.get("timings", {})
            if sampler == "nutpie":
                walls[n] = result["outer_wall_s"]
            target = ""
            if n == 10000:
                ok = result["outer_wall_s"] <= LARGE_TARGET_S and result["peak_mb"] <= LARGE_MEMORY_MB
                target = f"<= {LARGE_TARGET_S:.0f} s and <= 2 GB: {verdict(ok)}"
            rows.append([f"simulated N = {n:,}", sampler, f"{result['outer_wall_s']:.1f}",
                         f"{timings.get('sample_s', float('nan')):.1f}", f"{timings.get('post_s', float('nan')):.1f}",
                         f"{result['peak_mb']:.0f}", result.get("divergences", ""), target])
    body = table(["data", "sampler", "wall s (process)", "sampling s", "log-lik + diagnostics s", "peak MB",
                  "divergences", "target"], rows)
    if 1000 in walls and 10000 in walls:
        ratio = walls[10000] / walls[1000]
        body += (f"\n\nCost from 1,000 to 10,000 cases: {ratio:.1f}x the wall time for 10x the cases, "
                 f"{ratio / 10:.2f} of linear (target within {LINEARITY_TARGET}x of linear: "
                 f"{verdict(ratio <= 10 * LINEARITY_TARGET)}).")
    body += ("  Simulated with `bayesstreams simulate --seed 1` (a prior draw as the truth, half the stream "
             "states hidden); 4 chains x 1000 draws after 1000 tuning steps, warm caches.")
    write_section("large", body, "python benchmarks/fit.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the N = 10,000 data set")
    parser.add_argument("--repeat", type=int, default=3, help="warm analyze runs (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {"PYTENSOR_FLAGS": f"compiledir={tmp / 'pytensor'}", "NUMBA_CACHE_DIR": str(tmp / "numba"),
               "BAYESSTREAMS_CACHE_DIR": str(tmp / "cache")}
        shipped_study(tmp, env, args.repeat)
        large_data(tmp, env, [1000] if args.quick else [1000, 10000])


if __name__ == "__main__":
    main()
