"""Model files under ``models/``: the model kind, its priors and the sampler settings.

A model file is TOML; the parsed :class:`ModelConfig` is frozen and hashable, and its
hash enters the compile cache key and the run folder, so a changed prior can never reuse
a stale compiled model or be mistaken for another run.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bayesstreams.data.codebook import toml_error_location
from bayesstreams.data.limits import limit, over, read_bounded, shown
from bayesstreams.errors import InputError, Violation
from bayesstreams.model.centring import PARAMETRISATIONS
from bayesstreams.model.kinds import KINDS
from bayesstreams.model.modes import (EVIDENCE_DEFAULTS, EVIDENCE_OPTIONS, MODES, RESPONDENTS, compatible,  # noqa: F401
                                      evidence_features, mode_of, respondents_of)
from bayesstreams.model.priors import FAMILIES

SAMPLERS = ("nutpie", "pymc", "numpyro")


def default_priors(kind_name: str, features=None) -> dict:
    """``{parameter: Prior}`` of the top-level parameters of a model kind, as the kind declares them.

    ``features`` (a set of evidence features, :func:`evidence_features`) keeps only the evidence
    parameters in use; ``None`` keeps them all.
    """
    return {p.name: p.prior for p in KINDS[kind_name].parameters
            if p.prior is not None and (features is None or not p.evidence or p.evidence in features)}


SAMPLER_DEFAULTS = {"sampler": "nutpie", "draws": 1000, "tune": 1000, "chains": 4, "target_accept": 0.9,
                    "parametrisation": "by-size"}
# the evidence model (MODEL.md §7): how a cell's record is evidence about its latent code; the options
# (EVIDENCE_OPTIONS, EVIDENCE_DEFAULTS, evidence_features) are the objects of bayesstreams.model.modes
TOP_KEYS = ("kind", "name", "description", "priors", "sampler", "evidence", *EVIDENCE_OPTIONS)


@dataclass(frozen=True)
class SamplerSettings:
    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    # how the pooled factor effects are sampled (bayesstreams.model.centring); the posterior is the same.
    # "by-size": guided from 1,000 cases on (at N = 10,000: 14 leapfrog steps per draw and no divergence,
    # against 136 and 7 non-centred), non-centred below (the shipped study's runs do not move; docs/SAMPLERS.md)
    parametrisation: str = "by-size"


@dataclass(frozen=True)
class ModelConfig:
    """A validated model file.  ``priors`` maps parameter -> sorted (hyperparameter, value) pairs."""

    kind: str = "streams"
    name: str = "streams"
    description: str = ""
    priors: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    source: str = ""
    evidence: tuple[tuple[str, object], ...] = tuple(sorted(EVIDENCE_DEFAULTS.items()))

    @property
    def evidence_options(self) -> dict:
        """``not_discussed``, ``respondents`` and ``stream_error`` (MODEL.md §7)."""
        return dict(self.evidence)

    @property
    def evidence_features(self) -> frozenset:
        """The evidence parameters this model samples (see :func:`evidence_features`)."""
        return evidence_features(self.evidence_options)

    def prior(self, parameter: str) -> dict[str, float]:
        """Hyperparameters of one parameter's prior."""
        return dict(dict(self.priors)[parameter])

    def prior_of(self, parameter: str):
        """The :class:`~bayesstreams.model.priors.Prior` of one parameter: the kind's family, this file's values."""
        return default_priors(self.kind)[parameter].with_params(self.prior(parameter))

    @property
    def model_kind(self):
        """The model kind object (:mod:`bayesstreams.model.kinds`)."""
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "priors": {p: dict(h) for p, h in self.priors},
            "sampler": dict(self.sampler.__dict__),
            "evidence": self.evidence_options,
        }

    def model_hash(self) -> str:
        """Hash of what defines the model (kind and priors), not of sampler settings or text."""
        model = {"kind": self.kind, "priors": {p: dict(h) for p, h in self.priors}}
        if self.evidence_options != EVIDENCE_DEFAULTS:  # the v1 model keeps its hash (compile cache, old runs)
            model["evidence"] = self.evidence_options
        payload = json.dumps(model, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """Best-effort line number of ``key`` (inside ``[table]`` when given), for located errors."""
    in_table = table is None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[] ")
            in_table = table is None or header == table or header.startswith(f"{table}.")
            if table and header == f"{table}.{key}":
                return number
            continue
        if in_table and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None


def _check_evidence(file: str, text: str, kind: str, data: dict, problems: list[Violation]) -> dict:
    """The evidence options from an ``[evidence]`` table or top-level keys, validated with their line."""
    table = data.get("evidence", {})
    if not isinstance(table, dict):
        problems.append(Violation(file, _line_of(text, "evidence"), "evidence", "must be a table like [evidence]"))
        table = {}
    options = dict(EVIDENCE_DEFAULTS)
    given = {}
    for key, value in table.items():
        given[key] = (value, _line_of(text, key, "evidence"), f"evidence.{key}")
    for key in EVIDENCE_OPTIONS:
        if key in data:
            if key in given:
                problems.append(Violation(file, _line_of(text, key), key, "given both at the top and in [evidence]"))
            given[key] = (data[key], _line_of(text, key), key)
    for key, (value, line, where) in given.items():
        if key not in EVIDENCE_OPTIONS:
            problems.append(Violation(file, line, where, f"unknown key (known: {', '.join(EVIDENCE_OPTIONS)})"))
        elif key == "stream_error" and not isinstance(value, bool):
            problems.append(Violation(file, line, where, f"must be true or false, got {value!r}"))
        elif key != "stream_error" and value not in EVIDENCE_OPTIONS[key]:
            known = " | ".join(f'"{v}"' for v in EVIDENCE_OPTIONS[key])
            problems.append(Violation(file, line, where, f"must be {known}, got {value!r}"))
        else:
            options[key] = value
    respondents = respondents_of(options)
    if not compatible(mode_of(options), respondents):
        line = given.get("respondents", (None, None))[1]
        with_codes = " or ".join(f'"{m.name}"' for m in MODES.values() if compatible(m, respondents))
        problems.append(Violation(file, line, "evidence.respondents", f'respondents = "{respondents.name}" needs a '
                                  f'code distribution: set not_discussed = {with_codes}'))
    if kind in KINDS and not KINDS[kind].has_evidence_modes and options != EVIDENCE_DEFAULTS:
        problems.append(Violation(file, _line_of(text, "kind"), "evidence",
                                  f"the evidence model (MODEL.md §7) is an option of the streams kind, not of {kind!r}"))
    return options


def _check_priors(file: str, text: str, kind: str, given: dict, problems: list[Violation],
                  features: frozenset = frozenset()) -> dict:
    defaults = default_priors(kind, features)
    priors = {p: dict(prior.params) for p, prior in defaults.items()}
    every = default_priors(kind)
    for parameter, hyper in given.items():
        line = _line_of(text, parameter, "priors")
        if parameter in every and parameter not in defaults:
            problems.append(Violation(file, line, f"priors.{parameter}",
                                      "this parameter belongs to an evidence option (MODEL.md §7) the model file "
                                      "does not switch on"))
            continue
        if parameter not in defaults:
            problems.append(Violation(file, line, f"priors.{parameter}",
                                      f"unknown parameter for a {kind} model (known: {', '.join(defaults)})"))
            continue
        family = defaults[parameter].family
        allowed, positive = FAMILIES[family]
        if not isinstance(hyper, dict):
            problems.append(Violation(file, line, f"priors.{parameter}", "must be a table like {sigma = 1.0}"))
            continue
        for key, value in hyper.items():
            where = f"priors.{parameter}.{key}"
            if key == "dist":
                if value != family:
                    problems.append(Violation(file, line, where, f"{parameter} has a {family} prior; {value!r} is not supported"))
                continue
            if key not in allowed:
                problems.append(Violation(file, line, where, f"unknown key; a {family} prior takes {', '.join(allowed)}"))
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(Violation(file, line, where, f"must be a number, got {value!r}"))
                continue
            if value != value or value in (float("inf"), float("-inf")):
                problems.append(Violation(file, line, where, "must be finite"))
                continue
            if key in positive and value <= 0:
                label = "scale" if key == "sigma" else "shape"
                problems.append(Violation(file, line, where, f"a {family} {label} must be > 0, got {value}"))
                continue
            bound = _hyper_bound(value, key in positive)
            if bound:
                problems.append(Violation(file, line, where, bound))
                continue
            priors[parameter][key] = float(value)
    return priors


def _hyper_bound(value: float, positive: bool) -> str:
    """Why a finite hyperparameter is outside what the samplers represent safely, or ``""``.

    A scale of 5e-324 or a location of 1e308 is finite but overflows inside the sampler (an
    OverflowError, or a panic and a segmentation fault in nutpie), so it is refused here.
    """
    largest, smallest = limit("prior_magnitude"), limit("prior_smallest")
    if abs(value) > largest:
        return f"must be between -{shown(largest)} and {shown(largest)}, got {value:g} {over('prior_magnitude')}"
    if positive and value < smallest:
        return f"must be at least {shown(smallest)}, got {value:g} {over('prior_smallest')}"
    return ""


def settings_problems(settings: dict) -> list[tuple[str, str]]:
    """``(key, why)`` for sampler settings beyond the documented limits (draws, tune, chains, their product)."""
    out = []
    for key, name in (("draws", "draws"), ("tune", "draws"), ("chains", "chains")):
        value = settings.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < (0 if key == "tune" else 1):
            out.append((key, f"must be a whole number >= {0 if key == 'tune' else 1}, got {value}"))
        elif isinstance(value, int) and not isinstance(value, bool) and value > limit(name):
            out.append((key, f"must be at most {shown(limit(name))}, got {value} {over(name)}"))
    chains, draws = settings.get("chains"), settings.get("draws")
    if not out and isinstance(chains, int) and isinstance(draws, int) and chains * draws > limit("total_draws"):
        out.append(("draws", f"chains x draws is {chains * draws}, more than {shown(limit('total_draws'))} "
                             f"{over('total_draws')}"))
    return out


def _check_sampler(file: str, text: str, given: dict, problems: list[Violation]) -> SamplerSettings:
    settings = dict(SAMPLER_DEFAULTS)
    for key, value in given.items():
        line = _line_of(text, key, "sampler")
        where = f"sampler.{key}"
        if key not in SAMPLER_DEFAULTS:
            problems.append(Violation(file, line, where, f"unknown key (known: {', '.join(SAMPLER_DEFAULTS)})"))
        elif key == "sampler":
            if value not in SAMPLERS:
                problems.append(Violation(file, line, where, f"unknown sampler {value!r} (known: {', '.join(SAMPLERS)})"))
            else:
                settings[key] = value
        elif key == "parametrisation":
            if value not in PARAMETRISATIONS:
                problems.append(Violation(file, line, where, f"unknown parametrisation {value!r} (known: "
                                                             f"{', '.join(PARAMETRISATIONS)})"))
            else:
                settings[key] = value
        elif key == "target_accept":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value < 1:
                problems.append(Violation(file, line, where, f"must be a number in [0.5, 1), got {value!r}"))
            else:
                settings[key] = float(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(Violation(file, line, where, f"must be a whole number >= 1, got {value!r}"))
        else:
            settings[key] = value
    for key, why in settings_problems(settings):
        problems.append(Violation(file, _line_of(text, key, "sampler"), f"sampler.{key}", why))
    return SamplerSettings(**settings)


def config_from_text(text: str, file: str = "<model>") -> ModelConfig:
    """Parse and validate a model file's text; raise :class:`InputError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        row, message = toml_error_location(exc)
        raise InputError(Violation(file, row, None, f"not valid TOML: {message}")) from None
    problems: list[Violation] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Violation(file, _line_of(text, key), key, f"unknown key (known: {', '.join(TOP_KEYS)})"))
    kind = data.get("kind", "streams")
    if not isinstance(kind, str):
        problems.append(Violation(file, _line_of(text, "kind"), "kind", f"must be a text like \"streams\", got {kind!r}"))
        raise InputError(problems)
    if kind not in KINDS:
        problems.append(Violation(file, _line_of(text, "kind"), "kind",
                                  f"unknown model kind {kind!r} (known: {', '.join(KINDS)})"))
        raise InputError(problems)
    priors_given = data.get("priors", {})
    sampler_given = data.get("sampler", {})
    if not isinstance(priors_given, dict) or not isinstance(sampler_given, dict):
        problems.append(Violation(file, None, "priors", "[priors] and [sampler] must be tables"))
        raise InputError(problems)
    evidence = _check_evidence(file, text, kind, data, problems)
    priors = _check_priors(file, text, kind, priors_given, problems, evidence_features(evidence))
    sampler = _check_sampler(file, text, sampler_given, problems)
    if problems:
        raise InputError(problems)
    return ModelConfig(
        kind=kind,
        name=str(data.get("name", Path(file).stem if file != "<model>" else kind)),
        description=str(data.get("description", "")),
        priors=tuple(sorted((p, tuple(sorted(h.items()))) for p, h in priors.items())),
        sampler=sampler,
        source=file,
        evidence=tuple(sorted(evidence.items())),
    )


def load_config(path: str | Path | None = None) -> ModelConfig:
    """Read a model file; ``None`` gives the default streams model of MODEL.md §2."""
    if path is None:
        return config_from_text('kind = "streams"\nname = "streams"\n', "<default streams model>")
    path = Path(path)
    if not path.is_file():
        raise InputError(Violation(str(path), None, None, "model file does not exist"))
    try:
        text = read_bounded(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Violation(str(path), None, None, "model file is not valid UTF-8")) from None
    return config_from_text(text, str(path))
