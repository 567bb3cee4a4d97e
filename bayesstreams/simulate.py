"""Draw data sets from the generative model (MODEL.md §2), for tests, SBC and docs.

``simulate_dataset`` returns the arrays; ``write_simulated`` writes them in the data
contract together with ``truth.json`` (every parameter used).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bayesstreams.codebook import PHASES, STREAMS, Codebook, Factor
from bayesstreams.likelihood import logistic, stream_eta

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


def hide_streams(s: np.ndarray, observed_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Keep each stream state with probability ``observed_fraction``; the rest become NaN."""
    hidden = s.copy()
    hidden[rng.random(s.shape) >= observed_fraction] = np.nan
    return hidden


def write_simulated(out: str | Path, codebook: Codebook, x: np.ndarray, s: np.ndarray, w: np.ndarray,
                    params: dict, meta: dict, force: bool = False) -> Path:
    """Write a simulated data set in the data contract plus ``truth.json``, atomically."""
    from bayesstreams.atomic import atomic_folder, atomic_write_text
    from bayesstreams.dataset import Dataset
    from bayesstreams.export import write_long

    case_ids = [f"sim{i + 1:05d}" for i in range(len(x))]
    cases = [{"case_id": c, "name": c, "w1": w[i, 0], "w2": w[i, 1], "level": "", "group": ""}
             for i, c in enumerate(case_ids)]
    codes = [{"case_id": c, "factor": f, "code": x[i, j]} for i, c in enumerate(case_ids)
             for j, f in enumerate(codebook.ids)]
    dataset = Dataset(name=Path(out).name, source=str(out), codebook=codebook, cases=cases, codes=codes, x=x, w=w,
                      s=s, group=np.full(len(x), -1), groups=())
    with atomic_folder(out, force=force) as tmp:
        write_long(dataset, tmp)
        truth = {"parameters": {k: np.asarray(v).tolist() for k, v in params.items()}, **meta,
                 "factor_ids": list(codebook.ids), "phases": list(PHASES), "streams": list(STREAMS)}
        atomic_write_text(Path(tmp) / "truth.json", json.dumps(truth, indent=1))
    return Path(out)
