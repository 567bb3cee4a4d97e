"""The evidence modes (MODEL.md §7): one object per reading of a not-discussed cell, one per respondents option.

Like the model kinds (:mod:`bayesstreams.model.kinds`), each option is one object in one registry,
and nothing else in the package branches on its name (a test in ``tests/test_architecture.py``
checks that).  :data:`MODES` holds the readings of a not-discussed cell (``zero``, ``marginal``,
``salience``), :data:`RESPONDENTS` how the respondents' codes enter (``consensus``, ``latent``);
``stream_error`` is a plain switch.  Options travel as the dict a model file and a run folder hold
(``{"not_discussed": ..., "respondents": ..., "stream_error": ...}``); :func:`mode_of` and
:func:`respondents_of` give their objects.

A not-discussed mode offers

``name``, ``title``; ``features`` (the evidence parameters it samples, :func:`evidence_features`),
``parameters`` (their names in the draws: what :func:`options_of_draws` reads back and SBC ranks);
``fills_zero`` (a not-discussed cell is the code 0: the v1 model); ``has_code_distribution``
(``code_prob``: what latent respondents need); ``shipped_model`` (its file under ``models/``);
``cell_weights(respondents, data, params, math)`` (the weight vectors of MODEL.md §7);
``table_support(support, discussed)`` (the cells' possible codes as the fast kernels' tables read
them); ``p_discussed(x_true, params, p_missing)`` and ``recording_parameters(...)`` (how it
simulates what was discussed); ``simulation_parameters`` (the settings its simulations read).

A respondents option offers ``name``, ``title``, ``features``, ``codes_latent`` (every cell's code
is latent; its record enters through ``confusion``), ``needs_code_distribution``,
``weigh(weight, data, params, math)``, ``table_support(support)`` and ``table_counts(counts)``.

Only NumPy here: the PyMC graph, the NumPy reference (:mod:`bayesstreams.model.evidence`) and the
numba kernels (:mod:`bayesstreams.fast.problem` builds their tables from these hooks) all read them.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.errors import RunError

_ZERO_CODE = np.eye(3)[1]  # a point mass at the code 0 (CODES = -1, 0, +1)


class _Mode:
    """What the not-discussed modes share: a simulated cell is discussed at random, with no extra parameters."""

    def p_discussed(self, x_true: np.ndarray, params: dict, p_missing: float) -> np.ndarray:
        """P(discussed) per cell in a simulation: ``1 - p_missing``, whatever the true code (at random)."""
        return np.full(x_true.shape, 1.0 - p_missing)

    def recording_parameters(self, salience_zero: float, salience_nonzero: float) -> dict:
        """Parameters a simulated recording under this mode's mechanism adds to the truth: none."""
        return {}


class ZeroMode(_Mode):
    """A not-discussed cell is the code 0: the factor was present without a role (v1, the default)."""

    name = "zero"
    title = "not discussed = 0 (the factor played no role)"
    features = frozenset()
    parameters = ()
    fills_zero = True
    has_code_distribution = False
    shipped_model = "streams"
    simulation_parameters = ()

    def cell_weights(self, respondents, data, params, math):
        """``w[1, case, factor, code]``: the recorded code, a point mass at 0 where not discussed.

        Only under consensus (latent respondents need a code distribution, :func:`compatible`).
        """
        discussed = data.discussed[:, :, None]
        return (discussed * data.support + (1.0 - discussed) * _ZERO_CODE)[None]

    def reveal_odds(self, draws: dict, counts: np.ndarray) -> np.ndarray:
        """(draw, code): how much more likely each code of a not-discussed cell is than its fit alone says.

        This mode has no code distribution (it reads the cell as 0), so a cell that is found out is
        predicted as the marginal reading would: each code as often as among the factor's discussed
        cells (``counts`` of ``-1, 0, +1``, with one of each added: the ``Dirichlet(1, 1, 1)`` prior).
        """
        share = (1.0 + counts) / (3.0 + counts.sum())
        return np.broadcast_to(share, (len(draws["rho"]), 3))

    def table_support(self, support: np.ndarray, discussed: np.ndarray) -> np.ndarray:
        """The possible codes per cell: a not-discussed cell is a point mass at 0."""
        support = support.copy()
        support[discussed == 0.0] = _ZERO_CODE
        return support


