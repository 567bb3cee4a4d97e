"""The fast paths stay fast: --help, validate and score never import PyMC, PyTensor or ArviZ."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
from bayesstreams.cli.app import main
from bayesstreams.inference.store import save_run
try:
    main({args!r})
except SystemExit:
    pass
heavy = sorted(m for m in ("pymc", "pytensor", "arviz", "arviz_stats", "nutpie", "numba", "xarray", "matplotlib")
               if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


def heavy_imports(args: list[str]) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, cwd=ROOT)
    line = [x for x in out.stdout.splitlines() if x.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY="):].split(",") if m]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["validate", "data/trafficking_nl_2020"],
                                  ["validate", "nowhere"], ["scor"], ["score", "--jsn", "a", "b"],
                                  ["report", "a", "--out", "b", "--lang", "fr"]])
def test_fast_paths_import_no_heavy_library(args):
    assert heavy_imports(args) == []


def test_score_imports_no_heavy_library(tmp_path):
    """Scoring reads draws.npz with NumPy; a run folder holding prior draws proves the import set."""
    from bayesstreams.data.dataset import load_dataset

    from .helpers import prior_like_draws, write_fake_run

    dataset = load_dataset(ROOT / "data" / "trafficking_nl_2020")
    run = write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, n=40))
    profile = tmp_path / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\n")
    assert heavy_imports(["score", str(run), str(profile)]) == []
    assert heavy_imports(["score", str(run), str(profile), "--lang", "nl"]) == []


@pytest.mark.model
def test_score_of_a_real_run_imports_no_heavy_library_and_keeps_the_measured_flags(study_fit, tmp_path):
    """The power-scaling weights are saved with the run: score measures prior dependence with NumPy only."""
    import numpy as np

    from bayesstreams.analysis.prior_dependence import power_scaled_weights, scaled_log_prior
    from bayesstreams.inference.store import load_run, save_run

    folder = save_run(study_fit, tmp_path / "run")
    loaded = load_run(folder)
    fresh = power_scaled_weights(scaled_log_prior(loaded.posterior, loaded.config), loaded.n_chains)
    assert sorted(loaded.power_weights) == sorted(fresh)
    for alpha, weights in fresh.items():
        np.testing.assert_allclose(loaded.power_weights[alpha], weights, rtol=1e-12)
    profile = tmp_path / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\n")
    assert heavy_imports(["score", str(folder), str(profile)]) == []


def test_an_interrupt_names_a_few_written_files_and_counts_many_per_folder():
    """An interrupted SBC has written its journal one file per simulation: the one line counts them."""
    from bayesstreams.cli.app import _written_summary

    assert _written_summary(["out/ranks.csv"]) == "out/ranks.csv was"
    assert _written_summary(["a.csv", "b.csv"]) == "a.csv, b.csv were"
    many = [f"j/.x.sbc-journal/sim-{i:05d}.json" for i in range(131)] + ["j/.x.sbc-journal/settings.json", "k/o.csv"]
    line = _written_summary(many)
    assert line == "132 files in j/.x.sbc-journal, 1 file in k were" and "sim-00001" not in line
