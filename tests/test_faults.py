"""Faults lose nothing: real ``bayesstreams`` processes interrupted, raced, starved of disk and of permission.

Every test starts the console script as a user would (``subprocess.Popen`` with ``PYTHONPATH``
at this checkout) and checks the exit code, the one printed line, and that the folder it
wrote into holds exactly what it held before (names and SHA-256 of every file, hidden
ones included): nothing lost, nothing left behind.  Signals are sent at points the
process announces through ``BAYESSTREAMS_FAULT`` (:mod:`bayesstreams.faults`) or, while
sampling, after a delay.  The disk-full and read-only cases mount a 1 MB tmpfs and a
read-only bind mount (root only; skipped elsewhere) and also inject the error at the write
call, which needs no privileges.  Runs are fake (``tests.helpers.write_fake_run``) where
no fitting is needed; the fitting cases are ``model`` tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.atomic import MEANWHILE, atomic_folder
from bayesstreams.errors import InputError

from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "bayesstreams"
STUDY = ROOT / "data" / "trafficking_nl_2020"
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
SIGNALS = [signal.SIGINT, signal.SIGTERM]


# ---------------------------------------------------------------------------- helpers


def start(*args, fault: str | None = None, env: dict | None = None, cwd=None) -> subprocess.Popen:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    environment.pop("BAYESSTREAMS_FAULT", None)
    if fault:
        environment["BAYESSTREAMS_FAULT"] = fault
    return subprocess.Popen([str(EXE), *map(str, args)], env=environment, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def run(*args, **kwargs) -> tuple[int, str, str]:
    return finish(start(*args, **kwargs))


def wait_for_line(process: subprocess.Popen, wanted: str, timeout: float = 120) -> list[str]:
    """Read stderr until a line holding ``wanted`` arrives; returns the lines read."""
    lines, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"process ended before {wanted!r}: {lines} (exit {process.wait()})")
        lines.append(line)
        if wanted in line:
            return lines
    raise AssertionError(f"no {wanted!r} within {timeout} s")


def interrupt_at_fault(process: subprocess.Popen, signum: int) -> tuple[int, str]:
    """Send ``signum`` once the process reports reaching its armed fault point; exit code and stderr."""
    before = wait_for_line(process, "fault: ")
    process.send_signal(signum)
    code, _, err = finish(process, timeout=60)
    return code, "".join(before[:-1]) + err


def listing(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (hidden ones too) with the SHA-256 of each file: what 'nothing changed' means."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        key = str(path.relative_to(folder))
        out[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return out


def one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def simulate_args(out: Path, seed: int = 1, cases: int = 30) -> list:
    return ["simulate", "--out", out, "--cases", cases, "--seed", seed]


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> Path:
    dataset = partly_observed_dataset(n_cases=6, seed=8)
    folder = tmp_path_factory.mktemp("run") / "run"
    return write_fake_run(folder, dataset, prior_like_draws(dataset, n=200, seed=3),
                          prior=prior_like_draws(dataset, n=300, seed=9))


@pytest.fixture
def existing(tmp_path) -> Path:
    """A folder the user already has, with a result in it that must survive every fault."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "precious.txt").write_text("the analyst's earlier result\n")
    return folder


def mounted(kind: str, folder: Path, size: str = "1m"):
    """Mount a tmpfs of ``size`` (``kind="tmpfs"``) or a read-only bind of ``folder`` on itself; skip without root."""
    folder.mkdir(exist_ok=True)
    if kind == "tmpfs":
        commands = [["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]]
    else:
        commands = [["mount", "--bind", str(folder), str(folder)],
                    ["mount", "-o", "remount,ro,bind", str(folder)]]
    for command in commands:
        if shutil.which(command[0]) is None or subprocess.run(command, capture_output=True).returncode != 0:
            subprocess.run(["umount", str(folder)], capture_output=True)
            pytest.skip(f"cannot {' '.join(command)} here (needs root and mount)")
    return folder


def unmount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], check=True)


# ---------------------------------------------------------------------------- interrupts while writing


