"""Write a check's result folder: its tables as CSV, its settings as JSON, its figures, in one atomic step.

Every simulation check (:mod:`~bayesstreams.checks.voi_validation`, :mod:`~bayesstreams.checks.qca_coverage`)
ends in the same folder: ``<name>.csv`` per table, ``settings.json`` with what was run, and optionally
figures.  The folder is refused when it exists and ``force`` is not given (before anything is written), and
is written through :func:`~bayesstreams.atomic.atomic_folder`, so an interrupted write leaves the old folder
as it was.

Examples
--------
>>> write_check_folder(tmp_path / "out", {"rows": frame}, {"n_sims": 3})  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from bayesstreams.atomic import atomic_folder, refuse_existing


def write_check_folder(out, tables: Mapping, settings: dict, force: bool = False,
                       figures: Mapping[str, Callable] | None = None) -> Path:
    """Write ``tables`` (name -> DataFrame) as ``<name>.csv``, ``settings.json``, and each figure.

    ``figures`` maps a file name to a function of no arguments returning a matplotlib figure; it is
    drawn inside the temporary folder, so a failing figure leaves nothing behind.
    """
    out = Path(out)
    refuse_existing(out, force)
    with atomic_folder(out, force=force) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "settings.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
        for name, draw in (figures or {}).items():
            draw().savefig(tmp / name)
    return out
