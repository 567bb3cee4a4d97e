"""Benchmark `bayesstreams analyze` with every section on (issue 28, items 1 and 4), beside a plain `pm.sample()`.

    .venv/bin/python benchmarks/analyze_warm.py             # about 3-5 minutes on 2 cores
    .venv/bin/python benchmarks/analyze_warm.py --no-clone  # leave out the fresh clone

Every job is a whole process (interpreter start and imports included):

* **analyze, warm**: ``bayesstreams analyze`` of the shipped study (claims, prior dependence, the
  not-discussed comparison, the source check, advice, what to find out next, the brief of g5) with its
  companion runs already beside the run (an earlier analyze of this benchmark fitted them) and warm
  caches; the median of ``--repeat`` runs.  The share of "what to find out next" (``voi.next_evidence``,
  the report's section and the brief's ordering: computed by a forked copy while the report is drafted)
  is the wait for it in the same processes, shown apart.
* **baseline**: a plain ``pm.sample()`` of the same ``build_model`` graph (4 chains x 1000 draws after
  1000 tuning steps, what a user types), warm PyTensor cache, measured in the same run: once cold (not
  counted), then ``--baseline-repeat`` times (3), each right after a warm analyze, so that both medians
  see the same machine (one run of it moved by 15% between two runs of this script).
* **first analyze on a fresh clone**: ``git clone`` of this checkout's HEAD into a temporary folder,
  the numba cache filled as ``scripts/setup.sh`` does (``python -m bayesstreams.fast.adapter``), then
  the clone's first ``analyze`` with empty caches (numba, report templates, PyTensor) and no runs:
  the main fit, every companion fit, the report and the brief.

The load average is recorded with the figures (other jobs on the machine move the seconds).  The
result replaces the section "analyze-warm" of docs/PERFORMANCE.md; its line "before" keeps the
figure measured before issue 28 for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, run_child, table, write_section  # noqa: E402

WARM_TARGET_S = 5.0
SPEEDUP_TARGET = 3.0
CLONE_TARGET_S = 30.0
BEFORE = ("before (issue 28, fresh clone of 2026-12-05, 2 cores, machine shared): analyze warm 10.2 s "
          "(median of 3)")
STUDY = "data/trafficking_nl_2020"


PHASES = (("imports_s", "imports (the CLI and analyze's modules; nutpie on first use)"),
          ("fit_s", "the main fit (sampling, diagnostics, prior draws, log-likelihood)"),
          ("save_s", "writing the run (trace.nc, draws.npz, power-scaling weights: a forked copy writes it while the "
                     "report is drafted; counted here is this process's share, staging and waiting for the copy)"),
          ("voi_s", "what to find out next (`voi.next_evidence`, report and brief): computed by a forked copy while "
                    "the report is drafted; counted here is the wait for it after the draft"),
          ("report_s", "the report without what to find out next (queries, companions' sections, templates, tables; "
                       "ordering the figures)"),
          ("briefs_s", "the brief without what to find out next"),
          ("figures_wait_s", "waiting for the figures (drawn by the worker process meanwhile; in-process drawing "
                             "when it is switched off)"))


def child(run_dir: str, out: str) -> None:
    """One analyze in this process (the CLI entry point), timing its phases where analyze calls them."""
    start = time.perf_counter()
    import resource

    from bayesstreams.cli.app import main as cli_main
    from bayesstreams.inference import diagnostics, fit, power, study  # noqa: F401  (imported as analyze imports them)
    from bayesstreams.pipeline import analyze, robustness
    from bayesstreams.reporting import brief, painter

    spent = {name: 0.0 for name, _ in PHASES}
    spent["imports_s"] = time.perf_counter() - start  # the imports at module level of analyze's path
    nested = {"voi_s": 0.0, "imports_s": 0.0, "figures_wait_s": 0.0}  # phases that run inside others: counted once, in their own line

    def timed(function, key):
        def wrapper(*args, **kwargs):
            begin, before = time.perf_counter(), dict(nested)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - begin
                inside = sum(nested[k] - before[k] for k in nested if k != key)
                spent[key] += elapsed - inside
                if key in nested:
                    nested[key] += elapsed - inside
        return wrapper

    class TimedForked(analyze.Forked):  # what to find out next: the wait for the forked copy that computes it
        result = timed(analyze.Forked.result, "voi_s")

    analyze.Forked = TimedForked  # computed in result() when no copy is forked: counted once either way
    robustness.next_evidence = timed(robustness.next_evidence, "voi_s")
    brief.next_evidence = timed(brief.next_evidence, "voi_s")
    fit.import_nutpie = timed(fit.import_nutpie, "imports_s")  # its first use imports nutpie: counted as imports
    study.fit_run = timed(study.fit_run, "fit_s")
    study.Study.start_saving = timed(study.Study.start_saving, "save_s")
    study.Saving.finish = timed(study.Saving.finish, "save_s")
    analyze.draft_report = timed(analyze.draft_report, "report_s")
    analyze.write_report = timed(analyze.write_report, "report_s")
    painter.Pending.result = timed(painter.Pending.result, "figures_wait_s")
    analyze.brief_document = timed(analyze.brief_document, "briefs_s")
    try:
        cli_main(["analyze", STUDY, "--run", run_dir, "--out", out, "--brief", "g5", "--force"])
    except SystemExit as stop:
        if stop.code:
            raise
    import bayesstreams

    result = {"wall_s": time.perf_counter() - start, **spent, "module": bayesstreams.__file__,
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    print("RESULT " + json.dumps(result))
    from bayesstreams.cli.console import quick_exit

    quick_exit(0)  # as the bayesstreams program ends: the whole-process time is the program's


def run_analyze(run_dir: Path, out: Path, env: dict, cwd: Path = ROOT, python_path: Path | None = None) -> dict:
    environment = {**os.environ, **env}
    if python_path is not None:
        environment["PYTHONPATH"] = str(python_path)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(run_dir), str(out)],
                          capture_output=True, text=True, env=environment, cwd=cwd, timeout=3600)
    outer = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"analyze failed:\n{proc.stderr[-3000:]}")
    return {**json.loads(lines[-1][len("RESULT "):]), "outer_wall_s": outer}


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def fresh_clone(tmp: Path) -> dict:
    """The first analyze of a fresh clone of HEAD, after the set-up step that fills the numba cache."""
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "checkout", "--quiet", head], cwd=clone, check=True)
    env = {"PYTENSOR_FLAGS": f"compiledir={tmp / 'clone-pytensor'}", "NUMBA_CACHE_DIR": str(tmp / "clone-numba"),
           "BAYESSTREAMS_CACHE_DIR": str(tmp / "clone-cache"), "PYTHONPATH": str(clone)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bayesstreams.fast.adapter"], cwd=clone, env={**os.environ, **env},
                   check=True, capture_output=True)
    setup_s = time.perf_counter() - start
    print(f"   set-up (numba cache) {setup_s:.1f} s", flush=True)
    found = run_analyze(clone / "runs" / "study", clone / "reports" / "study", env, cwd=clone, python_path=clone)
    if not found["module"].startswith(str(clone)):
        raise RuntimeError(f"the clone's analyze imported {found['module']}, not the clone's bayesstreams")
    return {**found, "setup_s": setup_s, "commit": head[:10]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="warm analyze runs (the median is reported)")
    parser.add_argument("--baseline-repeat", type=int, default=3,
                        help="warm plain pm.sample() runs, each after a warm analyze (the median is reported)")
    parser.add_argument("--no-clone", action="store_true", help="leave out the first analyze of a fresh clone")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {"PYTENSOR_FLAGS": f"compiledir={tmp / 'pytensor'}", "NUMBA_CACHE_DIR": str(tmp / "numba"),
               "BAYESSTREAMS_CACHE_DIR": str(tmp / "cache")}
        run_dir, out = tmp / "run", tmp / "report"
        print("running: analyze, first (fits the companions, fills the caches)", flush=True)
        first = run_analyze(run_dir, out, env)
        print(f"   {first['outer_wall_s']:.1f} s", flush=True)
        print("running: baseline, plain pm.sample(), cold PyTensor cache (fills it; not counted)", flush=True)
        run_child(["plain", str(ROOT / STUDY)], env=env)
        warm, loads, plains, plain_loads = [], [], [], []
        for n in range(args.repeat):  # the baseline's warm runs interleaved with analyze's: the same machine state
            loads.append(load())
            warm.append(run_analyze(run_dir, out, env))
            phases = ", ".join(f"{key[:-2]} {warm[-1][key]:.1f}" for key, _ in PHASES)
            print(f"running: analyze, warm ({n + 1}/{args.repeat}): {warm[-1]['outer_wall_s']:.1f} s "
                  f"({phases}; load {loads[-1]})", flush=True)
            if n < args.baseline_repeat:
                plain_loads.append(load())
                plains.append(run_child(["plain", str(ROOT / STUDY)], env=env))
                print(f"running: baseline, plain pm.sample(), warm ({n + 1}/{args.baseline_repeat}): "
                      f"{plains[-1]['outer_wall_s']:.1f} s (load {plain_loads[-1]})", flush=True)
        clone = None
        if not args.no_clone:
            print("running: first analyze on a fresh clone", flush=True)
            clone_load = load()
            clone = fresh_clone(tmp)
            print(f"   {clone['outer_wall_s']:.1f} s", flush=True)
    analyze_s = statistics.median(r["outer_wall_s"] for r in warm)
    plain_s = statistics.median(r["outer_wall_s"] for r in plains)
    speedup = plain_s / analyze_s
    rows = [[f"`bayesstreams analyze`, warm (median of {args.repeat}; "
             f"{', '.join(f'{r['outer_wall_s']:.1f}' for r in warm)})", f"{analyze_s:.1f}",
             f"{statistics.median(r['peak_mb'] for r in warm):.0f}", "; ".join(loads),
             f"<= {WARM_TARGET_S:.0f} s: {verdict(analyze_s <= WARM_TARGET_S)}"],
            *[[f"... {label}", f"{statistics.median(r[key] for r in warm):.1f}", "", "", ""]
              for key, label in PHASES],
            ["... the rest (interpreter start, validation, reusing the companions, staging)",
             f"{statistics.median(r['outer_wall_s'] - sum(r[k] for k, _ in PHASES) for r in warm):.1f}", "", "", ""],
            [f"baseline: plain `pm.sample()` of the same `build_model` graph, warm PyTensor cache (median of "
             f"{len(plains)}, each run after an analyze above; {', '.join(f'{r['outer_wall_s']:.1f}' for r in plains)})",
             f"{plain_s:.1f}", f"{statistics.median(r['peak_mb'] for r in plains):.0f}", "; ".join(plain_loads),
             f"analyze >= {SPEEDUP_TARGET:.0f}x faster: {speedup:.1f}x, {verdict(speedup >= SPEEDUP_TARGET)}"]]
    if clone is not None:
        rows.append([f"first `analyze` on a fresh clone ({clone['commit']}; after the set-up's numba step, "
                     f"{clone['setup_s']:.1f} s), companion fits included", f"{clone['outer_wall_s']:.1f}",
                     f"{clone['peak_mb']:.0f}", clone_load,
                     f"<= {CLONE_TARGET_S:.0f} s: {verdict(clone['outer_wall_s'] <= CLONE_TARGET_S)}"])
    body = table(["job", "wall s (process)", "peak MB", "load average (1/5/15 min) at start", "target"], rows)
    body += (f"\n\n{BEFORE}.  The warm runs reuse the companion runs (wide prior, the other not-discussed "
             "modes, the source check's two refits) that the first analyze of this benchmark fitted; every "
             "section of the report is on (the robustness section needs `--robustness`, minutes of exact refits, "
             "and is left out).  Load averages above 2 mean other jobs shared the 2 cores: read the ratio to the "
             "baseline, not the seconds.\n\nWhat changed for issue 28 (the queries of analyze): the average causal "
             "effects take every factor's intervention for one code in one pass (`kind.do_factors`; under an "
             "evidence mode one kernel call per stream) instead of 69 `do_factor` calls per run; each run's headline "
             "draws (posterior and prior, each from one baseline) and each case's advice are computed once and kept "
             "with the run, so a companion's contribution is computed once however many sections read it (the "
             "report, the brief, the claims, the source check, the not-discussed comparison); the factor effects read "
             "the effect table in one pass.  The report, summary.json and the brief are byte-identical to before.  "
             "`scripts/setup.sh`'s numba step now also compiles the queries' evidence kernel, which a fresh clone's "
             "first analyze used to compile.\n\nWhat changed for issue 28 (the process, branch warmproc): a warm "
             "analyze imports what it uses (`bayesstreams/inference/imports.py`, docs/SAMPLERS.md): nutpie without "
             "ArviZ, whose plots, pyplot and SciPy statistics it imported only to convert a trace (the trace is "
             "converted here, identical to nutpie's own); arviz-stats without the lazy `jax` module ArviZ's base "
             "package registers, which SciPy and matplotlib then imported in full; `trace.nc` written without "
             "importing dask's `distributed`; figures drawn with matplotlib's object API, not pyplot.  The line "
             "'imports' counts the module-level imports of analyze's path and the first use of nutpie and "
             "arviz-stats; SciPy's statistics remain (arviz-stats imports them at its top).\n\nWhat changed for issue 28 (branch figpar): the "
             "figures are drawn by a worker process (`reporting/painter.py`) that analyze starts before the fit; it "
             "loads matplotlib while analyze imports and fits, and draws the report's figures and the brief's picture "
             "while analyze computes what to find out next and writes the tables. The line 'waiting for the figures' is "
             "the time analyze still waits for them; its main process no longer imports matplotlib. The worker's own "
             "peak memory (about 170 MB) is not in the 'peak MB' column, which is the main process's.\n\n"
             "What changed for issue 28 (2026-12-07, the second core after the fit): what to find out next is computed "
             "by a forked copy from the end of the fit (`bayesstreams.forked.Forked`), while the companions are read "
             "and the report drafted; the report's figures are ordered as soon as their inputs are known "
             "(`build_report(..., on_figures=)`), before the source check, the claims, the case advice and the "
             "set-theoretic section, so the worker draws them meanwhile; the run is written by a forked copy at "
             "lower priority (nice +10); BLAS computes on one thread (its second thread spun against the copies and "
             "the worker: 10% of the CPU); the report's case advice is every case's in one batch, the path `score` "
             "and the brief take (0.22 s instead of 0.5 s); the brief is composed while the report's last figures "
             "are drawn; making the fit's trace no longer imports dask (0.2 s); python-docx is imported for a Word "
             "brief only. The files are the same (tests/test_forked.py, tests/test_painter.py). The line 'what to "
             "find out next' is now the wait for the forked copy after the draft, and 'peak MB' the main process's "
             "(the copy's memory is its own).")
    write_section("analyze-warm", body, "python benchmarks/analyze_warm.py")
    print(body)


if __name__ == "__main__":
    main()
