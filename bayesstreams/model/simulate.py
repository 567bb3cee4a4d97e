"""Draw data sets from the generative model (MODEL.md §2), for tests, SBC and docs.

``simulate_dataset`` returns the arrays; ``write_simulated`` writes them in the data
contract together with ``truth.json`` (every parameter used).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bayesstreams.atomic import atomic_folder, atomic_write_text
from bayesstreams.data.codebook import Codebook, Factor, PHASES, STREAMS
from bayesstreams.data.dataset import Dataset
from bayesstreams.data.export import write_long
from bayesstreams.data.limits import read_bounded
from bayesstreams.errors import InputError, Violation
from bayesstreams.model.config import load_config
from bayesstreams.model.likelihood import logistic, stream_eta
from bayesstreams.model.modes import mode_of, options_of_draws
from bayesstreams.model.priors import draw_prior

DEFAULT_LAYOUT = {(1, "problem"): 6, (1, "policy"): 3, (1, "politics"): 3,
                  (2, "problem"): 2, (2, "policy"): 6, (2, "politics"): 3}


def simulation_codebook(layout: dict | None = None) -> Codebook:
    """A codebook shaped like the source study's (23 factors), with neutral ids ``f<phase>_<stream>_<n>``."""
    layout = layout or DEFAULT_LAYOUT
    factors = []
    for (phase, stream), count in layout.items():
        for n in range(1, count + 1):
            factor_id = f"f{phase}_{stream}_{n}"
            factors.append(Factor(factor_id, phase, stream, label_en=f"phase {phase} {stream} factor {n}",
                                  label_nl=f"fase {phase} {stream} factor {n}", description="simulated factor"))
    return Codebook(tuple(factors), {"title": "simulated data set", "source": "bayesstreams simulate"})


def draw_codes(n_cases: int, n_factors: int, rng: np.random.Generator, p_missing: float = 0.0) -> np.ndarray:
    """Codes -1/0/+1 with probabilities 0.25/0.35/0.40 (like a coded study), NaN with ``p_missing``."""
    x = rng.choice([-1.0, 0.0, 1.0], size=(n_cases, n_factors), p=[0.25, 0.35, 0.40])
    if p_missing:
        x[rng.random(x.shape) < p_missing] = np.nan
    return x