@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupt_before_the_rename_leaves_nothing(tmp_path, signum):
    before = listing(tmp_path)
    code, err = interrupt_at_fault(start(*simulate_args(tmp_path / "sim"), fault="before-rename"), signum)
    assert code == EXIT[signum]
    assert one_error_line(err.replace("fault: before-rename\n", "")) == "interrupted; nothing was written"
    assert listing(tmp_path) == before


@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_force_leaves_the_existing_folder_untouched(existing, signum):
    before = listing(existing.parent)
    code, err = interrupt_at_fault(start(*simulate_args(existing), "--force", fault="before-rename"), signum)
    assert code == EXIT[signum] and "interrupted; nothing was written" in err
    assert listing(existing.parent) == before


@pytest.mark.model  # slow: several process start-ups with the reporting stack (not a fit)
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_report_leaves_nothing(fake_run, tmp_path, signum):
    before, run_before = listing(tmp_path), listing(fake_run)
    code, err = interrupt_at_fault(start("report", fake_run, "--out", tmp_path / "report", fault="before-rename"),
                                   signum)
    assert code == EXIT[signum] and err.strip().endswith("interrupted; nothing was written")
    assert listing(tmp_path) == before and listing(fake_run) == run_before


@pytest.mark.model  # slow: several process start-ups with the reporting stack (not a fit)
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_brief_leaves_the_old_brief(fake_run, tmp_path, signum):
    old = tmp_path / "brief.html"
    old.write_text("<p>last week's brief</p>")
    before = listing(tmp_path)
    code, err = interrupt_at_fault(start("brief", fake_run, "--case", "c1", "--out", old, "--force",
                                         fault="before-rename"), signum)
    assert code == EXIT[signum] and err.strip().endswith("interrupted; nothing was written")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_import_leaves_nothing(tmp_path, signum):
    from .qda_study import write_study

    project, mapping = write_study(tmp_path, "nvivo")
    before = listing(tmp_path)
    for args in (["import", "qdpx", project, "--mapping", mapping, "--out", tmp_path / "imported"],
                 ["import", "template", project, "--out", tmp_path / "start.toml"]):
        code, err = interrupt_at_fault(start(*args, fault="before-rename"), signum)
        assert code == EXIT[signum] and err.strip().endswith("interrupted; nothing was written"), err
        assert listing(tmp_path) == before


@pytest.fixture
def handlers():
    """The CLI's signal handlers in this process, restored (and the interrupt state forgotten) afterwards."""
    from bayesstreams import interrupts

    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    interrupts.reset()
    interrupts.install()
    yield interrupts
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    interrupts.reset()


def test_a_signal_during_the_renames_waits_for_them(tmp_path, handlers, monkeypatch):
    """SIGTERM between the two renames of a staged pair: both happen, then the interrupt, naming what was written."""
    import bayesstreams.atomic as atomic

    renamed = []
    real = atomic._commit

    def commit_then_signal(tmp, path, allowed):
        old = real(tmp, path, allowed)
        renamed.append(path)
        if len(renamed) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # delivered here, between the first rename and the second
        return old

    monkeypatch.setattr(atomic, "_commit", commit_then_signal)
    with pytest.raises(handlers.Interrupted) as info:
        with atomic.staged() as stage:
            for name in ("run", "report"):
                (stage.folder(tmp_path / name) / "done.txt").write_text(name)
    assert info.value.exit_code == 143 and renamed == [tmp_path / "run", tmp_path / "report"]
    assert {p.name: (p / "done.txt").read_text() for p in tmp_path.iterdir()} == {"run": "run", "report": "report"}
    assert atomic.written()[-2:] == [tmp_path / "run", tmp_path / "report"]


def test_a_second_signal_does_not_cut_the_clean_up_short(tmp_path, handlers):
    import bayesstreams.atomic as atomic

    with pytest.raises(handlers.Interrupted):
        with atomic.atomic_folder(tmp_path / "out") as tmp:
            (tmp / "big").write_bytes(b"x" * 1000)
            os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGINT)  # while unwinding was done: recorded, not raised again
    assert handlers.received() == signal.SIGINT and list(tmp_path.iterdir()) == []


