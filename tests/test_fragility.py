"""What each conclusion rests on (analysis.fragility, pipeline.robustness, reporting.fragility_text; issue 23 item 2)."""

import numpy as np
import pytest

from bayesstreams.analysis.advice import case_advice
from bayesstreams.analysis.fragility import (K_MAX, Change, Conclusion, Flip, Fragility, candidate_changes,
                                             change_weights, fragility, psis_weights)
from bayesstreams.data.dataset import load_dataset
from bayesstreams.reporting.fragility_text import case_rests_on, fragility_view, rests_on_lines, summary_lines

from .conftest import STUDY
from .fakes import make_dataset
from .helpers import as_study

G6_LEVER = Change("code", "g6", factor="p2_internal_communication", old=0.0, new=1.0)


# ---------------------------------------------------------------------------- changes and weights


def test_every_cell_is_tried_at_each_other_value_and_every_stream_state_flipped_or_left_out():
    s = np.full((5, 2, 3), np.nan)
    s[0, 0, 0], s[2, 1, 1] = 1, 0
    data = make_dataset(s=s)
    changes = candidate_changes(data)
    codes = [c for c in changes if c.kind == "code"]
    assert len(codes) == data.x.size * 3  # four values, the cell's own left out
    assert all(c.old != c.new and not (np.isnan(c.old) and np.isnan(c.new)) for c in codes)
    streams = [(c.case_id, c.phase, c.stream, c.new) for c in changes if c.kind == "stream"]
    assert sorted(streams, key=str) == sorted([("c1", 1, "problem", 0.0), ("c1", 1, "problem", np.nan),
                                               ("c3", 2, "policy", 1.0), ("c3", 2, "policy", np.nan)], key=str)


def test_a_change_is_applied_to_a_copy():
    data = load_dataset(STUDY)
    before = data.x.copy()
    changed = G6_LEVER.apply(data)
    i, k = data.case_ids.index("g6"), data.factor_ids.index("p2_internal_communication")
    assert changed.x[i, k] == 1 and np.array_equal(data.x, before, equal_nan=True)
    assert changed.content_hash() != data.content_hash()
    flipped = Change("stream", "g6", phase=2, stream="problem", old=0.0, new=1.0).apply(data)
    assert flipped.s[i, 1, 0] == 1 and data.s[i, 1, 0] == 0


