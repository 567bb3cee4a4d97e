"""Interrupts (Ctrl-C, SIGTERM) as one exception that leaves nothing behind.

The CLI calls :func:`install` once: SIGINT and SIGTERM then raise :class:`Interrupted`
in the main thread, which every writer treats like any other failure (its temporary
folder is removed, nothing the user had is touched).  :class:`Interrupted` is deliberately
not a ``KeyboardInterrupt``: nutpie answers a ``KeyboardInterrupt`` by returning the draws
it has (a partial trace), and typer by a bare exit code; any other exception makes nutpie
cancel its chains and re-raise.  Where no handler is installed (a notebook) Ctrl-C stays a
``KeyboardInterrupt`` and the short trace is caught by its draw count
(:func:`stopped_early`).

A second signal while the first one is being cleaned up is recorded, not raised, so the
clean-up itself is never cut short; a third one ends the process at once.  :func:`deferred` holds signals back while a result
is renamed into place, so an interrupt can never land between two renames.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

_STATE = {"received": None, "deferring": 0, "pending": None, "raised": False, "last": None, "count": 0}


class Interrupted(BaseException):
    """The process was asked to stop (SIGINT or SIGTERM); ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int = signal.SIGINT, detail: str = "", kept: str = ""):
        super().__init__(detail or signal.Signals(signum).name)
        self.signum = int(signum)
        self.detail = detail
        self.kept = kept  # what is deliberately left for a later --resume, said in the message
        _STATE["last"] = self  # typer turns an interrupt into a bare exit code 130; the CLI finds it here

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _handler(signum, frame) -> None:
    _STATE["count"] += 1
    if _STATE["received"] is None:
        _STATE["received"] = signum
    if _STATE["count"] >= 3:  # asked three times: stop now, even if a clean-up hangs
        os.write(2, b"interrupted again; stopping at once (a temporary .*.partial folder may remain)\n")
        os._exit(128 + signum)
    if _STATE["deferring"]:
        _STATE["pending"] = _STATE["pending"] or signum
        return
    if _STATE["raised"]:  # already unwinding: let the clean-up finish
        return
    _STATE["raised"] = True
    raise Interrupted(signum)


def install() -> None:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (main thread only; the CLI calls this)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handler)


def reset() -> None:
    """Forget the signals received so far (a long-lived process such as a notebook or a test run)."""
    _STATE.update(received=None, deferring=0, pending=None, raised=False, last=None, count=0)


def last() -> Interrupted | None:
    """The latest :class:`Interrupted` raised in this process, or ``None``."""
    return _STATE["last"]


def received() -> int | None:
    """The first signal this process received since :func:`install`, or ``None``."""
    return _STATE["received"]


def carried_on() -> None:
    """Raise again the :class:`Interrupted` of a signal that was raised but did not stop the work.

    A library may catch what a signal handler raised on its way up and go on: nutpie's sampler,
    told of a signal during its wait, stops its chains and returns the draws it has, which are all of
    them when the signal came at its end, and drops the exception.  Called where a result is about to
    be kept (a sampler's trace accepted, a result renamed into place): a signal received before that
    point stops the command there, with nothing written.
    """
    if _STATE["raised"] and _STATE["received"] is not None and not _STATE["deferring"]:
        raise Interrupted(_STATE["received"])


@contextmanager
def deferred():
    """Hold SIGINT/SIGTERM back inside the block; a signal that arrived is raised when it ends.

    Used around the final renames of a result: the renames either all happen or the
    block fails before them, and an interrupt is honoured right after.  A signal whose
    exception was dropped on its way (:func:`carried_on`) is raised before the block.
    """
    carried_on()
    _STATE["deferring"] += 1
    try:
        yield
    finally:
        _STATE["deferring"] -= 1
    pending, _STATE["pending"] = _STATE["pending"], None
    if pending is not None and not _STATE["deferring"] and not _STATE["raised"]:
        _STATE["raised"] = True
        raise Interrupted(pending)


def stopped_early(got: int, expected: int, what: str) -> Interrupted:
    """The exception for a sampler that returned ``got`` of ``expected`` draws: an interruption, never a result."""
    signum = received() or signal.SIGINT  # nutpie swallows Ctrl-C and returns what it has
    return Interrupted(signum, f"{what} stopped after {got} of {expected} draws")
