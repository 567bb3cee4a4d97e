"""A fit, a saved run and a report import what they use and no more (issue 28: the process half of a warm analyze).

nutpie is imported without ArviZ and its trace converted here (the same arrays as nutpie's own
conversion, a test below); arviz-stats without JAX; a run is written without ``distributed``; the
figures are drawn without pyplot.  Each shim leaves the library whole for anyone who imports it.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
NEVER = ("jax", "distributed", "matplotlib.pyplot", "arviz", "arviz_plots")


def run_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def imported(code: str) -> list[str]:
    """The modules of :data:`NEVER` that ``code``, run in a fresh interpreter, leaves imported."""
    probe = code + f"\nimport sys\nprint('IMPORTED=' + ','.join(m for m in {NEVER!r} if m in sys.modules))\n"
    line = [x for x in run_python(probe).splitlines() if x.startswith("IMPORTED=")][-1]
    return [m for m in line[len("IMPORTED="):].split(",") if m]


def test_masked_modules_read_as_missing_inside_the_block_only():
    from bayesstreams.inference.imports import masked

    name = "bayesstreams_no_such_module_yet"
    with masked("json", name):
        assert sys.modules[name] is None
        with pytest.raises(ImportError):
            __import__(name)
        import json  # already imported: never masked

        assert json.dumps([1]) == "[1]"
    assert name not in sys.modules


def test_a_deferred_module_imports_the_real_one_when_read():
    from bayesstreams.inference.imports import DeferredModule

    placeholder = DeferredModule("colorsys")
    assert placeholder.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)


def test_nutpie_without_arviz_leaves_arviz_whole_for_everyone_else():
    out = run_python(
        "import sys\n"
        "from bayesstreams.inference.imports import import_nutpie\n"
        "nutpie = import_nutpie()\n"
        "print('ARVIZ_AFTER_NUTPIE=' + str('arviz' in sys.modules))\n"
        "import arviz\n"
        "nutpies = sys.modules['nutpie.sample'].arviz\n"
        "print('REAL=' + str(callable(arviz.from_dict) and nutpies.from_dict is arviz.from_dict))\n")
    assert "ARVIZ_AFTER_NUTPIE=False" in out and "REAL=True" in out


def test_arviz_stats_without_jax_keeps_arviz_numpyro_converter_working():
    pytest.importorskip("jax")
    out = run_python(
        "import sys\n"
        "import numpy as np\n"
        "from bayesstreams.inference.imports import import_arviz_stats\n"
        "azs = import_arviz_stats()\n"
        "x = np.random.default_rng(1).normal(size=(4, 500))\n"
        "lw, k = azs.base.array_stats.psislw(x, axis=(-2, -1))\n"
        "print('JAX=' + str('jax' in sys.modules))\n"
        "from arviz_base import io_numpyro\n"
        "import jax\n"
        "print('SAME=' + str(io_numpyro.jax.numpy is jax.numpy))\n")
    assert "JAX=False" in out and "SAME=True" in out


def test_figures_are_drawn_without_pyplot(fake_study_report):
    """The report's figures (forest plot, stream diagrams) come from matplotlib's object API."""
    assert any(fake_study_report("en").rglob("*.svg"))
    code = ("from bayesstreams.reporting.report import write_report\n"
            "from bayesstreams.inference.store import load_run\n"
            "from tests.helpers import as_study, prior_like_draws, write_fake_run\n"
            "from bayesstreams.data.dataset import load_dataset\n"
            "import tempfile, pathlib\n"
            "tmp = pathlib.Path(tempfile.mkdtemp())\n"
            f"dataset = load_dataset({str(STUDY)!r})\n"
            "folder = write_fake_run(tmp / 'run', dataset, prior_like_draws(dataset, n=400, seed=8))\n"
            "write_report(as_study(folder), tmp / 'report', lang='en')\n")
    assert "matplotlib.pyplot" not in imported(code)


@pytest.mark.model
@pytest.mark.parametrize("study", ["shipped", "simulated"])
def test_nutpie_trace_is_the_one_nutpie_converts_itself(study, tmp_path):
    """Same seed, same draws and sample statistics, bit for bit, as ``nutpie.sample`` converting with ArviZ."""
    import nutpie
    import xarray as xr

    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.fast.adapter import fast_nutpie_model
    from bayesstreams.fast.registry import fast_problem
    from bayesstreams.inference.fit import resolve_model
    from bayesstreams.inference.samplers.nutpie import sample_compiled
    from bayesstreams.model.simulate import simulate_to_folder

    if study == "shipped":
        dataset = load_dataset(STUDY)
    else:
        dataset = load_dataset(simulate_to_folder(tmp_path / "sim", n_cases=60, seed=5))
    config = resolve_model(None)
    model = fast_nutpie_model(fast_problem(dataset, config))
    ours = sample_compiled(model, None, draws=150, tune=150, chains=2, seed=11, cores=2)
    theirs = nutpie.sample(model, draws=150, tune=150, chains=2, cores=2, seed=11, progress_bar=False,
                           save_warmup=False, target_accept=0.9)
    assert sorted(ours.children) == sorted(theirs.children) == ["posterior", "sample_stats"]
    for group in ("posterior", "sample_stats"):
        xr.testing.assert_identical(ours[group].to_dataset().drop_attrs(), theirs[group].to_dataset().drop_attrs())
    assert np.array_equal(ours["posterior"]["beta"].values, theirs["posterior"]["beta"].values)
    assert ours["sample_stats"].attrs["inference_library"] == "nutpie"


@pytest.mark.model
def test_a_fit_and_its_saved_run_import_no_jax_distributed_pyplot_or_arviz(tmp_path):
    """A fit (nutpie, diagnostics, power weights) and ``save_run`` (trace.nc) as a warm ``analyze`` does them."""
    code = ("import bayesstreams as bs\n"
            "from bayesstreams.inference.store import load_run, save_run\n"
            f"run = bs.fit({str(STUDY)!r}, draws=200, tune=200, seed=3)\n"
            f"save_run(run, {str(tmp_path / 'run')!r})\n"
            f"again = load_run({str(tmp_path / 'run')!r})\n"
            "assert again.diagnostics.rhat_max == run.diagnostics.rhat_max\n"
            "assert run.tree()['posterior']['beta'].shape[:2] == (4, 200)\n")
    assert imported(code) == []


class FakeResults:
    """What ``nutpie.sample(..., return_raw_trace=True)`` returns, reduced to the Arrow trace."""

    def __init__(self, draws, stats):
        self.batches = (draws, stats)

    def get_arrow_trace(self):
        return self.batches


def arrow_chain(rng, n_tune: int, n_draws: int, chain: int):
    """One chain's Arrow draw and stat batches as nutpie writes them (arro3 batches; dims and shape as field metadata)."""
    import pyarrow as pa
    from arro3.core import RecordBatch

    n = n_tune + n_draws
    named = pa.field("beta", pa.large_list(pa.float64()), metadata={b"dims": b"factor", b"shape": b"3"})
    unnamed = pa.field("theta", pa.large_list(pa.float64()), metadata={b"shape": b"2"})
    draws = pa.RecordBatch.from_arrays(
        [pa.array(rng.normal(size=n)), pa.array(list(rng.normal(size=(n, 3)))), pa.array(list(rng.normal(size=(n, 2))))],
        schema=pa.schema([pa.field("rho", pa.float64()), named, unnamed]))
    stats = pa.RecordBatch.from_arrays(
        [pa.array([True] * n_tune + [False] * n_draws), pa.array([chain] * n, pa.uint64()),
         pa.array(np.arange(n), pa.uint64()), pa.array(rng.random(n) < 0.1), pa.array(rng.normal(size=n)),
         pa.array([None] * n, pa.string())],
        names=["tuning", "chain", "draw", "diverging", "energy", "divergence_message"])
    return RecordBatch.from_arrow(draws), RecordBatch.from_arrow(stats)


def test_the_trace_conversion_labels_as_arviz_does_dims_without_names_or_coords():
    """Against nutpie's own conversion through ArviZ: a named dim with coords, a dim without coords, an unnamed dim."""
    import pandas as pd
    import xarray as xr
    from nutpie.sample import _arrow_to_arviz

    from bayesstreams.inference.samplers.nutpie import UNSTORED_STATS, to_datatree

    rng = np.random.default_rng(4)
    chains = [arrow_chain(rng, 5, 7, c) for c in range(2)]
    draws, stats = [d for d, _ in chains], [s for _, s in chains]
    for coords in ({"factor": pd.Index(["a", "b", "c"])}, {}):
        ours = to_datatree(FakeResults(draws, stats), coords)
        theirs = _arrow_to_arviz(draws, stats, skip_vars=list(UNSTORED_STATS), coords=coords)
        for group in ("posterior", "sample_stats"):
            xr.testing.assert_identical(ours[group].to_dataset().drop_attrs(),
                                        theirs[group].to_dataset().drop_attrs())
        assert ours["posterior"]["beta"].shape == (2, 7, 3)  # the 5 warm-up rows dropped