def test_psis_reweights_one_normal_into_another():
    """Draws of N(0, 1) reweighted by N(0.3, 1) / N(0, 1) have mean 0.3, and k stays low."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=8000)
    weights, k = psis_weights(0.3 * x - 0.045)
    assert abs(weights.sum() - 1) < 1e-12 and k < 0.5
    assert abs(float(weights @ x) - 0.3) < 0.05
    flat, k0 = psis_weights(np.full(100, -2.5))  # the same likelihood: every draw weighs the same
    assert np.allclose(flat, 0.01) and k0 == 0.0


def test_a_far_shift_is_reported_unreliable():
    x = np.random.default_rng(4).normal(size=4000)
    _, k = psis_weights(4.0 * x)  # N(4, 1) from N(0, 1) draws: the tail decides
    assert k > K_MAX


def test_flat_weights_give_the_advice_of_the_run(fake_study):
    """Before any change the fragility's lever and plan are the case advice's (one definition of a lever)."""
    _, run = fake_study
    found = fragility(run, cases=["g5", "g6"], changes_of=lambda change: False)
    for case in ("g5", "g6"):
        advice = case_advice(run, case)
        first = advice.levers[0] if advice.levers else None
        expected = first["factor"] if first and first["gain"]["mean"] >= 0.05 else None
        assert found.conclusion("lever", case).value == expected
        assert found.conclusion("plan", case).value == (tuple(advice.plans[0]["factors"]) if advice.plans else None)
    assert found.flips == [] and found.n_changes == 0


def test_a_change_of_the_data_moves_the_weights_of_its_case_only(fake_study):
    _, run = fake_study
    same = Change("code", "g6", factor="p2_framing", old=np.nan, new=0.0)  # not discussed reads as 0: no change
    weights, k = change_weights(run, same, same.apply(run.dataset))
    assert np.allclose(weights, 1 / len(weights)) and k == 0.0
    weights, k = change_weights(run, G6_LEVER, G6_LEVER.apply(run.dataset))
    assert not np.allclose(weights, 1 / len(weights))


def test_every_flip_changes_its_conclusion_and_is_within_the_cases_own_changes(fake_study):
    _, run = fake_study
    found = fragility(run, cases=["g6"], changes_of=lambda c: c.case_id == "g6" and c.kind == "code"
                      and c.factor.startswith("p2_"))
    assert found.n_changes == 3 * sum(f.startswith("p2_") for f in run.dataset.factor_ids)  # 3 other values a cell
    for flip in found.flips:
        assert flip.after != flip.conclusion.value and flip.change.case_id == "g6"
        assert flip.method == "psis" and flip.pareto_k <= K_MAX
    assert {c for c, _ in found.unchecked}.isdisjoint({f.change for f in found.flips})


# ---------------------------------------------------------------------------- words


def _g6_fragility(after=None):
    data = load_dataset(STUDY)
    record = next(r for r in data.codes if r["case_id"] == "g6" and r["factor"] == "p2_internal_communication")
    lever = Conclusion("lever", "g6", "p2_internal_communication")
    flip = Flip(lever, G6_LEVER, after, "refit", float("nan"),
                {"quote": record["quote"], "section": record["section"], "basis": record["basis"]})
    return data, Fragility([lever, Conclusion("plan", "g6", ("p2_internal_communication",))], [flip],
                           [(Change("code", "g6", factor="p2_capacity", old=1.0, new=0.0), 0.9)], 80, 1)


def test_the_lever_says_which_code_it_rests_on_and_what_recoding_it_does():
    data, found = _g6_fragility()
    (line,) = rests_on_lines(found, data, "lever", "g6", "en")
    assert line.startswith("Rests on: Gemeente 6's code for internal communication (0; 5.4.2: “In gemeente 6 is nog")
    assert line.endswith("; recoded +1, there is no lever.")
    (nl,) = rests_on_lines(found, data, "lever", "g6", "nl")
    assert nl.startswith("Rust op: de code van Gemeente 6 voor interne communicatie (0;") and "geen hefboom" in nl


def test_no_flip_is_never_read_as_robust():
    data, found = _g6_fragility()
    found.flips = []
    (line,) = case_rests_on(found, data, "g6", "en")
    assert "1 changes of this case could not be checked" in line


def test_the_summary_names_the_cells_to_double_check():
    data, found = _g6_fragility()
    lines = summary_lines(found, data, "en")
    assert lines[0].startswith("1 of 2 conclusions can be overturned") and "1 could not" not in lines[0]
    assert "80 changes tried" in lines[0] and "1 refitted exactly" in lines[0] and "1 changes could not" in lines[0]
    assert lines[1] == "To double-check with a second coder: Gemeente 6's code for internal communication " \
                       "(1 conclusions rest on it)."
    summary, rows = fragility_view(found, data, "en")
    assert summary == lines and rows[0]["label"] == "First lever of Gemeente 6"


def test_the_brief_and_the_report_say_what_the_lever_rests_on(fake_study, tmp_path):
    from bayesstreams.reporting.brief import write_brief
    from bayesstreams.reporting.report import write_report

    folder, _ = fake_study
    data, found = _g6_fragility()
    study = as_study(folder)
    html = write_brief(study, tmp_path / "g6.html", case="g6", lang="nl", fragility=found).read_text(encoding="utf-8")
    assert "Rust op: de code van Gemeente 6 voor interne communicatie" in html
    report = write_report(study, tmp_path / "report", fragility=found)
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "What the conclusions rest on" in text and "recoded +1, there is no lever" in text
    plain = write_brief(study, tmp_path / "plain.html", case="g6", lang="nl").read_text(encoding="utf-8")
    assert "Rust op" not in plain  # not checked: nothing said either way


# ---------------------------------------------------------------------------- the shipped study (real fits)


@pytest.mark.model
def test_reweighting_agrees_with_an_exact_refit_within_monte_carlo_error(study_fit, fits):
    """A change whose PSIS k is low: the reweighted posterior means equal the refit's within MC error."""
    run = study_fit
    change = Change("code", "g6", factor="p2_political_sponsor", old=1.0, new=0.0)
    changed = change.apply(run.dataset)
    weights, k = change_weights(run, change, changed)
    assert k < K_MAX
    refit = fits.fit(changed, config=run.config, seed=run.seed + 1)  # another seed: independent MC error
    ess = 1.0 / float((weights ** 2).sum())
    checked = 0
    for name in ("rho", "lambda", "kappa"):
        a, b = np.asarray(run.posterior[name], dtype=float), np.asarray(refit.posterior[name], dtype=float)
        a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
        for j in range(a.shape[1]):
            mean_w, mean_r = float(weights @ a[:, j]), float(b[:, j].mean())
            se = np.sqrt(a[:, j].var() / (ess / 4) + b[:, j].var() / (len(b) / 4))  # /4: autocorrelation
            assert abs(mean_w - mean_r) < 4 * se + 1e-3, (name, j, mean_w, mean_r, se)
            checked += 1
    beta = run.dataset.factor_ids.index("p2_political_sponsor")
    a, b = np.asarray(run.posterior["beta"])[:, beta], np.asarray(refit.posterior["beta"])[:, beta]
    se = np.sqrt(a.var() / (ess / 4) + b.var() / (len(b) / 4))
    assert abs(float(weights @ a) - float(b.mean())) < 4 * se
    # and the reweighting really moved it: the changed code's own effect is not where it was
    assert checked >= 3


