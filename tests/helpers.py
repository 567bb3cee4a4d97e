"""Small in-memory datasets for tests."""

import numpy as np

from bayesstreams.data.dataset import Dataset
from bayesstreams.model.simulate import draw_codes, hide_streams, simulation_codebook


def partly_observed_dataset(n_cases: int = 20, seed: int = 0, groups: bool = False, p_missing: float = 0.2) -> Dataset:
    """Random codes (some not discussed), random partly observed streams and windows (some missing)."""
    rng = np.random.default_rng(seed)
    codebook = simulation_codebook()
    k = len(codebook.factors)
    x = draw_codes(n_cases, k, rng, p_missing)
    s = hide_streams(rng.integers(0, 2, size=(n_cases, 2, 3)).astype(float), 0.5, rng)
    w = rng.integers(0, 2, size=(n_cases, 2)).astype(float)
    w[rng.random(w.shape) < 0.15] = np.nan
    w[(w[:, 0] == 0) & (w[:, 1] == 1), 1] = 0.0
    labels = ["north", "south", "east"]
    group = rng.integers(0, 3, size=n_cases) if groups else np.full(n_cases, -1)
    if groups:
        group[0] = -1  # a case without a group keeps gamma = 0
    cases = [{"case_id": f"c{i}", "name": f"c{i}", "w1": w[i, 0], "w2": w[i, 1], "level": "",
              "group": labels[group[i]] if group[i] >= 0 else ""} for i in range(n_cases)]
    present = sorted({labels[g] for g in group if g >= 0})
    remap = np.array([present.index(labels[g]) if g >= 0 else -1 for g in group])
    codes = [{"case_id": f"c{i}", "factor": f, "code": x[i, j]} for i in range(n_cases)
             for j, f in enumerate(codebook.ids)]
    return Dataset(name="test", source="<memory>", codebook=codebook, cases=cases, codes=codes, x=x, w=w, s=s,
                   group=remap, groups=tuple(present))


def simulated_study(n_cases: int = 1000, seed: int = 1, p_missing: float = 0.0, observed_streams: float = 0.5,
                    config=None) -> tuple[Dataset, dict]:
    """A data set simulated in memory from one prior draw (as ``bayesstreams simulate``), and that truth.

    Large enough (N = 1,000, seed 1) that some cells' effects are well identified: the case for
    which :func:`bayesstreams.model.centring.centred_factors` centres some factors and not others.
    """
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior
    from bayesstreams.model.simulate import PHASES, STREAMS, simulate_outcomes, simulated_dataset

    codebook = simulation_codebook()
    rng = np.random.default_rng(seed)
    phase = np.array([PHASES.index(f.phase) for f in codebook.factors])
    stream = np.array([STREAMS.index(f.stream) for f in codebook.factors])
    truth = {k: v[0] for k, v in draw_prior(config or load_config(None), phase, stream, 0, 1, rng).items()}
    x = draw_codes(n_cases, len(phase), rng, p_missing)
    s, w = simulate_outcomes(truth, x, phase, stream, rng)
    return simulated_dataset(codebook, x, hide_streams(s, observed_streams, rng), w), truth


def write_fake_run(folder, dataset, posterior: dict, prior: dict | None = None, passed: bool = True,
                   kind: str = "streams", model_text: str | None = None):
    """A run folder holding given draws (no fitting): what load_run and the reports read.

    ``model_text`` replaces the model file (it is hashed into run.json like every file of the run).
    """
    import json
    from pathlib import Path

    from bayesstreams.data.export import write_long
    from bayesstreams.inference.store import FORMAT_VERSION, file_hashes, save_draws

    folder = Path(folder)
    (folder / "dataset").mkdir(parents=True)
    write_long(dataset, folder / "dataset")
    save_draws(folder / "draws.npz", posterior, prior if prior is not None else posterior, None)
    (folder / "trace.nc").write_bytes(b"")
    (folder / "model.toml").write_text(model_text or f'kind = "{kind}"\nname = "{kind}"\n')
    checks = {"rhat": passed, "ess_bulk": True, "ess_tail": True, "divergences": passed, "bfmi": True}
    diagnostics = {"rhat_max": 1.002 if passed else 1.3, "ess_bulk_min": 900.0, "ess_tail_min": 800.0,
                   "divergences": 0 if passed else 12, "bfmi_min": 0.8, "checks": checks, "passed": passed}
    info = {"format_version": FORMAT_VERSION, "hashes": file_hashes(folder),
            "dataset": {"hash": dataset.content_hash(), "name": dataset.name}, "seed": 5, "command": "test",
            "versions": {"bayesstreams": "test"}, "created": "now", "diagnostics": diagnostics}
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def prior_like_draws(dataset, n: int = 200, seed: int = 0) -> dict:
    """Draws from the default prior: a stand-in posterior for report and brief tests."""
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior

    return draw_prior(load_config(None), dataset.factor_phase, dataset.factor_stream, len(dataset.groups), n,
                      np.random.default_rng(seed))


def transformed_point(model, draws: dict, index: int) -> dict:
    """Values of draw ``index`` on the sampler's (transformed) scale, keyed by value-variable name."""
    point = {}
    for value_var in model.value_vars:
        rv = model.values_to_rvs[value_var]
        value = np.asarray(draws[rv.name][index])
        transform = model.rvs_to_transforms.get(rv)
        point[value_var.name] = transform.forward(value).eval() if transform is not None else value
    return point


def as_study(run_or_folder):
    """The study a report, brief or page is written from: a run in memory alone, or a folder with its companions."""
    from bayesstreams.analysis.accessor import load_study
    from bayesstreams.inference.study import Study

    if isinstance(run_or_folder, Study):
        return run_or_folder
    if hasattr(run_or_folder, "posterior"):
        return Study.of(run_or_folder)
    return load_study(run_or_folder)


def run_doctests(module, minimum: int, optionflags: int = 0) -> None:
    """Run ``module``'s docstring examples: all must pass, and at least ``minimum`` must have run.

    ``doctest.testmod`` reports success when it finds no examples at all (a renamed function, a
    decorator that hides its docstring): the count makes that a failure.
    """
    import doctest

    failed, attempted = doctest.testmod(module, optionflags=optionflags)
    assert failed == 0, f"{failed} failing example(s) in {module.__name__} (see the output above)"
    assert attempted >= minimum, f"{module.__name__}: {attempted} docstring examples ran, expected at least {minimum}"