def test_a_signal_a_library_dropped_still_stops_the_command_before_anything_is_kept(tmp_path, handlers):
    """nutpie answers a signal during its wait by returning the draws it has, all of them when the signal came at
    its end, and drops the exception: the complete trace and the renames after it still stop, nothing written."""
    import bayesstreams.atomic as atomic
    from bayesstreams.inference.complete import require_complete

    require_complete({"beta": np.zeros((4, 2))}, 4, "the sampler")  # no signal: a complete trace is accepted
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises Interrupted here ...
    except handlers.Interrupted:
        pass  # ... and a library drops it
    with pytest.raises(handlers.Interrupted) as info:
        require_complete({"beta": np.zeros((4, 2))}, 4, "the sampler")
    assert info.value.exit_code == 143
    with pytest.raises(handlers.Interrupted):
        with atomic.atomic_folder(tmp_path / "out") as tmp:
            (tmp / "run.json").write_text("{}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [AttributeError("module 'numba' has no attribute 'core'"), InputError("x.csv: unreadable")])
def test_an_error_after_a_dropped_signal_is_reported_as_the_interruption(monkeypatch, capsys, error):
    """A signal landing in an import leaves a half-imported module that fails later: the CLI says "interrupted" and
    exits 128 + the signal, not "internal error" (or an input error) and 1; the next command starts afresh."""
    import bayesstreams.data.dataset as dataset_module
    from bayesstreams import interrupts

    from .conftest import run_cli

    def load(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except interrupts.Interrupted:
            pass  # dropped on its way up
        raise error

    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    try:
        monkeypatch.setattr(dataset_module, "load_dataset", load)
        code, _, err = run_cli(["validate", str(STUDY)], capsys)
        assert code == 143 and one_error_line(err).startswith("interrupted; ")  # (what this process wrote before)
        monkeypatch.undo()
        code, _, err = run_cli(["validate", "no-such-folder"], capsys)  # no signal any more: the error is the news
        assert code == 2 and err.startswith("error:")
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        interrupts.reset()


def test_interrupt_while_starting_leaves_nothing(tmp_path):
    # SIGTERM early, while the command imports its libraries: still one line and 143
    process = start("fit", STUDY, "--out", tmp_path / "run")
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 143 and one_error_line(err) == "interrupted; nothing was written"
    assert listing(tmp_path) == {}


# ---------------------------------------------------------------------------- one writer wins


@pytest.mark.model  # slow: several process start-ups with the reporting stack (not a fit)
def test_two_writers_on_one_path_many_times(tmp_path):
    """Two processes pass the early check together and rename together: one run wins, the other says so."""
    reference = {}
    for seed in (1, 2):  # what each writer's folder holds when it writes alone
        assert run(*simulate_args(tmp_path / f"ref{seed}", seed))[0] == 0
        reference[seed] = listing(tmp_path / f"ref{seed}")
    meanwhile = 0
    for round_ in range(6):
        target = tmp_path / f"race{round_}"
        processes = {seed: start(*simulate_args(target, seed), fault="before-rename:sleep=2") for seed in (1, 2)}
        results = {seed: finish(p) for seed, p in processes.items()}
        winners = [seed for seed, (code, _, _) in results.items() if code == 0]
        assert len(winners) == 1, results
        (loser,) = {1, 2} - set(winners)
        code, _, err = results[loser]
        assert code == 2
        line = one_error_line(err.replace("fault: before-rename\n", ""))
        # a loser that started late is stopped by the early check instead: both are right
        assert line in (f"error: {target}: {MEANWHILE}", f"error: {target}: already exists; pass --force to "
                                                           "replace it")
        meanwhile += MEANWHILE in line
        assert listing(target) == reference[winners[0]]  # the winner's folder, complete, nothing of the loser's
    assert meanwhile >= 1  # the renames did race (the processes were lined up at them)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race0", "race1", "race2", "race3", "race4", "race5",
                                                         "ref1", "ref2"]


@pytest.mark.model  # slow: several process start-ups or a timeout (not a fit)
def test_two_writers_with_force_both_complete(tmp_path, existing):
    reference = {}
    for seed in (1, 2):
        assert run(*simulate_args(tmp_path / f"ref{seed}", seed))[0] == 0
        reference[seed] = listing(tmp_path / f"ref{seed}")
    processes = [start(*simulate_args(existing, seed), "--force", fault="before-rename:sleep=1.5") for seed in (1, 2)]
    assert [finish(p)[0] for p in processes] == [0, 0]
    assert listing(existing) in (reference[1], reference[2])  # one complete folder, never a mixture
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ref1", "ref2"]


def test_threads_racing_atomic_folder_200_times(tmp_path):
    """The rename itself, without process start-up: of two writers lined up at the rename, exactly one wins."""
    for round_ in range(200):
        target = tmp_path / f"t{round_}"
        barrier, outcomes = threading.Barrier(2), {}

        def writer(name: str) -> None:
            try:
                with atomic_folder(target) as tmp:
                    (tmp / "who").write_text(name)
                    barrier.wait()
                outcomes[name] = "won"
            except InputError as exc:
                outcomes[name] = str(exc)

        threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values())[1] == "won" and MEANWHILE in sorted(outcomes.values())[0], outcomes
        winner = next(name for name, outcome in outcomes.items() if outcome == "won")
        assert (target / "who").read_text() == winner
    assert len(list(tmp_path.iterdir())) == 200  # no temporary folder left by any loser


