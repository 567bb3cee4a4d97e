"""Model files: shipped files load; bad keys, scales and priors are located errors."""

from pathlib import Path

import pytest

from bayesstreams.model.config import config_from_text, load_config
from bayesstreams.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_model_files_load():
    streams = load_config(ROOT / "models" / "streams.toml")
    agnostic = load_config(ROOT / "models" / "streams-agnostic.toml")
    additive = load_config(ROOT / "models" / "additive.toml")
    assert streams.prior("mu") == {"mu": 0.5, "sigma": 1.0}
    assert agnostic.prior("mu")["mu"] == 0.0
    assert additive.kind == "additive"
    assert streams.model_hash() == load_config(None).model_hash()
    assert streams.model_hash() != agnostic.model_hash()


@pytest.mark.parametrize("text, line, column, message", [
    ('kind = "streams"\nbogus = 1\n', 2, "bogus", "unknown key"),
    ('kind = "streams"\n[priors]\ntau = { sigma = -1.0 }\n', 3, "priors.tau.sigma", "must be > 0"),
    ('kind = "streams"\n[priors]\nrho = { alpha = 0.0, beta = 1.0 }\n', 3, "priors.rho.alpha", "must be > 0"),
    ('kind = "streams"\n[priors]\nrho = { mu = 0.0 }\n', 3, "priors.rho.mu", "unknown key"),
    ('kind = "streams"\n[priors]\nrho = { dist = "normal" }\n', 3, "priors.rho.dist", "not supported"),
    ('kind = "streams"\n[priors]\ndelta = { mu = 0.0 }\n', 3, "priors.delta", "unknown parameter"),
    ('kind = "streams"\n[sampler]\ndraws = 0\n', 3, "sampler.draws", "whole number"),
    ('kind = "streams"\n[sampler]\nsampler = "gibbs"\n', 3, "sampler.sampler", "unknown sampler"),
    ('kind = "bogus"\n', 1, "kind", "unknown model kind"),
])
def test_bad_model_files_are_located(text, line, column, message):
    with pytest.raises(InputError) as info:
        config_from_text(text, "m.toml")
    [violation] = info.value.violations
    assert (violation.file, violation.row, violation.column) == ("m.toml", line, column)
    assert message in violation.message


def test_every_problem_is_reported_at_once():
    text = 'kind = "streams"\n[priors]\ntau = { sigma = -1.0 }\nalpha = { sigma = 0 }\n[sampler]\nchains = -2\n'
    with pytest.raises(InputError) as info:
        config_from_text(text, "m.toml")
    assert [v.row for v in info.value.violations] == [3, 4, 6]
