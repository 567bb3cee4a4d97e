"""A fit, a saved run and a report import what they use and no more (issue 28: the process half of a warm analyze).

nutpie is imported without ArviZ and its trace converted here (the same arrays as nutpie's own
conversion, a test below); arviz-stats without JAX, and a fit's diagnostics without arviz-stats
(tests/test_mcmc_stats.py); xarray without ``dask.array``; a run is written without
``distributed``; the figures are drawn without pyplot.  Each shim leaves the library whole for
anyone who imports it.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
NEVER = ("jax", "distributed", "matplotlib.pyplot", "arviz", "arviz_plots")
NEVER_IN_ANALYZE = (*NEVER, "arviz_stats", "scipy.stats", "scipy.special", "dask.array")


def run_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def imported(code: str, never=NEVER) -> list[str]:
    """The modules of ``never`` that ``code``, run in a fresh interpreter, leaves imported."""
    probe = code + f"\nimport sys\nprint('IMPORTED=' + ','.join(m for m in {tuple(never)!r} if m in sys.modules))\n"
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
    assert imported(code, NEVER_IN_ANALYZE) == []


@pytest.mark.model
def test_a_warm_analyze_imports_neither_scipy_stats_arviz_stats_nor_dask(tmp_path):
    """The second ``analyze`` of the shipped study (companions fitted by the first); its diagnostics are arviz-stats'."""
    import json

    import arviz_stats as azs

    from bayesstreams.inference.diagnostics import _worst
    from bayesstreams.inference.store import load_run

    run, out = tmp_path / "run", tmp_path / "report"
    analyze = ("from bayesstreams.cli.app import main\n"
               "try:\n"
               f"    main(['analyze', {str(STUDY)!r}, '--run', {str(run)!r}, '--out', {str(out)!r}, '--brief', 'g5',"
               " '--force'])\n"
               "except SystemExit as stop:\n"
               "    assert not stop.code, stop.code\n")
    run_python(analyze)  # the first: fits the companion runs
    # no dask at all in analyze's process: trace.nc is written by its save's forked copy, and the trace is made without
    assert imported(analyze, (*NEVER_IN_ANALYZE, "dask")) == []
    record, tree = load_run(run).diagnostics, load_run(run).tree()
    names = [n for n in tree["posterior"].data_vars if n != "loglik"]
    rhat = _worst(dict(azs.rhat(tree, var_names=names, method="rank").to_dataset().items()), np.max)
    bulk = _worst(dict(azs.ess(tree, var_names=names, method="bulk").to_dataset().items()), np.min)
    tail = _worst(dict(azs.ess(tree, var_names=names, method="tail").to_dataset().items()), np.min)
    np.testing.assert_allclose([record.rhat_max, record.ess_bulk_min], [rhat[0], bulk[0]], rtol=1e-10)
    assert record.ess_tail_min == tail[0]
    assert record.bfmi_min == float(np.min(np.asarray(azs.bfmi(tree).to_dataset()["energy"])))
    assert record.worst == {"rhat": rhat[1], "ess_bulk": bulk[1], "ess_tail": tail[1]}
    rows = {row["check"]: row["value"] for row in json.loads((out / "summary.json").read_text())["diagnostics"]["rows"]}
    assert rows == {"rhat": record.rhat_max, "ess_bulk": record.ess_bulk_min, "ess_tail": record.ess_tail_min,
                    "divergences": record.divergences, "bfmi": record.bfmi_min}


def test_xarray_wraps_numpy_without_dask_array_and_dask_still_works_after():
    """:func:`import_xarray`: no ``dask.array`` import to build, write and read a tree; dask arrays later are dask arrays."""
    out = run_python(
        "import sys, tempfile, pathlib\n"
        "import numpy as np\n"
        "from bayesstreams.inference.imports import import_xarray\n"
        "xr = import_xarray()\n"
        "ds = xr.Dataset({'a': (('chain', 'draw'), np.ones((2, 6)))}, coords={'chain': np.arange(2)})\n"
        "print('DASK_FOR_DATASET=' + str('dask' in sys.modules))\n"
        "path = pathlib.Path(tempfile.mkdtemp()) / 't.nc'\n"
        "xr.DataTree(children={'posterior': xr.DataTree(ds)}).to_netcdf(path, engine='h5netcdf')\n"
        "print('DASK_ARRAY=' + str('dask.array' in sys.modules))\n"
        "import dask.array as da\n"
        "from xarray.namedarray.pycompat import array_type\n"
        "lazy = xr.DataArray(da.ones((4, 6), chunks=2), dims=('x', 'y'))\n"
        "opened = xr.open_dataset(path, group='posterior', engine='h5netcdf', chunks={})\n"
        "print('TYPE=' + str(array_type('dask') == (da.Array,)))\n"
        "from xarray.namedarray.utils import is_duck_dask_array\n"
        "print('DUCK=' + str(is_duck_dask_array(da.ones(3)) and not is_duck_dask_array(np.ones(3))))\n"
        "print('CHUNKED=' + str(lazy.chunks == ((2, 2), (2, 2, 2)) and isinstance(opened['a'].data, da.Array)))\n"
        "print('SUM=' + str(float((lazy + ds['a'].values[0]).sum().compute())))\n"
        "from distributed import Client, LocalCluster\n"
        "with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:\n"
        "    print('CLUSTER=' + str(float(client.compute(lazy.sum().data).result())))\n")
    assert "DASK_FOR_DATASET=False" in out and "DASK_ARRAY=False" in out
    assert "TYPE=True" in out and "DUCK=True" in out and "CHUNKED=True" in out and "SUM=48.0" in out and "CLUSTER=24.0" in out


def test_import_xarray_leaves_a_record_xarray_already_made():
    out = run_python(
        "import dask.array as da\n"
        "import xarray as xr\n"
        "from xarray.namedarray import pycompat\n"
        "xr.Variable(('x',), [1.0])\n"
        "made = pycompat._cached_duck_array_modules['dask']\n"
        "from bayesstreams.inference.imports import import_xarray\n"
        "import_xarray()\n"
        "print('KEPT=' + str(pycompat._cached_duck_array_modules['dask'] is made))\n")
    assert "KEPT=True" in out


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
