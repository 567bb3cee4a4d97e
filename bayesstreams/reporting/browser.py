"""Headless Chromium: print a page to PDF, take screenshots, collect console errors.

Two ways of driving Chromium, both with the standard library only:

* :func:`print_pdf` uses the command line (``--print-to-pdf``); the page size comes from
  the page's CSS ``@page`` rule.
* :func:`open_page` speaks the DevTools protocol over ``--remote-debugging-pipe``
  (NUL-separated JSON on file descriptors 3 and 4; no websocket needed).  It is what
  tells console *errors* apart from other console output, and it sees failed resource
  loads, which the command line's ``--enable-logging`` does not report; :func:`evaluate_page` also
  evaluates JavaScript in the loaded page (the what-if page's tests read its numbers so).

Every Chromium gets a fresh temporary profile and is stopped (its own process group) when
the call returns.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.errors import BayesStreamsError, DependencyError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars")
INSTALL_HINT = "headless Chromium is needed for PDF output and browser checks: apt-get install -y chromium"


def find_chromium() -> str:
    """Path of a Chromium (or Chrome) binary, or :class:`DependencyError` saying how to install one."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise DependencyError(INSTALL_HINT)


# ---------------------------------------------------------------------------- PDF


PDF_TIMEOUT_VARIABLE = "BAYESSTREAMS_PDF_TIMEOUT"


def pdf_timeout(default: float = 120) -> float:
    """Seconds Chromium may take to print one PDF: ``$BAYESSTREAMS_PDF_TIMEOUT``, else ``default``."""
    value = os.environ.get(PDF_TIMEOUT_VARIABLE, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise BayesStreamsError(f"{PDF_TIMEOUT_VARIABLE}={value!r}: not a number of seconds") from None


def print_pdf(page: str | Path, pdf: str | Path, timeout: float | None = None) -> Path:
    """Print an HTML file to PDF without header or footer (page size from its CSS ``@page``).

    Chromium runs in its own process group; when it has not finished after ``timeout``
    seconds (default :func:`pdf_timeout`) the whole group is killed and a
    :class:`BayesStreamsError` says so, instead of the command hanging.
    """
    timeout = pdf_timeout() if timeout is None else timeout
    pdf = Path(pdf).resolve()
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bayesstreams-chromium-") as profile:
        argv = [find_chromium(), *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                "--no-pdf-header-footer", Path(page).resolve().as_uri()]
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise BayesStreamsError(f"Chromium did not finish printing {pdf.name} within {timeout:g} s and was "
                                    f"stopped; nothing was written (set {PDF_TIMEOUT_VARIABLE} to wait longer)") from None
        except BaseException:  # an interrupt: stop the browser we started, then go on unwinding
            _kill_group(process)
            raise
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise BayesStreamsError(f"Chromium did not write {pdf}: {stderr.strip()[-300:]}")
    return pdf


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the process group of ``process`` (Chromium and its helpers, all started by us) and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def pdf_page_count(pdf: str | Path | bytes) -> int:
    """Number of pages of a PDF (its ``/Type /Page`` objects; Chromium writes them uncompressed)."""
    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


# ---------------------------------------------------------------------------- DevTools over a pipe


def _spawn(argv: list[str], command_fd: int, reply_fd: int) -> int:
    """Start ``argv`` in its own session with ``command_fd`` as its fd 3 and ``reply_fd`` as its fd 4.

    ``posix_spawn`` maps the descriptors without running Python in the child (a
    ``preexec_fn`` is fragile: other libraries' open files may sit on fds 3 and 4).
    The sources are first copied above fd 10 so that no mapping overwrites another.
    """
    import fcntl

    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (command_fd, reply_fd)]
    try:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, high[0], 3), (os.POSIX_SPAWN_DUP2, high[1], 4)]
        return os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)
    finally:
        for fd in high:
            os.close(fd)


