"""`bayesstreams import matrix`: code-by-document and code-by-case exports (xlsx, csv; counts, presence).

The matrices are built from the same codings as the ``.qdpx`` study, so a documents matrix must
give the very dataset the project gives (same content hash), and a case matrix the values
worked out by hand below.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.qda.importer import import_matrix, import_qdpx
from bayesstreams.data.qda.matrix import code_path
from bayesstreams.errors import InputError
from .conftest import run_cli, write_csv_file
from .qda_study import CODES, EXPECTED_ROWS, EXPECTED_W, EXPECTED_X, mapping_text, spec, write_study

DOCS = ["Interview A1", "Interview A2", "Interview B1"]
DOC_CASES = '[matrix.documents]\n"{0}Interview A1" = "Gemeente Noord"\n"{0}Interview A2" = "Gemeente Noord"\n' \
            '"{0}Interview B1" = "Gemeente Zuid"\n'


def counts() -> dict[str, dict[str, int]]:
    """code path -> document -> number of codings, from the study's codings."""
    table = {path: dict.fromkeys(DOCS, 0) for path in CODES}
    for src in spec("maxqda").sources:
        for _, path in src.codings:
            table[path][src.name] += 1
        for path in src.whole:
            table[path][src.name] += 1
    return table


def write_mapping(folder, matrix_table: str) -> object:
    text = mapping_text("nvivo")
    path = folder / "matrix-map.toml"
    path.write_text(text + "\n" + matrix_table, encoding="utf-8")
    return path


def maxqda_xlsx(path, mark="✓"):
    """MAXQDA's code matrix browser: codes joined with \\, one column per document, presence marks."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Code Matrix Browser"
    sheet.append(["Codesystem"] + DOCS)
    for code, row in counts().items():
        sheet.append([code.replace("/", "\\")] + [mark if row[d] else None for d in DOCS])
    book.save(path)
    return path


def test_documents_matrix_gives_the_dataset_the_project_gives(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    from_project = import_qdpx(project, mapping, tmp_path / "from-qdpx").dataset
    matrix = maxqda_xlsx(tmp_path / "matrix.xlsx")
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\nseparator = "\\\\"\n' + DOC_CASES.format(""))
    out = tmp_path / "from-matrix"
    code, _, err = run_cli(["import", "matrix", str(matrix), "--mapping", str(mapping), "--out", str(out)], capsys)
    assert code == 0, err
    data = load_dataset(out)
    np.testing.assert_array_equal(data.x, EXPECTED_X)
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    table = data.respondent_codes()
    table = table[table.code == table.code]
    assert sorted((r.case_id, r.factor, r.respondent, r.code) for r in table.itertuples()) == EXPECTED_ROWS
    assert data.content_hash() == from_project.content_hash()
    assert "unmapped: Overig/Opvallend (1 coding)" in err
    sections = {r["section"] for r in data.codes if r["code"] == r["code"]}
    assert sections == {f"{d}, 1 coded segment" for d in DOCS}


def test_nvivo_case_matrix_with_title_numbering_and_counts(tmp_path):
    """NVivo: a title line, ``A : `` / ``1 : `` numbering, a ``Codes\\`` root, counts; cases in columns."""
    write_study(tmp_path, "nvivo")
    table = counts()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Matrix Coding Query - Results Preview"])
    sheet.append([None, "A : Gemeente Noord", "B : Gemeente Zuid"])
    for i, (code, row) in enumerate(table.items(), start=1):
        noord = row["Interview A1"] + row["Interview A2"]
        if code.endswith("Inzicht/-"):
            noord = 0   # a case matrix cannot hold A1's +1 and A2's -1 for one respondent (see the conflict test)
        sheet.append([f"{i} : Codes\\{code.replace('/', chr(92))}", 2 * noord, row["Interview B1"]])
    sheet.append(["Total", 99, 99])
    path = tmp_path / "nvivo.xlsx"
    book.save(path)
    mapping = write_mapping(tmp_path, "[matrix]\ncolumns = \"cases\"\n")
    data = import_matrix(path, mapping, tmp_path / "ds").dataset
    expected = EXPECTED_X.copy()
    expected[0, 0] = 1.0   # Noord insight: only A1's +1 is left
    np.testing.assert_array_equal(data.x, expected)
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    assert {r["respondent"] for r in data.codes} == {""}
    assert any(r["section"] == "Gemeente Noord, 2 coded segments" for r in data.codes)


def atlas_csv(path, cell=None):
    """ATLAS.ti's code-document table: ``::`` in code names, ``D n: `` before documents, Totals; semicolons."""
    table = counts()
    header = ["Code", "D 1: Interview A1", "D 2: Interview A2", "D 3: Interview B1", "Totals"]
    rows = [[code.replace("/", "::")] + [str(row[d]) for d in DOCS] + [str(sum(row.values()))]
            for code, row in table.items()]
    rows.append(["Totals", "9", "9", "9", "27"])
    if cell:
        rows[cell[0]][cell[1]] = cell[2]
    write_csv_file(path, header, rows, delimiter=";")
    return path, header