class MarginalMode(_Mode):
    """Not discussed: we do not know; the code is -1, 0 or +1 as often as elsewhere (missing at random)."""

    name = "marginal"
    title = "not discussed = unknown, at random"
    features = frozenset({"code_prob"})
    parameters = ("code_prob",)
    fills_zero = False
    has_code_distribution = True
    shipped_model = "streams-marginal"
    simulation_parameters = ("p_missing",)

    def code_weight(self, data, params, math):
        """The weight of each code before the record: ``code_prob[factor, code]`` (draw, 1, factor, code)."""
        return params["code_prob"][:, None, :, :]

    def cell_weights(self, respondents, data, params, math):
        """``w[draw, case, factor, code]``: the code distribution times what the respondents recorded."""
        return respondents.weigh(self.code_weight(data, params, math), data, params, math)

    def reveal_odds(self, draws: dict, counts: np.ndarray) -> np.ndarray:
        """(draw, code): none; the likelihood of a discussed code already holds ``code_prob`` (see ZeroMode)."""
        return np.ones((len(draws["rho"]), 3))

    def table_support(self, support: np.ndarray, discussed: np.ndarray) -> np.ndarray:
        """The possible codes per cell: a not-discussed cell may be any code."""
        return support.copy()


class SalienceMode(MarginalMode):
    """Not discussed: unknown, and whether a factor was discussed depends on its true code (not at random)."""

    name = "salience"
    title = "not discussed = unknown, depending on the code"
    features = frozenset({"code_prob", "salience"})
    parameters = ("code_prob", "salience_zero", "salience_nonzero")
    shipped_model = "streams-salience"
    simulation_parameters = ("salience_zero", "salience_nonzero")

    def code_weight(self, data, params, math):
        """``code_prob`` times P(discussed | code) where discussed, P(not discussed | code) where not."""
        weight = super().code_weight(data, params, math)
        s1, s0 = params["salience_nonzero"], params["salience_zero"]
        sigma = math.stack([s1, s0, s1], axis=-1)[:, None, None, :]
        discussed = data.discussed[None, :, :, None]
        return weight * (discussed * sigma + (1.0 - discussed) * (1.0 - sigma))

    def reveal_odds(self, draws: dict, counts: np.ndarray) -> np.ndarray:
        """(draw, code): ``(1 - sigma) / sigma``: a discussed code's likelihood holds P(discussed | code), the
        cell was not discussed (see ZeroMode)."""
        s1, s0 = draws["salience_nonzero"], draws["salience_zero"]
        sigma = np.stack([s1, s0, s1], axis=-1)
        return (1.0 - sigma) / sigma

    def p_discussed(self, x_true: np.ndarray, params: dict, p_missing: float) -> np.ndarray:
        """P(discussed) per cell: ``salience_zero`` where the true code is 0, ``salience_nonzero`` elsewhere."""
        return np.where(x_true == 0, params["salience_zero"], params["salience_nonzero"])

    def recording_parameters(self, salience_zero: float, salience_nonzero: float) -> dict:
        """The saliences a simulated recording under this mechanism uses."""
        return {"salience_zero": salience_zero, "salience_nonzero": salience_nonzero}


class ConsensusRespondents:
    """One code per cell, the respondents' consensus, taken as observed."""

    name = "consensus"
    title = "the consensus code is the code"
    features = frozenset()
    parameters = ()
    codes_latent = False
    needs_code_distribution = False

    def weigh(self, weight, data, params, math):
        """The code weights restricted to the recorded code (every code where not discussed)."""
        return weight * data.support[None]

    def table_support(self, support: np.ndarray) -> np.ndarray:
        return support

    def table_counts(self, counts: np.ndarray) -> np.ndarray:
        """The respondents' counts the kernels read: none (the support holds the code)."""
        return np.zeros_like(counts)


