"""Shared helpers of the benchmark scripts: run a job in a fresh interpreter, write PERFORMANCE.md sections."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE = ROOT / "docs" / "PERFORMANCE.md"
CHILD = Path(__file__).with_name("_child.py")


def run_child(args: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``_child.py ARGS`` in a new interpreter; return its RESULT line plus the outer wall time."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, cwd=ROOT)
    outer = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark job {args} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["outer_wall_s"] = outer
    return result


def time_command(argv: list[str], repeat: int = 5, env: dict | None = None) -> float:
    """Median wall time of a whole command (interpreter start included)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env={**os.environ, **(env or {})}, cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, body: str, command: str) -> None:
    """Replace (or append) the section ``name`` of docs/PERFORMANCE.md."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = f"{start}\nMeasured {stamp} on {machine()} with `{command}`.\n\n{body.strip()}\n{end}"
    text = PERFORMANCE.read_text(encoding="utf-8") if PERFORMANCE.exists() else "# Performance\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    PERFORMANCE.write_text(text, encoding="utf-8")


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
