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
from bayesstreams.errors import InputError, Violation

KINDS = ("streams", "additive")
SAMPLERS = ("nutpie", "pymc", "numpyro")

# Prior families are fixed per parameter (the model's structure depends on them);
# a model file sets their hyperparameters.
PRIOR_FAMILIES: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "streams": {
        "mu": ("normal", ("mu", "sigma")),
        "tau": ("halfnormal", ("sigma",)),
        "alpha": ("normal", ("mu", "sigma")),
        "lambda": ("beta", ("alpha", "beta")),
        "kappa": ("beta", ("alpha", "beta")),
        "rho": ("beta", ("alpha", "beta")),
        "sigma_group": ("halfnormal", ("sigma",)),
    },
    "additive": {
        "mu": ("normal", ("mu", "sigma")),
        "tau": ("halfnormal", ("sigma",)),
        "a": ("normal", ("mu", "sigma")),
        "delta": ("normal", ("mu", "sigma")),
        "sigma_group": ("halfnormal", ("sigma",)),
    },
}

DEFAULT_PRIORS: dict[str, dict[str, dict[str, float]]] = {
    "streams": {
        "mu": {"mu": 0.5, "sigma": 1.0},
        "tau": {"sigma": 1.0},
        "alpha": {"mu": 0.0, "sigma": 1.5},
        "lambda": {"alpha": 1.0, "beta": 9.0},
        "kappa": {"alpha": 1.0, "beta": 9.0},
        "rho": {"alpha": 1.0, "beta": 1.0},
        "sigma_group": {"sigma": 0.5},
    },
    "additive": {
        "mu": {"mu": 0.5, "sigma": 1.0},
        "tau": {"sigma": 1.0},
        "a": {"mu": 0.0, "sigma": 1.5},
        "delta": {"mu": 0.0, "sigma": 2.0},
        "sigma_group": {"sigma": 0.5},
    },
}

POSITIVE = {"sigma", "alpha", "beta"}
SAMPLER_DEFAULTS = {"sampler": "nutpie", "draws": 1000, "tune": 1000, "chains": 4, "target_accept": 0.9}
TOP_KEYS = ("kind", "name", "description", "priors", "sampler")


@dataclass(frozen=True)
class SamplerSettings:
    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9


@dataclass(frozen=True)
class ModelConfig:
    """A validated model file.  ``priors`` maps parameter -> sorted (hyperparameter, value) pairs."""

    kind: str = "streams"
    name: str = "streams"
    description: str = ""
    priors: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    source: str = ""

    def prior(self, parameter: str) -> dict[str, float]:
        """Hyperparameters of one parameter's prior."""
        return dict(dict(self.priors)[parameter])

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "priors": {p: dict(h) for p, h in self.priors},
            "sampler": dict(self.sampler.__dict__),
        }

    def model_hash(self) -> str:
        """Hash of what defines the model (kind and priors), not of sampler settings or text."""
        payload = json.dumps({"kind": self.kind, "priors": {p: dict(h) for p, h in self.priors}}, sort_keys=True)
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


def _check_priors(file: str, text: str, kind: str, given: dict, problems: list[Violation]) -> dict:
    families = PRIOR_FAMILIES[kind]
    priors = {p: dict(h) for p, h in DEFAULT_PRIORS[kind].items()}
    for parameter, hyper in given.items():
        line = _line_of(text, parameter, "priors")
        if parameter not in families:
            problems.append(Violation(file, line, f"priors.{parameter}",
                                      f"unknown parameter for a {kind} model (known: {', '.join(families)})"))
            continue
        family, allowed = families[parameter]
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
            if key in POSITIVE and value <= 0:
                label = "scale" if key == "sigma" else "shape"
                problems.append(Violation(file, line, where, f"a {family} {label} must be > 0, got {value}"))
                continue
            priors[parameter][key] = float(value)
    return priors


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
        elif key == "target_accept":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value < 1:
                problems.append(Violation(file, line, where, f"must be a number in [0.5, 1), got {value!r}"))
            else:
                settings[key] = float(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(Violation(file, line, where, f"must be a whole number >= 1, got {value!r}"))
        else:
            settings[key] = value
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
    if kind not in KINDS:
        problems.append(Violation(file, _line_of(text, "kind"), "kind", f"unknown model kind {kind!r} (known: {', '.join(KINDS)})"))
        raise InputError(problems)
    priors_given = data.get("priors", {})
    sampler_given = data.get("sampler", {})
    if not isinstance(priors_given, dict) or not isinstance(sampler_given, dict):
        problems.append(Violation(file, None, "priors", "[priors] and [sampler] must be tables"))
        raise InputError(problems)
    priors = _check_priors(file, text, kind, priors_given, problems)
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
    )


def load_config(path: str | Path | None = None) -> ModelConfig:
    """Read a model file; ``None`` gives the default streams model of MODEL.md §2."""
    if path is None:
        return config_from_text('kind = "streams"\nname = "streams"\n', "<default streams model>")
    path = Path(path)
    if not path.is_file():
        raise InputError(Violation(str(path), None, None, "model file does not exist"))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Violation(str(path), None, None, "model file is not valid UTF-8")) from None
    return config_from_text(text, str(path))
