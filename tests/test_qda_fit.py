"""An imported REFI-QDA project fits: `import qdpx` then `analyze` on a fresh folder, quotes in the report."""

from __future__ import annotations

import json

import pytest

from bayesstreams.data.dataset import load_dataset
from .conftest import run_cli
from .qda_study import write_study

pytest.importorskip("nutpie")
pytestmark = pytest.mark.model


def test_imported_project_analyzes_with_its_quotes_in_the_report(tmp_path, capsys):
    project, mapping = write_study(tmp_path / "in", "nvivo")
    dataset = tmp_path / "imported"
    code, _, err = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(dataset)], capsys)
    assert code == 0, err
    code, out, err = run_cli(["analyze", str(dataset), "--out", str(tmp_path / "report"), "--run",
                              str(tmp_path / "run"), "--no-mode-comparison"], capsys)
    assert code == 0, err
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["dataset"]["hash"] == load_dataset(dataset).content_hash()
    assert info["diagnostics"]["divergences"] == 0
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "weten we niet hoe groot het probleem is" in report and "Interview A2, " in report
