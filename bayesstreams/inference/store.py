"""Save and load a run folder.  No pickle anywhere.

A run folder holds::

    trace.nc        ArviZ DataTree (netCDF): posterior, sample_stats, prior, log_likelihood
    draws.npz       the same posterior and prior draws flattened to (sample, ...) arrays,
                    plus the pointwise log-likelihood: the fast path for queries
    dataset/        a snapshot of the validated dataset in the data contract
    model.toml      the model file the run used
    run.json        versions, seed, command, timings, hashes, diagnostics
    memo.npz        optional, not part of the run (not hashed): a companion's stored share of the
                    report, keyed by the run and the code (:mod:`bayesstreams.inference.memo`)

Loading checks the format version, that every file is there, and that every file matches
its hash in ``run.json`` (:mod:`bayesstreams.inference.integrity`); an incompatible run is refused
with a clear error instead of producing wrong numbers.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from bayesstreams.atomic import atomic_folder
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.export import write_long
from bayesstreams.errors import RunError
from bayesstreams.inference.complete import check_saved_run
from bayesstreams.inference.diagnostics import Diagnostics
from bayesstreams.inference.integrity import (check_shapes, file_hashes, file_sha256, load_draws_checked,
                                              read_run_json, verify_files)
from bayesstreams.inference.netcdf import write_netcdf
from bayesstreams.inference.power import power_weights
from bayesstreams.inference.run import Run
from bayesstreams.model.config import load_config
from bayesstreams.model.evidence import code_coords
from bayesstreams.model.kinds import model_coords, var_dims

FORMAT_VERSION = 1
RUN_FILES = ("trace.nc", "draws.npz", "model.toml", "run.json", "dataset")
# the Pareto k of each power's weights in draws.npz; files written before 2026-12-06 hold "power_khat/", the k of
# the tilt 2 - alpha (inference/power.py): ignored, so that a loaded run's k is computed again, of its own tilt
KHAT_KEY = "power_tilt_khat"


def save_draws(path: Path, posterior: dict, prior: dict, log_likelihood: np.ndarray | None,
               power_weights: dict | None = None, power_khat: dict | None = None) -> None:
    arrays = {f"posterior/{k}": np.asarray(v) for k, v in posterior.items()}
    arrays.update({f"prior/{k}": np.asarray(v) for k, v in prior.items()})
    if log_likelihood is not None:
        arrays["log_likelihood"] = np.asarray(log_likelihood)
    arrays.update({f"power_weights/{alpha:g}": np.asarray(w) for alpha, w in (power_weights or {}).items()})
    arrays.update({f"{KHAT_KEY}/{alpha:g}": np.asarray(k, dtype=float) for alpha, k in (power_khat or {}).items()})
    np.savez(path, **arrays)


def load_draws(path: Path, with_weights: bool = False):
    """``(posterior, prior, log_likelihood)`` of a ``draws.npz``; with ``with_weights`` also the power-scaling weights.

    The weights come as ``{alpha: weights}``, with their Pareto ``k`` under the key ``"khat"``
    (``{alpha: k}``) when the file holds it.
    """
    posterior, prior, loglik, weights, khat = {}, {}, None, {}, {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            if key.startswith("posterior/"):
                posterior[key.split("/", 1)[1]] = data[key]
            elif key.startswith("prior/"):
                prior[key.split("/", 1)[1]] = data[key]
            elif key.startswith("power_weights/"):
                weights[float(key.split("/", 1)[1])] = data[key]
            elif key.startswith(KHAT_KEY + "/"):  # not "power_khat/": that held the opposite tilt's k
                khat[float(key.split("/", 1)[1])] = float(data[key])
            elif key == "log_likelihood":
                loglik = data[key]
    if khat:
        weights["khat"] = khat
    return (posterior, prior, loglik, weights) if with_weights else (posterior, prior, loglik)


def read_info(path: Path) -> dict:
    run_json = path / "run.json"
    if not path.is_dir():
        raise RunError(f"{path}: run folder does not exist (create one with `bayesstreams fit`)")
    missing = [name for name in RUN_FILES if not (path / name).exists()]
    if missing:
        raise RunError(f"{path}: not a complete run (missing {', '.join(missing)})")
    info = read_run_json(path)
    version = info.get("format_version")
    if version != FORMAT_VERSION:
        raise RunError(f"{run_json}: run format {version!r} is not supported by this version "
                       f"(expects {FORMAT_VERSION}); refit with `bayesstreams fit`")
    return info


def trace_with_extras(run):
    """The sampler's DataTree plus ``prior`` and ``log_likelihood`` groups with labelled dims, for ArviZ users."""
    import xarray as xr

    coords = {**model_coords(run.dataset), **code_coords()}
    tree = run.tree().copy()
    chains = tree["posterior"].sizes["chain"]
    prior_vars = {name: (("chain", "draw", *var_dims(name, run.config.kind)), array[None])
                  for name, array in run.prior.items()}
    used = {d for name in run.prior for d in var_dims(name, run.config.kind)}
    tree["prior"] = xr.DataTree(xr.Dataset(prior_vars, coords={d: coords[d] for d in used}))
    loglik = run.log_likelihood.reshape(chains, -1, run.dataset.n_cases)
    tree["log_likelihood"] = xr.DataTree(xr.Dataset({"loglik": (("chain", "draw", "case"), loglik)},
                                                    coords={"case": coords["case"]}))
    return tree


