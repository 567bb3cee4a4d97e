"""Compute something in a forked copy of this process while this one goes on; the second core's share of the work.

:class:`Forked` forks at once (where that can be done: Linux and macOS, two usable cores, not switched
off by ``BAYESSTREAMS_FORK=0``), computes ``function(*args)`` in the copy and sends its value back
pickled through a pipe; :meth:`Forked.result` waits for it here.  Where no fork is done the value is
computed here, when first asked for: the same code on the same memory, so the same value.

The copy shares this process's memory as it was at the fork (copy-on-write), so it needs nothing
loaded or sent to it; what it changes stays in it.  It leaves through :func:`os._exit`, running
none of this process's exit handlers (a staged folder is removed by its owner only), and ignores
Ctrl-C: this process handles it and ends the copy (:meth:`Forked.cancel`, also when the ``with``
block of a :class:`Forked` ends with an error).  An error in the copy is raised again here.

Forking a process with threads is safe only when no other thread holds a lock the copy takes: the
callers fork after the fit, while the only other threads are BLAS's pool (which re-forms itself in the
copy), the figure worker's two pipe threads (which hold no lock while they wait), the allocator's
background thread (jemalloc re-forms itself in the copy) and the sampler's idle thread (never used in
the copy), and the copy computes with NumPy and writes files.  Python's warning about forking with
threads is silenced at that one call.  A process that has loaded JAX (``--sampler numpyro``) does not fork: its thread pools may hold locks.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from contextlib import contextmanager
from typing import Callable

SWITCH = "BAYESSTREAMS_FORK"  # "0": compute everything in this process
BACKGROUND_NICENESS = 10  # how much lower a background copy's priority is (os.nice)

_UNSET = object()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether :class:`Forked` forks: ``os.fork`` exists, two cores or more, ``BAYESSTREAMS_FORK`` is not ``0``, and
    JAX is not loaded (``--sampler numpyro``: its thread pools make a fork unsafe, and it warns of a deadlock)."""
    return (hasattr(os, "fork") and usable_cores() >= 2 and os.environ.get(SWITCH, "1").strip() != "0"
            and "jax" not in sys.modules)


@contextmanager
def one_blas_thread():
    """Within the block BLAS (OpenBLAS, MKL, BLIS) computes on one thread; its setting is restored afterwards.

    The package's products are small (thousands of draws by tens of factors or outcomes), and while a
    forked copy (:class:`Forked`) and the figure worker share the cores with this process, BLAS's
    second thread spins waiting for a core they hold: ``analyze`` of the shipped study spent 10% less
    CPU and 5% less wall time on one BLAS thread (the same bytes out).  A copy forked in the block
    keeps the setting.  threadpoolctl finds the BLAS libraries loaded in this process.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


class Forked:
    """``function(*args, **kwargs)`` computed in a forked copy of this process (see the module docstring).

    ``fork=False`` (or :func:`can_fork` false) computes it here instead, when :meth:`result` is first called.
    """

    def __init__(self, function: Callable, *args, fork: bool | None = None, background: bool = False, **kwargs):
        self._call = (function, args, kwargs)
        self._background = background
        self._value = _UNSET
        self._pid, self._read = None, None
        if can_fork() if fork is None else fork and hasattr(os, "fork"):
            self._start()

    @property
    def forked(self) -> bool:
        """Whether a forked copy computes the value (until :meth:`result` has read it)."""
        return self._pid is not None

    def _start(self) -> None:
        read, write = os.pipe()
        # Ctrl-C held back over the fork: the copy ignores it from its first instruction, the parent gets it after
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*use of fork", category=DeprecationWarning)
                pid = os.fork()
        except OSError:  # no process to be had (a limit reached): computed here when asked for
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the copy: compute, send, leave without this process's exit handlers
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends this copy
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                if mask is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                os.close(read)
                if self._background:  # work nobody waits for until the end: the other processes' cores first
                    os.nice(BACKGROUND_NICENESS)
                function, args, kwargs = self._call
                try:
                    answer = (True, function(*args, **kwargs))
                except BaseException as error:  # raised again in the parent
                    answer = (False, error)
                with os.fdopen(write, "wb") as pipe:
                    try:
                        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception as error:  # an error (or value) that cannot travel travels as its text
                        data = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
                    pipe.write(data)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self):
        """The value (waiting for the copy to send it), or the copy's error raised here."""
        if self._value is _UNSET:
            if self._pid is None:
                function, args, kwargs = self._call
                self._value = function(*args, **kwargs)
            else:
                ok, value = self._receive()
                if not ok:
                    raise value
                self._value = value
        return self._value

    def _receive(self) -> tuple[bool, object]:
        try:
            with os.fdopen(self._read, "rb") as pipe:
                self._read = None
                try:
                    answer = pickle.load(pipe)
                except (EOFError, pickle.UnpicklingError):
                    answer = (False, RuntimeError("a forked process ended without its result"))
        finally:
            self._reap()
        return answer

    def cancel(self) -> None:
        """End the copy now (its value is not wanted)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self._read is not None:
                os.close(self._read)
                self._read = None
            self._reap()

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        if pid is not None:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def __enter__(self) -> "Forked":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self.cancel()
        elif self._pid is not None:  # a value nobody read: still wait, so that no process outlives the block
            try:
                self._receive()
            except Exception:
                pass