def test_existing_folder_needs_force_and_exits_2(existing):
    before = listing(existing.parent)
    code, _, err = run(*simulate_args(existing))
    assert code == 2 and one_error_line(err) == f"error: {existing}: already exists; pass --force to replace it"
    assert listing(existing.parent) == before


# ---------------------------------------------------------------------------- resource errors


@pytest.mark.model  # slow: several process start-ups with the reporting stack (not a fit)
@pytest.mark.parametrize("fault, reason", [("write:enospc", "no space left on the device"),
                                           ("write:eacces", "permission denied")])
def test_injected_write_error_is_one_line_and_leaves_nothing(fake_run, existing, fault, reason):
    before = listing(existing.parent)
    for args in (simulate_args(existing / "sim"), ["report", fake_run, "--out", existing / "report"],
                 ["brief", fake_run, "--case", "c1", "--out", existing / "brief.html"]):
        code, _, err = run(*args, fault=fault)
        line = one_error_line(err)
        assert code == 2 and line.startswith(f"error: {args[args.index('--out') + 1]}") and reason in line, err
        assert listing(existing.parent) == before


@pytest.mark.model  # slow: several process start-ups or a timeout (not a fit)
def test_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    disk = mounted("tmpfs", tmp_path / "disk")
    try:
        (disk / "kept.txt").write_text("already on the disk\n")
        before = listing(disk)
        code, _, err = run(*simulate_args(disk / "sim", cases=20000))
        assert code == 2, err
        assert one_error_line(err).startswith(f"error: {disk / 'sim'}") and "no space left on the device" in err
        assert listing(disk) == before
    finally:
        unmount(disk)


@pytest.mark.model  # slow: several process start-ups with the reporting stack (not a fit)
def test_read_only_folder_is_one_line_and_leaves_nothing(tmp_path, fake_run):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "kept.txt").write_text("read-only result\n")
    mounted("ro", folder)
    try:
        before = listing(folder)
        for args, out in ((simulate_args(folder / "sim"), folder / "sim"),
                          (["report", fake_run, "--out", folder / "report"], folder / "report"),
                          (["brief", fake_run, "--case", "c1", "--out", folder / "b.html"], folder / "b.html")):
            code, _, err = run(*args)
            assert code == 2 and one_error_line(err).startswith("error: ") and "read-only file system" in err, err
            assert str(out.parent) in err
        assert listing(folder) == before
    finally:
        unmount(folder)


