"""The evidence modes' registry (bayesstreams.model.modes): what each option declares is what it does."""

import doctest
import itertools

import numpy as np
import pytest

from bayesstreams.errors import InputError
from bayesstreams.model import modes
from bayesstreams.model.config import config_from_text
from bayesstreams.model.priors import draw_prior

COMBINATIONS = [(m, r, e) for m, r, e in itertools.product(modes.MODES, modes.RESPONDENTS, (False, True))
                if modes.compatible(modes.MODES[m], modes.RESPONDENTS[r])]


def _config(mode, respondents, stream_error):
    return config_from_text(f'kind = "streams"\n[evidence]\nnot_discussed = "{mode}"\nrespondents = "{respondents}"\n'
                            f'stream_error = {str(stream_error).lower()}\n')


def test_every_compatible_combination_is_a_valid_model_file_and_no_other():
    """The registry's ``compatible`` is what the model file accepts: 10 combinations, zero + latent refused."""
    assert len(COMBINATIONS) == 10
    for mode, respondents in itertools.product(modes.MODES, modes.RESPONDENTS):
        if (mode, respondents, False) in COMBINATIONS:
            _config(mode, respondents, False)
        else:
            with pytest.raises(InputError, match="needs a code distribution"):
                _config(mode, respondents, False)


@pytest.mark.parametrize("mode,respondents,stream_error", COMBINATIONS)
def test_the_options_read_back_from_the_draws_they_made(mode, respondents, stream_error):
    """A run's draws say which options made them (queries and saved runs need no model file)."""
    config = _config(mode, respondents, stream_error)
    draws = draw_prior(config, np.array([0, 0, 1]), np.array([0, 1, 2]), 0, 2, np.random.default_rng(0))
    options = {"not_discussed": mode, "respondents": respondents, "stream_error": stream_error}
    assert modes.options_of_draws(draws) == options
    held = {name for option in (modes.MODES[mode], modes.RESPONDENTS[respondents]) for name in option.parameters}
    assert held <= set(draws)
    assert modes.is_v1(options) == (mode == modes.DEFAULT_MODE and respondents == "consensus" and not stream_error)


def test_simulated_missingness_is_each_modes_own():
    """zero and marginal: discussed at random; salience: by the true code, with its two saliences."""
    x_true = np.array([[-1.0, 0.0, 1.0]])
    params = {"salience_zero": 0.2, "salience_nonzero": 0.9}
    assert modes.MODES["zero"].p_discussed(x_true, params, 0.4).tolist() == [[0.6, 0.6, 0.6]]
    assert modes.MODES["marginal"].p_discussed(x_true, params, 0.4).tolist() == [[0.6, 0.6, 0.6]]
    assert modes.MODES["salience"].p_discussed(x_true, params, 0.4).tolist() == [[0.9, 0.2, 0.9]]
    assert modes.MODES["salience"].recording_parameters(0.3, 0.8) == {"salience_zero": 0.3, "salience_nonzero": 0.8}


def test_table_support_of_a_not_discussed_cell():
    """The fast tables read a not-discussed cell as a point mass at 0 under zero, as any code otherwise."""
    support = np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]])
    discussed = np.array([[0.0, 1.0]])
    assert modes.MODES["zero"].table_support(support, discussed)[0, 0].tolist() == [0.0, 1.0, 0.0]
    assert modes.MODES["marginal"].table_support(support, discussed)[0, 0].tolist() == [1.0, 1.0, 1.0]
    assert modes.RESPONDENTS["latent"].table_support(support)[0, 1].tolist() == [1.0, 1.0, 1.0]
    assert support[0, 0].tolist() == [1.0, 1.0, 1.0]  # the caller's array is not changed


@pytest.mark.parametrize("module", ["bayesstreams.model.modes", "bayesstreams.fast.registry"])
def test_docstring_examples_run(module):
    """The registries' examples run and hold (and there are some: zero examples fail)."""
    pytest.importorskip("numba")
    import importlib

    failed, attempted = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0
