"""The Study: companions found in one place and checked, the queries pure, per-draw results labelled.

Fake runs (no fitting): real Run records of chosen draws, saved as run folders where the disk matters.
"""

from __future__ import annotations

import builtins
import io
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.analysis.accessor import Queries, load_study
from bayesstreams.analysis.draws import summary
from bayesstreams.analysis.queries import case_predictions, factor_importance, phase_dependency, quantile_names
from bayesstreams.errors import RunError
from bayesstreams.inference.study import (Study, companion_config, companion_path, expected_roles, mode_config,
                                          register_accessor)
from bayesstreams.model.config import config_from_text, load_config

from .fakes import fake_run, make_dataset, random_parameters, stack_draws
from .helpers import write_fake_run

ROOT = Path(__file__).resolve().parents[1]


def draws_of(dataset, seed: int = 0, n: int = 40) -> dict:
    rng = np.random.default_rng(seed)
    return stack_draws([random_parameters(dataset, rng) for _ in range(n)])


def stamp_model(folder: Path, config) -> Path:
    """Give a fake run folder the model hash of ``config`` (what a real companion's run.json records)."""
    import tomli_w

    from bayesstreams.inference.integrity import file_hashes

    (folder / "model.toml").write_text(tomli_w.dumps(config.to_dict()), encoding="utf-8")
    info = json.loads((folder / "run.json").read_text())
    info["model"] = {"hash": config.model_hash(), "name": config.name}
    info["hashes"] = file_hashes(folder)  # the model file changed: its hash with it, as a real run records it
    (folder / "run.json").write_text(json.dumps(info))
    return folder


@pytest.fixture
def saved(tmp_path):
    """A fake run folder with its wide-prior companion beside it, stamped with the wide model's hash.

    (The not-discussed companions need draws of their own mode; their finding is the same code, tested
    with the wide one and by ``test_save_writes_the_companions_beside_the_run_and_load_reads_them_back``.)
    """
    dataset = make_dataset()
    main = write_fake_run(tmp_path / "runs" / "study", dataset, draws_of(dataset, seed=1))
    stamp_model(write_fake_run(companion_path(main, "wide"), dataset, draws_of(dataset, seed=2)),
                companion_config(load_config(None), "wide"))
    return main


def test_the_companions_a_streams_run_has_are_the_wide_refit_the_two_other_modes_and_the_source_check():
    assert expected_roles(load_config(None)) == ["wide", "nd-marginal", "nd-salience", "nostreams", "streamerror"]
    assert expected_roles(load_config(ROOT / "models" / "streams-salience.toml")) == [
        "wide", "nd-zero", "nd-marginal", "nostreams", "streamerror"]
    assert expected_roles(load_config(ROOT / "models" / "streams-latent.toml")) == [
        "wide", "nd-marginal", "nostreams", "streamerror"]
    assert companion_config(load_config(None), "nd-marginal") == mode_config(load_config(None), "marginal")


def test_load_finds_every_companion_beside_the_run(saved):
    study = load_study(saved)
    assert sorted(study.companions) == ["wide"]
    assert sorted(study.missing) == ["nd-marginal", "nd-salience", "streamerror"]  # its data hold no stream state
    assert study.wide.path == companion_path(saved, "wide") and study.modes == {}
    assert not np.array_equal(study.wide.posterior["beta"], study.run.posterior["beta"])  # really another run


def test_moving_the_run_away_from_its_companions_says_which_are_missing(saved, tmp_path):
    """Done-when of the Study issue: a moved run changes no number silently; the output names what is missing."""
    with_companions = load_study(saved)
    moved = tmp_path / "elsewhere" / "study"
    moved.parent.mkdir()
    shutil.copytree(saved, moved)
    alone = load_study(moved)
    assert alone.companions == {}
    assert alone.missing == {role: f"{companion_path(moved, role)} is not there" for role in
                             ("wide", "nd-marginal", "nd-salience", "streamerror")}
    # the numbers that need no companion are the same; the ones that do are measured without it, and say so
    assert alone.q.effects().equals(with_companions.q.effects())
    # fake runs hold too few draws to power-scale; the contraction rule needs only the run's own prior draws
    assert with_companions.q.prior_dependence().checks == ["contraction", "wide"]
    assert alone.q.prior_dependence().checks == ["contraction"]
    assert sorted(with_companions.missing) == ["nd-marginal", "nd-salience", "streamerror"]  # its data hold no stream state


def test_the_report_and_the_command_line_name_a_missing_companion(saved, tmp_path):
    from typer.testing import CliRunner

    from bayesstreams.cli.app import app
    from bayesstreams.reporting.report import write_report

    folder = write_report(load_study(saved), tmp_path / "report")
    summary_json = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert [row["role"] for row in summary_json["missing_companions"]] == [
        "nd-marginal", "nd-salience", "streamerror"]  # its data hold no stream state
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Missing companion" in html and "(not beside the run folder)" in html
    result = CliRunner().invoke(app, ["compare-cases", str(saved), "c1", "c2"])
    assert result.exit_code == 0, result.output
    assert "note: Missing companion: the run that reads a not-discussed cell as" in result.stderr
    assert "(not beside the run folder)" in result.stderr


