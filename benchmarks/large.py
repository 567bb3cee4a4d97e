"""Benchmark large data: fit and save N = 1,000 and 10,000 simulated cases with the default parametrisation
("by-size": guided from 1,000 cases on) against the all-non-centred parametrisation of every run before
2026-12-06 and the per-factor centring ("auto"), measured in the same run.

    .venv/bin/python benchmarks/large.py            # N = 1,000 and 10,000, three parametrisations (~6 min on a quiet machine)
    .venv/bin/python benchmarks/large.py --quick    # N = 1,000 only

Each job is a fresh interpreter (``_child.py fitsave``): load the simulated data set, ``fit`` with
the streams model (4 chains x 1000 draws after 1000 tuning steps, seed 1), then ``save_run`` as
``bayesstreams fit`` does.  It reports the wall time of the fit (interpreter start included) and of
the whole process, the peak memory after the fit and after writing the run, divergences, the worst
R-hat and ESS, and NUTS's leapfrog steps per draw (which, unlike seconds, does not depend on what
else the machine is doing).  The numba caches are warm (a first job fills them).  Writes the section
"large" of docs/PERFORMANCE.md with the load average beside the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import run_child, table, write_section  # noqa: E402

TARGET_S = 60.0
TARGET_MB = 1024.0
LINEARITY_TARGET = 1.5
PARAMETRISATIONS = ("noncentred", "auto", "by-size")  # the first is the baseline: every run before 2026-12-06
DEFAULT = "by-size"  # the default, which meets (or not) the targets


def simulate(n: int, folder: Path) -> Path:
    from bayesstreams.model.simulate import simulate_to_folder

    return simulate_to_folder(folder / f"sim{n}", n, seed=1, observed_streams=0.5)


def load() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def measure(n: int, data: Path, param: str, tmp: Path, env: dict) -> dict:
    print(f"running: N = {n:,}, parametrisation {param} (load average {load()})", flush=True)
    result = run_child(["fitsave", str(data), "nutpie", str(tmp / f"run-{n}-{param}"), param], env=env)
    result["load"] = load()
    print(f"   fit {result['fit_wall_s']:.1f} s, {result['steps_per_draw']:.0f} steps/draw, "
          f"{result['divergences']} divergences, peak {result['fit_peak_mb']:.0f} MB "
          f"(with save {result['peak_mb']:.0f} MB)", flush=True)
    return result


def verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def row(n: int, param: str, r: dict) -> list:
    passed = r["passed"]
    target = ""
    if n == 10000 and param == DEFAULT:
        ok = r["fit_wall_s"] <= TARGET_S and r["fit_peak_mb"] <= TARGET_MB and passed
        target = f"<= {TARGET_S:.0f} s, <= 1 GB, diagnostics pass: {verdict(ok)}"
    return [f"{n:,}", param, r["n_centred"], f"{r['fit_wall_s']:.1f}", f"{r['timings']['sample_s']:.1f}",
            f"{r['steps_per_draw']:.1f}", f"{r['fit_peak_mb']:.0f}", f"{r['peak_mb']:.0f}", r["divergences"],
            f"{r['rhat_max']:.3f}", f"{r['ess_bulk_min']:.0f} / {r['ess_tail_min']:.0f}",
            "pass" if passed else "fail", r["load"], target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [1000, 10000]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {"NUMBA_CACHE_DIR": str(tmp / "numba"), "BAYESSTREAMS_CACHE_DIR": str(tmp / "cache")}
        warm = simulate(50, tmp)
        print("filling the numba cache", flush=True)
        run_child(["fitsave", str(warm), "nutpie", str(tmp / "warm"), "auto"], env=env)
        for n in sizes:
            data = simulate(n, tmp)
            for param in PARAMETRISATIONS:
                results[n, param] = measure(n, data, param, tmp, env)
    rows = [row(n, param, results[n, param]) for n in sizes for param in PARAMETRISATIONS]
    body = table(["N", "parametrisation", "factors centred", "fit s (process)", "sampling s", "leapfrog steps / draw",
                  "peak MB (fit)", "peak MB (fit + save)", "divergences", "R-hat max", "ESS bulk / tail min",
                  "diagnostics", "load average (1/5/15 min)", "target"], rows)
    if 10000 in sizes:
        ratio = results[10000, DEFAULT]["fit_wall_s"] / results[1000, DEFAULT]["fit_wall_s"]
        old = results[10000, "noncentred"]
        new = results[10000, DEFAULT]
        met = (new["fit_wall_s"] <= TARGET_S, new["fit_peak_mb"] <= TARGET_MB, new["peak_mb"] <= TARGET_MB,
               new["passed"], ratio <= 10 * LINEARITY_TARGET)
        body += (f"\n\nFrom 1,000 to 10,000 cases (default): {ratio:.1f}x the fit's wall time for 10x the cases, "
                 f"{ratio / 10:.2f} of linear (target within {LINEARITY_TARGET}x of linear: "
                 f"{verdict(met[4])}).  At N = 10,000 the default (guided) takes "
                 f"{new['steps_per_draw']:.0f} leapfrog steps per draw against {old['steps_per_draw']:.0f} "
                 f"non-centred, and the fit {new['fit_wall_s']:.0f} s against {old['fit_wall_s']:.0f} s.  "
                 f"Targets at N = 10,000 (default): fit <= {TARGET_S:.0f} s {verdict(met[0])}; fit <= 1 GB "
                 f"{verdict(met[1])}; fit + save <= 1 GB {verdict(met[2])}; every diagnostic passing "
                 f"{verdict(met[3])}.")
        print("targets (N = 10,000, default): fit <= 60 s {}, fit <= 1 GB {}, fit + save <= 1 GB {}, diagnostics {}, "
              "1,000 -> 10,000 within 1.5x of linear {}".format(*(verdict(m) for m in met)), flush=True)
    body += ("  Simulated with `bayesstreams simulate --seed 1` (a prior draw as the truth, half the stream states "
             "hidden); 4 chains x 1000 draws after 1000 tuning steps, 2 cores, warm numba cache.  \"noncentred\" is "
             "`[sampler] parametrisation = \"noncentred\"` (every run's parametrisation before 2026-12-06); \"auto\" "
             "the per-factor centring of docs/SAMPLERS.md; \"by-size\" the default (guided at these sizes; "
             "\"factors centred\" counts the guided ones).  Peak MB is the process's maximum resident set after `fit` and after "
             "`save_run` (what `bayesstreams fit` does).  The load average says how busy the machine was: compare "
             "steps per draw across days, seconds only within one table.")
    write_section("large", body, "python benchmarks/large.py")


if __name__ == "__main__":
    main()
