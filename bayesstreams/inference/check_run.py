"""The wide-prior check run beside a run: find it, reuse it when it fits, or fit it (MODEL.md §8).

A run at ``runs/<name>/`` has its check run at ``runs/<name>-wide/``: the same data refitted
with the shipped ``models/<kind>-wide.toml`` and the run's own seed and sampler settings.
A check run is reused only when its ``run.json`` records the run's dataset hash and the
wide model's hash; anything else is refitted (or, for :func:`find_check_run`, ignored), so a
stale check never measures the prior dependence of other data.
"""

from __future__ import annotations

from pathlib import Path

from bayesstreams.errors import RunError

SUFFIX = "-wide"
MODELS = "models"


def wide_model_path(kind: str) -> Path:
    """The shipped wide-prior model file of a model kind, looked up from the working directory, then the checkout."""
    name = f"{kind}{SUFFIX}.toml"
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / MODELS / name
        if candidate.is_file():
            return candidate
    raise RunError(f"{MODELS}/{name}: the wide-prior model file is not here (it ships with bayesstreams)")


def wide_config(config):
    """The wide-prior :class:`~bayesstreams.model.config.ModelConfig` for a run's config (same kind)."""
    from bayesstreams.model.config import load_config

    return load_config(wide_model_path(config.kind))


def check_run_path(run_path) -> Path:
    """Where the check run of ``run_path`` lives: ``<run_path>-wide`` beside it."""
    run_path = Path(run_path)
    return run_path.parent / f"{run_path.name}{SUFFIX}"


def matches(run, candidate_info: dict, config) -> bool:
    """True when a check run's run.json holds the run's dataset hash and the wide model's hash."""
    same_data = candidate_info.get("dataset", {}).get("hash") == run.dataset.content_hash()
    return same_data and candidate_info.get("model", {}).get("hash") == config.model_hash()


def find_check_run(run):
    """The reusable check run beside ``run`` (a loaded run), or None when there is none that fits."""
    from bayesstreams.inference.store import load_run, read_info

    if getattr(run, "path", None) is None:  # a run in memory has nothing beside it
        return None
    path = check_run_path(run.path)
    if not path.is_dir():
        return None
    try:
        info = read_info(path)
    except RunError:
        return None
    return load_run(path) if matches(run, info, wide_config(run.config)) else None


def check_run(run, out=None, progress: bool = False):
    """The wide-prior check run of ``run``: reused from ``out`` when it fits, else fitted and written there.

    Parameters
    ----------
    run
        A loaded run (:func:`bayesstreams.inference.store.load_run`).
    out
        The check run's folder (default: ``<run folder>-wide`` beside the run).
    progress
        Show the sampler's progress bar.

    Returns
    -------
    Run
        The loaded check run.

    Examples
    --------
    >>> wide = check_run(run, tmp / "run-wide")
    >>> wide.config.name, wide.dataset.content_hash() == run.dataset.content_hash()
    ('streams-wide', True)
    >>> check_run(run, tmp / "run-wide").path == wide.path   # reused, not refitted
    True
    """
    from bayesstreams.inference.fit import fit
    from bayesstreams.inference.store import load_run, read_info

    if out is None and getattr(run, "path", None) is None:
        raise RunError("the run is not saved: give the check run's folder (out)")
    out = Path(out) if out else check_run_path(run.path)
    config = wide_config(run.config)
    if out.is_dir():
        try:
            if matches(run, read_info(out), config):
                return load_run(out)
        except RunError:
            pass  # incomplete or old: refitted below
    settings = run.info.get("settings", {})
    wide = fit(run.dataset, config, seed=int(run.info.get("seed", 20200601)), draws=settings.get("draws"),
               tune=settings.get("tune"), chains=settings.get("chains"), sampler=settings.get("sampler"),
               progress=progress)
    wide.save(out, force=True, command=f"prior check of {run.path}")
    return wide
