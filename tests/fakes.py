"""Fake runs for the query, scoring and contraction tests: no fitting, no PyMC.

A fake run holds a real :class:`~bayesstreams.data.dataset.Dataset` built in memory and
posterior/prior draws chosen by the test.  Draws go through ``arviz.from_dict`` and back
through :func:`bayesstreams.analysis.queries.draws_from_datatree`, the same flattening a saved
run's draws have (sample = chain-major (chain, draw)).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.data.codebook import Codebook, Factor
from bayesstreams.model.config import config_from_text
from bayesstreams.data.dataset import Dataset
from bayesstreams.analysis.queries import draws_from_datatree
from bayesstreams.inference.run import Run

NAN = float("nan")

# id, phase, stream: every phase x stream has a factor, some have two
FACTORS = (
    ("p1_insight", 1, "problem"), ("p1_media", 1, "problem"), ("p1_congruence", 1, "policy"),
    ("p1_political", 1, "politics"), ("p2_framing", 2, "problem"), ("p2_collaboration", 2, "policy"),
    ("p2_capacity", 2, "policy"), ("p2_region", 2, "politics"),
)

# 5 cases x 8 factors, NaN = not discussed
X = np.array([
    [1, 0, 1, -1, 1, 0, NAN, 1],
    [-1, 1, 0, 1, NAN, 1, -1, 0],
    [0, NAN, -1, 1, 1, -1, 1, 1],
    [1, 1, 1, 1, 0, 1, 1, -1],
    [NAN, -1, 0, 0, -1, 0, 0, NAN],
], dtype=float)
W = np.array([[1, 1], [1, 0], [0, 0], [1, 1], [0, NAN]], dtype=float)


def make_codebook(factors=FACTORS) -> Codebook:
    return Codebook(tuple(Factor(fid, phase, stream, label_en=fid.replace("_", " ")) for fid, phase, stream in factors))


def make_dataset(x=X, w=W, factors=FACTORS, group_labels=None, case_ids=None, s=None) -> Dataset:
    """A Dataset from arrays; ``group_labels`` per case ("" for none)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    case_ids = list(case_ids or [f"c{i + 1}" for i in range(n)])
    labels = list(group_labels) if group_labels is not None else [""] * n
    groups = tuple(sorted({g for g in labels if g}))
    codebook = make_codebook(factors)
    cases = [{"case_id": c, "name": f"Case {c}", "w1": w[i, 0], "w2": w[i, 1], "level": "", "group": labels[i]}
             for i, c in enumerate(case_ids)]
    codes = [{"case_id": c, "factor": f, "code": x[i, j]} for i, c in enumerate(case_ids)
             for j, f in enumerate(codebook.ids)]
    return Dataset(name="fake", source="tests/fakes.py", codebook=codebook, cases=cases, codes=codes, x=x,
                   w=np.asarray(w, dtype=float), s=np.full((n, 2, 3), NAN) if s is None else s,
                   group=np.array([groups.index(g) if g else -1 for g in labels], dtype=int), groups=groups)


def random_parameters(dataset: Dataset, rng: np.random.Generator, kind: str = "streams",
                      gamma_scale: float = 0.0) -> dict:
    """One parameter set with effects large enough to matter and windows neither rare nor certain."""
    fp, fs = dataset.factor_phase, dataset.factor_stream
    mu = rng.normal(0.6, 0.5, size=(2, 3))
    tau = rng.uniform(0.3, 1.0, size=(2, 3))
    z = rng.normal(0.0, 1.0, size=len(fp))
    params = {"mu": mu, "tau": tau, "z": z, "beta": mu[fp, fs] + tau[fp, fs] * z}
    if kind == "streams":
        params.update(alpha=rng.normal(0.8, 0.6, size=(2, 3)), **{"lambda": rng.uniform(0.03, 0.2, size=2)},
                      kappa=rng.uniform(0.03, 0.2, size=2), rho=np.array(rng.uniform(0.1, 0.6)))
        group_shape = (2, 3)
    else:
        params.update(a=rng.normal(-0.2, 0.5, size=2), delta=np.array(rng.normal(1.5, 0.3)))
        group_shape = (2,)
    if dataset.groups:
        params["sigma_group"] = np.array(max(gamma_scale, 1e-3))
        params["gamma"] = rng.normal(0.0, gamma_scale, size=(*group_shape, len(dataset.groups)))
    return params


def stack_draws(param_sets: list[dict], repeat: int = 1, chains: int = 2, group: str = "posterior") -> dict:
    """Draws holding each parameter set ``repeat`` times, through ``arviz.from_dict`` and back.

    The number of samples (``len(param_sets) * repeat``) must be a multiple of ``chains``.
    """
    import arviz as az

    n = len(param_sets) * repeat
    if n // chains < chains:  # ArviZ warns when there are more chains than draws
        chains = 1
    data = {}
    for name in param_sets[0]:
        values = np.stack([np.asarray(p[name], dtype=float) for p in param_sets for _ in range(repeat)])
        data[name] = values.reshape(chains, n // chains, *values.shape[1:])
    return draws_from_datatree(az.from_dict({group: data}), group)


def fake_run(dataset: Dataset, posterior: dict, prior: dict | None = None, kind: str = "streams",
             chains: int = 1) -> Run:
    """A real :class:`Run` record of chosen draws: no fitting, no diagnostics, no folder."""
    return Run(dataset, config_from_text(f'kind = "{kind}"\n'), posterior, prior or {},
               info={"settings": {"chains": chains}})


def permuted(dataset: Dataset, draws: dict, case_order, factor_order) -> tuple[Dataset, dict]:
    """The same data and draws with cases and factors reordered consistently."""
    factors = [_factor_specs(dataset)[dataset.factor_ids[k]] for k in factor_order]
    labels = [dataset.cases[i]["group"] for i in case_order]
    new = make_dataset(dataset.x[np.ix_(case_order, factor_order)], dataset.w[case_order], factors, labels,
                       [dataset.case_ids[i] for i in case_order], dataset.s[case_order])
    moved = dict(draws)
    for name in ("beta", "z"):
        moved[name] = draws[name][:, factor_order]
    # group indices follow the sorted labels, which a case permutation leaves unchanged,
    # so gamma needs no reordering
    return new, moved


def _factor_specs(dataset: Dataset) -> dict:
    return {f.id: (f.id, f.phase, f.stream) for f in dataset.codebook.factors}