def test_atlas_csv_documents_matrix(tmp_path):
    write_study(tmp_path, "atlas")
    path, _ = atlas_csv(tmp_path / "atlas.csv")
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\nseparator = "::"\n' + DOC_CASES.format(""))
    data = import_matrix(path, mapping, tmp_path / "ds").dataset
    np.testing.assert_array_equal(data.x, EXPECTED_X)
    np.testing.assert_array_equal(data.w, EXPECTED_W)


def test_code_path_strips_numbering_and_roots():
    assert code_path("12 : Nodes\\Fase 1\\Inzicht\\+", "\\") == "Fase 1/Inzicht/+"
    assert code_path("Fase 1::Inzicht::-", "::") == "Fase 1/Inzicht/-"
    assert code_path("Fase 1: Inzicht", "\\") == "Fase 1: Inzicht"   # a colon inside a name is kept


# ----------------------------------------------------------------------------- errors


def _fails(tmp_path, capsys, matrix, mapping) -> list[str]:
    out = tmp_path / "never"
    code, stdout, err = run_cli(["import", "matrix", str(matrix), "--mapping", str(mapping), "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in stdout + err and not out.exists()
    return err.splitlines()


def test_a_cell_that_is_no_count_is_located(tmp_path, capsys):
    write_study(tmp_path, "atlas")
    path, header = atlas_csv(tmp_path / "atlas.csv", cell=(4, 2, "veel"))
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\nseparator = "::"\n' + DOC_CASES.format(""))
    assert _fails(tmp_path, capsys, path, mapping) == [
        f"error: {path}:6:{header[2]}: cell 'veel' is neither a count nor a presence mark"]


def test_a_negative_count_is_refused(tmp_path):
    write_study(tmp_path, "atlas")
    path, header = atlas_csv(tmp_path / "atlas.csv", cell=(0, 1, "-2"))
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\nseparator = "::"\n' + DOC_CASES.format(""))
    with pytest.raises(InputError) as info:
        import_matrix(path, mapping, tmp_path / "ds")
    assert [(v.row, v.column) for v in info.value.violations] == [(2, header[1])]


def test_document_without_a_case_is_located(tmp_path, capsys):
    write_study(tmp_path, "maxqda")
    matrix = maxqda_xlsx(tmp_path / "matrix.xlsx")
    partial = DOC_CASES.format("").replace('"Interview B1" = "Gemeente Zuid"\n', "")
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\n' + partial)
    assert _fails(tmp_path, capsys, matrix, mapping) == [
        f"error: {matrix}[Code Matrix Browser]:1:Interview B1: document 'Interview B1' has no case in [matrix.documents]"]


def test_case_matrix_conflict_names_both_cells(tmp_path, capsys):
    write_study(tmp_path, "maxqda")
    table = counts()
    path = tmp_path / "cases.csv"
    rows = [[code.replace("/", "\\"), str(r["Interview A1"] + r["Interview A2"]), str(r["Interview B1"])]
            for code, r in table.items()]
    write_csv_file(path, ["", "Gemeente Noord", "Gemeente Zuid"], rows)
    mapping = write_mapping(tmp_path, "[matrix]\ncolumns = \"cases\"\n")
    (line,) = _fails(tmp_path, capsys, path, mapping)
    plus, minus = CODES.index("Fase 1/Probleemstroom/Inzicht/+") + 2, CODES.index("Fase 1/Probleemstroom/Inzicht/-") + 2
    assert line == (f"error: {path}:{minus}:Gemeente Noord: case 'noord', factor 'p1_insight': "
                    f"'Fase 1/Probleemstroom/Inzicht/-' gives -1 but 'Fase 1/Probleemstroom/Inzicht/+' gave +1 "
                    f"(at {path}:{plus})")


def test_mapping_code_missing_from_the_matrix(tmp_path, capsys):
    write_study(tmp_path, "maxqda")
    matrix = maxqda_xlsx(tmp_path / "matrix.xlsx")
    mapping = write_mapping(tmp_path, '[matrix]\ncolumns = "documents"\nseparator = "/"\n' + DOC_CASES.format(""))
    lines = _fails(tmp_path, capsys, matrix, mapping)
    assert len(lines) == 15   # every mapped code (all have a /): the export joins paths with \, not /
    assert all(f"is not in {matrix}[Code Matrix Browser]" in line for line in lines)
