"""Fault injection for the fault tests: ``BAYESSTREAMS_FAULT=<point>[:<action>]``.

Writers call :func:`hit` at named points; nothing happens unless the environment variable
names that point.  Points: ``before-rename`` (a staged folder is complete, not yet renamed
into place), ``write`` (a file's bytes are about to be written), ``sbc-worker`` (an SBC
simulation starts on a Dask worker).  Actions: ``sleep`` (the default: print
``fault: <point>`` to stderr and sleep 60 s, so a test can send a signal there;
``sleep=0.5`` sleeps that long, to line two writers up at their renames), ``enospc``,
``eacces`` (raise that ``OSError``), ``exit`` (end the process at once, like a worker
killed by the out-of-memory killer).  Several faults are separated by commas.
"""

from __future__ import annotations

import errno
import os
import sys
import time

VARIABLE = "BAYESSTREAMS_FAULT"


def armed(point: str) -> str | None:
    """The action armed for ``point`` (``None`` when the variable does not name it)."""
    for item in os.environ.get(VARIABLE, "").split(","):
        name, _, action = item.strip().partition(":")
        if name == point:
            return action or "sleep"
    return None


def hit(point: str) -> None:
    """Act on the fault armed for ``point``, if any."""
    action = armed(point)
    if action is None:
        return
    if action.startswith("sleep"):
        print(f"fault: {point}", file=sys.stderr, flush=True)
        time.sleep(float(action.partition("=")[2] or 60))
    elif action in ("enospc", "eacces"):
        code = errno.ENOSPC if action == "enospc" else errno.EACCES
        raise OSError(code, os.strerror(code))
    elif action == "exit":
        os._exit(70)
