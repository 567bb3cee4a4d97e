"""Queries against brute-force Monte Carlo from the generative model (MODEL.md §2).

The simulator below is written from the model's generative story alone and shares no
code with :mod:`bayesstreams.analysis.queries`: for each simulated unit it picks a case and a
posterior draw, applies ``do()`` to the codes, draws the stream states
``S ~ Bern(q)``, then ``W1 ~ Bern(pi1)`` and ``W2 ~ Bern(pi2 * (W1 + (1 - W1) rho))``.
The fake posteriors hold a few distinct parameter sets, each repeated, so a posterior
mean is the average over those sets, and a frequency over units that pick a set uniformly
estimates it.  Units share their uniforms across interventions (common random numbers),
so differences of frequencies are precise; 10^6 units give a standard error near 0.001,
against a tolerance of 0.005.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesstreams.errors import RunError
from bayesstreams.analysis.advice import necessity
from bayesstreams.analysis.queries import (
    bottlenecks,
    case_predictions,
    draws_from_datatree,
    factor_importance,
    gain_draws,
    levers,
    phase_dependency,
    query_tables,
    stream_activation,
    stream_summary,
)
from .fakes import FACTORS, NAN, X, fake_run, make_dataset, permuted, random_parameters, stack_draws

TOL = 0.005
N_UNITS = 1_000_000


def stacked(param_sets: list[dict]) -> dict:
    return {name: np.stack([np.asarray(p[name], dtype=float) for p in param_sets]) for name in param_sets[0]}


class Simulator:
    """Units (case, draw) with fixed uniforms; :meth:`run` simulates their streams and windows.

    The linear predictor and stream states at the coded values are drawn once; ``do(x_k = v)``
    redraws only the stream of factor ``k`` with the same uniforms (common random numbers).
    """

    def __init__(self, params: dict, dataset, cases: np.ndarray, draws: np.ndarray, rng, kind="streams"):
        self.kind, self.cases = kind, cases
        self.phase, self.stream = dataset.factor_phase, dataset.factor_stream
        self.x = np.nan_to_num(dataset.x)[cases]  # not discussed = 0
        self.beta = params["beta"][draws]
        group = dataset.group[cases]
        n = len(cases)
        if kind == "streams":
            self.lam, self.kap, self.rho = params["lambda"][draws], params["kappa"][draws], params["rho"][draws]
            self.eta = params["alpha"][draws].copy()
        else:
            self.delta = params["delta"][draws]
            self.eta = params["a"][draws].copy()
        if "gamma" in params:
            has = group >= 0
            gamma = params["gamma"][draws[has]]  # (unit, phase[, stream], group)
            self.eta[has] += gamma[np.arange(has.sum()), ..., group[has]]
        for k in range(self.x.shape[1]):
            cell = (slice(None), self.phase[k], self.stream[k]) if kind == "streams" else (slice(None), self.phase[k])
            self.eta[cell] += self.beta[:, k] * self.x[:, k]
        self.u_s, self.u1, self.u2 = rng.random((n, 2, 3)), rng.random(n), rng.random(n)
        self.s = self.u_s < 1.0 / (1.0 + np.exp(-self.eta)) if kind == "streams" else None

    def run(self, factor=None, value=None, w1=None):
        """Stream states (unit, phase, stream) and windows W1, W2 (unit,) under ``do(x_factor = value)``.

        ``w1`` forces the phase-1 window (``do(W1 = w1)``).
        """
        shift = 0.0 if factor is None else self.beta[:, factor] * (value - self.x[:, factor])
        if self.kind == "additive":
            return None, *self._run_additive(factor, shift, w1)
        s = self.s
        if factor is not None:
            p, j = self.phase[factor], self.stream[factor]
            s = s.copy()
            s[:, p, j] = self.u_s[:, p, j] < 1.0 / (1.0 + np.exp(-(self.eta[:, p, j] + shift)))
        coupled = s[:, :, 0] & s[:, :, 1] & s[:, :, 2]
        pi = self.lam + (1 - self.lam) * (1 - self.kap) * coupled
        w1_open = self.u1 < pi[:, 0] if w1 is None else np.full(len(self.u1), bool(w1))
        w2_open = self.u2 < pi[:, 1] * np.where(w1_open, 1.0, self.rho)
        return s, w1_open, w2_open

    def _run_additive(self, factor, shift, w1):
        eta = self.eta if factor is None else self.eta.copy()
        if factor is not None:
            eta[:, self.phase[factor]] += shift
        w1_open = self.u1 < 1 / (1 + np.exp(-eta[:, 0])) if w1 is None else np.full(len(self.u1), bool(w1))
        w2_open = self.u2 < 1 / (1 + np.exp(-(eta[:, 1] + self.delta * w1_open)))
        return w1_open, w2_open


def uniform_units(dataset, n_sets: int, rng, n=N_UNITS):
    return rng.integers(dataset.n_cases, size=n), rng.integers(n_sets, size=n)


def setup(seed=0, n_sets=3, kind="streams", group_labels=None, gamma_scale=0.0):
    rng = np.random.default_rng(seed)
    dataset = make_dataset(group_labels=group_labels)
    sets = [random_parameters(dataset, rng, kind, gamma_scale) for _ in range(n_sets)]
    return dataset, sets, stack_draws(sets, repeat=2), rng


def row(frame: pd.DataFrame, **labels) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in labels.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, labels
    return frame[mask].iloc[0]


# ---------------------------------------------------------------------------- factor importance


@pytest.mark.parametrize("kind", ["streams", "additive"])
def test_average_causal_effects_match_simulation(kind):
    dataset, sets, posterior, rng = setup(seed=1, kind=kind)
    table = factor_importance(posterior, dataset)
    sim = Simulator(stacked(sets), dataset, *uniform_units(dataset, len(sets), rng), rng, kind)
    for k, factor in enumerate(dataset.factor_ids):
        freq = {}
        for value in (1.0, 0.0, -1.0):
            _, w1, w2 = sim.run(k, value)
            freq[value] = (w1.mean(), w2.mean())
        for contrast, a, b in (("+1 vs -1", 1.0, -1.0), ("+1 vs 0", 1.0, 0.0), ("0 vs -1", 0.0, -1.0)):
            for w, window in enumerate(("W1", "W2")):
                got = row(table, factor=factor, quantity="ace", window=window, contrast=contrast)["mean"]
                assert got == pytest.approx(freq[a][w] - freq[b][w], abs=TOL), (factor, window, contrast)


def test_steps_are_labelled_and_extrapolated_exactly_where_a_code_never_occurs():
    codes = X.copy()
    codes[codes[:, 2] == -1, 2] = 0            # p1_congruence: never -1
    codes[:, 5] = [0, NAN, -1, 0, 0]           # p2_collaboration: never +1 (not discussed counts as 0)
    codes[:, 7] = [1, -1, NAN, 1, -1]          # p2_region: 0 only through "not discussed": never an observed 0
    dataset = make_dataset(x=codes)
    rng = np.random.default_rng(2)
    posterior = stack_draws([random_parameters(dataset, rng) for _ in range(3)])
    table = factor_importance(posterior, dataset).query("quantity == 'ace'")
    assert set(zip(table["contrast"], table["step"])) == {("+1 vs -1", "-1 -> +1"), ("+1 vs 0", "0 -> +1"),
                                                          ("0 vs -1", "-1 -> 0")}
    for k, factor in enumerate(dataset.factor_ids):
        seen = set(codes[:, k][~np.isnan(codes[:, k])])  # coded cells only: not discussed is no observed code
        for contrast, a, b in (("+1 vs -1", 1, -1), ("+1 vs 0", 1, 0), ("0 vs -1", 0, -1)):
            rows = table[(table["factor"] == factor) & (table["contrast"] == contrast)]
            assert len(rows) == 2
            assert set(rows["extrapolated"]) == {not ({a, b} <= seen)}, (factor, contrast, seen)
    by = table.set_index(["factor", "window", "step"])["extrapolated"]
    assert by[("p1_congruence", "W1", "-1 -> +1")] and by[("p1_congruence", "W1", "-1 -> 0")]
    assert not by[("p1_congruence", "W1", "0 -> +1")]
    assert by[("p2_collaboration", "W2", "0 -> +1")] and not by[("p2_collaboration", "W2", "-1 -> 0")]
    assert by[("p2_region", "W2", "-1 -> 0")] and not by[("p1_insight", "W2", "-1 -> +1")]  # its 0 was never coded


def test_the_full_contrast_is_the_sum_of_its_steps():
    dataset, _, posterior, _ = setup(seed=5)
    table = factor_importance(posterior, dataset).query("quantity == 'ace'").set_index(["factor", "window", "step"])
    for factor in dataset.factor_ids:
        for window in ("W1", "W2"):
            whole = table.loc[(factor, window, "-1 -> +1"), "mean"]
            parts = table.loc[(factor, window, "-1 -> 0"), "mean"] + table.loc[(factor, window, "0 -> +1"), "mean"]
            assert whole == pytest.approx(parts, abs=1e-12)


def test_phase_two_factors_do_not_move_window_one_and_paths_are_labelled():
    dataset, _, posterior, _ = setup(seed=2)
    table = factor_importance(posterior, dataset).query("quantity == 'ace'")
    phase_two_w1 = table[(table["phase"] == 2) & (table["window"] == "W1")]
    assert (phase_two_w1[["mean", "q05", "q95"]].to_numpy() == 0).all()
    assert set(phase_two_w1["path"]) == {"none"}
    assert set(table[(table["phase"] == 1) & (table["window"] == "W2")]["path"]) == {"through W1"}
    assert set(table[(table["phase"] == 2) & (table["window"] == "W2")]["path"]) == {"direct"}


def test_beta_summary_and_probability_positive():
    dataset, sets, _, _ = setup(seed=3)
    values = [-1.0, 0.5, 2.0, 3.0]
    draws = []
    for v in values:
        params = dict(sets[0])
        params["beta"] = params["beta"].copy()
        params["beta"][0] = v
        draws.append(params)
    posterior = stack_draws(draws, repeat=1)
    beta = row(factor_importance(posterior, dataset), factor=dataset.factor_ids[0], quantity="beta")
    assert beta["mean"] == pytest.approx(np.mean(values))
    assert beta["p_gt_0"] == pytest.approx(0.75)
    assert beta["q05"] == pytest.approx(np.quantile(values, 0.05))


def test_stream_summary_averages_its_factors_effects():
    dataset, _, posterior, _ = setup(seed=4)
    summary = stream_summary(posterior, dataset)
    effects = factor_importance(posterior, dataset)
    problem = summary[(summary["phase"] == 1) & (summary["stream"] == "problem")]
    assert set(problem["quantity"]) == {"mu", "tau", "mean_ace"}
    assert row(problem, quantity="mu")["mean"] == pytest.approx(posterior["mu"][:, 0, 0].mean())
    members = [f for f, phase, stream in FACTORS if phase == 1 and stream == "problem"]
    expected = np.mean([row(effects, factor=f, quantity="ace", window="W1", contrast="+1 vs -1")["mean"]
                        for f in members])
    assert row(problem, quantity="mean_ace", window="W1")["mean"] == pytest.approx(expected)
    phase_two = summary[(summary["phase"] == 2) & (summary["quantity"] == "mean_ace")]
    assert set(phase_two["window"]) == {"W2"}


# ---------------------------------------------------------------------------- dependency


def test_dependency_effect_matches_simulation():
    dataset, sets, posterior, rng = setup(seed=5)
    sim = Simulator(stacked(sets), dataset, *uniform_units(dataset, len(sets), rng), rng)
    effect = sim.run(w1=1)[2].mean() - sim.run(w1=0)[2].mean()
    table = phase_dependency(posterior, dataset)
    assert row(table, quantity="dependency_effect")["mean"] == pytest.approx(effect, abs=TOL)
    assert row(table, quantity="rho")["mean"] == pytest.approx(np.mean([s["rho"] for s in sets]))


# ---------------------------------------------------------------------------- per case


def per_case_units(dataset, n_sets, rng, n_per_case=400_000):
    cases = np.repeat(np.arange(dataset.n_cases), n_per_case)
    return cases, rng.integers(n_sets, size=len(cases))


@pytest.mark.parametrize("groups", [None, ["north", "south", "", "north", "south"]])
def test_case_predictions_and_stream_activation_match_simulation(groups):
    dataset, sets, posterior, rng = setup(seed=6, group_labels=groups, gamma_scale=1.5)
    sim = Simulator(stacked(sets), dataset, *per_case_units(dataset, len(sets), rng), rng)
    s, w1, w2 = sim.run()
    w2_after_w1 = sim.run(w1=1)[2]
    predictions = case_predictions(posterior, dataset)
    activation = stream_activation(posterior, dataset)
    for i, case_id in enumerate(dataset.case_ids):
        mine = sim.cases == i
        for quantity, simulated in (("p_w1", w1), ("p_w2", w2), ("p_w2_given_w1", w2_after_w1)):
            got = row(predictions, case_id=case_id, quantity=quantity)["mean"]
            assert got == pytest.approx(simulated[mine].mean(), abs=TOL), (case_id, quantity)
        for p in range(2):
            for j, stream in enumerate(("problem", "policy", "politics")):
                got = row(activation, case_id=case_id, phase=p + 1, stream=stream)["mean"]
                assert got == pytest.approx(s[mine, p, j].mean(), abs=TOL)


def test_group_offsets_change_only_their_groups_cases():
    labels = ["north", "south", "", "north", "south"]
    dataset, sets, posterior, _ = setup(seed=7, group_labels=labels, gamma_scale=1.0)
    shifted = {k: v.copy() for k, v in posterior.items()}
    shifted["gamma"][..., dataset.groups.index("north")] += 2.0
    before = case_predictions(posterior, dataset).query("quantity == 'p_w1'")["mean"].to_numpy()
    after = case_predictions(shifted, dataset).query("quantity == 'p_w1'")["mean"].to_numpy()
    north = np.array([g == "north" for g in labels])
    assert np.all(after[north] > before[north] + 0.01)
    np.testing.assert_array_equal(after[~north], before[~north])


@pytest.mark.parametrize("kind", ["additive"])
def test_additive_case_predictions_match_simulation(kind):
    dataset, sets, posterior, rng = setup(seed=8, kind=kind, group_labels=["a", "", "b", "a", "b"], gamma_scale=1.0)
    sim = Simulator(stacked(sets), dataset, *per_case_units(dataset, len(sets), rng), rng, kind)
    _, w1, w2 = sim.run()
    predictions = case_predictions(posterior, dataset)
    for i, case_id in enumerate(dataset.case_ids):
        mine = sim.cases == i
        assert row(predictions, case_id=case_id, quantity="p_w1")["mean"] == pytest.approx(w1[mine].mean(), abs=TOL)
        assert row(predictions, case_id=case_id, quantity="p_w2")["mean"] == pytest.approx(w2[mine].mean(), abs=TOL)
    with pytest.raises(RunError, match="streams model"):
        stream_activation(posterior, dataset)


def test_bottleneck_is_the_stream_least_in_motion():
    dataset, _, posterior, _ = setup(seed=9)
    activation = stream_activation(posterior, dataset)
    table = bottlenecks(posterior, dataset)
    for (case_id, phase), group in activation.groupby(["case_id", "phase"]):
        lowest = group.loc[group["mean"].idxmin()]
        chosen = row(table, case_id=case_id, phase=phase)
        assert chosen["stream"] == lowest["stream"]
        assert group["bottleneck"].sum() == 1 and bool(lowest["bottleneck"])
        assert 0 < chosen["p_lowest"] <= 1


# ---------------------------------------------------------------------------- necessity and levers


def one_case_per_set(dataset, case: int, set_index: int, rng, n=N_UNITS):
    return np.full(n, case), np.full(n, set_index)


def test_probability_of_necessity_is_the_counterfactual_given_the_evidence_by_simulation():
    """PN = P(W closed under do(x_k = -1) | the case's evidence), the same noises kept: simulated units whose
    factual windows match the case's are switched, and the share that closes is the PN of every draw.
    The old query's 1 - P(W | do) / P(W) ignored the evidence, could be negative and scored codes 0 and not discussed."""
    dataset, sets, posterior, rng = setup(seed=10, n_sets=2)
    case = 0  # w1 = w2 = 1, one factor at -1, one not discussed
    table = necessity(posterior, dataset).query("case_id == 'c1'")
    coded_plus = {f for f, code in zip(dataset.factor_ids, dataset.x[case]) if code == 1}
    assert set(table["factor"]) == coded_plus and set(table["code"]) == {1.0}  # neither -1, 0 nor not discussed
    assert set(table.query("phase == 2")["window"]) == {"W2"}
    assert table["q05"].min() >= 0 and table["q95"].max() <= 1
    simulated = {}
    for d in range(len(sets)):
        sim = Simulator(stacked(sets), dataset, *one_case_per_set(dataset, case, d, rng), rng)
        _, w1, w2 = sim.run()
        known = w1 & w2  # the case's evidence: both windows open, no stream state coded
        for k in range(len(dataset.factor_ids)):
            _, l1, l2 = sim.run(k, -1.0)
            for window, low in (("W1", l1), ("W2", l2)):
                simulated.setdefault((k, window), []).append(1.0 - low[known].mean())
    for r in table.itertuples():
        k = dataset.factor_ids.index(r.factor)
        assert r.mean == pytest.approx(np.mean(simulated[(k, r.window)]), abs=2 * TOL), (r.factor, r.window)


def test_levers_match_simulation_and_are_ranked():
    dataset, sets, posterior, rng = setup(seed=11)
    case = 1  # codes -1, 1, 0, 1, NaN, 1, -1, 0
    table = levers(posterior, dataset).query("case_id == 'c2'")
    at_plus = {f for f, code in zip(dataset.factor_ids, dataset.x[case]) if code == 1}
    assert at_plus and not at_plus & set(table["factor"])
    assert set(table.query("window == 'W1'")["phase"]) == {1}
    for window, part in table.groupby("window"):
        assert list(part["rank"]) == list(range(1, len(part) + 1))
        assert np.all(np.diff(part["mean"].to_numpy()) <= 0)
    gains: dict = {}
    for d in range(len(sets)):
        sim = Simulator(stacked(sets), dataset, *one_case_per_set(dataset, case, d, rng), rng)
        _, w1, w2 = sim.run()
        for k in range(len(dataset.factor_ids)):
            _, u1, u2 = sim.run(k, 1.0)
            gains.setdefault((k, "W1"), []).append(u1.mean() - w1.mean())
            gains.setdefault((k, "W2"), []).append(u2.mean() - w2.mean())
    for r in table.itertuples():
        per_draw = np.array(gains[(dataset.factor_ids.index(r.factor), r.window)])
        assert r.mean == pytest.approx(per_draw.mean(), abs=TOL), (r.factor, r.window)
        if np.all(np.abs(per_draw - 0.05) > 0.01):  # the threshold is decided beyond MC noise
            assert r.p_gain_gt_threshold == pytest.approx((per_draw > 0.05).mean())


def test_setting_a_factor_to_its_current_value_gains_nothing():
    dataset, _, posterior, _ = setup(seed=12)
    for k, factor in enumerate(dataset.factor_ids):
        g1, g2 = gain_draws(posterior, dataset, factor, dataset.x_filled[:, k])
        np.testing.assert_allclose(g1, 0.0, atol=1e-12)
        np.testing.assert_allclose(g2, 0.0, atol=1e-12)
    # not discussed counts as 0: do(x = 0) leaves such a case unchanged
    k = dataset.factor_ids.index("p2_capacity")
    _, g2 = gain_draws(posterior, dataset, "p2_capacity", 0.0)
    not_discussed = np.isnan(dataset.x[:, k])
    assert not_discussed.any()
    np.testing.assert_allclose(g2[:, not_discussed], 0.0, atol=1e-12)
    assert np.abs(g2[:, dataset.x[:, k] == 1]).max() > 1e-3


# ---------------------------------------------------------------------------- invariance and plumbing


def _by_labels(frame: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in labels:
        frame[column] = frame[column].astype(str)
    return frame.sort_values(labels).reset_index(drop=True)


def test_results_do_not_depend_on_case_or_factor_order():
    labels = ["north", "south", "", "north", "south"]
    dataset, _, posterior, rng = setup(seed=13, group_labels=labels, gamma_scale=0.8)
    other, moved = permuted(dataset, posterior, rng.permutation(dataset.n_cases), rng.permutation(len(FACTORS)))
    assert other.case_ids != dataset.case_ids and other.factor_ids != dataset.factor_ids
    keys = {
        "factor_importance": ["factor", "quantity", "window", "contrast"],
        "stream_summary": ["phase", "stream", "quantity", "window"],
        "phase_dependency": ["quantity"],
        "case_predictions": ["case_id", "quantity"],
        "levers": ["case_id", "factor", "window"],
        "stream_activation": ["case_id", "phase", "stream"],
        "bottlenecks": ["case_id", "phase"],
    }
    first = query_tables(fake_run(dataset, posterior))
    second = query_tables(fake_run(other, moved))
    for name, labels_of in keys.items():
        a, b = _by_labels(first[name], labels_of), _by_labels(second[name], labels_of)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-12, obj=name)


def test_draws_from_datatree_is_chain_major():
    import arviz as az

    values = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)  # chain, draw, factor
    flat = draws_from_datatree(az.from_dict({"posterior": {"beta": values, "rho": values[..., 0]}}))
    np.testing.assert_array_equal(flat["beta"], values.reshape(6, 4))
    np.testing.assert_array_equal(flat["beta"][3], values[1, 0])
    assert flat["rho"].shape == (6,)


def test_intervals_are_ordered_and_x_is_not_modified():
    dataset, _, posterior, _ = setup(seed=14)
    before = dataset.x.copy()
    for frame in query_tables(fake_run(dataset, posterior)).values():
        if "q05" in frame:
            bounds = frame[["q05", "q25", "q75", "q95"]].to_numpy(dtype=float)
            assert np.all(np.diff(bounds, axis=1) >= -1e-12)
    np.testing.assert_array_equal(np.isnan(dataset.x), np.isnan(before))
    np.testing.assert_array_equal(np.nan_to_num(dataset.x), np.nan_to_num(before))
    assert X.shape == dataset.x.shape
