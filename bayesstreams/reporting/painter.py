"""Draw figures in a second process while this one goes on: the report's figures beside what to find out next.

A figure is ordered as a :class:`Drawing` (one plot function of :mod:`bayesstreams.reporting.figures`
with the tables and translator it draws) and comes back as the promise of
its SVG text or PNG bytes (a :class:`Pending`).  ``analyze`` spends about 2 s on its figures (0.5 s of it importing
matplotlib) and about 1.5 s on work that does not need them (what to find out next, the templates,
the workbook), on a machine with two cores of which the second is idle after the fit.  A
:class:`Painter` opened with ``in_process=False`` starts one worker process at once, which imports
matplotlib and loads its fonts while this process imports the rest and fits; the figures are then
drawn there while this process computes.

The drawing is the same code with the same inputs either way, so the files are the same bytes
(tests/test_painter.py).  Drawings travel by pickle between two processes of this package and
nothing else; nothing is written to disk by the worker.  The worker ignores Ctrl-C (the main
process handles it and ends the worker); when the worker cannot start or dies, the figure is drawn
here instead.  ``BAYESSTREAMS_FIGURE_PROCESS=0`` (or a single available core) draws everything here.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

from bayesstreams.reporting.figures import _figure, to_png, to_svg

SWITCH = "BAYESSTREAMS_FIGURE_PROCESS"  # "0": draw every figure in this process


@dataclass(frozen=True)
class Drawing:
    """One figure to draw: ``plot(*args, **kwargs)``, a plot function of :mod:`bayesstreams.reporting.figures`.

    ``form`` is ``"svg"`` (with ``title``, ``desc`` and ``ident`` for :func:`~bayesstreams.reporting.figures.to_svg`)
    or ``"png"`` (at ``dpi``).
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
    if drawing.form == "png":
        return to_png(figure, dpi=drawing.dpi)
    return to_svg(figure, drawing.title, drawing.desc, ident=drawing.ident)


def _warm() -> None:
    """The worker's start: ignore Ctrl-C, import matplotlib's figure and SVG machinery and load the font once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    figure = _figure((1.0, 0.5))
    figure.text(0.5, 0.5, "0%")
    to_svg(figure)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def use_process() -> bool:
    """Whether figures are drawn in a worker process: two cores or more, and not switched off by ``BAYESSTREAMS_FIGURE_PROCESS=0``."""
    return os.environ.get(SWITCH, "1").strip() != "0" and _cores() >= 2


class Painter:
    """Draws :class:`Drawing` orders here (``in_process=True``) or in one worker process, as :class:`Pending` figures.

    Use it as a context manager: leaving the block ends the worker (at once when the block ends
    with an error or an interrupt).  ``in_process=None`` asks :func:`use_process`.
    """

    def __init__(self, in_process: bool | None = None):
        self.in_process = (not use_process()) if in_process is None else in_process
        self._pool = None
        if not self.in_process:
            try:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_warm)
                self._pool.submit(int)  # start the worker now, so it imports while this process works
            except (OSError, RuntimeError):  # no processes to be had here: draw in this one
                self._close(abort=True)

    def submit(self, drawing: Drawing) -> "Pending":
        """``drawing`` ordered: in the worker, or drawn here at once when there is none."""
        if self._pool is not None:
            try:
                return Pending(drawing, self._pool.submit(draw, drawing))
            except (BrokenProcessPool, RuntimeError):  # the worker died: this process draws from now on
                self._close(abort=True)
        return Pending(drawing)

    def __enter__(self) -> "Painter":
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._close(abort=kind is not None)

    def _close(self, abort: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if abort:  # an error or Ctrl-C: the worker's drawings are no longer wanted
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=not abort, cancel_futures=abort)


class Pending:
    """A figure ordered from a :class:`Painter`: :meth:`result` is its SVG text or PNG bytes (a :class:`Pending`).

    A worker that died before drawing it leaves the drawing to this process (same code, same bytes).
    """

    def __init__(self, drawing: Drawing, future: Future | None = None):
        self.drawing, self._future = drawing, future
        self._value = draw(drawing) if future is None else None

    def result(self) -> str | bytes:
        if self._future is not None:
            try:
                self._value = self._future.result()
            except BrokenProcessPool:
                self._value = draw(self.drawing)
            self._future = None
        return self._value
