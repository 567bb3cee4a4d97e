"""Figures drawn in a worker process are the same bytes as figures drawn here, and the worker never loses one.

``analyze`` draws its report's figures in a second process (:mod:`bayesstreams.reporting.painter`)
while it computes what to find out next.  These tests hold the worker's SVG and PNG to the
in-process drawing byte for byte, on the report and brief of the shipped study (fake draws), and
check what happens when the worker cannot help: switched off, killed, interrupted, or the drawing
itself fails.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bayesstreams.reporting.figures import stream_strip
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.painter import SWITCH, Drawing, Painter, use_process

from .helpers import as_study

ROOT = Path(__file__).resolve().parents[1]


def report_drawings(fake_study, lang="en"):
    from bayesstreams.reporting.report import draft_report
    from bayesstreams.reporting.report_figures import drawings

    draft = draft_report(as_study(fake_study[0]), lang)
    return drawings(draft.report, draft.t, draft.texts)


def brief_drawing(form: str) -> Drawing:
    streams = pd.DataFrame({"phase": [1, 1, 1, 2, 2, 2], "stream": ["problem", "policy", "politics"] * 2,
                            "mean": [0.2, 0.5, 0.9, 0.1, 0.4, 0.7], "q05": [0.1, 0.3, 0.8, 0.0, 0.2, 0.5],
                            "q95": [0.4, 0.7, 1.0, 0.3, 0.6, 0.9], "observed": [float("nan"), 1.0, float("nan")] * 2,
                            "bottleneck": [True, False, False] * 2})
    return Drawing(stream_strip, (streams, translator("nl")), form=form, title="t", desc="d", ident="brief-streams")


def worker_pids(painter: Painter) -> list[int]:
    return [] if painter._worker is None else [painter._worker.process.pid]


def test_a_worker_draws_the_report_and_brief_figures_byte_for_byte_as_this_process(fake_study):
    orders = {**report_drawings(fake_study, "nl"), "brief.svg": brief_drawing("svg"), "brief.png": brief_drawing("png")}
    assert len(orders) >= 4 and any(name.startswith("streams_") for name in orders)
    with Painter(in_process=True) as here:
        expected = {name: here.submit(order).result() for name, order in orders.items()}
    with Painter(in_process=False) as there:
        assert there._worker is not None
        pending = {name: there.submit(order) for name, order in orders.items()}
        drawn = {name: figure.result() for name, figure in pending.items()}
        assert worker_pids(there) and os.getpid() not in worker_pids(there)
    assert drawn == expected
    assert expected["brief.png"].startswith(b"\x89PNG") and expected["factor_effects.svg"].startswith("<svg")


def test_a_killed_worker_leaves_its_drawings_to_this_process():
    order = brief_drawing("svg")
    expected = Painter(in_process=True).submit(order).result()
    with Painter(in_process=False) as painter:
        assert painter.submit(order).result() == expected  # the worker is up and drawing
        for pid in worker_pids(painter):
            os.kill(pid, signal.SIGKILL)
        again = [painter.submit(order) for _ in range(3)]
        assert [figure.result() for figure in again] == [expected] * 3


def test_the_worker_ignores_ctrl_c_which_the_main_process_handles():
    order = brief_drawing("svg")
    with Painter(in_process=False) as painter:
        first = painter.submit(order).result()
        (pid,) = worker_pids(painter)
        os.kill(pid, signal.SIGINT)
        assert painter.submit(order).result() == first
        assert worker_pids(painter) == [pid]


def test_an_error_ends_the_worker_at_once():
    with pytest.raises(RuntimeError, match="stop"):
        with Painter(in_process=False) as painter:
            painter.submit(brief_drawing("svg")).result()
            (pid,) = worker_pids(painter)
            raise RuntimeError("stop")
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # terminated and reaped by the pool's shutdown
            os.kill(pid, 0)
            import time

            time.sleep(0.05)


def test_a_drawing_that_fails_in_the_worker_raises_its_error_here():
    bad = Drawing(stream_strip, (pd.DataFrame({"phase": [1]}), translator("en")))
    with Painter(in_process=True) as here, pytest.raises(KeyError) as local:
        here.submit(bad).result()
    with Painter(in_process=False) as there, pytest.raises(KeyError) as remote:
        there.submit(bad).result()
    assert str(remote.value) == str(local.value)


def test_the_switch_and_a_single_core_keep_every_drawing_here(monkeypatch):
    monkeypatch.setenv(SWITCH, "0")
    assert not use_process() and Painter()._worker is None
    monkeypatch.setenv(SWITCH, "1")
    monkeypatch.setattr("bayesstreams.reporting.painter.usable_cores", lambda: 1)
    assert not use_process() and Painter()._worker is None
    monkeypatch.setattr("bayesstreams.reporting.painter.usable_cores", lambda: 2)
    assert use_process()


def test_with_a_worker_the_report_and_brief_are_written_without_importing_matplotlib_here(fake_study, tmp_path):
    """What analyze does after the fit (draft, write the report, the brief), with the figures drawn by the worker."""
    code = ("import sys\n"
            "from bayesstreams.reporting.painter import Painter\n"
            "from bayesstreams.reporting.report import draft_report, write_report\n"
            "from bayesstreams.reporting.brief import write_brief\n"
            "from tests.helpers import as_study\n"
            f"study = as_study({str(fake_study[0])!r})\n"
            "with Painter(in_process=False) as painter:\n"
            "    draft = draft_report(study, 'en', painter=painter)\n"
            f"    write_report(study, {str(tmp_path / 'report')!r}, 'en', draft=draft)\n"
            f"    write_brief(study, {str(tmp_path / 'g5.html')!r}, case='g5', lang='nl', painter=painter)\n"
            "print('MATPLOTLIB=' + str('matplotlib' in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "MATPLOTLIB=False" in out.stdout
    figures = sorted((tmp_path / "report" / "figures").glob("*.svg"))
    assert figures and all(f.read_text(encoding="utf-8").startswith("<svg") for f in figures)
    assert "<svg" in (tmp_path / "g5.html").read_text(encoding="utf-8")


def test_a_draft_in_another_language_is_refused(fake_study, tmp_path):
    from bayesstreams.reporting.report import draft_report, write_report

    study = as_study(fake_study[0])
    with pytest.raises(ValueError, match="another language"):
        write_report(study, tmp_path / "report", "en", draft=draft_report(study, "nl"))
    assert not (tmp_path / "report").exists()


def test_a_print_in_the_worker_goes_to_stderr_not_into_the_figures():
    order = brief_drawing("svg")
    with Painter(in_process=False) as painter:
        noisy = painter.submit(Drawing(print, ("noise on stdout",)))  # prints, then to_svg(None) fails
        after = painter.submit(order)
        with pytest.raises(AttributeError):
            noisy.result()
        assert after.result() == Painter(in_process=True).submit(order).result()


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """The worker imports this package only: it never runs the caller's script again (multiprocessing would)."""
    log, script = tmp_path / "ran.txt", tmp_path / "script.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"open({str(log)!r}, 'a').write('ran\\n')\n"
        "from bayesstreams.reporting.painter import Painter\n"
        "from tests.test_painter import brief_drawing\n"
        "with Painter(in_process=False) as painter:\n"
        "    print(len(painter.submit(brief_drawing('svg')).result()) > 100, painter._worker is not None)\n",
        encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]
    assert log.read_text(encoding="utf-8") == "ran\n"


