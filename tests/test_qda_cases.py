"""Cases from sources, parent codes that collect their children, coders as respondents, the import summary
(issue 26 item 7).  Projects are laid out as the programs write them (``tests/qda_builders.py``); the
expected values are written out here from the codings listed, not computed by the importer's code.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from bayesstreams.data import agreement as ag
from bayesstreams.data import alpha as ka
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.qda.importer import import_qdpx
from bayesstreams.data.qda.template import write_template
from bayesstreams.errors import InputError

from .conftest import BASE_FACTORS, codebook_toml, run_cli
from .qda_builders import Spec, Src, build_qdpx

INSIGHT = "Probleem/Inzicht"
CODES = [f"{INSIGHT}/+", f"{INSIGHT}/+/sterk", f"{INSIGHT}/+/zwak", f"{INSIGHT}/-", "Waarden/+", "Waarden/-",
         "Venster/open", "Venster/dicht", "Leeg/+"]
# three boards' minutes, one document each, no cases or sets (as in the real NVivo projects)
DOCS = {"Board 2017": "The board knows the scale well. Values fit. The window opened.",
        "Board 2018": "Nobody knows the scale. Values clash. The window stayed shut.",
        "Board 2019": "The board knows the scale roughly. Values fit. The window opened."}


def board_spec(coders: tuple[str, ...] = ()) -> Spec:
    """Codings of each document; with two coders, bob disagrees with alice on 'Values' in 2018."""
    plan = {"Board 2017": [("knows the scale well", f"{INSIGHT}/+/sterk"), ("Values fit", "Waarden/+"),
                           ("The window opened.", "Venster/open")],
            "Board 2018": [("Nobody knows the scale", f"{INSIGHT}/-"), ("Values clash", "Waarden/-"),
                           ("The window stayed shut.", "Venster/dicht")],
            "Board 2019": [("knows the scale roughly", f"{INSIGHT}/+/zwak"), ("Values fit", "Waarden/+"),
                           ("The window opened.", "Venster/open")]}
    sources = []
    for name, text in DOCS.items():
        codings = list(plan[name])
        if coders:
            codings = [(q, c, coders[0]) for q, c in plan[name]]
            for q, c in plan[name]:
                if name == "Board 2018" and c == "Waarden/-":
                    c = "Waarden/+"  # bob reads the clash as a fit
                codings.append((q, c, coders[1]))
        sources.append(Src(name, text, codings))
    return Spec(CODES, sources)


MAPPING = f'''codebook = "codebook.toml"
[cases]
from = "sources"
[codes]
"{INSIGHT}/+" = {{ factor = "p1_insight", code = 1 }}
"{INSIGHT}/-" = {{ factor = "p1_insight", code = -1 }}
"Waarden/+" = {{ factor = "p1_congruence_values", code = 1 }}
"Waarden/-" = {{ factor = "p1_congruence_values", code = -1 }}
"Venster/open" = {{ phase = 1, window = 1 }}
"Venster/dicht" = {{ phase = 1, window = 0 }}
"Leeg/+" = {{ factor = "p1_political_involvement", code = 1 }}
'''


def setup(tmp_path, flavour="nvivo", coders=(), mapping=MAPPING):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "codebook.toml").write_text(codebook_toml(BASE_FACTORS), encoding="utf-8")
    (tmp_path / "map.toml").write_text(mapping, encoding="utf-8")
    return build_qdpx(tmp_path / "p.qdpx", board_spec(coders), flavour), tmp_path / "map.toml"


def column(data, factor):
    return list(data.x[:, data.factor_ids.index(factor)])


@pytest.mark.parametrize("flavour", ["nvivo", "atlas", "qualcoder"])
def test_each_source_a_case_and_a_parent_code_collects_its_children(flavour, tmp_path):
    project, mapping = setup(tmp_path, flavour)
    result = import_qdpx(project, mapping, tmp_path / "ds")
    data = result.dataset
    assert data.case_ids == ("Board 2017", "Board 2018", "Board 2019")
    # 'Inzicht/+' has no codings of its own: its children 'sterk' and 'zwak' give 2017 and 2019 their +1
    assert column(data, "p1_insight") == [1.0, -1.0, 1.0]
    assert column(data, "p1_congruence_values") == [1.0, -1.0, 1.0]
    assert list(data.w[:, 0]) == [1.0, 0.0, 1.0]
    quotes = {r["case_id"]: r["quote"] for r in data.codes if r["factor"] == "p1_insight"}
    assert quotes == {"Board 2017": "knows the scale well", "Board 2018": "Nobody knows the scale",
                      "Board 2019": "knows the scale roughly"}
    assert result.unmapped == {}
    summary = result.summary
    assert summary.collected == {f"{INSIGHT}/+": 2}
    assert (summary.codings, summary.codings_imported, summary.sources, summary.sources_imported) == (9, 9, 3, 3)
    assert summary.empty_mapped == ["Leeg/+"]
    (warning,) = result.warnings
    assert "mapped code 'Leeg/+' has no coding" in warning and warning.startswith(f"{mapping}:11:Leeg/+: ")


def test_a_child_mapped_itself_keeps_its_own_meaning(tmp_path):
    mapping = MAPPING + f'"{INSIGHT}/+/zwak" = {{ factor = "p1_insight", code = 0 }}\n'
    project, mapping = setup(tmp_path, mapping=mapping)
    result = import_qdpx(project, mapping, tmp_path / "ds")
    assert column(result.dataset, "p1_insight") == [1.0, -1.0, 0.0]
    assert result.summary.collected == {f"{INSIGHT}/+": 1}


def test_the_command_prints_what_was_read_and_left_out(tmp_path, capsys):
    project, mapping = setup(tmp_path)
    mapping.write_text(MAPPING.replace('"Waarden/-" = { factor = "p1_congruence_values", code = -1 }\n', "")
                       .replace("from = \"sources\"", "from = \"sources\"\n[cases.ids]\n\"Board 2017\" = \"b17\"\n"
                                                      "\"Board 2018\" = \"b18\""), encoding="utf-8")
    code, out, err = run_cli(["import", "qdpx", str(project), "--mapping", str(mapping), "--out",
                              str(tmp_path / "ds")], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert "read: 14 codes (6 mapped, 0 ignored), 9 codings, 3 sources" in lines
    assert "imported: 5 codings from 2 sources" in lines
    assert "left out: 1 coding (code not mapped); 3 codings (source in no imported case)" in lines
    assert f"collected: '{INSIGHT}/+' took in 1 coding of the codes under it" in lines
    assert "sources in no imported case: 'Board 2019'" in lines
    assert "positions counted as: UTF-16 code units (3 sources)" in lines
    assert "warning: " in err and "'Leeg/+' has no coding" in err


def test_two_coders_give_agreement_from_the_project(tmp_path, capsys):
    """alice and bob code every document; bob disagrees once.  Alpha is the hand table's, from the .qdpx."""
    mapping = MAPPING.replace('"Leeg/+" = { factor = "p1_political_involvement", code = 1 }\n', "")
    project, mapping = setup(tmp_path, "qualcoder", ("alice", "bob"), mapping + '[respondents]\nfrom = "coders"\n')
    result = import_qdpx(project, mapping, tmp_path / "ds")
    table = result.dataset.respondent_codes()
    table = table[table.factor == "p1_congruence_values"]
    rows = sorted((r.case_id, r.respondent, r.code) for r in table.itertuples())
    assert rows == [("Board 2017", "alice", 1), ("Board 2017", "bob", 1), ("Board 2018", "alice", -1),
                    ("Board 2018", "bob", 1), ("Board 2019", "alice", 1), ("Board 2019", "bob", 1)]
    assert result.summary.coders == {"alice": 9, "bob": 9} and result.summary.respondents == "coders"
    expected = ka.alpha(reliability_data=[[1, -1, 1], [1, 1, 1]], values=[-1, 0, 1], level="nominal")
    # coincidences: o[+,+] = 4, o[-,+] = o[+,-] = 1; n = 6, n_- = 1, n_+ = 5: 1 - 5 * 2 / (2 * 1 * 5) = 0
    assert expected == pytest.approx(0.0, abs=1e-12)
    code, out, err = run_cli(["agreement", str(tmp_path / "ds"), "--json", "--resamples", "50"], capsys)
    assert code == 0, err
    import json

    row = next(r for r in json.loads(out)["rows"] if r["factor"] == "p1_congruence_values" and r["level"] == "nominal")
    assert row["alpha"] == pytest.approx(expected, abs=1e-12) and row["n_units"] == 3
    insight = ag.agreement(load_dataset(tmp_path / "ds"), resamples=20).row("p1_insight", "nominal")
    assert (insight.alpha, insight.n_units) == (1.0, 3)  # they agree on every insight code (+1, -1, +1)


