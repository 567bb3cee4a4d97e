"""Evidence options in model files (MODEL.md §7), their located errors, and the Dirichlet prior families."""

import numpy as np
import pytest
from scipy import stats

from bayesstreams.errors import InputError
from bayesstreams.model.config import config_from_text, load_config
from bayesstreams.model.kinds import parameter_names
from bayesstreams.model.priors import Prior, draw_prior


def test_options_from_a_table_or_top_level_keys():
    table = config_from_text('kind = "streams"\n[evidence]\nnot_discussed = "salience"\nstream_error = true\n')
    top = config_from_text('kind = "streams"\nnot_discussed = "salience"\nstream_error = true\n')
    assert table.evidence_options == top.evidence_options == {"not_discussed": "salience", "respondents": "consensus",
                                                                "stream_error": True}
    assert table.model_hash() == top.model_hash()
    assert table.evidence_features == {"code_prob", "salience", "stream_error"}
    assert parameter_names(table.model_kind, False, table.evidence_features)[-4:] == [
        "code_prob", "salience_zero", "salience_nonzero", "stream_error"]


def test_zero_mode_is_the_v1_model_with_its_hash_and_parameters():
    explicit = config_from_text('kind = "streams"\nname = "streams"\n[evidence]\nnot_discussed = "zero"\n'
                                'respondents = "consensus"\nstream_error = false\n')
    default = load_config(None)
    assert explicit.model_hash() == default.model_hash()
    assert explicit.priors == default.priors  # no evidence priors enter the v1 model
    assert "code_prob" not in parameter_names(explicit.model_kind, False, explicit.evidence_features)
    marginal = config_from_text('kind = "streams"\nnot_discussed = "marginal"\n')
    assert marginal.model_hash() != default.model_hash()
    assert marginal.prior_of("code_prob").concentration().tolist() == [1.0, 1.0, 1.0]


def test_a_model_file_round_trips_with_its_options():
    import tomli_w

    config = config_from_text('kind = "streams"\n[evidence]\nnot_discussed = "marginal"\nrespondents = "latent"\n'
                              '[priors]\nconfusion = { a = 1.0, a_diagonal = 12.0 }\n')
    again = config_from_text(tomli_w.dumps(config.to_dict()))
    assert again.evidence_options == config.evidence_options
    assert again.prior("confusion") == {"a": 1.0, "a_diagonal": 12.0}
    assert again.model_hash() == config.model_hash()


@pytest.mark.parametrize("text, line, column, message", [
    ('kind = "streams"\n[evidence]\nnot_discussed = "mode"\n', 3, "evidence.not_discussed", 'must be "zero" | "marginal"'),
    ('kind = "streams"\n[evidence]\nrespondents = "all"\nnot_discussed = "marginal"\n', 3, "evidence.respondents",
     "must be"),
    ('kind = "streams"\n[evidence]\nstream_error = "yes"\n', 3, "evidence.stream_error", "true or false"),
    ('kind = "streams"\n[evidence]\nbogus = 1\n', 3, "evidence.bogus", "unknown key"),
    ('kind = "streams"\n[evidence]\nrespondents = "latent"\n', 3, "evidence.respondents", "needs a code distribution"),
    ('kind = "streams"\nnot_discussed = "marginal"\n[evidence]\nnot_discussed = "salience"\n', 2, "not_discussed",
     "given both"),
    ('kind = "additive"\nnot_discussed = "marginal"\n', 1, "evidence", "option of the streams kind"),
    ('kind = "streams"\nnot_discussed = "marginal"\n[priors]\nsalience_zero = { alpha = 2.0, beta = 2.0 }\n', 4,
     "priors.salience_zero", "does not switch on"),
    ('kind = "streams"\nnot_discussed = "marginal"\n[priors]\ncode_prob = { a = 0.0 }\n', 4, "priors.code_prob.a",
     "must be > 0"),
])
def test_bad_evidence_options_are_located(text, line, column, message):
    with pytest.raises(InputError) as info:
        config_from_text(text, "m.toml")
    [violation] = info.value.violations
    assert (violation.file, violation.row, violation.column) == ("m.toml", line, column)
    assert message in violation.message