@pytest.mark.model
@pytest.mark.parametrize("size", ["64k", "4m"], ids=["full-at-trace.nc", "full-at-draws.npz"])
def test_fit_onto_a_full_disk_is_one_line_exit_2_no_crash(tmp_path, size):
    # the run holds a 2.9 MB trace.nc, then a 2.7 MB draws.npz: the disk fills in one or the other.
    # On the old main this exited 139 (a crash at shutdown after the HDF5 write failed)
    disk = mounted("tmpfs", tmp_path / "disk", size)
    try:
        code, out, err = run("fit", STUDY, "--out", disk / "run", "--draws", "200", "--tune", "200")
        assert code == 2, err
        assert one_error_line(err).startswith(f"error: {disk / 'run'}") and "no space left on the device" in err
        assert "run written" not in out and listing(disk) == {}
    finally:
        unmount(disk)


@pytest.mark.model
def test_fit_into_a_read_only_folder_fails_before_sampling(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted("ro", folder)
    try:
        started = time.monotonic()
        code, out, err = run("fit", STUDY, "--out", folder / "run", "--draws", "20000")
        assert code == 2 and "read-only file system" in one_error_line(err) and "fitted" not in out
        assert time.monotonic() - started < 30  # 20,000 draws were never sampled
        assert listing(folder) == {}
    finally:
        unmount(folder)


def test_a_file_in_the_way_is_one_line(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    before = listing(tmp_path)
    code, _, err = run(*simulate_args(blocker / "sim"))
    assert code == 2 and "a file is in the way of a folder" in one_error_line(err)
    code, _, err = run(*simulate_args(blocker))
    assert code == 2 and "already exists" in one_error_line(err)
    assert listing(tmp_path) == before


# ---------------------------------------------------------------------------- no empty or partial runs


def _shorten(run_folder: Path, target: Path, keep: int, asked: tuple[int, int] = (2, 100)) -> Path:
    """A copy of a fake run whose draws are cut to ``keep`` while run.json says chains x draws = ``asked``."""
    from bayesstreams.inference.store import file_sha256, load_draws, save_draws

    shutil.copytree(run_folder, target)
    posterior, prior, loglik = load_draws(target / "draws.npz")
    save_draws(target / "draws.npz", {k: v[:keep] for k, v in posterior.items()}, prior, loglik)
    info = json.loads((target / "run.json").read_text())
    info["hashes"]["draws.npz"] = file_sha256(target / "draws.npz")
    info["settings"] = {"chains": asked[0], "draws": asked[1]}
    info["n_samples"] = keep
    (target / "run.json").write_text(json.dumps(info))
    return target


@pytest.mark.parametrize("keep", [0, 150])
def test_partial_run_is_refused_by_every_reader(fake_run, tmp_path, keep):
    short = _shorten(fake_run, tmp_path / "short", keep)
    profile = tmp_path / "p.csv"
    profile.write_text("case_id,factor,code\nnew,p1_media,1\n")
    expected = (f"error: {short / 'draws.npz'}: holds {keep} complete draws, the run asked for 200 "
                "(an interrupted or partial fit); refit with `bayesstreams fit`")
    for args in (["report", short, "--out", tmp_path / "report"], ["score", short, profile],
                 ["brief", short, "--case", "c1", "--out", tmp_path / "b.html"]):
        code, _, err = run(*args)
        assert code == 2 and one_error_line(err) == expected, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "short"]


def test_complete_run_with_settings_is_accepted(fake_run, tmp_path):
    from bayesstreams.inference.store import load_run

    full = _shorten(fake_run, tmp_path / "full", 200, asked=(2, 100))
    assert load_run(full).n_samples == 200


def test_short_trace_is_an_interruption_not_a_result():
    from bayesstreams.inference.complete import complete_samples, require_complete
    from bayesstreams.interrupts import Interrupted

    draws = {"rho": np.ones((400, 2)), "mu": np.ones((400, 2, 3))}
    require_complete(draws, 400, "test")  # complete: no error
    draws["mu"][7, 1, 2] = np.nan  # nutpie pads chains that stopped early with NaN
    assert complete_samples(draws) == 399
    with pytest.raises(Interrupted, match="stopped after 399 of 400 draws"):
        require_complete(draws, 400, "test")
    with pytest.raises(Interrupted, match="stopped after 0 of 400 draws"):
        require_complete({"rho": np.ones((0, 2))}, 400, "test")


# ---------------------------------------------------------------------------- a browser that hangs


@pytest.mark.model  # slow: several process start-ups or a timeout (not a fit)
def test_hanging_pdf_printer_is_killed_after_the_timeout(fake_run, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "pids"
    fake = bin_dir / "chromium"  # a browser that never prints and has a helper process, as Chromium does
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "BAYESSTREAMS_PDF_TIMEOUT": "2"}
    started = time.monotonic()
    code, _, err = run("brief", fake_run, "--case", "c1", "--out", tmp_path / "brief.pdf", env=env)
    assert time.monotonic() - started < 60
    assert code == 1 and one_error_line(err) == ("error: Chromium did not finish printing brief.pdf within 2 s and "
                                                 "was stopped; nothing was written (set BAYESSTREAMS_PDF_TIMEOUT "
                                                 "to wait longer)")
    assert not (tmp_path / "brief.pdf").exists()
    for pid in map(int, pids.read_text().split()):  # the browser and its helper are gone (or zombies)
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "\nState:\tZ" in status.read_text()


# ---------------------------------------------------------------------------- fitting (model tier)


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory) -> Path:
    """1,000 simulated cases: sampling lasts long enough to be interrupted in the middle."""
    out = tmp_path_factory.mktemp("big") / "sim1000"
    assert run(*simulate_args(out, seed=3, cases=1000))[0] == 0
    return out