@pytest.mark.model
def test_gemeente_6s_lever_rests_on_its_internal_communication_code(study_fit, fits, tmp_path):
    """Done-when of issue 23: recoded +1 and refitted, Gemeente 6 has no lever; the brief and the report say so."""
    from bayesstreams.inference.study import Study
    from bayesstreams.reporting.brief import write_brief
    from bayesstreams.reporting.report import write_report

    run = study_fit
    reweighted = fragility(run, cases=["g6"], changes_of=lambda c: c.key == G6_LEVER.key)
    (flip,) = [f for f in reweighted.flips if f.conclusion.kind == "lever"]
    assert flip.after is None and flip.method == "psis" and flip.pareto_k <= K_MAX
    refit = fits.fit(G6_LEVER.apply(run.dataset), config=run.config, seed=run.seed)  # the exact refit agrees
    found = fragility(run, cases=["g6"], changes_of=lambda c: c.key == G6_LEVER.key, refits={G6_LEVER.key: refit})
    assert found.conclusion("lever", "g6").value == "p2_internal_communication"
    (flip,) = [f for f in found.flips if f.conclusion.kind == "lever"]
    assert flip.after is None and flip.method == "refit" and found.n_refits == 1
    study = Study.of(run)
    brief = write_brief(study, tmp_path / "g6.html", case="Gemeente 6", lang="nl", fragility=found)
    assert "Rust op: de code van Gemeente 6 voor interne communicatie (0; 5.4.2" in brief.read_text(encoding="utf-8")
    report = (write_report(study, tmp_path / "report", fragility=found) / "report.md").read_text(encoding="utf-8")
    assert "Gemeente 6's code for internal communication (0; 5.4.2" in report and "there is no lever" in report


def test_a_tail_that_cannot_be_fitted_has_no_k_and_unreliable_weights():
    """One rule (issue 24): too few tail draws (20 draws leave 4, 24 leave 4 where arviz-stats would raise), or a
    tail of one value, give k None ("no tail fitted") and the plain weights, which every reader distrusts."""
    from bayesstreams.analysis.fragility import psis_weights, psis_weights_many, unreliable

    for n in (20, 24):
        log_ratio = np.linspace(-2.0, 0.0, n)
        w, k = psis_weights(log_ratio)
        assert k is None and unreliable(k) and np.isclose(w.sum(), 1.0) and w.argmax() == n - 1
        np.testing.assert_allclose(w, np.exp(log_ratio) / np.exp(log_ratio).sum())
    one_value_tail = np.repeat([-1.0, 0.0], 200)
    w, k = psis_weights(one_value_tail)
    assert k is None and np.isclose(w[-1] / w[0], np.e)
    w, k = psis_weights(np.linspace(-2.0, 0.0, 400))
    assert k is not None and np.isfinite(k) and not unreliable(k) and np.isclose(w.sum(), 1.0)
    assert not unreliable(0.7) and unreliable(0.71) and unreliable(float("nan"))
    rows = np.vstack([one_value_tail, np.linspace(-2.0, 0.0, 400), np.zeros(400)])
    many_w, many_k = psis_weights_many(rows)
    assert np.isnan(many_k[0]) and many_k[2] == 0.0 and many_k[1] == pytest.approx(k, abs=1e-12)


