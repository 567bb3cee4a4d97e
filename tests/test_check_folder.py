"""The one writer of a simulation check's folder (voi validation, QCA coverage)."""

import json

import pandas as pd
import pytest

from bayesstreams.checks.check_folder import write_check_folder
from bayesstreams.errors import InputError


def test_tables_settings_and_figures_land_in_the_folder(tmp_path):
    class Figure:
        def savefig(self, path):
            path.write_text("<svg/>")

    out = write_check_folder(tmp_path / "out", {"rows": pd.DataFrame({"a": [1, 2]}), "summary": pd.DataFrame({"b": [3]})},
                             {"n_sims": 3}, figures={"f.svg": Figure})
    assert sorted(p.name for p in out.iterdir()) == ["f.svg", "rows.csv", "settings.json", "summary.csv"]
    assert pd.read_csv(out / "rows.csv")["a"].tolist() == [1, 2]
    assert json.loads((out / "settings.json").read_text()) == {"n_sims": 3}


def test_an_existing_folder_is_refused_before_anything_is_written_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="already exists"):
        write_check_folder(out, {"rows": pd.DataFrame({"a": [1]})}, {})
    assert (out / "mine.txt").read_text() == "keep"
    write_check_folder(out, {"rows": pd.DataFrame({"a": [1]})}, {}, force=True)
    assert not (out / "mine.txt").exists() and (out / "rows.csv").exists()


def test_a_failing_figure_leaves_the_old_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    write_check_folder(out, {"rows": pd.DataFrame({"a": [1]})}, {"run": 1})

    def broken():
        raise RuntimeError("no figure")

    with pytest.raises(RuntimeError):
        write_check_folder(out, {"rows": pd.DataFrame({"a": [2]})}, {"run": 2}, force=True, figures={"f.svg": broken})
    assert json.loads((out / "settings.json").read_text()) == {"run": 1}
    assert pd.read_csv(out / "rows.csv")["a"].tolist() == [1]
