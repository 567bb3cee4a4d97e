"""The ``bayesstreams`` program ends without the interpreter's clean-up, and loses nothing by it.

:mod:`bayesstreams.cli.console` runs the exit handlers, flushes the output and calls ``os._exit``
with the status :func:`bayesstreams.cli.app.main` gives (0.4-0.5 s less per ``analyze``; see
docs/PERFORMANCE.md).  Each test runs a real process: the status, every byte of the output through
a pipe, the exit handlers, and a thread still working are as with a normal exit; only the module
clean-up (an object's ``__del__`` at the interpreter's end) is skipped.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from bayesstreams.cli.app import main
from bayesstreams.cli.console import exit_status

from .conftest import ROOT, STUDY


def _program(prelude: str, *argv) -> subprocess.CompletedProcess:
    code = (f"import sys\n{prelude}\nsys.argv = ['bayesstreams', *{[str(a) for a in argv]!r}]\n"
            "from bayesstreams.cli.console import run\nrun()\nprint('run returned')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("code, status", [(None, 0), (0, 0), (2, 2), (130, 130), (256, 0), (-1, 255), ("bye", 1)])
def test_the_exit_status_is_the_one_sys_exit_gives(code, status):
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.exit({code!r})"], capture_output=True, timeout=60)
    assert done.returncode == status
    assert exit_status(code) == status


def test_the_output_through_a_pipe_is_whole_and_the_exit_handlers_run():
    done = _program("import atexit\natexit.register(lambda: sys.stderr.write('handler ran\\n'))", "validate", STUDY)
    expected = subprocess.run([sys.executable, "-c", "import sys; from bayesstreams.cli import main; sys.exit(main())",
                               "validate", str(STUDY)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == expected.returncode == 0
    assert done.stdout == expected.stdout and expected.stdout.count("\n") > 3
    assert done.stderr == expected.stderr + "handler ran\n"
    assert "run returned" not in done.stdout


def test_bad_input_keeps_its_one_line_and_status_2():
    done = _program("", "validate", "no/such/folder")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_the_module_clean_up_is_skipped():
    """What makes it fast: an object that would say goodbye at the interpreter's clean-up does not (a plain exit does)."""
    prelude = "class Noisy:\n    def __del__(self):\n        print('cleaned up', flush=True)\nkeep = Noisy()"
    assert "cleaned up" not in _program(prelude, "--help").stdout
    plain = subprocess.run([sys.executable, "-c", prelude + "\nimport sys\nsys.exit(0)"], capture_output=True,
                           text=True, timeout=60)
    assert "cleaned up" in plain.stdout


def test_a_thread_still_working_is_waited_for():
    prelude = ("import threading, time\n"
               "threading.Thread(target=lambda: (time.sleep(1.0), print('thread done', flush=True))).start()")
    done = _program(prelude, "--help")
    assert done.returncode == 0 and "thread done" in done.stdout


def test_main_itself_returns_for_callers_in_their_own_process():
    assert main(["--help"]) == 0
