"""A study: the main run of a dataset and its companion runs, found, fitted or reused in ONE place.

The companions are refits of the main run's data that later analyses compare with (MODEL.md
§7, §8, §10):

``wide``
    the same model kind under the shipped wide priors (``models/<kind>-wide.toml``): the
    prior-dependence check;
``nd-<mode>``
    the same model file with only ``[evidence] not_discussed`` changed: the other readings of
    a not-discussed cell (``zero``, ``marginal``, ``salience``);
``agnostic``
    optionally, a refit under agnostic priors, shown beside the prior check (given, never found);
``nostreams``
    the same model file fitted to the data without the coded stream states that are not from a
    separate source (:func:`bayesstreams.data.sources.without_coded_streams`: windows and codes
    only), for a kind with streams whose data hold such a state: does a verdict hold without
    the stream judgements read from the same passages as the codes?
``streamerror``
    the same data and model file with ``stream_error = true`` (each coded stream state may be
    wrong), for a kind with evidence modes that has it off.

On disk each companion lives beside the main run as ``<run>-<role>`` (``runs/x-wide``,
``runs/x-nd-marginal``).  :meth:`Study.load` finds them there, and nowhere else: a companion
that is not there is recorded in :attr:`Study.missing` (the outputs say so; a missing companion
never silently changes a verdict), and one that was fitted to other data or another model
file is refused with a located error.  :meth:`Study.fit` and :meth:`Study.fill` fit what is
missing; :meth:`Study.save` writes the main run and its companions together (one rename at
the end: an interrupt leaves all of them as they were).

The queries of a study are ``study.q`` (:mod:`bayesstreams.analysis.accessor`, registered
with :func:`register_accessor` when :mod:`bayesstreams.analysis` is imported): this layer
holds runs and never computes a statistic.

Examples
--------
>>> study = Study.of(run)                           # a fitted run in memory: no companion yet
>>> study.expected_roles()
['wide', 'nd-marginal', 'nd-salience', 'nostreams', 'streamerror']
>>> sorted(study.missing)
['nd-marginal', 'nd-salience', 'nostreams', 'streamerror', 'wide']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.atomic import staged
from bayesstreams.data.sources import has_dependent_streams, without_coded_streams
from bayesstreams.errors import RunError
from bayesstreams.forked import Forked
from bayesstreams.inference.fit import fit as fit_run
from bayesstreams.inference.fit import resolve_model
from bayesstreams.inference.power import power_weights
from bayesstreams.inference.run import Run
from bayesstreams.inference.store import load_run, provenance, read_info, save_run, write_run_folder
from bayesstreams.model.config import default_priors, evidence_features, load_config
from bayesstreams.model.modes import MODES, compatible, get_mode, respondents_of

WIDE = "wide"
AGNOSTIC = "agnostic"
MODE_PREFIX = "nd-"
NOSTREAMS = "nostreams"
STREAMERROR = "streamerror"
MODELS = "models"


# ---------------------------------------------------------------------------- what each companion is


def wide_model_path(kind: str) -> Path | None:
    """The shipped wide-prior model file of a model kind (working directory, then the checkout), or None."""
    name = f"{kind}-{WIDE}.toml"
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / MODELS / name
        if candidate.is_file():
            return candidate
    return None


def wide_config(config):
    """The wide-prior :class:`~bayesstreams.model.config.ModelConfig` for a run's config (same kind)."""
    path = wide_model_path(config.kind)
    if path is None:
        raise RunError(f"{MODELS}/{config.kind}-{WIDE}.toml: the wide-prior model file is not here "
                       "(it ships with bayesstreams)")
    return load_config(path)


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
    >>> marginal = mode_config(load_config("models/streams.toml"), "marginal")
    >>> marginal.name, marginal.evidence_options["not_discussed"], marginal.prior("code_prob")
    ('streams-nd-marginal', 'marginal', {'a': 1.0})
    """
    get_mode(mode)  # an unknown mode is refused here
    evidence = {**config.evidence_options, "not_discussed": mode}
    own = dict(config.priors)
    priors = {name: own.get(name, tuple(sorted(prior.params.items())))
              for name, prior in default_priors(config.kind, evidence_features(evidence)).items()}
    return dataclasses.replace(config, name=f"{config.name}-{MODE_PREFIX}{mode}",
                               priors=tuple(sorted(priors.items())), evidence=tuple(sorted(evidence.items())),
                               description=f"{config.name} with not_discussed = {mode!r}")


def stream_error_config(config):
    """``config`` with ``stream_error = true``: the run's priors kept, the stream-error prior at its default.

    Examples
    --------
    >>> on = stream_error_config(load_config("models/streams.toml"))
    >>> on.name, on.evidence_options["stream_error"], on.prior("stream_error")
    ('streams-streamerror', True, {'alpha': 1.0, 'beta': 19.0})
    """
    evidence = {**config.evidence_options, "stream_error": True}
    own = dict(config.priors)
    priors = {name: own.get(name, tuple(sorted(prior.params.items())))
              for name, prior in default_priors(config.kind, evidence_features(evidence)).items()}
    return dataclasses.replace(config, name=f"{config.name}-{STREAMERROR}",
                               priors=tuple(sorted(priors.items())), evidence=tuple(sorted(evidence.items())),
                               description=f"{config.name} with stream_error = true")


def companion_config(config, role: str):
    """The model file a companion of ``role`` refits the main run's data (``nostreams``: their reduced copy) with."""
    if role == NOSTREAMS:
        return config
    if role == STREAMERROR:
        return stream_error_config(config)
    if role == WIDE:
        return wide_config(config)
    if role.startswith(MODE_PREFIX):
        return mode_config(config, role[len(MODE_PREFIX):])
    if role == AGNOSTIC:
        return resolve_model(f"{config.kind}-{AGNOSTIC}")
    raise RunError(f"unknown companion {role!r} (known: {WIDE}, {MODE_PREFIX}<mode>, {AGNOSTIC}, {NOSTREAMS}, "
                   f"{STREAMERROR})")


