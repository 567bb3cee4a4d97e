"""Benchmark `analyze` on the shipped study with the not-discussed comparison (issue 13), against its baseline.

    .venv/bin/python benchmarks/analyze_modes.py            # 3 rounds (about 6 minutes)
    .venv/bin/python benchmarks/analyze_modes.py --rounds 5

Issue 13's target: `analyze` on the shipped study under the default evidence mode stays within 1.5x
of the time it took before the evidence modes.  Each round runs four whole commands, one after
another, each in a fresh interpreter with warm caches (a warm-up `analyze` with the comparison fills
numba's caches, the evidence-mode kernels' included, and the templates' first), each into fresh folders of a temporary directory:

* **baseline**: `analyze --no-mode-comparison`: the zero-mode fit, the wide-prior check fit, the
  report and the brief, i.e. `analyze` as it was before this issue (the report's other new sections,
  such as each case's not-discussed range, are in both);
* **with the comparison, first time**: `analyze` as shipped: the same, plus fitting the `marginal` and
  `salience` comparison runs beside the run and the report's section "What if 'not discussed' means
  something else?";
* **with the comparison, again**: `analyze --force` on the same folders: the comparison runs are
  reused (their dataset and model hashes match), as is the wide-prior check run: only the main fit is redone;
* **salience as the default**: `analyze --model models/streams-salience.toml --no-mode-comparison`,
  what `analyze` would cost if `salience` were the default (its own wide-prior check included).

The rows alternate within a round, so load from other jobs falls on all of them alike; the figures
are each row's median over the rounds and its multiple of the baseline's median.  Results go to the
section "analyze-modes" of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, table, write_section  # noqa: E402

TARGET = 1.5
STUDY = "data/trafficking_nl_2020"


def analyze(folder: Path, *extra: str) -> float:
    """Wall time of one `bayesstreams analyze` into ``folder`` (a fresh interpreter)."""
    argv = [sys.executable, "-m", "bayesstreams.cli", "analyze", STUDY, "--run", str(folder / "run"),
            "--out", str(folder / "report"), *extra]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return took


ROWS = (("baseline", "`analyze --no-mode-comparison` (zero mode, as before the evidence modes)"),
        ("first", "`analyze` (zero mode + the marginal and salience comparison runs, fitted)"),
        ("again", "`analyze --force` again (wide-prior and comparison runs reused)"),
        ("salience", "`analyze --model models/streams-salience.toml --no-mode-comparison`"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four rows (the median is reported)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {key: [] for key, _ in ROWS}
    with tempfile.TemporaryDirectory(prefix="bs-bench-modes-") as tmp:
        tmp = Path(tmp)
        # fills every cache the rows read: numba's (the v1 and the evidence-mode kernels) and the templates'
        print(f"warm-up: {analyze(tmp / 'warm'):.1f} s", flush=True)
        for r in range(args.rounds):
            times["baseline"].append(analyze(tmp / f"a{r}", "--no-mode-comparison"))
            times["first"].append(analyze(tmp / f"b{r}"))
            times["again"].append(analyze(tmp / f"b{r}", "--force"))
            times["salience"].append(analyze(tmp / f"s{r}", "--model", "models/streams-salience.toml",
                                             "--no-mode-comparison"))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()), flush=True)
    base = statistics.median(times["baseline"])
    rows = []
    for key, label in ROWS:
        median = statistics.median(times[key])
        ratio = median / base
        verdict = "" if key == "baseline" else (f"{ratio:.2f}x: " + ("within" if ratio <= TARGET else "over")
                                                 + f" {TARGET}x")
        rows.append([label, f"{median:.1f}", ", ".join(f"{t:.1f}" for t in times[key]), verdict])
    body = table(["command (shipped study, warm caches, fresh folders)", "median (s)", "each round (s)",
                  "x the baseline"], rows)
    print(body)
    write_section("analyze-modes", body, f"python benchmarks/analyze_modes.py --rounds {args.rounds}")


if __name__ == "__main__":
    main()