class _Pipe:
    """One Chromium process and its DevTools pipe."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.events: list[dict] = []
        self._buffer = b""
        self._next_id = 0
        self._profile = tempfile.TemporaryDirectory(prefix="bayesstreams-chromium-")
        to_chrome_r, self._write = os.pipe()
        self._read, from_chrome_w = os.pipe()
        argv = [find_chromium(), *FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-pipe",
                "about:blank"]
        try:
            self.pid = _spawn(argv, to_chrome_r, from_chrome_w)
        finally:
            os.close(to_chrome_r)
            os.close(from_chrome_w)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send one DevTools command; returns its id (the reply carries the same id)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next_id

    def wait_for(self, wanted, timeout: float | None = None) -> dict:
        """Read messages (keeping every event) until ``wanted(message)`` is true."""
        end = time.monotonic() + (timeout or self.timeout)
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if wanted(message):
                    return message
            left = end - time.monotonic()
            if left <= 0:
                raise BayesStreamsError("Chromium did not answer in time over the DevTools pipe")
            ready, _, _ = select.select([self._read], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise BayesStreamsError("Chromium closed the DevTools pipe (it may have crashed)")
                self._buffer += chunk

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and wait for its result; a protocol error becomes a :class:`BayesStreamsError`."""
        number = self.send(method, params, session)
        reply = self.wait_for(lambda m: m.get("id") == number)
        if "error" in reply:
            raise BayesStreamsError(f"Chromium refused {method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def settle(self, seconds: float) -> None:
        """Keep reading events for ``seconds`` (late console messages)."""
        try:
            self.wait_for(lambda m: False, timeout=seconds)
        except BayesStreamsError:
            pass

    def _exited(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while True:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        """Ask Chromium to quit; kill its process group if it does not; remove the temporary profile."""
        try:
            self.send("Browser.close")
        except OSError:
            pass
        if not self._exited(5):  # stop what we started: our own process group, by id
            os.killpg(self.pid, signal.SIGKILL)
            self._exited(5)
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()


def console_errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads among DevTools events, one line each."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                        for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}".strip())
    return errors


@dataclass
class PageCheck:
    """What loading a page showed: its console errors and, when asked, a screenshot."""

    errors: list[str] = field(default_factory=list)
    png: Path | None = None
    height: int | None = None


def _attach(pipe: _Pipe, width: int, height: int) -> str:
    target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for method in ("Runtime.enable", "Log.enable", "Page.enable"):
        pipe.call(method, session=session)
    pipe.call("Emulation.setDeviceMetricsOverride",
              {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
    return session


def open_page(page: str | Path, png: str | Path | None = None, width: int = 1200, height: int = 1600,
              full_page: bool = False, media: str | None = None, timeout: float = 60) -> PageCheck:
    """Load an HTML file in headless Chromium; collect console errors and optionally take a screenshot.

    Parameters
    ----------
    page
        The HTML file.
    png
        Where to write a PNG screenshot (None: no screenshot).
    width, height
        The viewport in CSS pixels.
    full_page
        Capture the whole page instead of the viewport.
    media
        ``"print"`` lays the page out with its print styles (as the PDF will be).
    """
    pipe = _Pipe(timeout)
    try:
        session = _attach(pipe, width, height)
        if media:
            pipe.call("Emulation.setEmulatedMedia", {"media": media}, session)
        pipe.send("Page.navigate", {"url": Path(page).resolve().as_uri()}, session)
        pipe.wait_for(lambda m: m.get("method") == "Page.loadEventFired")
        pipe.settle(0.3)
        metrics = pipe.call("Page.getLayoutMetrics", session=session)
        content_height = int(metrics.get("cssContentSize", metrics.get("contentSize", {})).get("height", height))
        check = PageCheck(console_errors(pipe.events), height=content_height)
        if png is not None:
            params = {"format": "png", "captureBeyondViewport": full_page}
            if full_page:
                params["clip"] = {"x": 0, "y": 0, "width": width, "height": content_height, "scale": 1}
            data = pipe.call("Page.captureScreenshot", params, session)["data"]
            Path(png).write_bytes(base64.b64decode(data))
            check.png = Path(png)
        return check
    finally:
        pipe.close()


def screenshot(page: str | Path, png: str | Path, width: int = 1200, height: int = 1600,
               full_page: bool = False) -> tuple[Path, list[str]]:
    """A PNG screenshot of a page and the console errors it logged while loading."""
    check = open_page(page, png, width, height, full_page)
    return check.png, check.errors


def evaluate_page(page: str | Path, expressions: list[str], width: int = 1200, height: int = 1600,
                  timeout: float = 60) -> tuple[list, list[str]]:
    """Load an HTML file, then evaluate each JavaScript expression in it; their JSON values and the console errors.

    An expression may return a promise (it is awaited); one that throws is a :class:`BayesStreamsError`.
    """
    pipe = _Pipe(timeout)
    try:
        session = _attach(pipe, width, height)
        pipe.send("Page.navigate", {"url": Path(page).resolve().as_uri()}, session)
        pipe.wait_for(lambda m: m.get("method") == "Page.loadEventFired")
        values = []
        for expression in expressions:
            reply = pipe.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                   "awaitPromise": True}, session)
            if "exceptionDetails" in reply:
                details = reply["exceptionDetails"]
                raise BayesStreamsError("the page's script failed: "
                                        + str(details.get("exception", {}).get("description", details.get("text"))))
            values.append(reply.get("result", {}).get("value"))
        pipe.settle(0.2)
        dialogs = [f"dialog: {e['params'].get('type')} {e['params'].get('message', '')}" for e in pipe.events
                   if e.get("method") == "Page.javascriptDialogOpening"]
        return values, console_errors(pipe.events) + dialogs
    finally:
        pipe.close()