def companion_data(dataset, role: str):
    """The data a companion of ``role`` is fitted to: the main run's, or (``nostreams``) without the coded streams."""
    return without_coded_streams(dataset) if role == NOSTREAMS else dataset


def expected_roles(config, dataset=None) -> list[str]:
    """The companions a run of ``config`` on ``dataset`` has, in this order.

    The wide-prior refit (when its kind ships one), the other not-discussed modes, ``nostreams``
    (a kind with streams, when ``dataset`` holds a stream state not from a separate source;
    without ``dataset``: whenever the kind has streams) and ``streamerror`` (a kind with
    evidence modes whose model file has ``stream_error`` off).
    """
    roles = [WIDE] if wide_model_path(config.kind) is not None else []
    roles += [f"{MODE_PREFIX}{m}" for m in other_modes(config)]
    kind = config.model_kind
    if getattr(kind, "has_streams", False) and (dataset is None or has_dependent_streams(dataset)):
        roles.append(NOSTREAMS)
    if kind.has_evidence_modes and not config.evidence_options.get("stream_error", False):
        roles.append(STREAMERROR)
    return roles


def companion_path(run_path, role: str) -> Path:
    """Where the companion ``role`` of the run at ``run_path`` lives: ``<run_path>-<role>`` beside it."""
    run_path = Path(run_path)
    return run_path.parent / f"{run_path.name}-{role}"


# ---------------------------------------------------------------------------- matching


def mismatch(run: Run, info: dict, config=None, role: str = "") -> str | None:
    """Why a companion (its ``run.json`` as ``info``) does not belong to ``run``; None when it does.

    A companion belongs when it was fitted to the run's dataset (content hash; for ``nostreams``
    the dataset without its coded streams) and, when ``config`` is given, with that model file (model hash).
    """
    theirs, ours = info.get("dataset", {}).get("hash"), companion_data(run.dataset, role).content_hash()
    if theirs != ours:
        return f"was fitted to other data (dataset hash {str(theirs)[:12]}, the run's {ours[:12]})"
    if config is not None and info.get("model", {}).get("hash") != config.model_hash():
        return (f"was fitted with another model file than {config.name} "
                f"(model hash {str(info.get('model', {}).get('hash'))[:12]}, expected {config.model_hash()[:12]})")
    return None


def _reusable(run: Run, role: str, path: Path) -> tuple[Run | None, str]:
    """``(companion, "")`` when the folder holds a complete companion that belongs to ``run``, else ``(None, why)``."""
    if not path.is_dir():
        return None, f"{path} is not there"
    try:
        why = mismatch(run, read_info(path), companion_config(run.config, role), role)
        return (None, f"{path / 'run.json'}: {why}") if why else (load_run(path), "")
    except RunError as exc:
        return None, str(exc)


# ---------------------------------------------------------------------------- the study


