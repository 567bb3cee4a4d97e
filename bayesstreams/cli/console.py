"""The ``bayesstreams`` program: run the command line, then end the process without the interpreter's clean-up.

When a command has returned, everything it wrote is closed and renamed into place, and what is
left of the process is the interpreter tearing down its modules: 0.4-0.5 s after ``analyze``
(numba's compiled code about 0.3 s of it), during which a shell or a pipe reading the output
still waits.  :func:`run` (the console script and ``python -m bayesstreams.cli``) therefore runs
the exit handlers (``atexit``: temporary folders, logging, anything a library registered),
flushes stdout and stderr, and ends the process with :func:`os._exit`, with the same exit status
:func:`~bayesstreams.cli.app.main` gives.  While a thread that is not a daemon still runs, or
when flushing fails (a closed pipe), it leaves the end to the interpreter as before.

:func:`~bayesstreams.cli.app.main` itself returns or raises ``SystemExit`` as any function does:
the tests and the Python API call it in their own process, which must go on.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

from bayesstreams.cli.app import main


def exit_status(code) -> int:
    """The status ``sys.exit(code)`` gives the shell: 0 for ``None``, the number itself, else 1 (the text printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _others_running() -> bool:
    """Whether a thread other than this one, not a daemon, still runs (the interpreter would wait for it)."""
    return any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread())


def quick_exit(code) -> None:
    """End the process with ``code`` now: exit handlers run, output flushed, no module clean-up.

    Falls back to ``sys.exit(code)`` when another non-daemon thread runs, when the interpreter
    offers no way to run the exit handlers, or when flushing the output fails.
    """
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None or _others_running():
        sys.exit(code)
    status = exit_status(code)
    run_handlers()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a reader that went away: the interpreter reports it as it always did
        sys.exit(code)
    os._exit(status)


def run() -> None:
    """The console entry point: :func:`~bayesstreams.cli.app.main`, then :func:`quick_exit` with its status."""
    try:
        code = main()
    except SystemExit as stop:
        code = stop.code
    quick_exit(code)