def test_prior_draws_hold_the_evidence_parameters_and_keep_the_v1_stream():
    """The v1 draws come first, so a v1 prior draw is unchanged when an evidence option is switched on."""
    phase, stream = np.array([0, 0, 1]), np.array([0, 2, 1])
    v1 = draw_prior(load_config(None), phase, stream, 0, 20, np.random.default_rng(4))
    latent = config_from_text('kind = "streams"\nnot_discussed = "salience"\nrespondents = "latent"\n'
                              'stream_error = true\n')
    more = draw_prior(latent, phase, stream, 0, 20, np.random.default_rng(4))
    for name, value in v1.items():
        np.testing.assert_array_equal(more[name], value)
    assert more["code_prob"].shape == (20, 3, 3) and more["confusion"].shape == (20, 3, 3)
    np.testing.assert_allclose(more["code_prob"].sum(axis=-1), 1.0)
    assert more["salience_zero"].shape == more["stream_error"].shape == (20,)


@pytest.mark.parametrize("prior, dims", [
    (Prior("dirichlet", {"a": 1.5}), ("factor", "code")),
    (Prior("dirichlet_diagonal", {"a": 1.0, "a_diagonal": 8.0}), ("true_code", "reported_code")),
])
def test_dirichlet_draws_match_pymc(prior, dims):
    """NumPy draws and PyMC's draws of the same prior have the same marginals (KS), entry by entry."""
    import pymc as pm

    labels = ["-1", "0", "+1"]
    with pm.Model(coords={"factor": ["a", "b", "c"], "code": labels, "true_code": labels, "reported_code": labels}):
        rv = prior.pymc(pm, "p", dims=dims)
    theirs = pm.draw(rv, draws=3000, random_seed=2)
    ours = prior.draw(np.random.default_rng(3), (3000, 3, 3))
    for row in range(3):
        for code in range(3):
            assert stats.ks_2samp(ours[:, row, code], theirs[:, row, code]).pvalue > 1e-3
    if prior.family == "dirichlet_diagonal":  # the diagonal carries the mass: 8 / 10 on average
        np.testing.assert_allclose(np.diagonal(ours.mean(axis=0)), 0.8, atol=0.02)


def test_dirichlet_log_density_matches_scipy():
    prior = Prior("dirichlet_diagonal", {"a": 1.0, "a_diagonal": 8.0})
    values = prior.draw(np.random.default_rng(1), (5, 3, 3))
    for t in range(3):
        expected = [stats.dirichlet(prior.concentration()[t]).logpdf(v) for v in values[:, t]]
        np.testing.assert_allclose(prior.logpdf(values)[:, t], expected, rtol=1e-12)
    assert Prior("dirichlet", {"a": 2.0}).logpdf(np.array([0.5, 0.6, -0.1])) == -np.inf  # off the simplex
    symmetric = Prior("dirichlet", {"a": 1.0})
    assert symmetric.logpdf(np.array([0.2, 0.3, 0.5])) == pytest.approx(np.log(2.0))  # uniform on the simplex


def test_shipped_evidence_model_files_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "models"
    marginal, salience = (load_config(root / f"streams-{m}.toml") for m in ("marginal", "salience"))
    assert marginal.evidence_features == {"code_prob"}
    assert salience.evidence_features == {"code_prob", "salience"}
    assert marginal.prior("mu") == load_config(root / "streams.toml").prior("mu")  # only the evidence differs


def test_contraction_labels_name_the_codes():
    from types import SimpleNamespace

    from bayesstreams.analysis.contraction import scalar_labels

    dataset = SimpleNamespace(factor_ids=("a", "b"), groups=())
    assert scalar_labels("code_prob", (2, 3), dataset, "streams") == ["a, -1", "a, 0", "a, +1", "b, -1", "b, 0", "b, +1"]
    assert scalar_labels("confusion", (3, 3), dataset, "streams")[1] == "-1, 0"  # true -1 reported as 0
