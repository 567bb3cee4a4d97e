"""--sampler numpyro: the JAX path draws from the same posterior as nutpie, under the same names.

nutpie samples the hand-written numba log-density of the streams model (fastlogp.py); numpyro
samples the PyMC graph of build_model compiled to JAX.  Two implementations and two samplers
agreeing within Monte Carlo error is the check that neither path mislabels, mistransforms or
misweights anything.
"""

import numpy as np
import pytest

pytest.importorskip("nutpie")
pytest.importorskip("numpyro")

from bayesstreams.model.config import load_config  # noqa: E402
from bayesstreams.inference.diagnostics import diagnose  # noqa: E402
from bayesstreams.inference.fit import fit  # noqa: E402
from bayesstreams.inference.store import load_run, save_run  # noqa: E402
from tests.helpers import partly_observed_dataset  # noqa: E402

pytestmark = pytest.mark.model
COMPARED = ("rho", "lambda", "kappa", "mu", "alpha", "beta", "gamma")


@pytest.fixture(scope="module")
def fits():
    # 60 cases and three groups: the windows move the posterior away from the prior, and the
    # group offsets (sigma_group, gamma_raw, gamma) are sampled too.
    dataset = partly_observed_dataset(n_cases=60, seed=4, groups=True)
    config = load_config(None)
    return {name: fit(dataset, config, seed=5, draws=1000, tune=1000, chains=4, sampler=name)
            for name in ("nutpie", "numpyro")}


def test_same_names_dims_and_coords_as_nutpie(fits):
    nutpie = fits["nutpie"].trace["posterior"].to_dataset()
    numpyro = fits["numpyro"].trace["posterior"].to_dataset()
    assert set(numpyro.data_vars) == set(nutpie.data_vars)
    assert {"gamma", "gamma_raw", "sigma_group"} <= set(numpyro.data_vars)
    for name in nutpie.data_vars:
        assert numpyro[name].dims == nutpie[name].dims, name
        assert numpyro[name].shape == nutpie[name].shape, name
        for dim in nutpie[name].dims:
            if dim != "draw":
                assert numpyro[dim].values.tolist() == nutpie[dim].values.tolist(), (name, dim)
    flat_nutpie, flat_numpyro = fits["nutpie"].posterior, fits["numpyro"].posterior
    assert flat_numpyro.keys() == flat_nutpie.keys()
    assert all(flat_numpyro[k].shape == flat_nutpie[k].shape for k in flat_nutpie)
    assert fits["numpyro"].log_likelihood.shape == fits["nutpie"].log_likelihood.shape


def test_posterior_moments_agree_with_nutpie(fits):
    """Means and sds agree within 4 Monte Carlo standard errors, and that margin is sharp."""
    import arviz_stats as azs

    stats = {}
    for name, result in fits.items():
        mean = result.trace["posterior"].to_dataset()[list(COMPARED)].mean(("chain", "draw"))
        sd = result.trace["posterior"].to_dataset()[list(COMPARED)].std(("chain", "draw"))
        stats[name] = (mean, sd, azs.mcse(result.trace, var_names=list(COMPARED), method="mean").to_dataset(),
                       azs.mcse(result.trace, var_names=list(COMPARED), method="sd").to_dataset())
    (mean_a, sd_a, se_a, se_sd_a), (mean_b, sd_b, se_b, se_sd_b) = stats["nutpie"], stats["numpyro"]
    for name in COMPARED:
        margin = 4 * np.sqrt(se_a[name].values ** 2 + se_b[name].values ** 2)
        gap = np.abs(mean_a[name].values - mean_b[name].values)
        assert np.all(gap <= margin), (name, gap.max(), margin.min())
        # the margin is a tenth to a quarter of a posterior sd: a shift of that size would fail
        assert np.all(margin <= 0.25 * sd_a[name].values), name
        sd_margin = 4 * np.sqrt(se_sd_a[name].values ** 2 + se_sd_b[name].values ** 2)
        assert np.all(np.abs(sd_a[name].values - sd_b[name].values) <= sd_margin), name


def test_diagnostics_read_numpyro_sample_stats(fits):
    import xarray as xr

    result = fits["numpyro"]
    diagnostics = result.diagnostics
    assert type(diagnostics.divergences) is int
    assert diagnostics.divergences == int(result.trace["sample_stats"]["diverging"].values.sum())
    assert np.isfinite(diagnostics.bfmi_min) and diagnostics.n_samples == 4000
    assert diagnostics.rhat_max <= 1.01 and diagnostics.ess_bulk_min >= 400
    # divergences are found under numpyro's name for them: flag five and they are counted
    tree = result.trace.copy()
    stats = tree["sample_stats"].to_dataset()
    flags = stats["diverging"].values.copy()
    flags[:] = False
    flags[1, :5] = True
    tree["sample_stats"] = xr.DataTree(stats.assign(diverging=(stats["diverging"].dims, flags)))
    assert diagnose(tree, ["rho"]).divergences == 5


def test_numpyro_run_round_trips(fits, tmp_path):
    out = save_run(fits["numpyro"], tmp_path / "run", command="test")
    run = load_run(out)
    np.testing.assert_array_equal(run.posterior["rho"], fits["numpyro"].posterior["rho"])
    np.testing.assert_array_equal(run.posterior["gamma"], fits["numpyro"].posterior["gamma"])