@pytest.mark.model
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("delay", [4.0, 12.0])
def test_interrupted_fit_while_sampling_leaves_nothing(big_dataset, tmp_path, existing, signum, delay):
    before = listing(tmp_path)
    process = start("fit", big_dataset, "--out", existing, "--force", "--draws", "50000", "--tune", "1000")
    time.sleep(delay)
    assert process.poll() is None, "the fit ended before the signal: make it longer"
    process.send_signal(signum)
    code, out, err = finish(process, timeout=120)
    assert code == EXIT[signum] and err.strip().splitlines()[-1] == "interrupted; nothing was written", err
    assert "Traceback" not in err and "run written" not in out
    assert listing(tmp_path) == before


@pytest.mark.model
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_fit_while_writing_leaves_nothing(tmp_path, signum):
    before = listing(tmp_path)
    process = start("fit", STUDY, "--out", tmp_path / "run", "--draws", "100", "--tune", "200",
                    fault="before-rename")
    code, err = interrupt_at_fault(process, signum)
    assert code == EXIT[signum] and err.strip().endswith("interrupted; nothing was written")
    assert listing(tmp_path) == before


@pytest.mark.model
def test_sampler_stopped_by_ctrl_c_is_not_a_result():
    """Without the CLI's handler (a notebook), nutpie turns Ctrl-C into a short trace: fit must refuse it."""
    code = ("import os, signal, threading\n"
            "import nutpie\n"
            "from bayesstreams.data.dataset import load_dataset\n"
            "from bayesstreams.inference.fit import fit\n"
            "from bayesstreams.interrupts import Interrupted\n"
            "from bayesstreams.model.config import load_config\n"
            "sample = nutpie.sample\n"
            "def sample_then_ctrl_c(*args, **kwargs):  # Ctrl-C 2 s after sampling starts\n"
            "    threading.Timer(2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
            "    return sample(*args, **kwargs)\n"
            "nutpie.sample = sample_then_ctrl_c\n"
            f"data = load_dataset({str(STUDY)!r})\n"
            "try:\n"
            "    fit(data, load_config(None), draws=2000000, tune=200, chains=2)\n"
            "except Interrupted as exc:\n"
            "    print('interrupted:', exc.detail, exc.exit_code)\n")
    # more draws than the default limit (data/limits.py) so that the sampler is still running at the Ctrl-C
    env = dict(os.environ, PYTHONPATH=str(ROOT), BAYESSTREAMS_LIMIT_DRAWS="2000000")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("interrupted: the nutpie sampler stopped after ") and last.endswith("of 4000000 draws 130")


