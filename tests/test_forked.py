"""A value computed in a forked copy of this process is the value computed here, and the copy never outlives its use.

:mod:`bayesstreams.forked` carries ``analyze``'s writing of the runs (beside the report's draft) and
``score``'s second share of many profiles.  Real forks: the value and an error come back, the copy's
changes stay in it, the copy runs no exit handler of this process and ignores Ctrl-C, a cancelled or
abandoned copy is ended and reaped, and the switch and one core compute here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bayesstreams.forked import SWITCH, Forked, can_fork, usable_cores

from .conftest import ROOT

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def _draws(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(400, 30)).cumsum(axis=0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_value_of_a_fork_is_the_value_computed_here():
    job = Forked(np.quantile, _draws(3), [0.05, 0.5, 0.95], axis=0, fork=True)
    assert job.forked and job._pid != os.getpid()
    here = Forked(np.quantile, _draws(3), [0.05, 0.5, 0.95], axis=0, fork=False)
    assert not here.forked
    assert np.array_equal(job.result(), here.result()) and job.result().shape == (3, 30)
    assert not job.forked  # read and reaped


def test_an_error_in_the_copy_is_raised_here():
    def fails():
        raise KeyError("no such factor")

    with pytest.raises(KeyError, match="no such factor"):
        Forked(fails, fork=True).result()


def test_what_the_copy_changes_stays_in_the_copy():
    record = {"n": 1}

    def change(r):
        r["n"] += 1
        return r["n"]

    assert Forked(change, record, fork=True).result() == 2 and record == {"n": 1}


def test_a_cancelled_copy_is_ended_and_reaped():
    job = Forked(time.sleep, 60, fork=True)
    pid = job._pid
    assert _alive(pid)
    job.cancel()
    assert not _alive(pid)


def test_an_error_in_the_block_ends_the_copy():
    with pytest.raises(RuntimeError):
        with Forked(time.sleep, 60, fork=True) as job:
            pid = job._pid
            raise RuntimeError("the report failed")
    assert not _alive(pid)


def test_a_value_nobody_read_is_waited_for_at_the_end_of_the_block():
    with Forked(time.sleep, 0.3, fork=True) as job:
        pid = job._pid
    assert not _alive(pid)


def test_the_copy_ignores_ctrl_c_and_runs_no_exit_handler_of_this_process(tmp_path):
    """Ctrl-C reaches the whole process group; the parent handles it. The copy leaves by os._exit."""
    log = tmp_path / "log"
    code = (
        "import atexit, os, signal, sys, time\n"
        "from bayesstreams.forked import Forked\n"
        f"atexit.register(lambda: open({str(log)!r}, 'a').write(f'exit handler in {{os.getpid()}}\\n'))\n"
        "def slow():\n"
        "    time.sleep(1.0)\n"
        "    return os.getpid()\n"
        "job = Forked(slow, fork=True)\n"
        "os.kill(job._pid, signal.SIGINT)\n"
        "child = job.result()\n"
        "print(child, os.getpid())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    child, parent = map(int, done.stdout.split())
    assert child != parent
    assert log.read_text(encoding="utf-8") == f"exit handler in {parent}\n"


def test_the_switch_and_a_single_core_compute_here(monkeypatch):
    monkeypatch.setenv(SWITCH, "0")
    assert not can_fork() and not Forked(sum, [1, 2]).forked
    monkeypatch.setenv(SWITCH, "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert usable_cores() == 1 and not can_fork() and not Forked(sum, [1, 2]).forked
    assert Forked(sum, [1, 2]).result() == 3


@pytest.mark.model
def test_a_study_saved_by_a_forked_copy_is_the_study_saved_here(study_fit, tmp_path, monkeypatch):
    """``analyze`` writes its runs in a fork while it drafts the report: the same files (bit for bit but the time and
    the seconds of writing in run.json), the record's provenance set before the writing and its hashes after."""
    import copy
    import json

    from bayesstreams.atomic import staged
    from bayesstreams.inference.integrity import file_hashes
    from bayesstreams.inference.study import Study

    monkeypatch.setattr("bayesstreams.inference.store.now", lambda: "2026-12-06T12:00:00+0000")
    folders = {}
    for fork in (False, True):
        run = copy.copy(study_fit)  # as the fit gave it (another test may have saved the shared record already)
        run.info = {k: v for k, v in study_fit.info.items() if k not in ("hashes", "created", "command")}
        run.path = None
        with staged() as stage, Study.of(run).start_saving(stage, tmp_path / f"fork-{fork}", command="cmd",
                                                                   fork=fork) as saving:
            assert saving._writing.forked == fork
            assert run.info["command"] == "cmd" and run.info["created"] == "2026-12-06T12:00:00+0000"
            assert "hashes" not in run.info and run.path is None  # not written yet: the path changes once it is
            written = saving.finish()
        folder = tmp_path / f"fork-{fork}"
        assert run.path == folder and sorted(written) == ["run"]
        saved = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert run.info == saved and saved["hashes"] == file_hashes(folder) and len(saved["hashes"]) >= 4
        folders[fork] = saved
    here, there = folders[False], folders[True]
    assert here["hashes"] == there["hashes"]
    assert {k: v for k, v in here.items() if k != "timings"} == {k: v for k, v in there.items() if k != "timings"}


