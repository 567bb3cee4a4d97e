"""Simulation under the evidence model (MODEL.md §7): n.d. cells at random or by salience, several respondents."""

import json

import numpy as np

from bayesstreams.data.dataset import load_dataset
from bayesstreams.model.simulate import record_codes, simulate_to_folder
from bayesstreams.model.config import config_from_text


def test_salience_hides_cells_by_their_true_code(tmp_path):
    config = config_from_text('kind = "streams"\nnot_discussed = "salience"\n')
    folder = simulate_to_folder(tmp_path / "sim", 400, seed=2, config=config)
    truth = json.loads((folder / "truth.json").read_text())
    x_true, params = np.array(truth["x_true"]), truth["parameters"]
    x = load_dataset(folder).x
    for is_zero, salience in ((True, params["salience_zero"]), (False, params["salience_nonzero"])):
        cells = (x_true == 0) == is_zero
        hidden = np.isnan(x[cells]).mean()
        assert abs(hidden - (1 - salience)) < 3 * np.sqrt(salience * (1 - salience) / cells.sum()) + 1e-3
    coded = ~np.isnan(x)
    np.testing.assert_array_equal(x[coded], x_true[coded])  # one respondent, no confusion: the truth


def test_missing_at_random_ignores_the_truth():
    rng = np.random.default_rng(1)
    x_true = rng.choice([-1.0, 0.0, 1.0], size=(3000, 10))
    x, _ = record_codes(x_true, {}, rng, p_missing=0.3)
    for code in (-1.0, 0.0, 1.0):
        assert abs(np.isnan(x[x_true == code]).mean() - 0.3) < 0.02


def test_respondents_report_through_the_confusion_matrix(tmp_path):
    config = config_from_text('kind = "streams"\nnot_discussed = "marginal"\nrespondents = "latent"\n')
    folder = simulate_to_folder(tmp_path / "sim", 300, seed=4, config=config, respondents=3, p_missing=0.2)
    truth = json.loads((folder / "truth.json").read_text())
    x_true, confusion = np.array(truth["x_true"]), np.array(truth["parameters"]["confusion"])
    dataset = load_dataset(folder)
    frame = dataset.respondent_codes().dropna(subset=["code"])
    assert set(frame["respondent"]) == {"r1", "r2", "r3"}
    case = frame["case_id"].map({c: i for i, c in enumerate(dataset.case_ids)}).to_numpy()
    factor = frame["factor"].map({f: k for k, f in enumerate(dataset.factor_ids)}).to_numpy()
    true = x_true[case, factor]
    for t in (-1.0, 0.0, 1.0):
        reported = frame["code"].to_numpy()[true == t]
        observed = [(reported == c).mean() for c in (-1.0, 0.0, 1.0)]
        np.testing.assert_allclose(observed, confusion[int(t) + 1], atol=4 * np.sqrt(0.25 / len(reported)))
    # the dataset's consensus is the sign of the respondents' sum, as written
    sums = frame.assign(case=case, factor=factor).groupby(["case", "factor"])["code"].sum()
    np.testing.assert_array_equal(dataset.x[sums.index.get_level_values(0), sums.index.get_level_values(1)],
                                  np.sign(sums.to_numpy()))


def test_cli_simulates_respondents_under_a_shipped_evidence_model(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from bayesstreams.cli.app import app

    model = Path(__file__).resolve().parents[1] / "models" / "streams-salience.toml"
    out = tmp_path / "sim"
    result = CliRunner().invoke(app, ["simulate", "--out", str(out), "--cases", "30", "--model", str(model),
                                      "--respondents", "2"])
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text())
    assert {"code_prob", "salience_zero", "salience_nonzero"} <= set(truth["parameters"])
    assert truth["respondents"] == 2 and np.array(truth["x_true"]).shape == (30, 23)
    frame = load_dataset(out).respondent_codes().dropna(subset=["code"])
    assert frame.groupby(["case_id", "factor"]).size().eq(2).all()
