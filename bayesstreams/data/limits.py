"""The documented limits on what bayesstreams reads, and reads that keep to them.

A hostile or broken input (a zip bomb, a 200 MiB case name, a run file that is a symlink to
``/dev/zero``) must end in one located ``error:`` line, exit 2, not in a process that eats
the machine's memory.  Every limit has a default large enough for any real study and an
environment variable that overrides it (``BAYESSTREAMS_LIMIT_<NAME>``, the name in upper
case); the README and docs/FAULTS.md list them.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from bayesstreams.errors import InputError, Violation

MiB = 1 << 20
LIMITS = {  # name: (default, what it bounds)
    "zip_member_bytes": (256 * MiB, "uncompressed bytes of one member of a .qdpx or .xlsx archive"),
    "zip_total_bytes": (1024 * MiB, "uncompressed bytes of all members of one archive"),
    "zip_ratio": (200, "uncompressed / compressed size of one archive member over 1 MiB"),
    "xml_depth": (256, "nesting depth of XML elements"),
    "xml_text_bytes": (16 * MiB, "characters of one XML attribute value or text"),
    "input_file_bytes": (512 * MiB, "bytes of one input file (CSV, TOML, .qdpx, .xlsx)"),
    "run_file_bytes": (8192 * MiB, "bytes of one file of a run folder (draws.npz, trace.nc)"),
    "run_json_bytes": (16 * MiB, "bytes of a run folder's run.json"),
    "dataset_cells": (5_000_000, "cases x factors of one data set"),
    "draws": (1_000_000, "draws (and tuning steps) per chain"),
    "chains": (64, "chains of one fit"),
    "total_draws": (20_000_000, "chains x draws of one fit"),
    "prior_magnitude": (1e6, "absolute value of a prior hyperparameter"),
    "prior_smallest": (1e-6, "smallest positive scale or shape of a prior"),
}


def env_name(name: str) -> str:
    """The environment variable that overrides limit ``name``."""
    return f"BAYESSTREAMS_LIMIT_{name.upper()}"


def limit(name: str) -> float:
    """Limit ``name`` (:data:`LIMITS`), or its override from the environment.

    Examples
    --------
    >>> limit("xml_depth")
    256
    """
    default = LIMITS[name][0]
    text = os.environ.get(env_name(name), "").strip()
    if not text:
        return default
    try:
        value = type(default)(float(text)) if isinstance(default, int) else float(text)
    except ValueError:
        raise InputError(Violation(f"${env_name(name)}", None, None, f"must be a number, got {text!r}")) from None
    if not value > 0:
        raise InputError(Violation(f"${env_name(name)}", None, None, f"must be > 0, got {text!r}"))
    return value


def shown(value: float) -> str:
    """A limit as a user reads it: ``1000000``, ``1e-06``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def over(name: str) -> str:
    """The end of a message about limit ``name``: its value and how to raise it."""
    return f"(limit {shown(limit(name))}; set {env_name(name)} to change it)"


def check_regular_file(path: Path, file: str | None = None, limit_name: str = "input_file_bytes",
                       follow: bool = True) -> int:
    """The size of ``path``; a located error unless it is a regular file (no device, no pipe) within the limit.

    ``follow=False`` (the files of a run folder) refuses a symbolic link too.
    """
    file = file or str(path)
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        raise InputError(Violation(file, None, None, "file does not exist")) from None
    except OSError as exc:
        raise InputError(Violation(file, None, None, f"cannot be read ({exc.strerror})")) from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(Violation(file, None, None, "is a symbolic link; only regular files are read"))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(Violation(file, None, None, "is not a regular file (a device, a pipe or a folder)"))
    if info.st_size > limit(limit_name):
        raise InputError(Violation(file, None, None, f"is {info.st_size} bytes, too large {over(limit_name)}"))
    return info.st_size


def read_bounded(path: Path, file: str | None = None, limit_name: str = "input_file_bytes",
                 follow: bool = True) -> bytes:
    """The bytes of a regular file within limit ``limit_name``; never more than the limit is read."""
    check_regular_file(path, file, limit_name, follow)
    with open(path, "rb", opener=None if follow else _no_follow) as handle:
        data = handle.read(int(limit(limit_name)) + 1)
    if len(data) > limit(limit_name):  # it grew after the check
        raise InputError(Violation(file or str(path), None, None, f"is too large {over(limit_name)}"))
    return data


def _no_follow(path, flags):
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def check_zip(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse an archive whose members declare more than the limits (before anything is inflated)."""
    total = 0
    for member in archive.infolist():
        where = f"{file}[{member.filename}]"
        if member.file_size > limit("zip_member_bytes"):
            raise InputError(Violation(where, None, None, f"declares {member.file_size} bytes uncompressed, "
                                                          f"too large {over('zip_member_bytes')}"))
        if member.file_size > MiB and member.file_size > limit("zip_ratio") * max(member.compress_size, 1):
            raise InputError(Violation(where, None, None, f"inflates {member.file_size // max(member.compress_size, 1)}"
                                                          f" times, a compression bomb? {over('zip_ratio')}"))
        total += member.file_size
    if total > limit("zip_total_bytes"):
        raise InputError(Violation(file, None, None, f"declares {total} bytes uncompressed in all, too large "
                                                     f"{over('zip_total_bytes')}"))


def read_member(archive: zipfile.ZipFile, name: str, file: str) -> bytes:
    """One member of a checked archive, read no further than it declared; a corrupt member is a located error."""
    where = f"{file}[{name}]"
    info = archive.getinfo(name)
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError) as exc:
        raise InputError(Violation(where, None, None, f"cannot be read from the archive ({_reason(exc)})")) from None
    if len(data) > info.file_size:
        raise InputError(Violation(where, None, None, "inflates to more than the size it declares (a forged archive)"))
    return data


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
