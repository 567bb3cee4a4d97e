"""Finished SBC simulations kept on disk, so that an interrupted ``check sbc`` can ``--resume``.

The journal is a hidden sibling of the output folder, ``.<out>.sbc-journal/``: the settings
of the run (``settings.json``) and one ``sim-NNNNN.json`` per finished simulation (its rank
rows), each written atomically.  A simulation is reproducible from ``(seed, index)``, so
rows kept from an earlier attempt are the rows a new attempt would compute; for the same
reason ``--resume`` accepts a journal written with another ``--sims`` (a run cut short by a
deadline can be summarised over the simulations it finished).  The journal is removed once
the output folder is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bayesstreams.atomic import atomic_write_text
from bayesstreams.errors import InputError, Violation


def journal_path(out: str | Path) -> Path:
    """Where the journal of the SBC run writing ``out`` lives."""
    out = Path(out)
    return out.with_name(f".{out.name}.sbc-journal")


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)


def _but_count(settings: dict) -> dict:
    return {k: v for k, v in settings.items() if k != "n_sims"}


class Journal:
    """Finished simulations of one SBC run.

    Parameters
    ----------
    folder
        The journal folder (:func:`journal_path`).
    settings
        ``SBCSettings.to_dict()`` of the run; a journal of other settings is refused on resume.
    resume
        Keep and use what an earlier attempt finished; otherwise start empty.
    """

    def __init__(self, folder: Path, settings: dict, resume: bool):
        self.folder = Path(folder)
        self.settings = json.loads(json.dumps(settings, default=_plain))
        stored = self.folder / "settings.json"
        if resume and stored.exists():
            # a simulation depends on (seed, index) only: a journal of more or fewer simulations serves
            if _but_count(json.loads(stored.read_text(encoding="utf-8"))) != _but_count(self.settings):
                raise InputError(Violation(str(stored), None, None, "--resume: this SBC journal was written with other "
                                           "settings; rerun with the same options, or without --resume"))
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        atomic_write_text(stored, json.dumps(self.settings, indent=1))

    def finished(self) -> dict[int, list[dict]]:
        """Rank rows of the simulations already finished, by simulation index."""
        out = {}
        for file in sorted(self.folder.glob("sim-*.json")):
            rows = json.loads(file.read_text(encoding="utf-8"))
            out[int(rows[0]["sim"])] = rows
        return out

    def record(self, index: int, rows: list[dict]) -> None:
        """Keep the rank rows of simulation ``index``."""
        atomic_write_text(self.folder / f"sim-{index:05d}.json", json.dumps(rows, default=_plain))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
