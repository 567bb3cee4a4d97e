"""The codebook rules on their own: every problem located, all of them reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bayesstreams.data.codebook import Factor, codebook_from_mapping, load_codebook
from bayesstreams.errors import InputError
from bayesstreams.data.io import parse_csv_text
from .conftest import BASE_FACTORS, codebook_toml


def entry(phase=1, stream="problem", **more):
    return {"phase": phase, "stream": stream, **more}


def violations_of(data: dict, lines: dict | None = None):
    with pytest.raises(InputError) as info:
        codebook_from_mapping("cb.toml", data, lines)
    return sorted(((v.row, v.column) for v in info.value.violations), key=repr)


def test_factor_order_is_the_codebook_order(tmp_path):
    path = tmp_path / "codebook.toml"
    path.write_text(codebook_toml(), encoding="utf-8")
    book = load_codebook(path)
    assert book.ids == tuple(BASE_FACTORS)
    assert [(f.phase, f.stream) for f in book.factors] == [v[:2] for v in BASE_FACTORS.values()]
    assert book["p1_insight"].label("nl") == "inzicht in aard en omvang"
    assert book.dataset["title"] == "test gemeenten"


@pytest.mark.parametrize("factor_id", ["P1_media", "1media", "p1-media", "p1 media", ""])
def test_bad_factor_id(factor_id):
    assert violations_of({"factors": {factor_id: entry()}}) == [(None, "id")]


def test_unknown_key_and_non_text_label():
    assert violations_of({"factors": {"a": entry(weight=2, label_nl=3)}}) == [(None, "label_nl"), (None, "weight")]


@pytest.mark.parametrize("phase", [0, 3, "een", 1.5, True, [1]])
def test_phase_must_be_1_or_2(phase):
    assert violations_of({"factors": {"a": entry(phase=phase)}}, {"a": 7}) == [(7, "phase")]


@pytest.mark.parametrize("phase", [1, 2, "1", " 2 "])
def test_phase_accepts_1_2_as_number_or_text(phase):
    book = codebook_from_mapping("cb.toml", {"factors": {"a": entry(phase=phase)}})
    assert book["a"].phase == int(str(phase))


def test_every_problem_of_every_factor_is_reported():
    data = {"factors": {"a": {"stream": "policy"}, "b": entry(stream="Problem"), "c": entry()}, "meta": {}}
    assert violations_of(data, {"a": 2, "b": 6}) == [(2, "phase"), (6, "stream"), (None, "meta")]


@pytest.mark.parametrize("data", [{}, {"factors": {}}, {"dataset": {"title": "x"}}, {"factors": 3}])
def test_codebook_without_factors(data):
    assert violations_of(data) == [(None, "factors")]


def test_factor_that_is_not_a_table():
    assert violations_of({"factors": {"a": 1, "b": entry()}}, {"a": 3}) == [(3, "a")]


def test_label_falls_back():
    assert Factor("a", 1, "problem", label_nl="nl").label("en") == "nl"
    assert Factor("a", 1, "problem", label_en="en").label("nl") == "en"
    assert Factor("a", 1, "problem").label() == "a"


def test_codebook_not_utf8_is_located(tmp_path):
    path = tmp_path / "codebook.toml"
    path.write_bytes(codebook_toml().replace("inzicht", "inzicht é").encode("cp1252"))
    row = codebook_toml().split("\n").index(next(l for l in codebook_toml().split("\n") if "inzicht" in l)) + 1
    with pytest.raises(InputError) as info:
        load_codebook(path)
    assert [(Path(v.file).name, v.row) for v in info.value.violations] == [("codebook.toml", row)]


@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty_codebook(tmp_path, content):
    path = tmp_path / "codebook.toml"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_codebook(path)
    assert [(v.row, v.column) for v in info.value.violations] == [(None, None)]


def test_parse_csv_numbers_rows_by_file_line():
    table = parse_csv_text('a,b\n1,2\n\n"x\ny",3\n4,5\n', "f.csv")
    assert table.columns == ("a", "b")
    assert table.lines == (2, 4, 6)
    assert table.rows[1] == {"a": "x\ny", "b": "3"}


def test_parse_csv_pads_short_rows_and_reports_every_long_row():
    assert parse_csv_text("a,b,c\n1\n", "f.csv").rows == ({"a": "1", "b": "", "c": ""},)
    assert parse_csv_text("a,b\n1,2,,\n", "f.csv").rows == ({"a": "1", "b": "2"},)  # empty surplus is fine
    with pytest.raises(InputError) as info:
        parse_csv_text("a,b\n1,2,3\n4,5\n6,7,8\n", "f.csv")
    assert [v.row for v in info.value.violations] == [2, 4]


# ---------------------------------------------------------------------------- actions


ACTION = {"action_nl": "Laat in kaart brengen hoe groot het is", "action_en": "Have its size mapped"}


def test_an_action_in_both_languages_is_kept_on_one_line():
    book = codebook_from_mapping("cb.toml", {"factors": {"a": entry(**ACTION, action_source="thesis 6.2.2"),
                                                         "b": entry(action_nl="Doe\n  dit", action_en="Do\nthis")}})
    assert (book["a"].action("nl"), book["a"].action("en")) == (ACTION["action_nl"], ACTION["action_en"])
    assert book["a"].action_source == "thesis 6.2.2"
    assert (book["b"].action("nl"), book["b"].action("en")) == ("Doe dit", "Do this")  # a multi-line string joined
    assert book.actions()["a"] == {"nl": ACTION["action_nl"], "en": ACTION["action_en"], "source": "thesis 6.2.2"}


def test_no_action_is_empty_in_both_languages():
    book = codebook_from_mapping("cb.toml", {"factors": {"a": entry()}})
    assert book["a"].action("nl") == book["a"].action("en") == ""
    assert "action_nl" not in book.to_toml_dict()["factors"]["a"]  # an export adds no empty keys


@pytest.mark.parametrize("more, columns", [
    ({"action_nl": "Doe iets"}, ["action_en"]),  # one language only: the missing one is named
    ({"action_en": "Do something"}, ["action_nl"]),
    ({"action_nl": "  ", "action_en": "Do something"}, ["action_nl"]),  # blank
    ({"action_nl": "", "action_en": ""}, ["action_en", "action_nl"]),
    ({"action_nl": 3, "action_en": "Do something"}, ["action_nl"]),  # not text
    ({"action_nl": ["a"], "action_en": ["b"]}, ["action_en", "action_nl"]),
    ({"action_source": "thesis"}, ["action_source"]),  # a source note without an action
    ({**ACTION, "action_source": ""}, ["action_source"]),
    ({**ACTION, "action": "Do it"}, ["action"]),  # a typo of the key is an unknown key
])
def test_a_bad_action_is_one_located_error_per_mistake(more, columns):
    assert violations_of({"factors": {"a": entry(**more)}}, {"a": 4}) == [(4, column) for column in columns]


def test_validate_names_file_row_column_and_rule_of_a_bad_action(valid_dataset, capsys):
    from .conftest import run_cli

    path = valid_dataset / "codebook.toml"
    text = path.read_text(encoding="utf-8")
    header = "[factors.p1_congruence_values]"
    path.write_text(text.replace(header, header + '\naction_nl = "Spreek uit dat het hier niet thuishoort"'),
                    encoding="utf-8")
    row = text.split("\n").index(header) + 1
    code, _, err = run_cli(["validate", str(valid_dataset)], capsys)
    assert code == 2
    assert err.strip() == (f"error: {path}:{row}:action_en: factor 'p1_congruence_values' has action_nl but no "
                           "action_en: give the action in both languages")
    assert "Traceback" not in err


def test_actions_travel_with_the_run_snapshot(tmp_path):
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.data.export import write_long

    study = load_dataset(Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020")
    write_long(study, tmp_path / "copy")
    again = load_dataset(tmp_path / "copy")
    assert again.codebook.actions() == study.codebook.actions()
    assert again.codebook == study.codebook
