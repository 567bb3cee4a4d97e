"""Every file of a run folder hashed when it is written and checked when it is read.

``run.json`` records the SHA-256 of ``trace.nc``, ``draws.npz``, ``model.toml`` and each file
of the ``dataset/`` snapshot.  Loading refuses a file that is missing its hash, differs from
it, is not a regular file (a symbolic link, a device such as ``/dev/zero``) or is larger than
the limit, and a ``run.json`` or a draws file whose content is not shaped as a run's.

The hashes detect corruption (a truncated copy, a bad disk, an edit by mistake).  They do not
detect deliberate forgery: whoever can change a file can change ``run.json`` too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from bayesstreams.data.limits import check_regular_file, read_bounded
from bayesstreams.errors import InputError, RunError
from bayesstreams.model.evidence import code_coords
from bayesstreams.model.kinds import model_coords, var_dims

HASHED = ("trace.nc", "draws.npz", "model.toml")
SNAPSHOT = "dataset"
_SNAPSHOT_FILE = re.compile(rf"^{SNAPSHOT}/[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def file_sha256(path: Path, file: str | None = None) -> str:
    """SHA-256 of a regular file of a run folder (no symbolic link, no device, within the size limit)."""
    _regular(path, file)
    digest = hashlib.sha256()
    with open(path, "rb", opener=lambda p, f: os.open(p, f | getattr(os, "O_NOFOLLOW", 0))) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _regular(path: Path, file: str | None = None) -> None:
    try:
        check_regular_file(path, file, "run_file_bytes", follow=False)
    except InputError as exc:
        raise RunError(str(exc)) from None


def hashed_names(folder: Path) -> list[str]:
    """The files of a run folder that ``run.json`` hashes, as paths relative to the folder."""
    snapshot = folder / SNAPSHOT
    files = sorted(f"{SNAPSHOT}/{p.name}" for p in snapshot.iterdir()) if snapshot.is_dir() else []
    return [*HASHED, *files]


def file_hashes(folder: Path) -> dict[str, str]:
    """``{name: sha256}`` of every hashed file of a run folder being written."""
    return {name: file_sha256(folder / name) for name in hashed_names(folder)}


def read_run_json(path: Path) -> dict:
    """``run.json`` of a run folder, read within its limit and checked for the shape the loader relies on."""
    run_json = path / "run.json"
    try:
        text = read_bounded(run_json, limit_name="run_json_bytes", follow=False).decode("utf-8")
        info = json.loads(text)
    except InputError as exc:
        raise RunError(str(exc)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{run_json}: unreadable run.json ({exc})") from None
    except RecursionError:
        raise RunError(f"{run_json}: unreadable run.json (nested too deeply)") from None
    problem = _info_problem(info)
    if problem:
        raise RunError(f"{run_json}: {problem}; not a run.json written by bayesstreams (refit with `bayesstreams fit`)")
    return info


def _info_problem(info) -> str:
    if not isinstance(info, dict):
        return f"holds a {type(info).__name__}, not a table"
    for key in ("hashes", "settings", "dataset"):
        if key in info and not isinstance(info[key], dict):
            return f"{key!r} must be a table, not a {type(info[key]).__name__}"
    if "diagnostics" in info and not isinstance(info["diagnostics"], (dict, type(None))):
        return "'diagnostics' must be a table"
    for key in ("chains", "draws"):
        value = info.get("settings", {}).get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"settings.{key} must be a whole number >= 1, got {value!r}"
    value = info.get("n_samples", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"n_samples must be a whole number >= 0, got {value!r}"
    hashes = info.get("hashes", {})
    if not all(isinstance(v, str) for v in hashes.values()):
        return "every hash must be a text"
    return ""


def verify_files(folder: Path, info: dict) -> None:
    """Refuse a run folder whose files do not all match the hashes in its ``run.json``."""
    hashes = info.get("hashes", {})
    names = list(dict.fromkeys([*hashed_names(folder), *hashes]))
    for name in names:
        if name not in HASHED and not _SNAPSHOT_FILE.match(name):
            raise RunError(f"{folder / 'run.json'}: hashes a file {name!r} that is not part of a run folder")
        if name not in hashes:
            raise RunError(f"{folder / name}: has no hash in run.json (written by an older version, or added "
                           "since); refit with `bayesstreams fit`")
    for name in names:
        if file_sha256(folder / name) != hashes[name]:
            raise RunError(f"{folder / name}: does not match the hash in run.json (the file is corrupt or was "
                           "altered); refit with `bayesstreams fit`")


def load_draws_checked(path: Path, loader):
    """``loader(path)`` with a draws file that numpy cannot read as one located error."""
    import zipfile

    try:
        return loader(path)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise RunError(f"{path}: not a readable draws file ({type(exc).__name__}: {exc})") from None


def check_shapes(path: Path, info: dict, dataset, kind: str, posterior: dict, log_likelihood) -> None:
    """Refuse draws whose arrays are not shaped as this run's: (samples, dims of the parameter)."""
    sizes = {d: len(v) for d, v in {**model_coords(dataset), **code_coords()}.items()}
    samples = info.get("n_samples")
    for name, array in posterior.items():
        try:
            dims = var_dims(name, kind)
        except KeyError:
            continue  # a quantity the loader does not rely on
        expected = (samples if samples else array.shape[0], *(sizes.get(d, -1) for d in dims))
        if array.shape != expected or array.dtype.kind not in "fiu":
            raise RunError(f"{path}: {name} has shape {array.shape}, the run needs {expected}; the draws file "
                           "does not belong to this run")
    if log_likelihood is not None and (np.ndim(log_likelihood) != 2 or log_likelihood.shape[1] != dataset.n_cases):
        raise RunError(f"{path}: log_likelihood has shape {np.shape(log_likelihood)}, the run needs "
                       f"(samples, {dataset.n_cases})")