def save_run(run, out: str | Path, force: bool = False, command: str | None = None, created: str | None = None) -> Path:
    """Write ``run`` as a run folder atomically; refuse to overwrite an existing one without ``force``.

    A :class:`~bayesstreams.inference.run.Run` is a record: this function writes it, and sets
    ``run.path`` and ``run.info`` (the hashes, the command, the timings) to what it wrote.

    Parameters
    ----------
    run
        The run to write (``bs.fit`` returns one).
    out
        The run folder; written complete or not at all.
    force
        Replace an existing folder.
    command
        The command recorded in ``run.json`` (default: this process's command line).
    created
        The time recorded in ``run.json`` (default: now; :func:`provenance` gives both before the writing).

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> folder = save_run(run, tmp / "written")
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['dataset', 'draws.npz', 'model.toml']
    """
    out = Path(out)
    with atomic_folder(out, force=force) as tmp:
        info = write_run_folder(run, tmp, command, created)
    run.info, run.path = info, out
    return out


def write_run_folder(run, folder: Path, command: str | None = None, created: str | None = None) -> dict:
    """The files of :func:`save_run` written into the existing, empty ``folder`` (a staged one); its ``run.json`` content."""
    import tomli_w

    folder = Path(folder)
    fixed = provenance(run, command)
    timings = dict(run.info.get("timings", {}))
    start = time.perf_counter()
    write_netcdf(trace_with_extras(run), folder / "trace.nc")
    # stored so that a query on the saved run (score, report) needs no arviz-stats to power-scale
    save_draws(folder / "draws.npz", run.posterior, run.prior, run.log_likelihood, power_weights(run), run.power_khat)
    write_long(run.dataset, folder / "dataset")
    (folder / "model.toml").write_text(tomli_w.dumps(run.config.to_dict()), encoding="utf-8")
    timings["write_s"] = time.perf_counter() - start
    info = {"format_version": FORMAT_VERSION, **run.info,
            "command": fixed["command"],
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "hashes": file_hashes(folder),
            "created": created or fixed["created"]}
    (folder / "run.json").write_text(json.dumps(info, indent=1, default=float), encoding="utf-8")
    return info


def now() -> str:
    """The time as ``run.json`` records it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def provenance(run, command: str | None = None) -> dict:
    """``command`` and ``created`` as :func:`save_run` will record them, fixed now (for a save that runs elsewhere)."""
    return {"command": command or run.info.get("command") or " ".join(sys.argv), "created": now()}


def load_run(path: str | Path, verify: bool = True):
    """Load a run folder written by :func:`save_run`; refuse incompatible or altered runs.

    Examples
    --------
    >>> again = load_run(save_run(run, tmp / "saved-run"))
    >>> again.n_samples == run.n_samples, again.config.kind
    (True, 'streams')
    """
    path = Path(path)
    info = read_info(path)
    if verify:
        verify_files(path, info)
    config = load_config(path / "model.toml")
    dataset = load_dataset(path / "dataset")
    dataset.name = info.get("dataset", {}).get("name", dataset.name)  # the snapshot folder is always "dataset"
    if dataset.content_hash() != info.get("dataset", {}).get("hash"):
        raise RunError(f"{path / 'dataset'}: snapshot does not match the dataset hash in run.json")
    posterior, prior, loglik, weights = load_draws_checked(path / "draws.npz", lambda p: load_draws(p, True))
    khat = weights.pop("khat", {})
    check_shapes(path / "draws.npz", info, dataset, config.kind, posterior, loglik)
    check_saved_run(path, info, posterior)
    return Run(dataset=dataset, config=config, posterior=posterior, prior=prior, log_likelihood=loglik,
               diagnostics=Diagnostics.from_dict(info.get("diagnostics")), info=info, path=path,
               power_weights=weights, power_khat=khat)