def simulate_outcomes(params: dict, x: np.ndarray, factor_phase: np.ndarray, factor_stream: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stream states S (case, phase, stream) and windows W (case, phase) from one parameter set."""
    eta = stream_eta(params["alpha"][None], params["beta"][None], np.nan_to_num(x), factor_phase, factor_stream)[0]
    q = logistic(eta)
    s = (rng.random(q.shape) < q).astype(float)
    lam, kap, rho = params["lambda"], params["kappa"], params["rho"]
    pi = lam + (1 - lam) * (1 - kap) * s.prod(axis=2)
    w1 = (rng.random(len(x)) < pi[:, 0]).astype(float)
    w2 = (rng.random(len(x)) < pi[:, 1] * (w1 + (1 - w1) * rho)).astype(float)
    return s, np.stack([w1, w2], axis=1)


def draw_true_codes(params: dict, n_cases: int, rng: np.random.Generator) -> np.ndarray:
    """Latent true codes (case, factor) from ``code_prob[factor, code]`` (MODEL.md §7), codes ``-1, 0, +1``."""
    theta = np.asarray(params["code_prob"], dtype=float)
    u = rng.random((n_cases, len(theta)))
    return (u[:, :, None] > np.cumsum(theta, axis=1)[None, :, :-1]).sum(axis=2) - 1.0


def record_codes(x_true: np.ndarray, params: dict, rng: np.random.Generator, p_missing: float = 0.0,
                 respondents: int = 1) -> tuple[np.ndarray, list[tuple[int, int, int, float]]]:
    """What the analysts recorded of the true codes: the consensus ``x`` (NaN: not discussed) and the rows.

    Whether a cell is discussed is the mechanism of the mode whose parameters ``params`` hold
    (:mod:`bayesstreams.model.modes`, ``p_discussed``): with probability ``salience_zero`` /
    ``salience_nonzero`` of its true code under ``salience`` (not at random), else with
    ``1 - p_missing`` (at random); each of
    ``respondents`` respondents of a discussed cell reports a code drawn from ``confusion[true, :]``
    when given, else the true code.  Rows are ``(case, factor, respondent, code)``.
    """
    p_discussed = mode_of(options_of_draws(params)).p_discussed(x_true, params, p_missing)
    discussed = rng.random(x_true.shape) < p_discussed
    rows, x = [], np.full(x_true.shape, np.nan)
    confusion = params.get("confusion")
    for i, k in zip(*np.nonzero(discussed)):
        truth = int(x_true[i, k])
        if confusion is None:
            reported = [float(truth)] * respondents
        else:
            reported = list(rng.choice([-1.0, 0.0, 1.0], size=respondents, p=np.asarray(confusion)[truth + 1]))
        rows += [(int(i), int(k), r, float(c)) for r, c in enumerate(reported)]
        x[i, k] = np.sign(sum(reported))  # the consensus, as load_dataset aggregates several respondents
    return x, rows


def flip_streams(s: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """Coded stream states: each true state flipped with probability ``epsilon`` (MODEL.md §7, ``stream_error``)."""
    return np.where(rng.random(s.shape) < epsilon, 1.0 - s, s)


def hide_streams(s: np.ndarray, observed_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Keep each stream state with probability ``observed_fraction``; the rest become NaN."""
    hidden = s.copy()
    hidden[rng.random(s.shape) >= observed_fraction] = np.nan
    return hidden


def simulated_dataset(codebook: Codebook, x: np.ndarray, s: np.ndarray, w: np.ndarray, name: str = "sbc",
                      source: str = "simulated", rows: list | None = None, mark_unrecorded: bool = False) -> Dataset:
    """An in-memory :class:`~bayesstreams.data.dataset.Dataset` of simulated arrays (cases ``sim00001``..., no groups).

    ``rows`` (from :func:`record_codes`) keeps one code row per respondent; ``mark_unrecorded`` adds a
    not-discussed row (code NaN, no respondent) for each cell no respondent recorded, as a written data set needs.
    """
    case_ids = [f"sim{i + 1:05d}" for i in range(len(x))]
    cases = [{"case_id": c, "name": c, "w1": w[i, 0], "w2": w[i, 1], "level": "", "group": ""}
             for i, c in enumerate(case_ids)]
    codes = [{"case_id": c, "factor": f, "code": x[i, j]} for i, c in enumerate(case_ids)
             for j, f in enumerate(codebook.ids)]
    if rows is not None:
        codes = [{"case_id": case_ids[i], "factor": codebook.ids[k], "code": code, "respondent": f"r{r + 1}"}
                 for i, k, r, code in rows]
        if mark_unrecorded:
            recorded = {(i, k) for i, k, _, _ in rows}
            codes += [{"case_id": c, "factor": f, "code": np.nan, "respondent": ""} for i, c in enumerate(case_ids)
                      for k, f in enumerate(codebook.ids) if (i, k) not in recorded]
    return Dataset(name=name, source=source, codebook=codebook, cases=cases, codes=codes, x=x, w=w, s=s,
                   group=np.full(len(x), -1), groups=())


def write_simulated(out: str | Path, codebook: Codebook, x: np.ndarray, s: np.ndarray, w: np.ndarray,
                    params: dict, meta: dict, force: bool = False, rows: list | None = None) -> Path:
    """Write a simulated data set in the data contract plus ``truth.json``, atomically.

    ``rows`` (from :func:`record_codes`) writes one code row per respondent, with a ``respondent`` column.
    """
    dataset = simulated_dataset(codebook, x, s, w, name=Path(out).name, source=str(out), rows=rows,
                                mark_unrecorded=True)
    with atomic_folder(out, force=force) as tmp:
        write_long(dataset, tmp)
        truth = {"parameters": {k: np.asarray(v).tolist() for k, v in params.items()}, **meta,
                 "factor_ids": list(codebook.ids), "phases": list(PHASES), "streams": list(STREAMS)}
        atomic_write_text(Path(tmp) / "truth.json", json.dumps(truth, indent=1))
    return Path(out)


def read_params(path: str | Path, n_factors: int) -> dict:
    """Parameters from a JSON file shaped like ``truth.json`` (a "parameters" table or the bare table)."""
    file = str(path)
    if not Path(path).exists():
        raise InputError(Violation(file, None, None, "parameter file does not exist"))
    try:
        data = json.loads(read_bounded(Path(path)).decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Violation(file, getattr(exc, "lineno", None), None, f"not valid JSON: {exc}")) from None
    except RecursionError:
        raise InputError(Violation(file, None, None, "not valid JSON: nested too deeply")) from None
    if not isinstance(data, dict):
        raise InputError(Violation(file, None, None, f"must hold a table of parameters, not a {type(data).__name__}"))
    table = data.get("parameters", data)
    shapes = {"alpha": (2, 3), "beta": (n_factors,), "lambda": (2,), "kappa": (2,), "rho": ()}
    params, problems = {}, []
    for name, shape in shapes.items():
        if name not in table:
            problems.append(Violation(file, None, name, f"parameter {name!r} is missing"))
            continue
        value = np.asarray(table[name], dtype=float)
        if value.shape != shape:
            problems.append(Violation(file, None, name, f"{name} has shape {value.shape}, expected {shape}"))
        elif name in ("lambda", "kappa", "rho") and not np.all((value >= 0) & (value <= 1)):
            problems.append(Violation(file, None, name, f"{name} must lie in [0, 1]"))
        params[name] = value
    if problems:
        raise InputError(problems)
    params.update({k: np.asarray(v, dtype=float) for k, v in table.items() if k not in params})
    return params


def simulate_to_folder(out: str | Path, n_cases: int, seed: int, params_file: str | Path | None = None,
                       observed_streams: float = 0.5, config=None, codebook: Codebook | None = None,
                       p_missing: float = 0.0, force: bool = False, respondents: int = 1) -> Path:
    """Simulate ``n_cases`` from the streams model and write them with ``truth.json``.

    Under an evidence mode (MODEL.md §7: ``code_prob`` among the parameters, or several
    ``respondents``) the true codes are drawn first, the outcomes follow from them, and the
    records are drawn from the truth (:func:`record_codes`); ``truth.json`` then holds the true
    codes as ``x_true``.  Otherwise a not-discussed cell (``p_missing``) is a true 0 (v1).

    Examples
    --------
    >>> folder = simulate_to_folder(tmp / "sim", 20, seed=1)
    >>> sorted(p.name for p in folder.iterdir())
    ['cases.csv', 'codebook.toml', 'codes.csv', 'streams.csv', 'truth.json']
    """
    config = config or load_config(None)
    codebook = codebook or simulation_codebook()
    rng = np.random.default_rng(seed)
    phase = np.array([PHASES.index(f.phase) for f in codebook.factors])
    stream = np.array([STREAMS.index(f.stream) for f in codebook.factors])
    if params_file is not None:
        params = read_params(params_file, len(phase))
    else:
        params = {k: v[0] for k, v in draw_prior(config, phase, stream, 0, 1, rng).items()}
    meta = {"seed": seed, "n_cases": n_cases, "observed_streams": observed_streams,
            "params_source": str(params_file) if params_file else "prior"}
    mode = mode_of(options_of_draws(params))
    if not mode.has_code_distribution and respondents == 1:  # the v1 simulation, draw for draw
        x = draw_codes(n_cases, len(phase), rng, p_missing)
        s, w = simulate_outcomes(params, x, phase, stream, rng)
        if "stream_error" in params:
            s = flip_streams(s, float(params["stream_error"]), rng)
        return write_simulated(out, codebook, x, hide_streams(s, observed_streams, rng), w, params, meta, force)
    x_true = (draw_true_codes(params, n_cases, rng) if mode.has_code_distribution
              else draw_codes(n_cases, len(phase), rng))
    s, w = simulate_outcomes(params, x_true, phase, stream, rng)
    if "stream_error" in params:
        s = flip_streams(s, float(params["stream_error"]), rng)
    x, rows = record_codes(x_true, params, rng, p_missing, respondents)
    meta.update(x_true=x_true.tolist(), respondents=respondents, p_missing=p_missing)
    return write_simulated(out, codebook, x, hide_streams(s, observed_streams, rng), w, params, meta, force, rows)