def test_two_coders_of_one_source_are_two_respondents_by_default(tmp_path):
    """Without [respondents], bob's reading of 2018 is a second respondent of that source, not a conflict."""
    mapping = MAPPING.replace('"Leeg/+" = { factor = "p1_political_involvement", code = 1 }\n', "")
    project, mapping = setup(tmp_path, "nvivo", ("alice", "bob"), mapping)
    result = import_qdpx(project, mapping, tmp_path / "ds")
    table = result.dataset.respondent_codes()
    cell = table[(table.case_id == "Board 2018") & (table.factor == "p1_congruence_values")]
    assert sorted(zip(cell.respondent, cell.code)) == [("Board 2018 / alice", -1), ("Board 2018 / bob", 1)]
    assert result.summary.respondents == "sources and coders"
    assert "coders: alice (9 codings), bob (9 codings); respondents: sources and coders" in result.summary.lines()


def test_coders_as_respondents_need_a_coder_on_every_coding(tmp_path, capsys):
    project, mapping = setup(tmp_path, "nvivo", (), MAPPING + '[respondents]\nfrom = "coders"\n')
    args = ["import", "qdpx", str(project), "--mapping", str(mapping), "--out", str(tmp_path / "ds")]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and not (tmp_path / "ds").exists()
    lines = err.splitlines()
    assert len(lines) == 9 and all("does not say who made it (no creatingUser)" in line for line in lines)
    mapping.write_text(MAPPING + '[respondents]\nfrom = "raters"\n', encoding="utf-8")
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "respondents.from 'raters' is not one of 'sources', 'coders', 'variable'" in err


def test_the_template_offers_what_the_project_has(tmp_path):
    project, _ = setup(tmp_path, "qualcoder", ("alice", "bob"))
    text = write_template(project, tmp_path / "t.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["cases"]["from"] == "sources"  # no cases, sets or variables: each source a case, chosen
    assert 'from = "sources"  # each source a case (3): "Board 2017", "Board 2018", "Board 2019"' in text
    assert '# "Board 2018" = "c2"' in text
    assert '# from = "coders"  # the coders ("alice", "bob") as respondents' in text
    line = next(ln for ln in text.splitlines() if ln.startswith(f'# "{INSIGHT}/+" = '))
    assert line.endswith("# 0 codings; mapped, it collects the 4 codings under it")  # sterk and zwak, by two coders


def test_duplicate_source_names_cannot_be_cases(tmp_path):
    project, mapping = setup(tmp_path)
    from .qda_builders import rewrite_qde

    rewrite_qde(project, lambda xml: xml.replace('name="Board 2019"', 'name="Board 2017"'))
    with pytest.raises(InputError, match="two sources are named 'Board 2017'"):
        import_qdpx(project, mapping, tmp_path / "ds")
