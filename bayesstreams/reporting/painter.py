"""Draw figures in a second process while this one goes on: the report's figures beside what to find out next.

A figure is ordered as a :class:`Drawing` (one plot function of :mod:`bayesstreams.reporting.figures`
with the tables and translator it draws) and comes back as the promise of
its SVG text or PNG bytes (a :class:`Pending`).  ``analyze`` spends about 2 s on its figures (0.5 s of it importing
matplotlib) and about 1.5 s on work that does not need them (what to find out next, the templates,
the workbook), on a machine with two cores of which the second is idle after the fit.  A
:class:`Painter` opened with ``in_process=False`` starts one worker process at once, which imports
matplotlib and loads its fonts while this process imports the rest and fits; the figures are then
drawn there while this process computes.  The report's workbook (openpyxl, also loaded during the
warm-up) is built there too, while this process renders the templates.

The drawing is the same code with the same inputs either way, so the files are the same bytes
(tests/test_painter.py).  The worker is ``python -c`` importing this module (not
:mod:`multiprocessing`, whose start methods run the caller's main script again in the worker: a
user's script without a ``__main__`` guard would run twice).  Drawings and figures travel pickled
over the worker's own stdin and stdout pipes, between two processes of this package and nothing
else; the worker's own prints go to stderr, and it writes nothing to disk.  The worker ignores Ctrl-C (the main
process handles it and ends the worker); when the worker cannot start or dies, the figure is drawn
here instead.  ``BAYESSTREAMS_FIGURE_PROCESS=0`` (or a single available core) draws everything here.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas  # noqa: F401  (the worker unpickles the drawings' tables: loaded during its warm-up)

from bayesstreams.forked import usable_cores
from bayesstreams.reporting.figures import _figure, to_png, to_svg

SWITCH = "BAYESSTREAMS_FIGURE_PROCESS"  # "0": draw every figure in this process
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding this bayesstreams: the worker imports the same
CLOSE_WAIT = 5.0  # seconds a closing painter waits for its worker to exit, so that no process outlives the command


@dataclass(frozen=True)
class Drawing:
    """One figure to draw: ``plot(*args, **kwargs)``, a plot function of :mod:`bayesstreams.reporting.figures`.

    ``form`` is ``"svg"`` (with ``title``, ``desc`` and ``ident`` for :func:`~bayesstreams.reporting.figures.to_svg`),
    ``"png"`` (at ``dpi``), or ``"file"``: ``plot`` returns a file's bytes itself (the report's workbook,
    :func:`~bayesstreams.reporting.workbook.tables_workbook`).
    """

    plot: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    form: str = "svg"
    title: str = ""
    desc: str = ""
    ident: str = "figure"
    dpi: int = 220


def draw(drawing: Drawing) -> str | bytes:
    """The figure as SVG text or PNG bytes, in whichever process calls it."""
    figure = drawing.plot(*drawing.args, **drawing.kwargs)
    if drawing.form == "file":
        return figure
    if drawing.form == "png":
        return to_png(figure, dpi=drawing.dpi)
    return to_svg(figure, drawing.title, drawing.desc, ident=drawing.ident)


def serve() -> None:
    """The worker: warm up, then draw each ``(number, Drawing)`` read from stdin and write ``(number, ok, figure or error)`` to stdout.

    Ctrl-C is ignored (the main process handles it and ends the worker); the end of stdin ends it at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    orders, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed here goes to stderr, never into the replies
    figure = _figure((1.0, 0.5))  # matplotlib's figure and SVG machinery and the font, loaded before the first order
    figure.text(0.5, 0.5, "0%")
    to_svg(figure)
    import openpyxl  # noqa: F401  (the report's workbook is built here too)

    while True:
        try:
            number, drawing = pickle.load(orders)
        except EOFError:  # no more orders: every reply is written and flushed, nothing else to clean up
            os._exit(0)  # not the interpreter's clean-up (0.3-0.5 s), during which it held the caller's stderr open
        try:
            reply = (number, True, draw(drawing))
        except Exception as error:  # not hidden: raised again in the main process, which asked for the figure
            reply = (number, False, error)
        try:
            data = pickle.dumps(reply)
        except Exception as error:  # an error that cannot travel travels as its text
            data = pickle.dumps((number, False, RuntimeError(f"{type(error).__name__}: {error}")))
        replies.write(data)
        replies.flush()


class WorkerGone(Exception):
    """The worker process ended before it sent a figure (killed, crashed, or never started)."""


