"""A companion's stored memo (``memo.npz``): the report is the same with it as without it, and a stale,
foreign or corrupt memo is never read (inference/memo.py, analysis/companion_memo.py).

The studies are fake runs (prior draws standing in for posteriors, no fitting) of the shipped data and
of a simulated data set, each with every companion its model file expects, written as run folders.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from bayesstreams.analysis import companion_memo
from bayesstreams.analysis.companion_memo import (code_version, decode, encode, restore, restore_companions,
                                                  source_hash, store, store_companions)
from bayesstreams.analysis.prior_dependence import run_headline_draws
from bayesstreams.data.dataset import load_dataset
from bayesstreams.inference import memo as memo_store
from bayesstreams.inference.memo import MEMO_FILE, read_memo, write_memo
from bayesstreams.inference.store import load_run
from bayesstreams.inference.study import Study, companion_config, companion_data, companion_path, expected_roles
from bayesstreams.model.config import load_config
from bayesstreams.model.priors import draw_prior
from bayesstreams.reporting.report import write_report

from .conftest import STUDY
from .helpers import partly_observed_dataset, write_fake_run

N_DRAWS = 200


def _draws(config, data, seed: int) -> dict:
    return draw_prior(config, data.factor_phase, data.factor_stream, len(data.groups), N_DRAWS,
                      np.random.default_rng(seed))


def fake_companion(main_folder: Path, role: str, seed: int) -> Path:
    """The companion ``role`` of the fake run at ``main_folder``: its model file's prior draws on its data."""
    main = load_run(main_folder)
    config, data = companion_config(main.config, role), companion_data(main.dataset, role)
    folder = companion_path(main_folder, role)
    shutil.rmtree(folder, ignore_errors=True)
    write_fake_run(folder, data, _draws(config, data, seed), _draws(config, data, seed + 1),
                   model_text=tomli_w.dumps(config.to_dict()))
    info = json.loads((folder / "run.json").read_text())
    info["model"] = {"hash": config.model_hash(), "name": config.name}  # what Study.load matches a companion by
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def fake_study_folder(base: Path, dataset, seed: int) -> Path:
    """A fake main run of ``dataset`` under the default model file and every companion it expects."""
    config = load_config(None)
    main = write_fake_run(base / "run", dataset, _draws(config, dataset, seed), _draws(config, dataset, seed + 1),
                          model_text=tomli_w.dumps(config.to_dict()))
    for k, role in enumerate(expected_roles(config, dataset)):
        fake_companion(main, role, seed + 10 * (k + 1))
    return main


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict[str, Path]:
    """The shipped data and a simulated data set (groups, not-discussed cells), each as a fake study."""
    simulated = partly_observed_dataset(n_cases=12, seed=3, groups=True)
    return {"shipped": fake_study_folder(tmp_path_factory.mktemp("shipped"), load_dataset(STUDY), 40),
            "simulated": fake_study_folder(tmp_path_factory.mktemp("simulated"), simulated, 70)}


def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("summary.json", "report.md")}


