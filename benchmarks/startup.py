"""Benchmark the commands users wait on interactively: --help, validate, score.

    .venv/bin/python benchmarks/startup.py

Median of 7 runs of each whole command (interpreter start included), next to two
baselines measured in the same run: an empty interpreter and one that imports NumPy.
score needs a run folder: the script fits the shipped study once (4 x 1000 draws) unless
`runs/trafficking_nl_2020` exists already.  Results go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, table, time_command, write_section  # noqa: E402

CLI = [sys.executable, "-m", "bayesstreams.cli"]
TARGETS = {"--help": 0.5, "validate": 0.5, "score": 1.0}


def ensure_run() -> Path:
    run = ROOT / "runs" / "trafficking_nl_2020"
    if not (run / "run.json").exists():
        subprocess.run([*CLI, "fit", "data/trafficking_nl_2020", "--out", str(run)], cwd=ROOT, check=True)
    return run


def main() -> None:
    run = ensure_run()
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile.csv"
        profile.write_text("case_id,factor,code\nnew,p1_insight,1\nnew,p2_structural_collaboration,-1\n")
        jobs = [
            ("baseline: python -c pass", [sys.executable, "-c", "pass"], None),
            ("baseline: python -c 'import numpy'", [sys.executable, "-c", "import numpy"], None),
            ("bayesstreams --help", [*CLI, "--help"], "--help"),
            ("bayesstreams validate data/trafficking_nl_2020", [*CLI, "validate", "data/trafficking_nl_2020"], "validate"),
            ("bayesstreams score RUN profile.csv (4 x 1000 draws)", [*CLI, "score", str(run), str(profile)], "score"),
        ]
        rows = []
        for label, argv, target in jobs:
            seconds = time_command(argv, repeat=7)
            verdict = "" if target is None else ("met" if seconds <= TARGETS[target] else "missed")
            rows.append([label, f"{seconds:.2f}", f"<= {TARGETS[target]}" if target else "", verdict])
            print(rows[-1], flush=True)
    body = table(["command", "median wall s", "target", ""], rows)
    body += ("\n\nNo PyMC, PyTensor, ArviZ or xarray is imported on these paths (tests/test_cli_light.py asserts it). "
             "What remains is the interpreter, NumPy, typer and the package's own modules; `score` also reads "
             "`draws.npz` and the dataset snapshot and checks their hashes.")
    write_section("startup", body, "python benchmarks/startup.py")


if __name__ == "__main__":
    main()
