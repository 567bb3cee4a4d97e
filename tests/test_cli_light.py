"""The fast paths stay fast: --help, validate and score never import PyMC, PyTensor or ArviZ."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
from bayesstreams.cli import main
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


@pytest.mark.parametrize("args", [["--help"], ["validate", "data/trafficking_nl_2020"], ["validate", "nowhere"]])
def test_fast_paths_import_no_heavy_library(args):
    assert heavy_imports(args) == []


def test_score_imports_no_heavy_library(tmp_path):
    """Scoring reads draws.npz with NumPy; a fake run folder is enough to prove the import set."""
    import numpy as np

    from bayesstreams.dataset import load_dataset
    from bayesstreams.export import write_long
    from bayesstreams.store import FORMAT_VERSION, file_sha256, save_draws

    dataset = load_dataset(ROOT / "data" / "trafficking_nl_2020")
    run = tmp_path / "run"
    (run / "dataset").mkdir(parents=True)
    write_long(dataset, run / "dataset")
    rng = np.random.default_rng(0)
    k = len(dataset.factor_ids)
    draws = {"mu": rng.normal(size=(40, 2, 3)), "tau": abs(rng.normal(size=(40, 2, 3))), "z": rng.normal(size=(40, k)),
             "beta": rng.normal(size=(40, k)), "alpha": rng.normal(size=(40, 2, 3)),
             "lambda": rng.uniform(0, .2, (40, 2)), "kappa": rng.uniform(0, .2, (40, 2)), "rho": rng.uniform(size=40)}
    save_draws(run / "draws.npz", draws, draws, None)
    (run / "trace.nc").write_bytes(b"")
    (run / "model.toml").write_text('kind = "streams"\nname = "streams"\n')
    info = {"format_version": FORMAT_VERSION, "hashes": {"draws.npz": file_sha256(run / "draws.npz")},
            "dataset": {"hash": dataset.content_hash()}}
    (run / "run.json").write_text(json.dumps(info))
    profile = tmp_path / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\n")
    assert heavy_imports(["score", str(run), str(profile)]) == []