def test_a_companion_of_other_data_or_another_model_file_is_refused_with_its_path(saved):
    info_file = companion_path(saved, "wide") / "run.json"
    info = json.loads(info_file.read_text())
    info["model"]["hash"] = "f" * 64
    info_file.write_text(json.dumps(info))
    with pytest.raises(RunError, match=r"study-wide/run.json: this wide companion of .* another model"):
        load_study(saved)
    info["model"]["hash"] = companion_config(load_config(None), "wide").model_hash()
    info["dataset"]["hash"] = "0" * 64
    info_file.write_text(json.dumps(info))
    with pytest.raises(RunError, match="was fitted to other data"):
        load_study(saved)
    assert load_study(saved, companions=False).companions == {}  # the run alone can still be read


def test_a_given_companion_of_other_data_is_refused():
    dataset = make_dataset()
    other = make_dataset(np.nan_to_num(dataset.x), dataset.w)
    run = fake_run(dataset, draws_of(dataset))
    with pytest.raises(RunError, match="wide companion was fitted to other data"):
        Study.of(run, wide=fake_run(other, draws_of(other)))


def test_the_accessor_tables_are_the_query_functions(saved):
    study = load_study(saved)
    run = study.run
    assert study.q.effects().equals(factor_importance(run.posterior, run.dataset))
    assert study.q.cases().equals(case_predictions(run.posterior, run.dataset))
    assert study.q.dependency().equals(phase_dependency(run.posterior, run.dataset))
    assert study.q is study.q and isinstance(study.q, Queries)


def test_the_per_draw_quantities_are_what_the_tables_summarise():
    dataset = make_dataset()
    study = Study.of(fake_run(dataset, draws_of(dataset, n=60), chains=2))
    draws = study.q.effects(draws=True)
    assert draws["ace"].dims == ("draw", "factor", "window", "contrast")
    assert list(draws["factor"].values) == list(dataset.factor_ids)
    assert draws["chain"].values.tolist() == [0] * 30 + [1] * 30
    table = study.q.effects().query("quantity == 'ace'")
    for _, row in table.iterrows():
        values = draws["ace"].sel(factor=row["factor"], window=row["window"], contrast=row["contrast"]).values
        assert row["mean"] == pytest.approx(values.mean())
        assert row["q05"] == pytest.approx(np.quantile(values, 0.05))
        assert row["p_gt_0"] == pytest.approx((values > 0).mean())
    cases = summary(study.q.cases(draws=True))
    p_w1 = study.q.cases().query("quantity == 'p_w1'").set_index("case_id")
    for _, row in cases[cases["quantity"] == "p_w1"].iterrows():
        assert row["mean"] == pytest.approx(p_w1.loc[row["case"], "mean"])
        assert row["q95"] == pytest.approx(p_w1.loc[row["case"], "q95"])


def test_quantiles_are_a_parameter():
    dataset = make_dataset()
    study = Study.of(fake_run(dataset, draws_of(dataset, n=50)))
    table = study.q.dependency(quantiles=(0.025, 0.5, 0.975))
    assert list(table.columns) == ["quantity", "mean", "q02.5", "q50", "q97.5", "p_gt_0"]
    effect = study.q.dependency(draws=True)["dependency_effect"].values
    row = table.set_index("quantity").loc["dependency_effect"]
    assert row["q02.5"] == pytest.approx(np.quantile(effect, 0.025)) and row["q50"] == pytest.approx(np.median(effect))
    assert quantile_names(None) == {"q05": 0.05, "q25": 0.25, "q75": 0.75, "q95": 0.95}
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        quantile_names((1.5,))


def test_the_queries_never_read_the_disk(saved, monkeypatch):
    """Every query of a loaded study with the disk closed: none opens a file (score reads its profile, so it is left out)."""
    study = load_study(saved)
    opened = []

    def closed(name):
        def record(*args, **kwargs):
            opened.append((name, str(args[:1])))
            raise OSError("the disk is closed during the queries")
        return record

    for owner, name in ((builtins, "open"), (io, "open"), (Path, "read_text"), (Path, "read_bytes"),
                        (Path, "is_dir"), (Path, "exists")):
        monkeypatch.setattr(owner, name, closed(name))
    q = study.q
    for name in ("effects", "streams", "dependency", "cases", "activation", "bottlenecks", "necessity", "levers",
                 "ranks", "tables", "support", "raw", "contraction", "prior_dependence", "claims",
                 "mode_comparison", "not_discussed"):
        getattr(q, name)()
    q.advice("c2"), q.what_it_takes("c2"), q.compare_cases("c1", "c2")
    for name in ("effects", "cases", "dependency", "activation"):
        getattr(q, name)(draws=True)
    monkeypatch.undo()
    assert opened == []


def test_the_old_run_methods_warn_and_answer_for_the_run_alone(saved):
    study = load_study(saved)
    run = study.run
    with pytest.warns(DeprecationWarning, match=r"Run.effects\(\) is deprecated .*q.effects\(\)"):
        old = run.effects()
    assert old.equals(study.q.effects())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert run.prior_dependence().checks == ["contraction"]  # no look beside the run folder any more
        assert run.prior_dependence(check_run=study.wide).checks == ["contraction", "wide"]


def test_the_old_top_level_names_warn_and_give_the_new_ones():
    import bayesstreams as bs

    with pytest.warns(DeprecationWarning, match="use bayesstreams.write_explore"):
        assert bs.explore is bs.write_explore
    with pytest.raises(AttributeError, match="a Study holds the not-discussed runs"):
        bs.mode_runs  # noqa: B018


def test_a_second_accessor_of_one_name_is_refused():
    with pytest.raises(RunError, match="registered already"):
        register_accessor("q")(object)


def test_a_kind_without_evidence_modes_expects_only_the_wide_refit():
    additive = config_from_text('kind = "additive"\n')
    assert expected_roles(additive) == ["wide"]
