"""The report's time in a warm ``analyze``: with each reused companion's stored memo, and computed afresh.

    .venv/bin/python benchmarks/report_warm.py [--repeat 3] [--runs runs/trafficking_nl_2020]

Each measurement is a new interpreter that loads the shipped study's run and its companions
(``runs/trafficking_nl_2020`` and the ``-<role>`` folders beside it, copied to a temporary folder;
fitted there by ``analyze`` when they are not present), imports what the report needs, and times
``build_report`` alone with ``time.perf_counter`` -- the part of a warm ``analyze`` that
``analyze`` spends on the report's numbers (figures, templates and briefs are not in it):

* **fresh**: no stored memo (the code before the memo: every companion's headline draws, case
  advice, ranking and baseline computed again), the same-run baseline;
* **memo**: each companion's ``memo.npz`` restored first (:mod:`bayesstreams.analysis.companion_memo`),
  as ``analyze`` does with companions it reuses.

Both are run ``--repeat`` times, interleaved; the medians are reported with the load average,
and the two ``summary.json`` are compared byte for byte (a difference fails the benchmark).  The
result is written to the ``warmrep`` section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, table, write_section  # noqa: E402

SECTION = "warmrep"
STUDY = "trafficking_nl_2020"
ROLES = ("wide", "nd-marginal", "nd-salience", "nostreams", "streamerror")
TARGET_RATIO = 2.0  # the report with stored memos at least this much faster than afresh


def child(mode: str, folder: str) -> None:
    """One measurement (a fresh interpreter): load, restore (``memo``) or not, time build_report, print RESULT."""
    import arviz_stats  # noqa: F401  (imported by analyze before its report: not the report's time)
    import matplotlib  # noqa: F401

    import bayesstreams.analysis  # noqa: F401  (registers study.q)
    from bayesstreams.analysis.companion_memo import restore_companions, store_companions
    from bayesstreams.inference.study import Study
    from bayesstreams.reporting.report_assemble import build_report, summary

    study = Study.load(folder)
    restored = restore_companions(study) if mode == "memo" else {}
    start, cpu = time.perf_counter(), time.process_time()
    report = build_report(study.run, "en", check_run=study.wide, agnostic_run=study.agnostic, mode_runs=study.modes,
                          sources=study.source_runs())
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    stored = store_companions(study) if mode == "store" else []
    text = json.dumps(summary(report), sort_keys=True, default=str).encode("utf-8")
    print("RESULT " + json.dumps({"mode": mode, "wall_s": wall, "cpu_s": cpu, "restored": restored, "stored": stored,
                                  "summary": hashlib.sha256(text).hexdigest(), "load": os.getloadavg()[0]}))


def measure(mode: str, folder: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(folder)], capture_output=True, text=True,
                          cwd=ROOT, timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"report_warm {mode} failed:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def study_copy(source: Path, into: Path) -> Path:
    """The run and its companions copied into ``into`` without any stored memo; fitted by analyze if absent."""
    if not all((Path(f"{source}-{role}") if role else source).is_dir() for role in ("", *ROLES)):
        print(f"{source} or a companion is missing: fitting the study with analyze (minutes)")
        subprocess.run([sys.executable, "cli.py", "analyze", f"data/{STUDY}", "--run", str(source),
                        "--out", str(into / "report"), "--force"], cwd=ROOT, check=True, capture_output=True)
    target = into / STUDY
    for role in ("", *ROLES):
        suffix = f"-{role}" if role else ""
        shutil.copytree(f"{source}{suffix}", f"{target}{suffix}")
        Path(f"{target}{suffix}/memo.npz").unlink(missing_ok=True)
    return target


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", default=f"runs/{STUDY}")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="report-warm-") as tmp:
        folder = study_copy(ROOT / args.runs, Path(tmp))
        first = measure("store", folder)  # a first report: computes every companion's share and stores it
        found = {"fresh": [], "memo": []}
        for _ in range(args.repeat):
            for mode in found:
                found[mode].append(measure(mode, folder))
    loads = [r["load"] for rs in found.values() for r in rs]
    same = len({first["summary"], *(r["summary"] for rs in found.values() for r in rs)}) == 1
    fresh, memo = (median([r["wall_s"] for r in found[m]]) for m in ("fresh", "memo"))
    fresh_cpu, memo_cpu = (median([r["cpu_s"] for r in found[m]]) for m in ("fresh", "memo"))
    ratio = fresh / memo
    met = {"summary.json identical with and without the stored memos": same,
           f"report with stored memos >= {TARGET_RATIO:g}x faster than afresh": ratio >= TARGET_RATIO}
    rows = [["afresh (no memo; same-run baseline)", f"{fresh:.2f}", f"{fresh_cpu:.2f}",
             ", ".join(f"{r['wall_s']:.2f}" for r in found["fresh"])],
            ["with each companion's stored memo", f"{memo:.2f}", f"{memo_cpu:.2f}",
             ", ".join(f"{r['wall_s']:.2f}" for r in found["memo"])]]
    body = "\n".join([
        f"`build_report` of the shipped study (main run and its five companions loaded, as in a warm `analyze`), "
        f"median of {args.repeat} fresh interpreters each, interleaved; load average "
        f"{min(loads):.1f}-{max(loads):.1f} during the runs.  Restored entries per companion: "
        f"{found['memo'][0]['restored']}.",
        "",
        table(["report", "wall s (median)", "CPU s (median)", "each run"], rows),
        "",
        f"**{ratio:.1f}x** faster with the stored memos (CPU {fresh_cpu / memo_cpu:.1f}x).  " + "; ".join(
            f"{name}: {'met' if ok else '**not met**'}" for name, ok in met.items()) + ".",
        "",
        "With the memos a warm report computes no companion's baseline, headline draws, ranking or case advice "
        "(tests/test_companion_memo.py counts the calls); what is left is the main run's own share, refitted "
        "every time: its baseline and headline draws, each case's advice and plan search (about half of what is "
        "left), the identification's PSIS weights, the posterior QCA and the per-case counterfactuals.  "
        "The afresh row runs this branch's code without memos (its shared ranking table and lazier baselines "
        "included); the summary.json of the shipped study is identical to the code before the branch.",
    ])
    write_section(SECTION, body, "python benchmarks/report_warm.py")
    print(body)
    for name, ok in met.items():
        print(f"{'MET' if ok else 'NOT MET'}: {name}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