@dataclass(eq=False)
class Study:
    """The main run and its companion runs.

    Attributes
    ----------
    run : the main :class:`~bayesstreams.inference.run.Run`.
    companions : ``{role: Run}`` (``"wide"``, ``"nd-<mode>"``, ``"agnostic"``, ``"nostreams"``,
        ``"streamerror"``), all of the main run's data (``nostreams``: without its coded streams).
    missing : ``{role: why}`` for every expected companion the study does not hold; the reports
        and briefs say which is missing and what that changes.
    """

    run: Run
    companions: dict[str, Run] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for role, other in self.companions.items():
            if other.dataset.content_hash() != companion_data(self.run.dataset, role).content_hash():
                raise RunError(f"{other.label}: the {role} companion was fitted to other data than {self.run.label}; "
                               "a companion refits the main run's data")
        for role in self.expected_roles():
            if role not in self.companions and role not in self.missing:
                self.missing[role] = "not fitted"

    # ------------------------------------------------------------ views

    @property
    def wide(self) -> Run | None:
        """The wide-prior refit, or None."""
        return self.companions.get(WIDE)

    @property
    def agnostic(self) -> Run | None:
        """The agnostic-prior refit, or None."""
        return self.companions.get(AGNOSTIC)

    @property
    def modes(self) -> dict[str, Run]:
        """``{mode: Run}``: the same data under the other not-discussed modes the study holds."""
        return {role[len(MODE_PREFIX):]: r for role, r in self.companions.items() if role.startswith(MODE_PREFIX)}

    @property
    def nostreams(self) -> Run | None:
        """The refit without the coded stream states (windows and codes only), or None."""
        return self.companions.get(NOSTREAMS)

    @property
    def streamerror(self) -> Run | None:
        """The refit with ``stream_error`` on, or None."""
        return self.companions.get(STREAMERROR)

    @property
    def dataset(self):
        """The main run's dataset."""
        return self.run.dataset

    @property
    def path(self) -> Path | None:
        """The main run's folder, when saved or loaded."""
        return self.run.path

    def expected_roles(self) -> list[str]:
        """The companions this study's model file has (see :func:`expected_roles`).

        Examples
        --------
        >>> Study.of(run).expected_roles()
        ['wide', 'nd-marginal', 'nd-salience', 'nostreams', 'streamerror']
        """
        return expected_roles(self.run.config, self.run.dataset)

    def source_runs(self) -> dict | None:
        """``{role: Run or None}`` of the source check's companions this study's model and data have, or None.

        ``nostreams`` and ``streamerror`` where expected (None where the study lacks one); None when
        neither is expected (no stream states to leave out, stream_error already on, no streams).

        Examples
        --------
        >>> Study.of(run).source_runs()
        {'nostreams': None, 'streamerror': None}
        """
        roles = [role for role in (NOSTREAMS, STREAMERROR) if role in self.expected_roles()]
        return {role: self.companions.get(role) for role in roles} or None

    # ------------------------------------------------------------ making one

    @classmethod
    def of(cls, run: Run, wide: Run | None = None, modes: dict | None = None, agnostic: Run | None = None,
           nostreams: Run | None = None, streamerror: Run | None = None) -> "Study":
        """A study of a run in memory with the companions given (none found on disk)."""
        companions = {WIDE: wide, AGNOSTIC: agnostic, NOSTREAMS: nostreams, STREAMERROR: streamerror,
                      **{f"{MODE_PREFIX}{m}": r for m, r in (modes or {}).items()}}
        return cls(run, {role: r for role, r in companions.items() if r is not None})

    @classmethod
    def load(cls, path, wide=None, agnostic=None, companions: bool = True) -> "Study":
        """Load the run at ``path`` and the companions beside it.

        Parameters
        ----------
        path
            The main run's folder.
        wide, agnostic
            A companion given explicitly (a folder or a loaded run), used instead of the one beside
            the run; it must be of the same data (else a located error).
        companions
            Look for the companions beside the run (``False``: the main run alone, every
            expected companion recorded as missing).

        Raises
        ------
        RunError
            The main run is incomplete, altered or incompatible, or a companion beside it or
            given was fitted to other data or (beside it) with another model file than its role's.

        Examples
        --------
        >>> study = Study.load(save_run(run, tmp / "alone"))
        >>> study.missing["wide"].endswith("alone-wide is not there")
        True
        """
        run = load_run(path)
        held, missing = {}, {}
        for role in expected_roles(run.config, run.dataset):
            if role == WIDE and wide is not None:
                continue
            folder = companion_path(run.path, role)
            if not companions:
                missing[role] = "not looked for"
            elif not folder.is_dir():
                missing[role] = f"{folder} is not there"
            else:
                info = read_info(folder)
                why = mismatch(run, info, companion_config(run.config, role), role)
                if why:
                    raise RunError(f"{folder / 'run.json'}: this {role} companion of {run.path} {why}; "
                                   f"refit it (`bayesstreams analyze`) or move it away")
                held[role] = load_run(folder)
        for role, given in ((WIDE, wide), (AGNOSTIC, agnostic)):
            if given is not None:
                held[role] = given if isinstance(given, Run) else load_run(given)
        return cls(run, held, missing)

    @classmethod
    def fit(cls, dataset, model=None, seed: int = 20200601, companions: bool = True, progress: bool = False,
            **settings) -> "Study":
        """Fit the main run and (``companions``) every expected companion, in memory.

        ``settings`` are the sampler overrides of :func:`bayesstreams.inference.fit.fit`
        (``draws``, ``tune``, ``chains``, ``sampler``); the companions reuse them and the seed.

        Examples
        --------
        >>> study = Study.fit(small_data, seed=1, draws=100, tune=200, companions=False)
        >>> study.run.n_samples, sorted(study.missing)
        (400, ['nd-marginal', 'nd-salience', 'nostreams', 'streamerror', 'wide'])
        """
        study = cls(fit_run(dataset, model, seed=seed, progress=progress, **settings))
        return study.fill(progress=progress) if companions else study

    def fill(self, roles=None, progress: bool = False) -> "Study":
        """Fit the missing companions (``roles``, default all missing) with the main run's seed and settings.

        Examples
        --------
        >>> study = Study.of(run).fill([])           # nothing asked for: nothing fitted
        >>> study.companions, sorted(study.missing)
        ({}, ['nd-marginal', 'nd-salience', 'nostreams', 'streamerror', 'wide'])
        """
        for role in list(self.missing) if roles is None else roles:
            self.companions[role] = fit_companion(self.run, role, progress)
            self.missing.pop(role, None)
        return self

    def refit(self, dataset, progress: bool = False) -> Run:
        """An exact refit of changed data with the main run's model file, seed and sampler settings (in memory).

        What the fragility check (:mod:`bayesstreams.pipeline.robustness`) uses where reweighting the
        saved draws is unreliable; never kept as a companion.

        Examples
        --------
        >>> small = Study.fit(small_data, seed=1, draws=100, tune=200, companions=False)
        >>> again = small.refit(small.dataset)     # the same data, seed and settings: the same draws
        >>> bool((again.posterior["beta"] == small.run.posterior["beta"]).all())
        True
        """
        settings = self.run.settings
        return fit_run(dataset, self.run.config, seed=self.run.seed, draws=settings.get("draws"),
                       tune=settings.get("tune"), chains=settings.get("chains"), sampler=settings.get("sampler"),
                       progress=progress)

    def reuse(self, path) -> "Study":
        """Take every missing companion that lies complete and matching beside ``path`` (the run's future folder).

        A companion there that does not match is left missing (``fill`` refits it), not refused:
        this is how ``analyze`` reuses the companions of an earlier run of the same data.

        Examples
        --------
        >>> Study.of(run).reuse(tmp / "nothing-here").missing["wide"].endswith("nothing-here-wide is not there")
        True
        """
        for role in list(self.missing):
            found, why = _reusable(self.run, role, companion_path(path, role))
            if found is not None:
                self.companions[role] = found
                self.missing.pop(role)
            else:
                self.missing[role] = why
        return self

    # ------------------------------------------------------------ writing

    def save(self, path, force: bool = False, command: str | None = None, replaceable=None) -> Path:
        """Write the main run at ``path`` and each companion fitted in this session beside it, renamed together.

        A run (main or companion) loaded from the folder it would be written to is left where it
        is.  An existing folder is replaced only with ``force`` (or when ``replaceable(folder)``
        says so).

        Examples
        --------
        >>> study = Study.of(run)
        >>> study.save(tmp / "kept").name, study.path.name
        ('kept', 'kept')
        """
        with staged() as stage:
            self.save_into(stage, path, force, command, replaceable)
        return self.path

    def save_into(self, stage, path, force: bool = False, command: str | None = None, replaceable=None) -> dict:
        """Write into the folders of an :func:`~bayesstreams.atomic.staged` block; ``{role or "run": temporary folder}``.

        The runs take their final paths here (their provenance names them); the stage renames
        the folders into place when its block ends.

        Examples
        --------
        >>> from bayesstreams.atomic import staged
        >>> with staged() as stage:
        ...     written = Study.of(run).save_into(stage, tmp / "staged")
        >>> sorted(written), (tmp / "staged" / "run.json").is_file()
        (['run'], True)
        """
        with self.start_saving(stage, path, force, command, replaceable, fork=False) as saving:
            return saving.finish()

    def start_saving(self, stage, path, force: bool = False, command: str | None = None, replaceable=None,
                     fork: bool | None = None) -> "Saving":
        """:meth:`save_into` begun: the folders staged and each run's provenance set here, the files written by a
        forked copy of this process (:mod:`bayesstreams.forked`; ``fork=None``: where that can be done) while
        this one goes on; :meth:`Saving.finish` waits for them.

        ``analyze`` drafts its report meanwhile: the runs' paths, command and time are already
        the saved ones, and the records (draws, power-scaling weights) are the ones written.

        Examples
        --------
        >>> from bayesstreams.atomic import staged
        >>> with staged() as stage, Study.of(run).start_saving(stage, tmp / "begun") as saving:
        ...     written = saving.finish()
        >>> sorted(written), (tmp / "begun" / "run.json").is_file()
        (['run'], True)
        """
        path = Path(path)
        jobs = []
        if not _at(self.run, path):
            jobs.append(("run", self.run, stage.folder(path, force, replaceable), path, command))
        for role, other in self.companions.items():
            target = companion_path(path, role)
            if not _at(other, target):
                jobs.append((role, other, stage.folder(target, force, replaceable), target,
                             f"{role} companion of {path}"))
        before = [(run, run.info) for _, run, _, _, _ in jobs]
        writes = []
        for _, run, folder, _, job_command in jobs:
            power_weights(run)  # kept in the record here, not only in the copy that writes it
            given = provenance(run, job_command)
            writes.append((run, folder, given))
            run.info = {**run.info, **given}  # as run.json will say it; the path changes once written
        writing = Forked(_write_runs, writes, fork=fork if writes else False, background=True)
        return Saving(jobs, writing, before, (self.run, path))


