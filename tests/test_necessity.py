"""One necessity (issue 23, item 7): ``study.q.necessity()`` and the case advice give the same numbers, over factors
with data only, as probabilities in [0, 1]."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bayesstreams.analysis.accessor import Study
from bayesstreams.analysis.advice import advise, necessity
from bayesstreams.data.support import no_data_factors
from tests.fakes import fake_run, make_dataset, random_parameters, stack_draws


def _agree(run) -> int:
    """Every advice necessity is a row of ``study.q.necessity()`` with the same summary, and the other way round."""
    table = Study.of(run).q.necessity()
    by_key = {(r.case_id, r.factor, r.window): r for r in table.itertuples()}
    seen = 0
    for case_id in run.dataset.case_ids:
        for entry in advise(run, case_id).necessity:
            row = by_key[(case_id, entry["factor"], entry["window"])]
            assert row.mean == pytest.approx(entry["p_necessary"]["mean"], abs=1e-12), (case_id, entry)
            for stat in ("q05", "q95"):  # the same draws; the advice's weighted quantiles interpolate differently
                assert getattr(row, stat) == pytest.approx(entry["p_necessary"][stat], abs=0.02), (case_id, entry)
            seen += 1
    assert seen == len(table) > 0
    assert table["q05"].min() >= 0.0 and table["q95"].max() <= 1.0
    return seen


def test_the_query_and_the_advice_agree_on_the_shipped_study_and_factors_without_data_are_absent(fake_study):
    run = fake_study[1]
    _agree(run)
    table = Study.of(run).q.necessity()
    no_data = no_data_factors(run.dataset)
    assert no_data and not no_data & set(table["factor"])  # e.g. Gemeente 7's framing, never discussed anywhere
    x = run.dataset.x
    for r in table.itertuples():  # only cells coded +1, of cases whose window opened
        i = run.dataset.case_ids.index(r.case_id)
        assert x[i, run.dataset.factor_ids.index(r.factor)] == 1
        assert run.dataset.w[i, int(r.window[1]) - 1] == 1


def test_the_query_and_the_advice_agree_on_a_simulated_study():
    dataset = make_dataset()
    rng = np.random.default_rng(4)
    run = fake_run(dataset, stack_draws([random_parameters(dataset, rng) for _ in range(1000)]))
    assert _agree(run) >= 5


def test_the_run_method_keeps_working_for_a_release_with_a_warning(fake_study):
    run = fake_study[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = run.necessity()
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert old.equals(Study.of(run).q.necessity())
    assert necessity(run.posterior, run.dataset).equals(old)