def test_the_pareto_fits_of_many_rows_at_once_equal_one_row_at_a_time():
    from bayesstreams.analysis.fragility import psis_weights, psis_weights_many

    rng = np.random.default_rng(21)
    rows = np.vstack([rng.standard_t(df, size=(6, 1000)) * scale for df in (1.5, 3, 30) for scale in (0.3, 2.0)])
    weights, k = psis_weights_many(rows)
    for r, row in enumerate(rows):
        w, one = psis_weights(row)
        np.testing.assert_allclose(weights[r], w, rtol=0, atol=1e-12)
        assert k[r] == pytest.approx(one, abs=1e-12)
    assert (k > 0.7).any() and (k < 0.5).any()  # both sides of the threshold are reached


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The shipped data with 20 prior-like draws: too few for any Pareto tail."""
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.store import load_run

    from .conftest import STUDY
    from .helpers import prior_like_draws, write_fake_run

    dataset = load_dataset(STUDY)
    folder = write_fake_run(tmp_path_factory.mktemp("tiny") / "run", dataset, prior_like_draws(dataset, n=20, seed=1),
                            prior_like_draws(dataset, n=20, seed=2))
    return load_run(folder)


def test_fragility_leaves_a_change_without_a_fitted_tail_unchecked_and_refits_it_first(tiny_run):
    from bayesstreams.pipeline.robustness import _priority

    found = fragility(tiny_run, cases=["g6"], changes_of=lambda c: c.case_id == "g6" and c.kind == "code")
    assert found.unchecked and all(k is None for _, k in found.unchecked)
    assert all(f.pareto_k == 0.0 for f in found.flips)  # read only where the weights stay even (k = 0)
    change = found.unchecked[0][0]
    assert _priority(change, None, found.conclusions) < _priority(change, 5.0, found.conclusions)


def test_identification_without_a_fitted_tail_says_so_in_json_and_words(tiny_run):
    import json

    from bayesstreams.analysis.identification import rho_identification
    from bayesstreams.reporting.i18n import translator
    from bayesstreams.reporting.identification_text import identification_lines

    found = rho_identification(tiny_run, 1)
    data = found.to_dict()
    assert found.max_khat is None and not found.reliable
    assert json.loads(json.dumps(data, allow_nan=False))["max_khat"] is None  # JSON null, never Infinity
    for lang, words in (("en", "no tail fitted"), ("nl", "geen staart te schatten")):
        text = " ".join(identification_lines(data, None, translator(lang), lang))
        assert words in text and "inf" not in text.lower().replace("information", "")
        assert ("too few draws to fit a Pareto tail" if lang == "en" else "te weinig trekkingen") in text


def test_the_cells_to_double_check_are_ordered_by_count_then_cell_whatever_the_flips_order():
    """Ties must not follow a set's order (string hashing differs per process): codes first, then by case."""
    conclusions = [Conclusion("claim", c, "supported") for c in ("a", "b", "c")]
    changes = [Change("stream", "g4", phase=1, stream="problem", old=1.0, new=0.0),
               Change("stream", "g1", phase=1, stream="politics", old=1.0, new=0.0),
               Change("code", "g2", factor="insight", old=-1.0, new=1.0),
               Change("code", "g1", factor="region", old=0.0, new=1.0)]
    flips = [Flip(conclusion, change, "cannot tell", "psis", 0.1)
             for change in changes for conclusion in conclusions[:2]]
    flips += [Flip(conclusions[2], changes[0], "cannot tell", "psis", 0.1)]  # g4's problem stream: 3 conclusions
    expected = [(("stream", "g4", "1/problem"), 3), (("code", "g1", "region"), 2), (("code", "g2", "insight"), 2),
                (("stream", "g1", "1/politics"), 2)]
    for order in (flips, flips[::-1], flips[1::2] + flips[::2]):
        found = Fragility(conclusions, list(order), [], n_changes=4)
        assert found.most_relied_on() == expected
        assert found.most_relied_on(2) == expected[:2]


@pytest.mark.parametrize("lang, more", [("en", "... and 2 more cells on which 2 conclusions rest as well."),
                                        ("nl", "... en nog 2 cellen waarop ook 2 conclusies rusten.")])
def test_a_cut_through_a_tie_says_how_many_equally_relied_on_cells_it_leaves_out(lang, more):
    """Top 2 of counts (3, 2, 2, 2): the second shown ties with two more, which the summary must not hide."""
    conclusions = [Conclusion("claim", c, "supported") for c in ("a", "b", "c")]
    changes = [Change("stream", "g4", phase=1, stream="problem", old=1.0, new=0.0),
               Change("stream", "g1", phase=1, stream="politics", old=1.0, new=0.0),
               Change("code", "g2", factor="insight", old=-1.0, new=1.0),
               Change("code", "g1", factor="region", old=0.0, new=1.0)]
    flips = [Flip(conclusion, change, "cannot tell", "psis", 0.1) for change in changes for conclusion in conclusions[:2]]
    flips += [Flip(conclusions[2], changes[0], "cannot tell", "psis", 0.1)]
    found = Fragility(conclusions, flips, [], n_changes=4)
    data = load_dataset(STUDY)
    lines = summary_lines(found, data, lang, n=2)
    assert len(lines) == 4 and lines[-1] == more
    assert summary_lines(found, data, lang, n=4)[-1] != more and len(summary_lines(found, data, lang, n=4)) == 5
    assert len(summary_lines(found, data, lang, n=1)) == 2  # a cut between 3 and 2 is not a tie
    one = summary_lines(found, data, lang, n=3)[-1]
    assert one == ("... and 1 more cell on which 2 conclusions rest as well." if lang == "en"
                   else "... en nog 1 cel waarop ook 2 conclusies rusten.")