class Saving:
    """The runs of :meth:`Study.start_saving` being written; :meth:`finish` waits and returns ``{role: folder}``.

    Used as a context manager: leaving the block with an error ends the writing at once (the
    stage then removes its folders).
    """

    def __init__(self, jobs: list, writing: Forked, before: list, main: tuple):
        self._jobs, self._writing, self._before = jobs, writing, before
        self._main = main  # (the study's run, its folder): the run takes its path when the writing is done

    def finish(self) -> dict:
        try:
            infos = self._writing.result()
        except BaseException:
            self._undo()
            raise
        for (_, run, _, final, _), info in zip(self._jobs, infos):
            run.info, run.path = info, final
        self._main[0].path = self._main[1]
        return {role: folder for role, _, folder, _, _ in self._jobs}

    def _undo(self) -> None:
        """The records' provenance as it was: nothing was saved."""
        for run, info in self._before:
            run.info = info

    def __enter__(self) -> "Saving":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self._writing.cancel()
            self._undo()


def _write_runs(writes: list) -> list[dict]:
    """Each ``(run, staged folder, provenance)`` written into its folder; their ``run.json`` contents, in order."""
    return [write_run_folder(run, folder, given["command"], given["created"]) for run, folder, given in writes]


def _at(run: Run, folder: Path) -> bool:
    """True when ``run`` was loaded from (or saved to) ``folder`` already."""
    return run.path is not None and Path(run.path).resolve() == Path(folder).resolve()


