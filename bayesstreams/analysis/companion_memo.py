"""A companion run's contribution to the report, as arrays and JSON (and back) for its stored memo.

What the report reads from a companion alone (:mod:`bayesstreams.inference.study`: the wide-prior
refit, the not-discussed modes, the source check's refits) depends on the companion and the code,
not on the main run, which ``analyze`` refits every time.  The queries keep it in ``run.memo``:

* ``("headline_draws", group, names)``: :func:`~bayesstreams.analysis.prior_dependence.run_headline_draws`
  (prior dependence, the source check's quantity summaries, the mode comparison);
* ``("lever_gains", case)``: :func:`~bayesstreams.analysis.claims.run_lever_gains` (the source check's
  lever columns; the companion's case advice reduced to what they read);
* ``("effect_ranks",)``: :func:`~bayesstreams.analysis.mode_comparison.run_effect_ranks` (the mode
  comparison's ``P(rank 1)`` rows), a table stored column by column;
* ``("necessity", factor, window, contrast)``: :func:`~bayesstreams.analysis.claims.run_necessity` (the
  mode comparison's verdicts on claims of size).

With these a reused companion's baseline is never computed in a warm ``analyze``.

:func:`encode` turns those entries into ``(arrays, meta)`` and :func:`decode` back, exactly (the
arrays bit for bit, the floats of the gains through JSON's shortest round-trip repr);
:mod:`bayesstreams.inference.memo` writes and reads them beside the run, keyed by the run's identity
and :func:`code_version`.  :func:`restore` and :func:`store` are what a caller that holds runs on disk
(``analyze``) does before and after a report: the queries themselves never read or write a file.

Examples
--------
>>> entries = {("lever_gains", "g5"): {"target": "w1", "gains": [["f1", {"mean": 0.1}]]}}
>>> decode(*encode(entries), n_samples=4000) == entries
True
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from bayesstreams.inference.memo import read_memo, write_memo

CODE_VERSION = 1  # bump by hand when what a memo entry means changes without its modules' source changing
HEADLINE = "headline_draws"
LEVER_GAINS = "lever_gains"
RANKS = "effect_ranks"
NECESSITY = "necessity"
STORED = (HEADLINE, LEVER_GAINS, RANKS, NECESSITY)
# the rooms whose code computes the stored values: a change to any of their modules recomputes every memo
COMPUTING_ROOMS = ("data", "model", "fast", "inference", "analysis")


def source_hash(package: Path, rooms=COMPUTING_ROOMS) -> str:
    """The SHA-256 of every module's path and source under ``package``'s ``rooms`` (sorted): any edit changes it."""
    digest = hashlib.sha256()
    for room in rooms:
        for path in sorted((Path(package) / room).rglob("*.py")):
            digest.update(str(path.relative_to(package)).encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """:data:`CODE_VERSION`, NumPy's version and :func:`source_hash` of this package, as one text (once per process)."""
    return f"{CODE_VERSION}/numpy-{np.__version__}/{source_hash(Path(__file__).resolve().parents[1])}"


def stored_keys(memo: dict) -> list:
    """The entries of a ``run.memo`` a stored memo holds."""
    return [key for key in memo if isinstance(key, tuple) and key and key[0] in STORED]


def encode(entries: dict) -> tuple[dict[str, np.ndarray], dict]:
    """``(arrays, meta)`` of the storable entries of ``entries`` (a ``run.memo``); others are left out."""
    arrays, headline, gains, necessity, ranks = {}, [], [], [], []
    for key in stored_keys(entries):
        value = entries[key]
        if key[0] == HEADLINE:
            _, group, names = key
            tag = f"h{len(headline)}"
            order, labels = [], {}
            for name, (found, values) in value.items():
                order.append(name)
                labels[name] = list(found)
                arrays[f"{tag}/{name}"] = np.asarray(values)
            if all(isinstance(label, str) for found in labels.values() for label in found):
                headline.append({"group": group, "names": None if names is None else list(names), "tag": tag,
                                 "order": order, "labels": labels})
            else:  # labels JSON would not give back as they were: not stored
                for name in order:
                    arrays.pop(f"{tag}/{name}")
        elif key[0] == LEVER_GAINS:
            gains.append({"case": key[1], "value": value})
        elif key[0] == NECESSITY:
            tag = f"n{len(necessity)}"
            arrays[tag] = np.asarray(value)
            necessity.append({"key": list(key[1:]), "tag": tag})
        else:
            frame = _encode_frame(value, arrays)
            if frame is not None:
                ranks.append(frame)
    return arrays, {HEADLINE: headline, LEVER_GAINS: gains, NECESSITY: necessity, RANKS: ranks}


