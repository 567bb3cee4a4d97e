"""Save and load a run folder.  No pickle anywhere.

A run folder holds::

    trace.nc        ArviZ DataTree (netCDF): posterior, sample_stats, prior, log_likelihood
    draws.npz       the same posterior and prior draws flattened to (sample, ...) arrays,
                    plus the pointwise log-likelihood: the fast path for queries
    dataset/        a snapshot of the validated dataset in the data contract
    model.toml      the model file the run used
    run.json        versions, seed, command, timings, hashes, diagnostics

Loading checks the format version, that every file is there, and that ``draws.npz`` and
the snapshot match the hashes written in ``run.json``; an incompatible run is refused
with a clear error instead of producing wrong numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesstreams.errors import RunError

FORMAT_VERSION = 1
RUN_FILES = ("trace.nc", "draws.npz", "model.toml", "run.json", "dataset")


@dataclass
class Run:
    """A loaded run: its dataset, model config, posterior and prior draws, and run.json."""

    path: Path
    info: dict
    config: object
    dataset: object
    posterior: dict[str, np.ndarray]
    prior: dict[str, np.ndarray]
    log_likelihood: np.ndarray | None = None
    extras: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(next(iter(self.posterior.values())).shape[0])

    def trace(self):
        """The full ArviZ DataTree (imports ArviZ; not needed for queries)."""
        import xarray as xr

        return xr.open_datatree(self.path / "trace.nc", engine="h5netcdf")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_draws(path: Path, posterior: dict, prior: dict, log_likelihood: np.ndarray | None) -> None:
    arrays = {f"posterior/{k}": np.asarray(v) for k, v in posterior.items()}
    arrays.update({f"prior/{k}": np.asarray(v) for k, v in prior.items()})
    if log_likelihood is not None:
        arrays["log_likelihood"] = np.asarray(log_likelihood)
    np.savez(path, **arrays)


def load_draws(path: Path) -> tuple[dict, dict, np.ndarray | None]:
    posterior, prior, loglik = {}, {}, None
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            if key.startswith("posterior/"):
                posterior[key.split("/", 1)[1]] = data[key]
            elif key.startswith("prior/"):
                prior[key.split("/", 1)[1]] = data[key]
            elif key == "log_likelihood":
                loglik = data[key]
    return posterior, prior, loglik


def read_info(path: Path) -> dict:
    run_json = path / "run.json"
    if not path.is_dir():
        raise RunError(f"{path}: run folder does not exist (create one with `bayesstreams fit`)")
    missing = [name for name in RUN_FILES if not (path / name).exists()]
    if missing:
        raise RunError(f"{path}: not a complete run (missing {', '.join(missing)})")
    try:
        info = json.loads(run_json.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{run_json}: unreadable run.json ({exc})") from None
    version = info.get("format_version")
    if version != FORMAT_VERSION:
        raise RunError(f"{run_json}: run format {version!r} is not supported by this version "
                       f"(expects {FORMAT_VERSION}); refit with `bayesstreams fit`")
    return info


def load_run(path: str | Path, verify: bool = True) -> Run:
    """Load a run folder written by :func:`bayesstreams.inference.fit.write_run`; refuse incompatible runs."""
    from bayesstreams.model.config import load_config
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.complete import check_saved_run

    path = Path(path)
    info = read_info(path)
    if verify and file_sha256(path / "draws.npz") != info.get("hashes", {}).get("draws.npz"):
        raise RunError(f"{path / 'draws.npz'}: does not match the hash in run.json (the run was altered)")
    config = load_config(path / "model.toml")
    dataset = load_dataset(path / "dataset")
    dataset.name = info.get("dataset", {}).get("name", dataset.name)  # the snapshot folder is always "dataset"
    if dataset.content_hash() != info.get("dataset", {}).get("hash"):
        raise RunError(f"{path / 'dataset'}: snapshot does not match the dataset hash in run.json")
    posterior, prior, loglik = load_draws(path / "draws.npz")
    check_saved_run(path, info, posterior)
    return Run(path=path, info=info, config=config, dataset=dataset, posterior=posterior, prior=prior,
               log_likelihood=loglik)
