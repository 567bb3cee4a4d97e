"""The not-discussed comparison runs beside a run (``<run>-nd-<mode>``): find them, reuse them while their hashes match, or fit them.

A run at ``runs/<name>/`` fitted under one reading of "not discussed" (MODEL.md §7:
``zero``, ``marginal`` or ``salience``) has its comparison runs at ``runs/<name>-nd-<mode>/``
for the two other modes: the same data and the same model file with only
``[evidence] not_discussed`` changed (:func:`mode_config`), fitted with the run's seed and
sampler settings.  As for the wide-prior check run (:mod:`bayesstreams.inference.check_run`),
a comparison run is reused only when its ``run.json`` records the run's dataset hash and the
derived model's hash; anything else is refitted (or, for :func:`find_mode_runs`, ignored).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bayesstreams.errors import RunError
from bayesstreams.model.modes import MODES, compatible, get_mode, respondents_of

SUFFIX = "-nd-"


def mode_of(config) -> str:
    """The not-discussed mode of a model file (``"zero"`` for a kind without evidence modes)."""
    return str(config.evidence_options["not_discussed"])


def other_modes(config) -> list[str]:
    """The modes a run of ``config`` is compared with: the two others, those valid with its options.

    Empty for a kind without evidence modes (the additive baseline); ``zero`` is left out under
    ``respondents = "latent"``, which needs a code distribution.
    """
    if not config.model_kind.has_evidence_modes:
        return []
    respondents = respondents_of(config.evidence_options)
    return [m for m, mode in MODES.items() if m != mode_of(config) and compatible(mode, respondents)]


def mode_config(config, mode: str):
    """``config`` with ``not_discussed = mode``: the run's priors kept, the new mode's evidence priors at their defaults.

    Examples
    --------
    >>> from bayesstreams.model.config import load_config
    >>> marginal = mode_config(load_config("models/streams.toml"), "marginal")
    >>> marginal.name, marginal.evidence_options["not_discussed"], marginal.prior("code_prob")
    ('streams-nd-marginal', 'marginal', {'a': 1.0})
    """
    from bayesstreams.model.config import default_priors, evidence_features

    get_mode(mode)  # an unknown mode is refused here
    evidence = {**config.evidence_options, "not_discussed": mode}
    features = evidence_features(evidence)
    own = dict(config.priors)
    priors = {name: own.get(name, tuple(sorted(prior.params.items())))
              for name, prior in default_priors(config.kind, features).items()}
    return dataclasses.replace(config, name=f"{config.name}{SUFFIX}{mode}",
                               priors=tuple(sorted(priors.items())), evidence=tuple(sorted(evidence.items())),
                               description=f"{config.name} with not_discussed = {mode!r}")


def mode_run_path(run_path, mode: str) -> Path:
    """Where the ``mode`` comparison run of ``run_path`` lives: ``<run_path>-nd-<mode>`` beside it."""
    run_path = Path(run_path)
    return run_path.parent / f"{run_path.name}{SUFFIX}{mode}"


def matches(run, candidate_info: dict, config) -> bool:
    """True when a comparison run's run.json holds the run's dataset hash and the derived model's hash."""
    same_data = candidate_info.get("dataset", {}).get("hash") == run.dataset.content_hash()
    return same_data and candidate_info.get("model", {}).get("hash") == config.model_hash()


def reusable(run, path: Path, mode: str):
    """The loaded comparison run at ``path`` when it fits ``run`` under ``mode``, else None."""
    from bayesstreams.inference.store import load_run, read_info

    if not Path(path).is_dir():
        return None
    try:
        return load_run(path) if matches(run, read_info(path), mode_config(run.config, mode)) else None
    except RunError:
        return None  # incomplete or old


def find_mode_runs(run) -> dict:
    """The reusable comparison runs beside ``run`` (a loaded run): ``{mode: Run}``, only those that fit."""
    if getattr(run, "path", None) is None or getattr(run, "config", None) is None:
        return {}
    found = {mode: reusable(run, mode_run_path(run.path, mode), mode) for mode in other_modes(run.config)}
    return {mode: other for mode, other in found.items() if other is not None}


def fit_mode_run(run, mode: str, out, progress: bool = False):
    """Fit ``run``'s data under ``mode`` with the run's seed and sampler settings and save it at ``out``."""
    from bayesstreams.inference.fit import fit

    settings = run.info.get("settings", {})
    other = fit(run.dataset, mode_config(run.config, mode), seed=int(run.info.get("seed", 20200601)),
                draws=settings.get("draws"), tune=settings.get("tune"), chains=settings.get("chains"),
                sampler=settings.get("sampler"), progress=progress)
    other.save(out, force=True, command=f"not-discussed comparison ({mode}) of {run.path}")
    return other


def mode_runs(run, modes=None, progress: bool = False) -> dict:
    """The comparison runs of a saved ``run``: reused beside it when they fit, else fitted and written there.

    Parameters
    ----------
    run
        A saved run (``run.path`` set).
    modes
        The modes to compare with (default: :func:`other_modes` of the run's model file).
    progress
        Show the sampler's progress bar.

    Returns
    -------
    dict
        ``{mode: Run}``.

    Examples
    --------
    >>> path = run.save(tmp / "study")
    >>> mode_run_path(path, "marginal").name, other_modes(run.config)
    ('study-nd-marginal', ['marginal', 'salience'])
    >>> mode_runs(run, modes=[])                  # nothing asked for: nothing fitted
    {}
    """
    if getattr(run, "path", None) is None:
        raise RunError("the run is not saved: its comparison runs live beside it")
    out = {}
    for mode in other_modes(run.config) if modes is None else modes:
        path = mode_run_path(run.path, mode)
        out[mode] = reusable(run, path, mode) or fit_mode_run(run, mode, path, progress)
    return out