def fit_companion(run: Run, role: str, progress: bool = False) -> Run:
    """Refit ``run``'s data as the companion ``role``, with the run's seed and sampler settings (in memory)."""
    settings = run.settings
    return fit_run(companion_data(run.dataset, role), companion_config(run.config, role), seed=run.seed, draws=settings.get("draws"),
                   tune=settings.get("tune"), chains=settings.get("chains"), sampler=settings.get("sampler"),
                   progress=progress)


# ---------------------------------------------------------------------------- accessors (xarray's pattern)


class _Accessor:
    """A class attribute that builds the accessor object once per study (``study.q``)."""

    def __init__(self, name: str, accessor: type):
        self._name, self._accessor = name, accessor

    def __get__(self, study, owner):
        if study is None:
            return self._accessor
        value = self._accessor(study)
        study.__dict__[self._name] = value  # the next lookup finds the instance attribute
        return value


def register_accessor(name: str):
    """Register ``cls(study)`` as ``Study.<name>``: how a higher layer (analysis) adds its queries.

    Examples
    --------
    >>> @register_accessor("n_companions")
    ... class Count:
    ...     def __init__(self, study):
    ...         self.value = len(study.companions)
    >>> Study.of(run).n_companions.value
    0
    >>> delattr(Study, "n_companions")
    """
    def decorator(accessor: type) -> type:
        if name in Study.__dict__:
            raise RunError(f"Study.{name} is registered already")
        setattr(Study, name, _Accessor(name, accessor))
        return accessor

    return decorator