class _Worker:
    """One drawing process: orders in on its stdin, figures back on its stdout, in order.

    A thread here writes the orders (so ordering a figure never waits for the worker to read, which
    it does only between drawings) and another reads the replies.
    """

    def __init__(self):
        code = (f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); "
                "from bayesstreams.reporting.painter import serve; serve()")
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._replies: dict[int, tuple[bool, object]] = {}
        self._gone = False
        self._changed = threading.Condition()
        self._count = 0
        self._orders: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._write, name="bayesstreams-painter-orders", daemon=True).start()
        threading.Thread(target=self._read, name="bayesstreams-painter-figures", daemon=True).start()

    def _write(self) -> None:
        try:
            while (data := self._orders.get()) is not None:
                self.process.stdin.write(data)
                self.process.stdin.flush()
        except (OSError, ValueError):  # the pipe is closed: the worker is gone, and the reader says so
            pass
        finally:
            try:
                self.process.stdin.close()  # the end of the orders ends the worker
            except OSError:
                pass

    def _read(self) -> None:
        try:
            while True:
                number, ok, value = pickle.load(self.process.stdout)
                with self._changed:
                    self._replies[number] = (ok, value)
                    self._changed.notify_all()
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):  # the worker ended: no more replies
            with self._changed:
                self._gone = True
                self._changed.notify_all()

    def submit(self, drawing: Drawing) -> int:
        if self._gone:
            raise WorkerGone()
        number, self._count = self._count, self._count + 1
        self._orders.put(pickle.dumps((number, drawing)))
        return number

    def result(self, number: int):
        with self._changed:
            while number not in self._replies and not self._gone:
                self._changed.wait()
            if number not in self._replies:
                raise WorkerGone()
            ok, value = self._replies.pop(number)
        if not ok:
            raise value
        return value

    def close(self, abort: bool) -> None:
        """End the worker: at once (``abort``), else once it has drawn what was ordered (waited for here up to ``CLOSE_WAIT`` s)."""
        self._orders.put(None)
        if abort:
            self.process.kill()
            self.process.wait()
        else:  # it exits once it has read the end of its orders (at once when every figure was read), then is reaped here
            try:
                self.process.wait(timeout=CLOSE_WAIT)
            except subprocess.TimeoutExpired:  # still drawing figures nobody read yet: a thread reaps it later
                threading.Thread(target=self.process.wait, name="bayesstreams-painter-exit", daemon=True).start()


def use_process() -> bool:
    """Whether figures are drawn in a worker process: two cores or more, and not switched off by ``BAYESSTREAMS_FIGURE_PROCESS=0``."""
    return os.environ.get(SWITCH, "1").strip() != "0" and usable_cores() >= 2


class Painter:
    """Draws :class:`Drawing` orders here (``in_process=True``) or in one worker process, as :class:`Pending` figures.

    Use it as a context manager: leaving the block ends the worker (at once when the block ends
    with an error or an interrupt).  ``in_process=None`` asks :func:`use_process`.
    """

    def __init__(self, in_process: bool | None = None):
        self._worker = None
        if use_process() if in_process is None else not in_process:
            try:
                self._worker = _Worker()  # started now, so it loads matplotlib while this process works
            except OSError:  # no process to be had here: draw in this one
                pass

    def submit(self, drawing: Drawing) -> "Pending":
        """``drawing`` ordered: from the worker, or drawn here when read if there is none."""
        if self._worker is not None:
            try:
                return Pending(drawing, self._worker, self._worker.submit(drawing))
            except WorkerGone:  # the worker died: this process draws from now on
                self._close(abort=True)
        return Pending(drawing)

    def __enter__(self) -> "Painter":
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._close(abort=kind is not None)

    def _close(self, abort: bool = False) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close(abort)


class Pending:
    """A figure ordered from a :class:`Painter`: :meth:`result` is its SVG text or PNG bytes.

    Without a worker the figure is drawn here when first read; a worker that died before sending it
    leaves the drawing to this process too (same code, same bytes).
    """

    def __init__(self, drawing: Drawing, worker: _Worker | None = None, number: int = -1):
        self.drawing, self._worker, self._number = drawing, worker, number
        self._value = None

    def result(self) -> str | bytes:
        if self._value is None:
            try:
                self._value = draw(self.drawing) if self._worker is None else self._worker.result(self._number)
            except WorkerGone:
                self._value = draw(self.drawing)
            self._worker = None
        return self._value