def _counting(monkeypatch, module, name: str) -> list:
    """Count the calls of ``module.name`` (the first argument of each kept), still calling it."""
    calls, original = [], getattr(module, name)

    def counted(first, *args, **kwargs):
        calls.append(first)
        return original(first, *args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("which", ["shipped", "simulated"])
def test_the_report_with_the_stored_memo_is_byte_identical_to_one_computed_afresh(studies, which, tmp_path,
                                                                                    monkeypatch):
    from bayesstreams.analysis import prior_dependence, queries
    from bayesstreams.reporting import cases_view

    folder = studies[which]
    for role in expected_roles(load_run(folder).config, load_run(folder).dataset):
        (companion_path(folder, role) / MEMO_FILE).unlink(missing_ok=True)
    fresh = Study.load(folder)
    assert set(fresh.companions) == set(fresh.expected_roles()) and not fresh.missing
    assert sum(restore_companions(fresh).values()) == 0  # nothing stored yet
    write_report(fresh, tmp_path / "fresh")
    assert sorted(store_companions(fresh)) == sorted(fresh.companions)
    assert store_companions(fresh) == []  # nothing new computed: not written again

    again = Study.load(folder)
    restored = restore_companions(again)
    assert all(restored[role] >= 1 for role in again.companions), restored
    headline = _counting(monkeypatch, prior_dependence, "headline_draws")
    advice = _counting(monkeypatch, cases_view, "cases_advice")
    baselines = _counting(monkeypatch, queries, "baseline")
    write_report(again, tmp_path / "memo")
    assert _outputs(tmp_path / "memo") == _outputs(tmp_path / "fresh")
    # no companion's baseline is computed: its ranks, necessity and headline draws are stored
    companions = [run.posterior for run in again.companions.values()] + [run.prior for run in again.companions.values()]
    assert baselines and not any(any(d is c for c in companions) for d in baselines)
    # the companions' headline draws and advice were read, not computed: only the main run's were
    assert len(headline) == 2 and all(d is again.run.posterior or d is again.run.prior for d in headline)
    assert advice == [again.run]  # every case's advice of the main run in one batch, none of a companion
    json.loads((tmp_path / "memo" / "summary.json").read_text())["source_levers"]  # the source check is there


def _saved_run(studies, role: str = "wide"):
    return load_run(companion_path(studies["shipped"], role))


def _stored(run) -> int:
    """Fill ``run.memo`` with its headline draws and write its memo; how many entries it holds."""
    run_headline_draws(run)
    run.memo[("lever_gains", "g5")] = {"target": "w1", "gains": [["p1_insight", {"mean": 0.1, "q05": float("nan")}]]}
    assert store(run)
    return len(companion_memo.stored_keys(run.memo))


def test_a_stored_memo_gives_back_every_entry_exactly(studies):
    run = _saved_run(studies)
    n = _stored(run)
    again = load_run(run.path)
    assert restore(again) == n == 2
    key = ("headline_draws", "posterior", None)
    assert list(again.memo[key]) == list(run.memo[key])
    for name, (labels, values) in run.memo[key].items():
        assert again.memo[key][name][0] == labels
        assert np.array_equal(again.memo[key][name][1], values) and again.memo[key][name][1].dtype == values.dtype
    gains = again.memo[("lever_gains", "g5")]["gains"][0][1]
    assert gains["mean"] == 0.1 and np.isnan(gains["q05"])


def test_a_memo_of_other_draws_data_or_code_is_ignored(studies, tmp_path):
    run = _saved_run(studies, "nostreams")
    _stored(run)
    memo = (run.path / MEMO_FILE).read_bytes()
    # the same memo file beside a companion with other draws (same data, model file and seed)
    other = fake_companion(studies["shipped"], "nostreams", seed=1234)
    (other / MEMO_FILE).write_bytes(memo)
    refitted = load_run(other)
    assert read_memo(refitted, code_version()) is None and restore(refitted) == 0
    assert ("headline_draws", "posterior", None) not in refitted.memo
    # ... beside a run of other data
    data = partly_observed_dataset(n_cases=6, seed=11)
    config = load_config(None)
    foreign = write_fake_run(tmp_path / "foreign", data, _draws(config, data, 1), _draws(config, data, 2))
    (foreign / MEMO_FILE).write_bytes(memo)
    assert restore(load_run(foreign)) == 0
    # ... read by other code: a bumped version or a changed module
    (other / MEMO_FILE).unlink()
    run = load_run(other)
    _stored(run)
    assert restore(load_run(other)) == 2
    assert read_memo(load_run(other), code_version() + "-edited") is None


def test_the_code_version_changes_with_any_computing_module_and_the_hand_bumped_constant(tmp_path, monkeypatch):
    package = tmp_path / "bayesstreams"
    for room in ("analysis", "model"):
        (package / room).mkdir(parents=True)
        (package / room / "a.py").write_text("x = 1\n")
    (package / "reporting").mkdir()
    (package / "reporting" / "words.py").write_text("y = 1\n")
    before = source_hash(package, ("analysis", "model"))
    (package / "reporting" / "words.py").write_text("y = 2\n")  # not a computing room
    assert source_hash(package, ("analysis", "model")) == before
    (package / "model" / "a.py").write_text("x = 2\n")
    assert source_hash(package, ("analysis", "model")) != before
    (package / "model" / "a.py").write_text("x = 1\n")
    (package / "analysis" / "b.py").write_text("")  # a new module
    assert source_hash(package, ("analysis", "model")) != before
    version = code_version()
    monkeypatch.setattr(companion_memo, "CODE_VERSION", companion_memo.CODE_VERSION + 1)
    code_version.cache_clear()
    try:
        assert code_version() != version
    finally:
        monkeypatch.undo()
        code_version.cache_clear()
    assert code_version() == version


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "header", "shapes", "symlink", "meta"])
def test_a_corrupt_or_malformed_memo_is_ignored_without_a_crash(studies, damage, tmp_path):
    run = _saved_run(studies, "streamerror")
    _stored(run)
    path = run.path / MEMO_FILE
    good = path.read_bytes()
    try:
        if damage == "garbage":
            path.write_bytes(b"not a zip file at all")
        elif damage == "truncated":
            path.write_bytes(good[: len(good) // 2])
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "header":  # a right key cannot be forged without the run: any other header is refused
            arrays, _ = read_memo(run, code_version())
            np.savez(path, __header__=np.frombuffer(b"{not json", dtype=np.uint8), **arrays)
        elif damage == "shapes":  # the key is right, the arrays are not the run's draws
            arrays, meta = read_memo(run, code_version())
            write_memo(run, code_version(), {k: v[:5] for k, v in arrays.items()}, meta)
        elif damage == "meta":
            arrays, meta = read_memo(run, code_version())
            write_memo(run, code_version(), arrays, {"headline_draws": [{"tag": 3}], "lever_gains": "x"})
        else:
            target = tmp_path / "elsewhere.npz"
            target.write_bytes(good)
            path.unlink()
            path.symlink_to(target)
        fresh = load_run(run.path)
        assert restore(fresh) == 0 and companion_memo.stored_keys(fresh.memo) == []
        run_headline_draws(fresh)  # computed afresh
        assert store(fresh)  # and the memo is written again, whole
        assert not path.is_symlink() and restore(load_run(run.path)) == 1
    finally:
        path.unlink(missing_ok=True)


def test_a_run_just_saved_and_the_same_run_loaded_again_share_their_memo(studies):
    """``save_run`` leaves the info it wrote in memory (NumPy numbers, tuples); run.json gives it back as JSON."""
    run = _saved_run(studies, "wide")
    run.info = {**run.info, "seed": np.int64(run.info["seed"]), "settings": {"draws": 100, "chains": 2,
                                                                             "target": (0.8, np.float64(0.9))}}
    info = json.loads(json.dumps(run.info, default=float))
    (run.path / "run.json").write_text(json.dumps(info))  # what save_run writes
    _stored(run)
    assert restore(load_run(run.path)) == 2


def test_a_run_in_memory_has_no_memo_and_queries_never_read_one(studies):
    run = _saved_run(studies)
    _stored(run)
    in_memory = load_run(run.path)
    in_memory.path = None
    assert memo_store.memo_key(in_memory, code_version()) is None and restore(in_memory) == 0
    assert not store(in_memory)
    loaded = load_run(run.path)  # loading a run reads no memo: only restore does
    assert companion_memo.stored_keys(loaded.memo) == []


def test_a_memo_that_cannot_be_written_leaves_the_run_as_it_was(studies, monkeypatch):
    from bayesstreams.errors import InputError, Violation

    run = _saved_run(studies, "nd-salience")
    (run.path / MEMO_FILE).unlink(missing_ok=True)
    before = sorted(p.name for p in run.path.iterdir())

    def full(*_args, **_kwargs):
        raise InputError(Violation(str(run.path / MEMO_FILE), None, None, "no space left on device"))

    monkeypatch.setattr(memo_store, "atomic_write_bytes", full)
    run_headline_draws(run)
    assert not store(run)
    assert sorted(p.name for p in run.path.iterdir()) == before
    load_run(run.path)  # still a valid run


def test_a_ranking_table_comes_back_exactly_or_is_not_stored():
    import pandas as pd

    frame = pd.DataFrame({"window": ["W1", "W2"], "step": ["0 -> +1", None], "extrapolated": [True, False],
                          "rank": np.array([1, 2]), "observed_rank": [1.0, np.nan], "p": [0.1 + 0.2, 1 / 3]})
    arrays, meta = encode({("effect_ranks",): frame})
    back = decode(arrays, meta, n_samples=1)[("effect_ranks",)]
    assert back.equals(frame) and list(back.dtypes) == list(frame.dtypes) and back.index.equals(frame.index)
    odd = frame.set_index("window")  # an index it does not keep: left out, never stored wrong
    assert encode({("effect_ranks",): odd})[1]["effect_ranks"] == []
    mixed = frame.assign(step=[1, "x"])  # a column of neither numbers nor text
    assert encode({("effect_ranks",): mixed})[1]["effect_ranks"] == []


def test_encode_and_decode_keep_only_what_they_know():
    entries = {"baseline": object(), ("case_advice", "g1"): object(),
               ("lever_gains", "g1"): {"target": None, "gains": []}}
    arrays, meta = encode(entries)
    assert arrays == {} and decode(arrays, meta, n_samples=10) == {("lever_gains", "g1"): {"target": None, "gains": []}}
    assert decode({}, {"headline_draws": [], "lever_gains": [{"case": "g1", "value": {"other": 1}}]}, 10) == {}
