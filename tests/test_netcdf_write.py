"""trace.nc written straight to its file (inference/netcdf.py) is byte for byte the in-memory netCDF of before.

Before 2026-12-06 ``trace.nc`` was built in a ``BytesIO`` (``tree.to_netcdf(None, engine="h5netcdf")``)
and written in one plain write; that reference path is what these tests hold the streamed file to.
A write that fails (a full disk) must raise its own ``OSError`` once HDF5 has closed the file,
and the process must exit normally (HDF5 failing inside its own write crashed it at exit, 139).
"""

import errno
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.inference.netcdf import write_netcdf

ROOT = Path(__file__).resolve().parents[1]


def small_tree(n_cases: int = 300):
    import xarray as xr

    rng = np.random.default_rng(3)
    posterior = xr.Dataset({"beta": (("chain", "draw", "factor"), rng.normal(size=(2, 50, 4))),
                            "rho": (("chain", "draw"), rng.random((2, 50)))},
                           coords={"factor": ["a", "b", "c", "d"]}, attrs={"inference_library": "test"})
    loglik = xr.Dataset({"loglik": (("chain", "draw", "case"), -rng.random((2, 50, n_cases)))},
                        coords={"case": [f"c{i}" for i in range(n_cases)]})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 50), dtype=bool)),
                        "n_steps": (("chain", "draw"), rng.integers(1, 64, (2, 50)))})
    return xr.DataTree.from_dict({"posterior": posterior, "log_likelihood": loglik, "sample_stats": stats})


def reference_bytes(tree) -> bytes:
    view = tree.to_netcdf(None, engine="h5netcdf")
    try:
        return bytes(view)
    finally:
        view.release()


def test_streamed_trace_is_the_in_memory_netcdf_byte_for_byte(tmp_path):
    tree = small_tree()
    write_netcdf(tree, tmp_path / "trace.nc")
    assert (tmp_path / "trace.nc").read_bytes() == reference_bytes(tree)


def test_streamed_trace_reads_back_equal(tmp_path):
    import xarray as xr

    tree = small_tree()
    write_netcdf(tree, tmp_path / "trace.nc")
    with xr.open_datatree(tmp_path / "trace.nc", engine="h5netcdf") as back:
        back = back.load()
    for group in ("posterior", "log_likelihood", "sample_stats"):
        xr.testing.assert_identical(back[group].to_dataset(), tree[group].to_dataset())


def test_short_writes_are_continued(tmp_path, monkeypatch):
    import bayesstreams.inference.netcdf as netcdf

    real = netcdf.os.pwrite
    monkeypatch.setattr(netcdf.os, "pwrite", lambda fd, data, at: real(fd, data[:997], at))
    tree = small_tree()
    write_netcdf(tree, tmp_path / "trace.nc")
    monkeypatch.undo()
    assert (tmp_path / "trace.nc").read_bytes() == reference_bytes(tree)


@pytest.mark.parametrize("after", [0, 5000, 200_000], ids=["first-write", "metadata", "log-likelihood"])
def test_full_disk_raises_its_error_after_hdf5_closed_and_exits_normally(tmp_path, after):
    # in a fresh interpreter: the crash this guards against came at exit (status 139)
    script = textwrap.dedent(f"""
        import errno, os
        import bayesstreams.inference.netcdf as netcdf
        from tests.test_netcdf_write import small_tree
        real, written = os.pwrite, [0]
        def pwrite(fd, data, at):
            if written[0] + len(data) > {after}:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written[0] += len(data)
            return real(fd, data, at)
        netcdf.os.pwrite = pwrite
        try:
            netcdf.write_netcdf(small_tree(), {str(tmp_path / 'trace.nc')!r})
        except OSError as exc:
            print("raised", exc.errno)
        import gc; gc.collect()
        os.close(os.open({str(tmp_path / 'probe')!r}, os.O_CREAT | os.O_WRONLY))  # still able to open files
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["raised", str(errno.ENOSPC)], (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "HDF5" not in proc.stderr, proc.stderr


@pytest.mark.model
def test_saved_run_trace_and_draws_are_what_they_were(study_fit, tmp_path):
    from bayesstreams.inference.store import load_run, save_run, trace_with_extras

    out = save_run(study_fit, tmp_path / "run", command="test")
    assert (out / "trace.nc").read_bytes() == reference_bytes(trace_with_extras(study_fit))
    again = load_run(out)
    assert again.log_likelihood.dtype == study_fit.log_likelihood.dtype
    np.testing.assert_array_equal(again.log_likelihood, study_fit.log_likelihood)
    for name, array in study_fit.posterior.items():
        np.testing.assert_array_equal(again.posterior[name], array)
    for name, array in study_fit.prior.items():
        np.testing.assert_array_equal(again.prior[name], array)
