"""Headless Chromium: print a page to PDF, take a screenshot, collect console errors."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bayesstreams.errors import DependencyError

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic")


def chromium() -> str:
    """Path of a Chromium binary, or a one-line error saying how to install one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise DependencyError("Chromium is needed for PDF output and browser checks: apt-get install -y chromium")


def _run(page: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="bayesstreams-chromium-") as profile:
        argv = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra,
                Path(page).resolve().as_uri()]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print an HTML file to PDF (page size from its CSS ``@page``)."""
    result = _run(page, f"--print-to-pdf={Path(pdf).resolve()}", "--no-pdf-header-footer")
    if not Path(pdf).exists():
        raise DependencyError(f"Chromium did not write {pdf}: {result.stderr.strip()[-300:]}")
    return Path(pdf)


def screenshot(page: Path, png: Path, width: int = 1200, height: int = 1600) -> tuple[Path, list[str]]:
    """Screenshot of a page and the console errors Chromium logged while loading it."""
    result = _run(page, f"--screenshot={Path(png).resolve()}", f"--window-size={width},{height}",
                  "--hide-scrollbars")
    errors = [line for line in result.stderr.splitlines()
              if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
    return Path(png), errors