class LatentRespondents:
    """Each respondent's code is a noisy report of the true code (all respondents of a cell, through ``confusion``)."""

    name = "latent"
    title = "each respondent reports the true code with error"
    features = frozenset({"code_prob", "confusion"})
    parameters = ("confusion",)
    codes_latent = True
    needs_code_distribution = True

    def weigh(self, weight, data, params, math):
        """The code weights times ``prod_r confusion[code, r] ^ counts[r]`` of the cell's respondents."""
        log_c = math.log(params["confusion"])
        log_r = sum(data.counts[None, :, :, c, None] * log_c[:, None, None, :, c] for c in range(3))
        return weight * math.exp(log_r)

    def table_support(self, support: np.ndarray) -> np.ndarray:
        """Every code possible in every cell: the record enters through the confusion matrix."""
        return np.ones_like(support)

    def table_counts(self, counts: np.ndarray) -> np.ndarray:
        return counts


MODES = {mode.name: mode for mode in (ZeroMode(), MarginalMode(), SalienceMode())}
RESPONDENTS = {option.name: option for option in (ConsensusRespondents(), LatentRespondents())}
DEFAULT_MODE = "zero"
# the evidence options of a model file (MODEL.md §7) and their defaults: the v1 model
EVIDENCE_OPTIONS = {"not_discussed": tuple(MODES), "respondents": tuple(RESPONDENTS), "stream_error": (False, True)}
EVIDENCE_DEFAULTS = {"not_discussed": DEFAULT_MODE, "respondents": "consensus", "stream_error": False}


def get_mode(name: str):
    """The not-discussed mode called ``name``.

    Examples
    --------
    >>> get_mode("salience").features == {"code_prob", "salience"}
    True
    """
    try:
        return MODES[name]
    except KeyError:
        raise RunError(f"unknown not-discussed mode {name!r} (known: {', '.join(MODES)})") from None


def mode_of(options: dict):
    """The not-discussed mode object of a set of evidence options."""
    return get_mode(str(options["not_discussed"]))


def respondents_of(options: dict):
    """The respondents option object of a set of evidence options."""
    return RESPONDENTS[str(options["respondents"])]


def compatible(mode, respondents) -> bool:
    """Whether a mode and a respondents option go together (latent respondents need a code distribution)."""
    return mode.has_code_distribution or not respondents.needs_code_distribution


def evidence_features(options: dict) -> frozenset:
    """The evidence parameters a set of options needs: ``code_prob``, ``salience``, ``confusion``, ``stream_error``."""
    out = set(mode_of(options).features | respondents_of(options).features)
    if options["stream_error"]:
        out.add("stream_error")
    return frozenset(out)


def options_of_draws(draws: dict) -> dict:
    """The evidence options that made ``draws``, read from the parameters they hold.

    Each option is the one whose parameters are all there, the most specific first (``salience``
    holds ``marginal``'s ``code_prob`` too; ``zero`` and ``consensus`` hold none).

    Examples
    --------
    >>> options_of_draws({"code_prob": 0, "salience_zero": 0, "salience_nonzero": 0})["not_discussed"]
    'salience'
    """
    def held(registry):
        return max((o for o in registry.values() if all(name in draws for name in o.parameters)),
                   key=lambda o: len(o.parameters))

    mode, respondents = held(MODES), held(RESPONDENTS)
    return {"not_discussed": mode.name, "respondents": respondents.name, "stream_error": "stream_error" in draws}


def is_v1(options: dict) -> bool:
    """Whether the options are the v1 model (``zero``, consensus, no stream error): v1 tables and kernels."""
    return (mode_of(options).fills_zero and not respondents_of(options).codes_latent
            and not options["stream_error"])
