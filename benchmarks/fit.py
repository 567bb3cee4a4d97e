"""Benchmark `fit`: wall time and peak memory, next to a plain pm.sample() measured in the same run.

    .venv/bin/python benchmarks/fit.py            # shipped study (cold and warm) + simulated N = 1,000 and 10,000
    .venv/bin/python benchmarks/fit.py --quick    # skip N = 10,000

Each job runs in a fresh interpreter.  "cold" uses empty PyTensor and numba cache folders;
"warm" reuses the folders the cold run filled.  Results go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, run_child, table, write_section  # noqa: E402


def simulate(n: int, folder: Path) -> Path:
    from bayesstreams.simulate import simulate_to_folder

    return simulate_to_folder(folder / f"sim{n}", n, seed=1, observed_streams=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the N = 10,000 data set")
    args = parser.parse_args()
    study = str(ROOT / "data" / "trafficking_nl_2020")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        caches = {"PYTENSOR_FLAGS": f"compiledir={tmp / 'pytensor'}", "NUMBA_CACHE_DIR": str(tmp / "numba")}
        jobs = [("shipped study (8 cases)", "bayesstreams fit, nutpie, cold caches", ["fit", study, "nutpie"]),
                ("shipped study (8 cases)", "bayesstreams fit, nutpie, warm caches", ["fit", study, "nutpie"]),
                ("shipped study (8 cases)", "baseline: plain pm.sample(), warm caches", ["plain", study])]
        sizes = [1000] if args.quick else [1000, 10000]
        for n in sizes:
            path = str(simulate(n, tmp))
            jobs.append((f"simulated N = {n:,}", "bayesstreams fit, nutpie, warm caches", ["fit", path, "nutpie"]))
        for data, what, job in jobs:
            print(f"running: {data}: {what}", flush=True)
            result = run_child(job, env=caches)
            timings = result.get("timings", {})
            rows.append([data, what, f"{result['outer_wall_s']:.1f}", f"{timings.get('sample_s', float('nan')):.1f}",
                         f"{result['peak_mb']:.0f}", result.get("divergences", "")])
            print("  ", rows[-1], flush=True)
    body = table(["data", "job", "wall s (process)", "of which compile + sample s", "peak MB", "divergences"], rows)
    body += ("\n\n4 chains x 1000 draws, 1000 tuning steps; wall time includes interpreter start and imports. "
             "The baseline is PyMC's own NUTS on the same `build_model` graph.")
    write_section("fit", body, "python benchmarks/fit.py" + (" --quick" if args.quick else ""))


if __name__ == "__main__":
    main()