@pytest.mark.model
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_analyze_leaves_neither_run_nor_report(tmp_path, signum):
    before = listing(tmp_path)
    process = start("analyze", STUDY, "--out", tmp_path / "reports", "--run", tmp_path / "runs", "--brief", "g5",
                    fault="before-rename")
    code, err = interrupt_at_fault(process, signum)
    assert code == EXIT[signum] and err.strip().endswith("interrupted; nothing was written")
    assert listing(tmp_path) == before


@pytest.mark.model
def test_two_fits_on_one_path_one_wins(tmp_path):
    target = tmp_path / "run"
    processes = [start("fit", STUDY, "--out", target, "--draws", "100", "--tune", "200", "--seed", seed,
                       fault="before-rename:sleep=3") for seed in (1, 2)]
    results = [finish(p) for p in processes]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, _, err in results if code == 2)
    assert f"error: {target}: {MEANWHILE}" in loser
    winner_seed = next(seed for seed, (code, _, _) in zip((1, 2), results) if code == 0)
    assert json.loads((target / "run.json").read_text())["seed"] == winner_seed
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# ---------------------------------------------------------------------------- SBC (model tier)

SBC_ARGS = ["--cases", "10", "--draws", "60", "--tune", "60", "--chains", "1", "--workers", "1"]


@pytest.mark.model
def test_sbc_retries_a_simulation_whose_worker_died(tmp_path):
    code, out, err = run("check", "sbc", "--out", tmp_path / "sbc", "--sims", "3", *SBC_ARGS, fault="sbc-worker:exit")
    assert code in (0, 1), err  # 1 would be a calibration verdict; the run itself completes
    summary = json.loads((tmp_path / "sbc" / "summary.json").read_text())
    # the dead worker held simulation 0 and maybe the next one assigned to it: each is resubmitted once
    assert 1 <= summary["retries"] <= 2 and summary["n_sims"] == 3
    assert f"simulations retried after a worker died: {summary['retries']}" in out
    import pandas as pd

    ranks = pd.read_csv(tmp_path / "sbc" / "ranks.csv")
    assert sorted(ranks["sim"].unique()) == [0, 1, 2]
    assert (ranks.groupby("sim").size() == ranks.groupby("sim").size().iloc[0]).all()  # no simulation twice
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sbc"]  # the journal is gone


@pytest.mark.model
def test_interrupted_sbc_resumes_from_finished_simulations(tmp_path):
    out, journal = tmp_path / "sbc", tmp_path / ".sbc.sbc-journal"
    process = start("check", "sbc", "--out", out, "--sims", "6", *SBC_ARGS)
    end = time.monotonic() + 240
    while len(list(journal.glob("sim-*.json"))) < 2 and time.monotonic() < end and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    code, _, err = finish(process)
    assert code == 130 and not out.exists(), err
    kept = {p.name: p.read_text() for p in journal.glob("sim-*.json")}
    assert len(kept) >= 2 and f"finished simulations kept in {journal} for --resume" in err.strip().splitlines()[-1]
    code, stdout, err = run("check", "sbc", "--out", out, "--sims", "6", *SBC_ARGS, "--resume")
    assert code in (0, 1), err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_sims"] == 6 and summary["resumed"] == len(kept)
    import pandas as pd

    ranks = pd.read_csv(out / "ranks.csv")
    for text in kept.values():  # the kept simulations are in the result as they were computed
        rows = json.loads(text)
        sim = ranks[ranks["sim"] == rows[0]["sim"]].sort_values("order")
        np.testing.assert_allclose(sim["u"].to_numpy(), [row["u"] for row in rows], rtol=1e-5)
    assert not journal.exists()
