"""`bayesstreams import template`: a starting mapping that lists every code of a project."""

from __future__ import annotations

import re
import tomllib

import numpy as np

from bayesstreams.data.qda.importer import import_qdpx
from bayesstreams.data.qda.qdpx import read_qdpx
from .conftest import run_cli
from .qda_study import EXPECTED_W, EXPECTED_X, write_study


def test_template_lists_every_code_once_and_maps_nothing_until_edited(tmp_path, capsys):
    project, _ = write_study(tmp_path, "maxqda")
    out = tmp_path / "start.toml"
    code, stdout, _ = run_cli(["import", "template", str(project), "--out", str(out)], capsys)
    assert code == 0 and f"wrote {out}" in stdout
    text = out.read_text(encoding="utf-8")
    listed = re.findall(r'^# "([^"]+)" = \{', text, flags=re.M)
    assert sorted(listed) == sorted(read_qdpx(project).code_paths())
    data = tomllib.loads(text)
    assert data["codes"] == {} and data["cases"]["from"] == "sets"   # MAXQDA: document groups, no cases
    assert '# from = "variable"' in text and '# variable = "Gemeente"' in text
    assert '# "Alle documenten" = "c3"' in text


def test_uncommented_guesses_import_the_study(tmp_path, capsys):
    """With the codebook, the guesses for this project's coded codes are all right."""
    project, _ = write_study(tmp_path, "nvivo")
    out = tmp_path / "start.toml"
    code, _, err = run_cli(["import", "template", str(project), "--out", str(out), "--codebook",
                            str(tmp_path / "codebook.toml")], capsys)
    assert code == 0, err
    lines = []
    for line in out.read_text(encoding="utf-8").split("\n"):
        used = re.search(r"# (\d+) codings?$", line)
        if line.startswith('# "') and used and int(used.group(1)) > 0 and "Overig" not in line:
            line = line[2:]
        lines.append(line)
    out.write_text("\n".join(lines), encoding="utf-8")
    data = import_qdpx(project, out, tmp_path / "ds").dataset
    np.testing.assert_array_equal(data.x, EXPECTED_X)
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    assert data.case_ids == ("Gemeente Noord", "Gemeente Zuid")


def test_template_refuses_to_overwrite(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "atlas")
    before = mapping.read_text()
    code, _, err = run_cli(["import", "template", str(project), "--out", str(mapping)], capsys)
    assert code != 0 and "already exists" in err and mapping.read_text() == before


def test_the_mapping_example_in_docs_data_md_imports(tmp_path):
    """The example mapping of docs/DATA.md is a working mapping (here for the test study's NVivo project)."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "DATA.md").read_text(encoding="utf-8")
    block = docs.split("### The mapping", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    project, _ = write_study(tmp_path, "nvivo")
    mapping = tmp_path / "docs-map.toml"
    mapping.write_text(block, encoding="utf-8")
    result = import_qdpx(project, mapping, tmp_path / "ds")
    data = result.dataset
    assert data.case_ids == ("noord", "zuid")
    assert list(data.x[:, data.factor_ids.index("p1_insight")]) == [0.0, 0.0]
    np.testing.assert_array_equal(data.w, [[1, np.nan], [0, np.nan]])
    assert "Overig/Opvallend" in result.unmapped and "Memo's" not in result.unmapped
