"""What a saved run contributed to a report, stored beside it: ``memo.npz`` in the run folder.

A companion run (:mod:`bayesstreams.inference.study`) is reused by every ``analyze`` of the same
data while the main run is refitted; what the report reads from the companion alone (its headline
draws, its cases' lever gains for the source check) is therefore the same every time.  It is
computed once, by the queries (:mod:`bayesstreams.analysis.companion_memo` encodes it), and kept
here as plain arrays and a JSON header: no pickle.

The header holds one key, the SHA-256 of

* the run's identity as its ``run.json`` records it: dataset content hash, model-file hash, seed,
  sampler settings, number of draws and the hash of ``draws.npz`` (the draws themselves);
* the version of the code that computed the values, given by the caller (a constant bumped by hand
  and the hash of the computing modules' source, :func:`bayesstreams.analysis.companion_memo.code_version`);
* :data:`MEMO_FORMAT`.

A memo whose key differs (another companion, refitted data, other code), or that is missing,
unreadable, a symbolic link, over its size limit or malformed, is ignored: the values are computed
afresh.  A memo is never trusted over the run.  It is written atomically
(:func:`bayesstreams.atomic.atomic_write_bytes`), only inside the run's own folder, and only for a
run that has a folder and file hashes (a saved or loaded run).  Nothing here computes a statistic.

Examples
--------
>>> import numpy as np
>>> from bayesstreams.inference.store import load_run, save_run
>>> saved = load_run(save_run(run, tmp / "with-memo"))
>>> write_memo(saved, "v1", {"a": np.arange(3.0)}, {"note": "x"})
True
>>> arrays, meta = read_memo(saved, "v1")
>>> arrays["a"].tolist(), meta
([0.0, 1.0, 2.0], {'note': 'x'})
>>> read_memo(saved, "v2") is None           # other code: ignored
True
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from bayesstreams.atomic import atomic_write_bytes
from bayesstreams.data.limits import check_regular_file
from bayesstreams.errors import InputError

MEMO_FILE = "memo.npz"
MEMO_FORMAT = 1
HEADER = "__header__"
LIMIT = "run_file_bytes"


def run_identity(run) -> dict | None:
    """What identifies a saved run's draws (from its ``run.json``), or None for a run without a folder or hashes."""
    info = run.info or {}
    hashes = info.get("hashes") or {}
    if run.path is None or not hashes.get("draws.npz"):
        return None
    identity = {"dataset": info.get("dataset", {}).get("hash"), "model": info.get("model", {}).get("hash"),
                "seed": info.get("seed"), "settings": info.get("settings"), "n_samples": run.n_samples,
                "draws": hashes["draws.npz"]}
    # as run.json holds it (save_run writes it with default=float): a run just saved, whose info still holds
    # NumPy numbers or tuples, and the same run loaded again have one identity
    return json.loads(json.dumps(identity, default=float))


def memo_key(run, version: str) -> str | None:
    """The key a memo of ``run`` computed by code ``version`` carries; None when the run has no identity."""
    identity = run_identity(run)
    if identity is None:
        return None
    text = json.dumps({"format": MEMO_FORMAT, "run": identity, "code": str(version)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def memo_path(run) -> Path | None:
    """Where ``run``'s memo lives (``<run folder>/memo.npz``), or None for a run in memory."""
    return None if run.path is None else Path(run.path) / MEMO_FILE


def read_memo(run, version: str) -> tuple[dict[str, np.ndarray], dict] | None:
    """``(arrays, meta)`` of ``run``'s memo when its key is ``run``'s and ``version``'s; else None (ignored)."""
    key, path = memo_key(run, version), memo_path(run)
    if key is None or not path.exists():
        return None
    try:
        check_regular_file(path, str(path), LIMIT, follow=False)
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data[HEADER]).decode("utf-8"))
            if not isinstance(header, dict) or header.get("key") != key or not isinstance(header.get("meta"), dict):
                return None
            arrays = {name: data[name] for name in data.files if name != HEADER}
    except (InputError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError, RecursionError):
        return None  # unreadable, foreign or corrupt: recomputed, never trusted
    return arrays, header["meta"]


def write_memo(run, version: str, arrays: dict[str, np.ndarray], meta: dict) -> bool:
    """Write ``run``'s memo atomically into its folder; False (nothing written) for a run without a folder.

    A folder that cannot be written (read-only, full) leaves the memo unwritten: the values are
    computed again next time, and the run itself is untouched.
    """
    key, path = memo_key(run, version), memo_path(run)
    if key is None or not Path(run.path).is_dir():
        return False
    header = json.dumps({"key": key, "meta": meta}, allow_nan=True).encode("utf-8")
    buffer = io.BytesIO()
    np.savez(buffer, **{HEADER: np.frombuffer(header, dtype=np.uint8)}, **arrays)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except InputError:
        return False
    return True
