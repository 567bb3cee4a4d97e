"""Benchmark the what-if page: from navigation start to its first numbers, in headless Chromium.

    .venv/bin/python benchmarks/explore_page.py [--repeat 7] [--run RUN]

Pages at the default 400 draws: the shipped study's run (``runs/trafficking_nl_2020``, fitted once
if missing; the ``zero`` evidence mode) and, for the modes that sum not-discussed cells out, the
study's codebook and cases with prior draws of ``models/streams-marginal.toml`` and
``models/streams-salience.toml`` standing in for a posterior (the cost depends on the draws' shapes,
not their values).  Each page opens on the empty profile, the most expensive one under those modes
(every cell summed out).  The page measures itself with ``performance.now()``; the baseline, in the
same run, is an empty page whose one script records the same clock.  Median and minimum of
``--repeat`` loads, each in a fresh Chromium.  Results go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, table, write_section  # noqa: E402

HOOK = "window.bayesstreamsExplore"


class _StandIn:
    """What explore_payload reads of a run: dataset, posterior, chains and draws."""

    def __init__(self, dataset, posterior, chains):
        self.dataset, self.posterior, self.n_chains = dataset, posterior, chains
        self.n_samples = len(posterior["beta"])


def pages(folder: Path, run_folder: Path | None) -> list[tuple[str, Path]]:
    from bayesstreams.inference.store import load_run
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior
    from bayesstreams.reporting.explore_page import write_explore

    from startup import ensure_run

    run = load_run(run_folder or ensure_run())
    out = [("study run (`streams.toml`, zero)", write_explore(run, folder / "study.html"))]
    dataset = run.dataset
    for name in ("streams-marginal", "streams-salience"):
        config = load_config(ROOT / "models" / f"{name}.toml")
        draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 4000,
                           np.random.default_rng(1))
        out.append((f"`{name}.toml` stand-in", write_explore(_StandIn(dataset, draws, 4), folder / f"{name}.html")))
    return out


def measure(page: Path, repeat: int) -> dict:
    from bayesstreams.reporting.browser import evaluate_page

    rows = []
    for _ in range(repeat):
        values, errors = evaluate_page(page, [f"{HOOK}.timing.first_numbers_ms", f"{HOOK}.timing.compute_ms",
                                              f"(() => {{ const t = performance.now(); {HOOK}.setCode(3, 1); "
                                              "return performance.now() - t; })()"])
        assert errors == [], errors
        rows.append(values)
    first, compute, edit = (np.array([r[j] for r in rows]) for j in range(3))
    return {"first": first, "compute": compute, "edit": edit}


def baseline(folder: Path, repeat: int) -> np.ndarray:
    from bayesstreams.reporting.browser import evaluate_page

    page = folder / "empty.html"
    page.write_text("<!DOCTYPE html><html><body><script>window.t = performance.now();</script></body></html>")
    return np.array([evaluate_page(page, ["window.t"])[0][0] for _ in range(repeat)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--run", type=Path, default=None, help="a run folder of the shipped study (default: fit one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_before = os.getloadavg()[0]
        empty = baseline(folder, args.repeat)
        rows = [["baseline: an empty page (its script's start)", "-", f"{np.median(empty):.0f}", f"{empty.min():.0f}",
                 "-", "-"]]
        for name, page in pages(folder, args.run):
            m = measure(page, args.repeat)
            size = page.stat().st_size / 1e3
            rows.append([name, f"{size:.0f}", f"{np.median(m['first']):.0f}", f"{m['first'].min():.0f}",
                         f"{np.median(m['compute']):.0f}", f"{np.median(m['edit']):.0f}"])
        load_after = os.getloadavg()[0]
    body = table(["page (400 draws)", "file (kB)", "navigation -> first numbers, median (ms)", "minimum (ms)",
                  "of which scoring (ms)", "one edit re-scored (ms)"], rows)
    body += (f"\n\nLoad average {load_before:.1f} before, {load_after:.1f} after; {args.repeat} loads each, "
             "a fresh Chromium per load.")
    print(body)
    write_section("explore", body, f"benchmarks/explore_page.py --repeat {args.repeat}")


if __name__ == "__main__":
    main()