def test_the_worker_exits_cleanly_when_its_orders_end():
    """The end of its stdin ends the worker with status 0 (how fast is benchmarks/analyze_warm.py's: it shares the
    caller's stderr, so a pipe reading analyze's output stays open until the worker is gone)."""
    painter = Painter(in_process=False)
    painter.submit(brief_drawing("svg")).result()
    process = painter._worker.process
    painter._close()
    # closed with every figure read: the worker is gone and reaped when close returns, so the bayesstreams
    # command (which ends without the interpreter's clean-up, bayesstreams/cli/console.py) leaves no process behind
    assert process.returncode == 0


def test_the_workbook_built_by_the_worker_holds_the_same_cells(fake_study):
    """``write_report`` orders the workbook from the draft's painter; its cells are those built here (the bytes
    differ only by openpyxl's time stamps)."""
    import io

    from openpyxl import load_workbook

    from bayesstreams.reporting.report import draft_report
    from bayesstreams.reporting.workbook import report_tables, tables_workbook

    draft = draft_report(as_study(fake_study[0]), "nl")
    tables = report_tables(draft.report, draft.t)
    order = Drawing(tables_workbook, (tables,), form="file")
    with Painter(in_process=False) as there:
        assert there._worker is not None
        remote = there.submit(order).result()

    def cells(data: bytes) -> dict:
        book = load_workbook(io.BytesIO(data))
        return {name: [list(row) for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames}

    local = cells(tables_workbook(tables))
    assert cells(remote) == local and len(local) >= 5
    assert sum(len(rows) for rows in local.values()) > 20


def test_the_draft_orders_its_figures_before_the_slow_sections_and_they_are_the_finished_reports(fake_study,
                                                                                                 monkeypatch):
    """The figures are ordered as soon as their inputs are known (drawn by the worker while the source check, the
    case advice, the claims and the set-theoretic section are assembled), and are the figures of the finished report."""
    from bayesstreams.reporting import report_assemble
    from bayesstreams.reporting.report import draft_report
    from bayesstreams.reporting.report_figures import drawings, figure_texts

    calls = []

    def record(name, function):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return function(*args, **kwargs)
        monkeypatch.setattr(report_assemble, name, wrapper)

    for name in ("what_the_data_taught", "claim_verdicts", "case_advice_rows", "_posterior_qca", "mode_comparison"):
        record(name, getattr(report_assemble, name))

    class Recording(Painter):
        def submit(self, drawing):
            calls.append("figure")
            return super().submit(drawing)

    draft = draft_report(as_study(fake_study[0]), "nl", painter=Recording(in_process=True))
    figures = [i for i, name in enumerate(calls) if name == "figure"]
    assert figures and figures == list(range(len(figures)))  # every figure ordered before the first slow section
    assert {"what_the_data_taught", "claim_verdicts", "case_advice_rows", "_posterior_qca"} <= set(calls)
    assert draft.texts == figure_texts(draft.report, draft.t)
    finished = drawings(draft.report, draft.t, draft.texts)
    assert sorted(finished) == sorted(draft.figures)
    with Painter(in_process=True) as here:
        assert {name: here.submit(d).result() for name, d in finished.items()} == \
            {name: pending.result() for name, pending in draft.figures.items()}