@pytest.mark.model
def test_a_failed_save_leaves_the_record_unsaved_and_no_folder(study_fit, tmp_path):
    import copy

    from bayesstreams.atomic import staged
    from bayesstreams.inference.study import Study

    run = copy.copy(study_fit)
    info = run.info = dict(study_fit.info)
    run.path = None
    with pytest.raises(RuntimeError, match="the report failed"):
        with staged() as stage, Study.of(run).start_saving(stage, tmp_path / "runs", fork=True):
            raise RuntimeError("the report failed")
    assert run.info is info and run.path is None
    assert list(tmp_path.iterdir()) == []


def test_a_fork_refused_by_the_system_computes_here(monkeypatch):
    def refuse():
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    job = Forked(sum, [1, 2], fork=True)
    assert not job.forked and job.result() == 3
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # Ctrl-C is not left held back


def test_a_process_with_jax_loaded_computes_here(monkeypatch):
    """``--sampler numpyro`` loads JAX, whose thread pools make a fork unsafe (JAX warns of a deadlock)."""
    monkeypatch.setitem(sys.modules, "jax", object())
    assert not can_fork() and not Forked(sum, [1, 2]).forked


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_blas_thread_in_the_block_and_in_a_copy_forked_there_and_as_before_afterwards():
    from threadpoolctl import threadpool_limits

    from bayesstreams.forked import one_blas_thread

    assert _blas_threads(), "NumPy's BLAS is not found"
    with threadpool_limits(limits=2, user_api="blas"):  # two threads before, whatever this machine's default
        before = _blas_threads()
        with one_blas_thread():
            assert _blas_threads() == [1] * len(before)
            assert Forked(_blas_threads, fork=True).result() == [1] * len(before)
        assert _blas_threads() == before and set(before) == {2}


def _content(path):
    """A file's bytes; a workbook's cells (its zip records the time of writing)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {sheet.title: [tuple(c.value for c in row) for row in sheet.iter_rows()] for sheet in book.worksheets}


def test_the_outputs_with_what_to_find_out_next_forked_are_those_computed_here(fake_study, tmp_path, monkeypatch):
    """``analyze`` computes what to find out next in a forked copy while it drafts the report: the same files."""
    from bayesstreams.pipeline import analyze

    from .helpers import as_study

    study = as_study(fake_study[0])
    made = []

    class Recorded(Forked):
        def __init__(self, function, *args, fork=None, **kwargs):
            super().__init__(function, *args, fork=fork if fork is not None else FORCED, **kwargs)
            made.append(self.forked)

    monkeypatch.setattr(analyze, "Forked", Recorded)
    outputs = {}
    for FORCED in (False, True):
        folder = tmp_path / str(FORCED)
        folder.mkdir()
        analyze._write_outputs(study, folder, "en", ["g5"], "nl")
        outputs[FORCED] = {p.relative_to(folder): _content(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    assert made == [False, True]
    from pathlib import Path

    assert {Path("report.html"), Path("summary.json"), Path(analyze.brief_name("g5", "nl"))} <= set(outputs[True])
    assert sorted(outputs[True]) == sorted(outputs[False]) and len(outputs[True]) > 5
    assert outputs[True] == outputs[False]


def test_a_background_copy_runs_at_a_lower_priority_and_this_process_keeps_its_own():
    from bayesstreams.forked import BACKGROUND_NICENESS

    here = os.nice(0)
    assert Forked(os.nice, 0, fork=True, background=True).result() == min(here + BACKGROUND_NICENESS, 19)
    assert Forked(os.nice, 0, fork=True).result() == here and os.nice(0) == here