def _encode_frame(frame, arrays: dict) -> dict | None:
    """A table's columns: numbers as arrays (into ``arrays``), text as JSON lists; None when it would not come
    back equal (dtypes, values, index), so that only a table :func:`_decode_frame` gives back exactly is stored."""
    columns, added = [], {}
    for j, name in enumerate(frame.columns):
        column = frame[name]
        if column.dtype.kind in "biuf":
            added[f"t/{j}"] = column.to_numpy()
            columns.append({"name": name, "dtype": str(column.dtype)})
        else:
            values = [None if v is None or v != v else v for v in column.tolist()]
            if not all(v is None or isinstance(v, str) for v in values):
                return None
            columns.append({"name": name, "dtype": str(column.dtype), "values": values})
    meta = {"columns": columns}
    try:
        same = _decode_frame(meta, added, len(frame)).equals(frame) and frame.index.equals(_range(len(frame)))
    except (TypeError, ValueError):
        same = False
    if not same:
        return None
    arrays.update(added)
    return meta


def _range(n: int):
    import pandas as pd

    return pd.RangeIndex(n)


def _decode_frame(meta: dict, arrays: dict, n: int | None = None):
    import pandas as pd

    data = {}
    for j, column in enumerate(meta["columns"]):
        values = arrays[f"t/{j}"] if "values" not in column else column["values"]
        data[column["name"]] = pd.Series(values, dtype=column["dtype"])
    frame = pd.DataFrame(data)
    if n is not None and len(frame) != n:
        raise ValueError("a table of another length")
    return frame


def decode(arrays: dict[str, np.ndarray], meta: dict, n_samples: int) -> dict:
    """The ``run.memo`` entries of a stored memo; ``{}`` for one that is not shaped as :func:`encode` writes it."""
    try:
        out = {}
        for entry in meta[HEADLINE]:
            found = {}
            for name in entry["order"]:
                values, labels = arrays[f"{entry['tag']}/{name}"], entry["labels"][name]
                if values.ndim != 2 or values.shape != (n_samples, len(labels)):
                    return {}
                found[name] = (list(labels), values)
            names = entry["names"]
            out[(HEADLINE, entry["group"], None if names is None else tuple(names))] = found
        for entry in meta[LEVER_GAINS]:
            value = entry["value"]
            if not isinstance(value, dict) or set(value) != {"target", "gains"}:
                return {}
            out[(LEVER_GAINS, str(entry["case"]))] = value
        for entry in meta.get(NECESSITY, []):
            values = arrays[entry["tag"]]
            if values.shape != (n_samples,) or len(entry["key"]) != 3:
                return {}
            out[(NECESSITY, *map(str, entry["key"]))] = values
        for entry in meta.get(RANKS, [])[:1]:
            out[(RANKS,)] = _decode_frame(entry, arrays)
        return out
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}


def restore(run) -> int:
    """Put ``run``'s stored memo (when it matches the run and this code) into ``run.memo``; how many entries.

    Entries already in ``run.memo`` are kept.  The entries restored are recorded, so that
    :func:`store` writes the memo again only when a report computed more.
    """
    found = read_memo(run, code_version())
    entries = decode(*found, n_samples=run.n_samples) if found is not None else {}
    for key, value in entries.items():
        run.memo.setdefault(key, value)
    run.memo["stored_memo"] = frozenset(entries)
    return len(entries)


def store(run) -> bool:
    """Write ``run``'s storable memo entries beside it when it holds any not stored yet; True when written."""
    keys = set(stored_keys(run.memo))
    if not keys or keys <= run.memo.get("stored_memo", frozenset()):
        return False
    written = write_memo(run, code_version(), *encode(run.memo))
    if written:
        run.memo["stored_memo"] = frozenset(keys)
    return written


def restore_companions(study) -> dict[str, int]:
    """:func:`restore` each companion of ``study`` (never the main run, which is refitted); ``{role: entries}``."""
    return {role: restore(run) for role, run in study.companions.items()}


def store_companions(study) -> list[str]:
    """:func:`store` each companion of ``study`` that a report computed more of; the roles written."""
    return [role for role, run in study.companions.items() if store(run)]
