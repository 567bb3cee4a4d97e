"""`bayesstreams import qdpx`: REFI-QDA projects as NVivo, ATLAS.ti and MAXQDA write them -> datasets.

Expected values come from the hand-written tables in ``qda_study``; errors are checked for
their location and for leaving nothing behind.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.qda.tables import cut_quote
from bayesstreams.data.qda.importer import import_qdpx
from bayesstreams.data.qda.qdpx import read_qdpx
from bayesstreams.errors import InputError
from .conftest import run_cli
from .qda_builders import FLAVOURS, rewrite_qde
from .qda_study import (A2, CODES, EXPECTED_ROWS, EXPECTED_STREAMS, EXPECTED_W, EXPECTED_X, LONG, mapping_text,
                        write_study)


def coded_rows(data) -> list[tuple]:
    table = data.respondent_codes()
    table = table[table.code == table.code]
    return sorted((r.case_id, r.factor, r.respondent, r.code) for r in table.itertuples())


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_project_of_each_program_imports_to_the_expected_dataset(flavour, tmp_path, capsys):
    project, mapping = write_study(tmp_path / "in", flavour)
    out = tmp_path / "dataset"
    code, stdout, err = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(out)], capsys)
    assert code == 0, err
    data = load_dataset(out)
    assert data.case_ids == ("noord", "zuid")
    assert data.case_column("name") == ["Gemeente Noord", "Gemeente Zuid"]
    np.testing.assert_array_equal(data.x, EXPECTED_X)
    np.testing.assert_array_equal(data.w, EXPECTED_W)
    observed = [(c, p + 1, s, int(data.s[i, p, k])) for i, c in enumerate(data.case_ids) for p in range(2)
                for k, s in enumerate(("problem", "policy", "politics")) if not np.isnan(data.s[i, p, k])]
    assert observed == EXPECTED_STREAMS
    assert coded_rows(data) == EXPECTED_ROWS
    # the unmapped code is listed with its count; the ignored one is not
    assert "unmapped: Overig/Opvallend (1 coding)" in err
    assert "Memo's" not in err
    assert f"wrote {out}: 2 cases" in stdout


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_quotes_and_sources_are_the_provenance(flavour, tmp_path):
    project, mapping = write_study(tmp_path / "in", flavour)
    result = import_qdpx(project, mapping, tmp_path / "ds")
    rows = {(r["case_id"], r["factor"], r["respondent"]): r for r in result.dataset.codes}
    a2 = rows[("noord", "p1_insight", "Interview A2")]
    assert a2["quote"] == "weten we niet hoe groot het probleem is"
    start = A2.replace("\n", "\r\n" if flavour == "nvivo" else "\n").index("weten")
    assert a2["section"] == f"Interview A2, {start}-{start + 39}" and a2["source"] == "Interview A2"
    long = rows[("zuid", "p2_region_orientation", "Interview B1")]["quote"]
    assert long == " ".join(LONG.split()[:25]) + " …" and len(LONG.split()) > 25
    assert result.unmapped == {"Overig/Opvallend": 1}


def test_case_variables_become_case_columns(tmp_path):
    project, mapping = write_study(tmp_path / "in", "nvivo")
    data = import_qdpx(project, mapping, tmp_path / "ds").dataset
    assert data.case_column("inwoners") == ["50.000 – 100.000", "200.000 +"]


def test_the_three_programs_give_the_same_dataset(tmp_path):
    hashes = set()
    for flavour in FLAVOURS:
        project, mapping = write_study(tmp_path / flavour, flavour)
        hashes.add(import_qdpx(project, mapping, tmp_path / f"ds-{flavour}").dataset.content_hash())
    assert len(hashes) == 1


def test_reader_finds_nested_paths_pdf_text_and_whole_source_codings(tmp_path):
    project, _ = write_study(tmp_path, "nvivo")
    qda = read_qdpx(project)
    assert list(qda.code_paths()) == [p for p in _tree_order(CODES)]
    by_name = {s.name: s for s in qda.sources}
    pdf = by_name["Interview A2"]
    assert [c.text for c in pdf.codings][0] == "weten we niet hoe groot het probleem is"
    whole = [c for c in by_name["Interview B1"].codings if c.where == "whole source"]
    assert [[qda.codes[g].path for g in c.code_guids] for c in whole] == [["Vensters/Fase 1/dicht", "Vensters/Fase 2/dicht"]]
    assert [c.name for c in qda.cases] == ["Gemeente Noord", "Gemeente Zuid"]


def _tree_order(paths: list[str]) -> list[str]:
    """Depth-first order of the code tree, parents before children (as the codebook nests them)."""
    out: list[str] = []
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in out:
                out.append(prefix)
    return out


def test_cut_quote_keeps_short_text_and_joins_lines():
    assert cut_quote("een\r\ntwee  drie") == "een twee drie"
    assert cut_quote(" ".join(str(i) for i in range(30))) == " ".join(str(i) for i in range(25)) + " …"


# ----------------------------------------------------------------------------- errors


def _fails(tmp_path, capsys, project, mapping) -> list[str]:
    out = tmp_path / "never"
    code, stdout, err = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in stdout + err
    assert not out.exists() and not list(tmp_path.glob(".never*"))
    lines = err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    return lines


def test_not_a_zip(tmp_path, capsys):
    _, mapping = write_study(tmp_path, "maxqda")
    bad = tmp_path / "bad.qdpx"
    bad.write_text("<Project/>")
    assert _fails(tmp_path, capsys, bad, mapping) == [f"error: {bad}: not a REFI-QDA project: a .qdpx is a zip archive"]


def test_zip_without_project_qde(tmp_path, capsys):
    _, mapping = write_study(tmp_path, "maxqda")
    bad = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("sources/a.txt", "tekst")
    (line,) = _fails(tmp_path, capsys, bad, mapping)
    assert line.startswith(f"error: {bad}: no project.qde in the archive")


def test_malformed_xml_is_located(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    rewrite_qde(project, lambda xml: xml.replace("</CodeBook>", "</Codebook>"))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    row = next(i for i, ln in enumerate(_qde(project).split("\n"), 1) if "</Codebook>" in ln)
    assert line.startswith(f"error: {project}[project.qde]:{row}: ") and "not well-formed XML" in line


def test_schema_violations_are_all_located(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "atlas")
    def edit(xml: str) -> str:
        xml = xml.replace(' isCodable="true"', "", 1)                             # a required attribute
        xml = xml.replace("<PlainTextSelection ", "<PlainTextSelektion ", 1)      # an element the schema lacks
        return xml.replace("</PlainTextSelection>", "</PlainTextSelektion>", 1)
    rewrite_qde(project, edit)
    lines = _fails(tmp_path, capsys, project, mapping)
    text = _qde(project).split("\n")
    code_row = next(i for i, ln in enumerate(text, 1) if "<Code " in ln and "isCodable" not in ln)
    sel_row = next(i for i, ln in enumerate(text, 1) if "<PlainTextSelektion" in ln)
    assert f"error: {project}[project.qde]:{code_row}:isCodable: <Code> lacks the required attribute 'isCodable'" in lines
    assert any(ln.startswith(f"error: {project}[project.qde]:{sel_row}:PlainTextSelektion: <PlainTextSelektion> "
                             "is not allowed inside <TextSource>") for ln in lines)


def test_wrong_root_or_namespace(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    rewrite_qde(project, lambda xml: xml.replace('xmlns="urn:QDA-XML:project:1.0"', 'xmlns="urn:other"'))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    assert line.startswith(f"error: {project}[project.qde]:2:Project: the root element is <Project>")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_selection_outside_its_source(flavour, tmp_path, capsys):
    project, mapping = write_study(tmp_path, flavour)
    rewrite_qde(project, lambda xml: xml.replace('endPosition="', 'endPosition="9', 1))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    row = next(i for i, ln in enumerate(_qde(project).split("\n"), 1) if 'endPosition="9' in ln)
    assert line.startswith(f"error: {project}[project.qde]:{row}:endPosition: selection ")
    assert "points outside its source 'Interview A1'" in line


def test_reference_to_a_missing_code(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "nvivo")
    rewrite_qde(project, lambda xml: re.sub(r'<CodeRef targetGUID="[^"]+"',
                                            '<CodeRef targetGUID="ffffffff-ffff-ffff-ffff-ffffffffffff"', xml, count=1))
    lines = _fails(tmp_path, capsys, project, mapping)
    assert any(":targetGUID: code ffffffff-ffff-ffff-ffff-ffffffffffff is not in the codebook" in ln for ln in lines)


def test_mapping_names_a_code_the_project_lacks(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    mapping.write_text(mapping_text("maxqda", '"Fase 1/Probleemstroom/Inzict/+" = { factor = "p1_insight", code = 1 }\n'))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    row = next(i for i, ln in enumerate(mapping.read_text().split("\n"), 1) if "Inzict" in ln)
    assert line == (f"error: {mapping}:{row}:Fase 1/Probleemstroom/Inzict/+: code 'Fase 1/Probleemstroom/Inzict/+' "
                    f"is not in {project}[project.qde] (did you mean 'Fase 1/Probleemstroom/Inzicht/+'?)")


def test_mapping_names_a_factor_the_codebook_lacks(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    mapping.write_text(mapping_text("maxqda").replace('factor = "p1_congruence_values", code = -1',
                                                      'factor = "p1_congruence_value", code = -1'))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    row = next(i for i, ln in enumerate(mapping.read_text().split("\n"), 1) if "p1_congruence_value\"" in ln)
    assert line == (f"error: {mapping}:{row}:factor: factor 'p1_congruence_value' is not in the codebook "
                    f"{tmp_path / 'codebook.toml'} (did you mean 'p1_congruence_values'?)")


def test_two_codes_give_one_respondent_two_values(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "nvivo")
    # map the unmapped code of Interview A1 to p1_insight -1: A1 already gives +1
    mapping.write_text(mapping_text("nvivo", '"Overig/Opvallend" = { factor = "p1_insight", code = -1 }\n'))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    assert f"error: {project}[project.qde]:" in line
    assert ("case 'noord', factor 'p1_insight', respondent 'Interview A1': 'Overig/Opvallend' gives -1 but "
            "'Fase 1/Probleemstroom/Inzicht/+' gave +1") in line


def test_existing_output_is_refused_and_kept(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "nvivo")
    out = tmp_path / "ds"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    code, _, err = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(out)], capsys)
    assert code != 0 and "already exists" in err and (out / "mine.txt").read_text() == "keep"
    code, _, _ = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(out), "--force"],
                         capsys)
    assert code == 0 and not (out / "mine.txt").exists() and (out / "codes.csv").is_file()


def test_doctype_is_refused(tmp_path):
    project, mapping = write_study(tmp_path, "maxqda")
    rewrite_qde(project, lambda xml: xml.replace("<Project ", '<!DOCTYPE x [<!ENTITY a "b">]>\n<Project ', 1))
    with pytest.raises(InputError, match="DOCTYPE declaration is not allowed"):
        read_qdpx(project)


def _qde(project) -> str:
    with zipfile.ZipFile(project) as archive:
        return archive.read("project.qde").decode("utf-8")


def test_source_text_missing_from_the_archive_or_outside_it(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    rewrite_qde(project, lambda xml: xml.replace('plainTextPath="internal://', 'plainTextPath="relative://', 1)
                .replace('plainTextPath="internal://', 'plainTextPath="internal://x', 1))
    lines = _fails(tmp_path, capsys, project, mapping)
    assert len(lines) == 2
    assert "plainTextPath 'relative://" in lines[0] and "is outside the archive" in lines[0]
    assert ":plainTextPath: plainTextPath 'internal://x" in lines[1] and "is not in the archive" in lines[1]


def test_duplicate_guid_and_bad_integer(tmp_path):
    project, _ = write_study(tmp_path, "nvivo")
    qde = _qde(project)
    first_code = re.search(r'<Code guid="([^"]+)"', qde).group(1)
    second_code = re.findall(r'<Code guid="([^"]+)"', qde)[1]
    rewrite_qde(project, lambda xml: xml.replace(second_code, first_code).replace('startPosition="0"', 'startPosition="nul"', 1))
    with pytest.raises(InputError) as info:
        read_qdpx(project)
    messages = [v.message for v in info.value.violations]
    assert any(m.startswith(f"guid {first_code} is used twice (first at line ") for m in messages)
    assert "startPosition 'nul' is not an integer" in messages


def test_media_codings_are_noted_not_imported(tmp_path):
    project, mapping = write_study(tmp_path, "maxqda")
    audio = ('<AudioSource guid="AAAAAAAA-0000-0000-0000-000000000001" name="Opname">'
             '<Coding guid="AAAAAAAA-0000-0000-0000-000000000002"><CodeRef targetGUID="{}"/></Coding></AudioSource>')
    code = re.search(r'<Code guid="([^"]+)" name="\+"', _qde(project)).group(1)
    rewrite_qde(project, lambda xml: xml.replace("</Sources>", audio.format(code) + "</Sources>"))
    result = import_qdpx(project, mapping, tmp_path / "ds")
    (note,) = result.notes
    assert "1 coding(s) on AudioSource 'Opname' are not imported" in note
    np.testing.assert_array_equal(result.dataset.x, EXPECTED_X)


def test_respondent_variable_no_source_has(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    mapping.write_text(mapping.read_text() + '\n[respondents]\nvariable = "Rol"\n')
    (line,) = _fails(tmp_path, capsys, project, mapping)
    assert line.endswith("no source of the project has the respondent variable 'Rol'")


def test_respondent_variable_names_the_respondents(tmp_path):
    project, mapping = write_study(tmp_path, "atlas")
    mapping.write_text(mapping.read_text() + '\n[respondents]\nvariable = "Functie"\n')
    # every source says "ambtenaar": A1 (+1) and A2 (-1) are now one respondent with two values
    with pytest.raises(InputError, match="respondent 'ambtenaar'"):
        import_qdpx(project, mapping, tmp_path / "ds")


def test_source_in_two_imported_cases(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "nvivo")
    qde = _qde(project)
    a1 = re.search(r'<TextSource guid="([^"]+)" name="Interview A1"', qde).group(1)
    rewrite_qde(project, lambda xml: xml.replace("</Case>", f'<SourceRef targetGUID="{a1}"/></Case>', 2))
    lines = _fails(tmp_path, capsys, project, mapping)
    assert any("a source is in case 'Gemeente Noord' and in case 'Gemeente Zuid'" in ln for ln in lines)


def test_python_api_reexports_the_import(tmp_path):
    import bayesstreams as bs

    project, mapping = write_study(tmp_path, "atlas")
    result = bs.import_qdpx(project, mapping, tmp_path / "ds")
    np.testing.assert_array_equal(result.dataset.x, EXPECTED_X)
    assert bs.write_template(project, tmp_path / "t.toml").read_text().count('# "Fase 1/') > 0


def test_sources_disagreeing_on_a_window(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "nvivo")
    mapping.write_text(mapping_text("nvivo", '"Overig/Opvallend" = { phase = 1, window = 0 }\n'))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    assert "case 'noord', phase-1 window: 'Overig/Opvallend' gives 0 but 'Vensters/Fase 1/open' gave 1" in line


def test_project_without_cases_needs_a_case_variable(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    mapping.write_text(mapping_text("nvivo").replace("[cases.ids]\n\"Gemeente Noord\" = \"noord\"\n\"Gemeente Zuid\" = \"zuid\"\n", ""))
    (line,) = _fails(tmp_path, capsys, project, mapping)
    assert line == f"error: {project}: no cases to import (check [cases] in the mapping)"


def test_a_case_variable_named_group_is_the_model_group(tmp_path):
    project, mapping = write_study(tmp_path, "nvivo")
    rewrite_qde(project, lambda xml: xml.replace('name="Inwoners"', 'name="Group"'))
    data = import_qdpx(project, mapping, tmp_path / "ds").dataset
    assert data.groups == ("200.000 +", "50.000 – 100.000")
    assert list(data.group) == [1, 0]


def test_overlapping_sets_need_cases_ids(tmp_path, capsys):
    project, mapping = write_study(tmp_path, "maxqda")
    text = mapping.read_text()
    mapping.write_text(text.replace('[cases.ids]\n"Gemeente Noord" = "noord"\n"Gemeente Zuid" = "zuid"\n', ""))
    lines = _fails(tmp_path, capsys, project, mapping)
    assert any("a source is in case 'Gemeente Noord' and in case 'Alle documenten'; list the cases to import "
               "in [cases.ids]" in ln for ln in lines)


def test_every_mapping_problem_is_reported_in_one_pass(tmp_path, capsys):
    """Three kinds of mistake (a factor the codebook lacks, a code the project lacks, a case it lacks) in one run.

    Before, the first kind stopped the import and the others were found one run at a time.
    """
    project, mapping = write_study(tmp_path / "in", "nvivo")
    text = mapping.read_text(encoding="utf-8")
    text = text.replace('"Gemeente Zuid" = "zuid"', '"Gemeente Zuidd" = "zuid"')  # a case the project lacks
    text = text.replace("[codes]", '[codes]\n"Fase 1/Inzicht/-" = { factor = "p1_insigt", code = 2 }'  # two bad fields
                                   '\n"Fase 1/Inzichtt/+" = { factor = "p1_insight", code = 1 }', 1)  # not in project
    mapping.write_text(text.replace("[cases]\n", "[cases]\nfrm = 1\n"), encoding="utf-8")  # a typo'd key
    lines = _fails(tmp_path, capsys, project, mapping)
    where = {n: i for i, n in enumerate(mapping.read_text(encoding="utf-8").split("\n"), 1)}
    at = {name: next(i for ln, i in where.items() if name in ln) for name in ("p1_insigt", "Inzichtt", "Zuidd", "frm")}
    expected = [f"error: {mapping}:{at['p1_insigt']}:factor: factor 'p1_insigt' is not in the codebook ",
                f"error: {mapping}:{at['p1_insigt']}:code: code 2 is not -1, 0 or 1",
                f"error: {mapping}:{at['Inzichtt']}:Fase 1/Inzichtt/+: code 'Fase 1/Inzichtt/+' is not in ",
                # an entry with bad fields is still checked against the project (its path is not there either)
                f"error: {mapping}:{at['p1_insigt']}:Fase 1/Inzicht/-: code 'Fase 1/Inzicht/-' is not in ",
                f"error: {mapping}:{at['Zuidd']}:Gemeente Zuidd: case 'Gemeente Zuidd' is not in ",
                f"error: {mapping}:{at['frm']}:cases.frm: unknown key 'frm' in [cases] "]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert len(lines) == len(expected), lines  # one line per distinct problem, nothing else
    assert "(did you mean 'p1_insight'?)" in lines[[l.startswith(expected[0]) for l in lines].index(True)]
    assert "codebook.toml" in lines[[l.startswith(expected[0]) for l in lines].index(True)]  # names the codebook
