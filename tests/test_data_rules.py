"""One test per rule of the data contract: each violation is located (file, row, column) and
``bayesstreams validate`` turns it into exactly one ``error:`` line and exit code 2.

Each corruption is chosen to break exactly one rule of the (otherwise valid, warning-free)
base dataset from conftest, so every test asserts the *complete* set of violations: a
loader that reported the right error plus spurious ones, or at the wrong row, fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import InputError
from .conftest import BASE_FACTORS, codebook_toml, codes_row, line_of, run_cli, write_csv_file


# ----------------------------------------------------------------------------- helpers

def located(violations) -> list[tuple[str, int | None, str | None]]:
    return sorted(((Path(v.file).name, v.row, v.column) for v in violations), key=repr)


def assert_rejected(path: Path, expected: list[tuple[str, int | None, str | None]], capsys,
                    extra_argv: tuple[str, ...] = (), **load_kwargs) -> list:
    """Assert ``load_dataset`` reports exactly ``expected`` and the CLI prints one line per violation."""
    with pytest.raises(InputError) as info:
        load_dataset(path, **load_kwargs)
    violations = info.value.violations
    assert located(violations) == sorted(expected, key=repr), [str(v) for v in violations]
    for v in violations:
        assert v.message.strip(), "every violation needs a message"
    # Files inside a dataset folder are reported by their path in that folder.
    if path.is_dir():
        for v in violations:
            assert Path(v.file).parent == path, v.file

    code, out, err = run_cli(["validate", str(path), *extra_argv], capsys)
    assert code == 2
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"error: {v}" for v in violations]
    assert "valid" not in out.split()
    for v in violations:
        # file:row:column with unknown parts left out, never an empty field ("file::: ...")
        location = ":".join([v.file] + ([str(v.row)] if v.row is not None else []) + ([v.column] if v.column else []))
        assert f"error: {location}: " in err
        assert "::" not in err.replace(v.file, "<file>")
    return violations


def drop_column(header: list[str], rows: list[list[str]], column: str) -> None:
    index = header.index(column)
    header.pop(index)
    for row in rows:
        row.pop(index)


def test_valid_base_dataset_has_no_violation(valid_dataset, capsys):
    # The premise of every test below: the uncorrupted fixture is valid and quiet.
    data = load_dataset(valid_dataset)
    assert data.warnings == []
    code, out, err = run_cli(["validate", str(valid_dataset)], capsys)
    assert code == 0 and "error" not in err


# ----------------------------------------------------------------------------- codes.csv

def test_unknown_factor(factory, capsys):
    t = factory.tables()
    i = codes_row(t, "c3", "p1_insight")
    t["codes"][i][1] = "p1_insigth"
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", line_of(i), "factor")], capsys)
    assert "p1_insigth" in v.message


@pytest.mark.parametrize("bad", ["2", "yes", "++", "+-", "0.5"])
def test_code_outside_allowed_set(factory, capsys, bad):
    t = factory.tables()
    i = codes_row(t, "c2", "p2_region_orientation")
    t["codes"][i][2] = bad
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", line_of(i), "code")], capsys)
    assert repr(bad) in v.message


@pytest.mark.parametrize("good, value", [("-1", -1.0), ("+1", 1.0), ("0", 0.0), (" 1 ", 1.0), ("+", 1.0), ("-", -1.0),
                                         ("\u2212", -1.0), ("\u22121", -1.0), (" - ", -1.0)])
def test_allowed_codes_are_read_as_numbers(factory, good, value):
    t = factory.tables()
    i = codes_row(t, "c2", "p2_region_orientation")
    t["codes"][i][2] = good
    data = load_dataset(factory.make(tables=t))
    assert data.x[1, data.factor_ids.index("p2_region_orientation")] == value


def test_duplicate_case_factor_without_respondent_column(factory, capsys):
    t = factory.tables()
    drop_column(t["codes_header"], t["codes"], "respondent")
    t["codes"].append(["c2", "p1_insight", "1", "5.3", "nog een keer"])
    dup_line = line_of(len(t["codes"]) - 1)
    first_line = line_of(codes_row(t, "c2", "p1_insight"))
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", dup_line, "factor")], capsys)
    assert f"first at row {first_line}" in v.message


def test_duplicate_case_factor_respondent(factory, capsys):
    t = factory.tables()
    t["codes"].append(["c2", "p1_insight", "0", "r1", "5.3", "dezelfde respondent"])
    dup_line = line_of(len(t["codes"]) - 1)
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", dup_line, "factor")], capsys)
    assert "'r1'" in v.message


def test_two_respondents_on_same_case_and_factor_are_allowed(factory, capsys):
    t = factory.tables()
    t["codes"].append(["c2", "p1_insight", "0", "r2", "5.3", "een andere respondent"])
    path = factory.make(tables=t)
    data = load_dataset(path)
    assert sum(1 for r in data.codes if (r["case_id"], r["factor"]) == ("c2", "p1_insight")) == 2
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 0 and "error:" not in err


def test_case_in_codes_missing_from_cases(factory, capsys):
    t = factory.tables()
    t["codes"].insert(5, ["c9", "p1_insight", "1", "r1", "", ""])
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", line_of(5), "case_id")], capsys)
    assert "'c9'" in v.message


@pytest.mark.parametrize("column", ["case_id", "factor", "code"])
def test_missing_required_column_in_codes(factory, capsys, column):
    t = factory.tables()
    drop_column(t["codes_header"], t["codes"], column)
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", 1, column)], capsys)
    assert repr(column) in v.message


# ----------------------------------------------------------------------------- cases.csv

def test_duplicate_case_id(factory, capsys):
    t = factory.tables()
    t["cases"].append(["c1", "Nog een c1", "0", "0", "", "", ""])
    [v] = assert_rejected(factory.make(tables=t), [("cases.csv", line_of(4), "case_id")], capsys)
    assert "first at row 2" in v.message


@pytest.mark.parametrize("column", ["case_id", "w1", "w2"])
def test_missing_required_column_in_cases(factory, capsys, column):
    t = factory.tables()
    drop_column(t["cases_header"], t["cases"], column)
    # without streams.csv, so that the missing column is the only thing to report
    [v] = assert_rejected(factory.make(tables=t, streams=False), [("cases.csv", 1, column)], capsys)
    assert repr(column) in v.message


# Regression (bug found by these tests, since fixed): a cases.csv that yields no case ids makes every
# streams.csv row report 'case is not in cases.csv' (codes.csv is spared by a guard)
@pytest.mark.parametrize("column", ["case_id", "w1"])
def test_missing_cases_column_reported_once_even_with_streams(factory, capsys, column):
    t = factory.tables()
    drop_column(t["cases_header"], t["cases"], column)
    assert_rejected(factory.make(tables=t), [("cases.csv", 1, column)], capsys)


@pytest.mark.parametrize("column, bad", [("w1", "2"), ("w2", "yes"), ("w1", "1.0"), ("w2", "-1"), ("w1", "+1")])
def test_window_outside_binary(factory, capsys, column, bad):
    t = factory.tables()
    t["cases"][2][t["cases_header"].index(column)] = bad
    [v] = assert_rejected(factory.make(tables=t), [("cases.csv", line_of(2), column)], capsys)
    assert repr(bad) in v.message


# ----------------------------------------------------------------------------- streams.csv

def test_case_in_streams_missing_from_cases(factory, capsys):
    t = factory.tables()
    t["streams"][2][0] = "c7"
    [v] = assert_rejected(factory.make(tables=t), [("streams.csv", line_of(2), "case_id")], capsys)
    assert "'c7'" in v.message


@pytest.mark.parametrize("column", ["case_id", "phase", "stream", "in_motion"])
def test_missing_required_column_in_streams(factory, capsys, column):
    t = factory.tables()
    drop_column(t["streams_header"], t["streams"], column)
    assert_rejected(factory.make(tables=t), [("streams.csv", 1, column)], capsys)


@pytest.mark.parametrize("bad", ["problm", "Problem", "window"])
def test_unknown_stream_in_streams(factory, capsys, bad):
    t = factory.tables()
    t["streams"][1][2] = bad
    [v] = assert_rejected(factory.make(tables=t), [("streams.csv", line_of(1), "stream")], capsys)
    assert repr(bad) in v.message


@pytest.mark.parametrize("bad", ["3", "0", "phase 1", "1.5"])
def test_unknown_phase_in_streams(factory, capsys, bad):
    t = factory.tables()
    t["streams"][3][1] = bad
    assert_rejected(factory.make(tables=t), [("streams.csv", line_of(3), "phase")], capsys)


def test_in_motion_outside_binary(factory, capsys):
    t = factory.tables()
    t["streams"][0][3] = "ja"
    assert_rejected(factory.make(tables=t), [("streams.csv", line_of(0), "in_motion")], capsys)


def test_duplicate_stream_state(factory, capsys):
    t = factory.tables()
    t["streams"].append(["c1", "1", "policy", "0"])
    assert_rejected(factory.make(tables=t), [("streams.csv", line_of(4), "stream")], capsys)


# ----------------------------------------------------------------------------- codebook.toml

def _line_number(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


@pytest.mark.parametrize("factor", ["p1_congruence_values", "p2_region_orientation"])
def test_codebook_unknown_stream(factory, capsys, factor):
    factors = dict(BASE_FACTORS)
    phase, _, nl, en = factors[factor]
    factors[factor] = (phase, "policie", nl, en)
    text = codebook_toml(factors)
    [v] = assert_rejected(factory.make(codebook_text=text),
                          [("codebook.toml", _line_number(text, f"[factors.{factor}]"), "stream")], capsys)
    assert "'policie'" in v.message


@pytest.mark.parametrize("key", ["phase", "stream"])
def test_codebook_missing_phase_or_stream(factory, capsys, key):
    text = codebook_toml()
    lines = text.splitlines()
    header = _line_number(text, "[factors.p1_political_involvement]")
    # drop the key from that one factor's table (the lines right after its header)
    target = next(i for i in range(header, len(lines)) if lines[i].startswith(f"{key} ="))
    del lines[target]
    text = "\n".join(lines) + "\n"
    [v] = assert_rejected(factory.make(codebook_text=text), [("codebook.toml", header, key)], capsys)
    assert "p1_political_involvement" in v.message


def test_codebook_phase_outside_1_2(factory, capsys):
    text = codebook_toml().replace("[factors.p2_region_orientation]\nphase = 2",
                                   "[factors.p2_region_orientation]\nphase = 3")
    assert "phase = 3" in text
    assert_rejected(factory.make(codebook_text=text),
                    [("codebook.toml", _line_number(text, "[factors.p2_region_orientation]"), "phase")], capsys)


def test_codebook_several_bad_factors_reported_together(factory, capsys):
    factors = dict(BASE_FACTORS)
    factors["p1_insight"] = (3, "problem", "", "")
    factors["p2_region_orientation"] = (2, "politiek", "", "")
    text = codebook_toml(factors)
    assert_rejected(factory.make(codebook_text=text),
                    [("codebook.toml", _line_number(text, "[factors.p1_insight]"), "phase"),
                     ("codebook.toml", _line_number(text, "[factors.p2_region_orientation]"), "stream")], capsys)


# Regression (bug found by these tests, since fixed) on Python < 3.14: TOMLDecodeError has no .lineno, so a TOML
# syntax error is reported without its row (and the '(at line N' text is cut off)
def test_codebook_syntax_error_is_located(factory, capsys):
    text = codebook_toml().replace('stream = "policy"', "stream = policy", 1)
    row = next(i for i, line in enumerate(text.splitlines(), 1) if line == "stream = policy")
    assert_rejected(factory.make(codebook_text=text), [("codebook.toml", row, None)], capsys)


def test_codebook_syntax_error_is_an_input_error(factory, capsys):
    text = codebook_toml().replace('stream = "policy"', "stream = policy", 1)
    path = factory.make(codebook_text=text)
    with pytest.raises(InputError) as info:
        load_dataset(path)
    [v] = info.value.violations
    assert Path(v.file).name == "codebook.toml"
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in out + err and err.count("error:") == 1


# ----------------------------------------------------------------------------- whole files

@pytest.mark.parametrize("name", ["cases.csv", "codes.csv"])
def test_empty_file(factory, capsys, name):
    path = factory.make()
    (path / name).write_bytes(b"")
    [v] = assert_rejected(path, [(name, None, None)], capsys)
    assert "empty" in v.message


@pytest.mark.parametrize("name", ["cases.csv", "codes.csv"])
def test_whitespace_only_file_is_empty(factory, capsys, name):
    path = factory.make()
    (path / name).write_bytes(b"\r\n  \n\n")
    assert_rejected(path, [(name, None, None)], capsys)


def test_header_only_cases(factory, capsys):
    t = factory.tables()
    t["cases"] = []
    [v] = assert_rejected(factory.make(tables=t, streams=False), [("cases.csv", None, None)], capsys)
    assert "no cases" in v.message


def test_header_only_codes(factory, capsys):
    t = factory.tables()
    t["codes"] = []
    [v] = assert_rejected(factory.make(tables=t), [("codes.csv", None, None)], capsys)
    assert "no codes" in v.message


def test_undecodable_byte_0x81(factory, capsys):
    # Windows-1252 text (é, ë as single bytes) with one byte cp1252 leaves undefined, on line 4.
    path = factory.make(encoding="cp1252")
    lines = (path / "cases.csv").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"D\xfcren", b"D\x81ren")
    assert b"\x81" in lines[3]
    (path / "cases.csv").write_bytes(b"\n".join(lines))
    [v] = assert_rejected(path, [("cases.csv", 4, None)], capsys)
    assert "0x81" in v.message


def test_nul_byte(factory, capsys):
    path = factory.make()
    lines = (path / "codes.csv").read_bytes().split(b"\n")
    lines[4] = lines[4] + b"\x00"
    (path / "codes.csv").write_bytes(b"\n".join(lines))
    [v] = assert_rejected(path, [("codes.csv", 5, None)], capsys)
    assert "NUL" in v.message


def test_dataset_folder_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "nope"
    [v] = assert_rejected(missing, [("nope", None, None)], capsys)
    assert v.file == str(missing)


@pytest.mark.parametrize("name", ["cases.csv", "codebook.toml"])
def test_required_file_missing_from_folder(factory, capsys, name):
    path = factory.make()
    (path / name).unlink()
    assert_rejected(path, [(name, None, None)], capsys)


def test_violations_in_different_files_reported_together(factory, capsys):
    t = factory.tables()
    t["cases"][1][t["cases_header"].index("w2")] = "ja"
    i = codes_row(t, "c4", "p2_region_orientation")
    t["codes"][i][1] = "p2_region"
    t["codes"][0][2] = "2"
    t["streams"][3][2] = "politic"
    assert_rejected(factory.make(tables=t),
                    [("cases.csv", line_of(1), "w2"),
                     ("codes.csv", line_of(i), "factor"),
                     ("codes.csv", line_of(0), "code"),
                     ("streams.csv", line_of(3), "stream")], capsys)


def test_read_errors_in_several_files_reported_together(factory, capsys):
    path = factory.make(codebook_text=codebook_toml().replace("phase = 1", "phase = 7", 1))
    (path / "codes.csv").write_bytes(b"")
    (path / "streams.csv").write_bytes(b"case_id,phase\x00")
    violations = assert_rejected(path, [("codebook.toml", _line_number(codebook_toml(), "[factors.p1_insight]"), "phase"), ("codes.csv", None, None),
                                        ("streams.csv", 1, None)], capsys)
    assert {Path(v.file).name for v in violations} == {"codebook.toml", "codes.csv", "streams.csv"}


# ----------------------------------------------------------------------------- CSV structure

def test_row_with_too_many_cells(factory, capsys):
    t = factory.tables()
    t["cases"][2] = t["cases"][2] + ["surplus"]
    assert_rejected(factory.make(tables=t), [("cases.csv", line_of(2), None)], capsys)


def test_duplicate_header_column(factory, capsys):
    t = factory.tables()
    t["cases_header"][-1] = "name"
    assert_rejected(factory.make(tables=t), [("cases.csv", 1, "name")], capsys)


def test_rows_after_multiline_quote_keep_their_file_line(factory, capsys):
    # A quoted cell spanning two lines: the rows after it are one line further down the file.
    t = factory.tables()
    t["codes"][0][5] = "regel een\nregel twee"
    t["codes"][3][2] = "x"
    assert_rejected(factory.make(tables=t), [("codes.csv", line_of(3) + 1, "code")], capsys)


def test_blank_lines_do_not_shift_row_numbers(factory, capsys):
    path = factory.make()
    lines = (path / "cases.csv").read_text(encoding="utf-8").split("\n")
    lines.insert(2, "")          # a blank line 3; c2 moves to line 4, c3 to line 5
    lines[4] = lines[4].replace(",0,0,", ",0,7,")
    (path / "cases.csv").write_text("\n".join(lines), encoding="utf-8")
    assert_rejected(path, [("cases.csv", 5, "w2")], capsys)


# ----------------------------------------------------------------------------- wide CSV

def test_wide_csv_unknown_factor_column(factory, tmp_path, capsys):
    cb = tmp_path / "cb.toml"
    cb.write_text(codebook_toml(), encoding="utf-8")
    wide = write_csv_file(tmp_path / "wide.csv",
                          ["case_id", "w1", "w2", "p1_insight", "p1_insigth"],
                          [["a", "1", "0", "1", "0"], ["b", "0", "0", "-1", "1"]])
    [v] = assert_rejected(wide, [("wide.csv", 1, "p1_insigth")], capsys,
                          extra_argv=("--codebook", str(cb)), codebook=cb)
    assert "p1_insight" in v.message  # the suggestion


def test_wide_csv_bad_code_cell_is_located_at_its_column(factory, tmp_path, capsys):
    cb = tmp_path / "cb.toml"
    cb.write_text(codebook_toml(), encoding="utf-8")
    wide = write_csv_file(tmp_path / "wide.csv",
                          ["case_id", "w1", "w2", "p1_insight", "p2_region_orientation", "s1_problem"],
                          [["a", "1", "0", "1", "0", "1"], ["b", "0", "0", "-1", "ja", "0"],
                           ["c", "0", "0", "0", "1", "2"]])
    assert_rejected(wide, [("wide.csv", 3, "p2_region_orientation"), ("wide.csv", 4, "s1_problem")], capsys,
                    extra_argv=("--codebook", str(cb)), codebook=cb)


def test_wide_csv_without_codebook(tmp_path, capsys):
    wide = write_csv_file(tmp_path / "wide.csv", ["case_id", "w1", "w2", "p1_insight"], [["a", "1", "0", "1"]])
    assert_rejected(wide, [("wide.csv", None, None)], capsys)


# ----------------------------------------------------------------------------- regressions of bugs found here

# Regression (bug found by these tests, since fixed): a header cell with a line break (Alt+Enter in Excel) is
# printed raw in the 'required column ... (header: ...)' message, so one violation spans two stderr lines
def test_header_cell_with_line_break_still_gives_one_error_line(factory, capsys):
    t = factory.tables()
    t["cases_header"][t["cases_header"].index("w1")] = "w1\n(agenda)"
    path = factory.make(tables=t, streams=False)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2
    lines = [line for line in err.split("\n") if line]
    assert len(lines) == 1 and lines[0].startswith("error: ")


# Regression (bug found by these tests, since fixed): io.decode counts only b'\n' to locate a bad byte, so in a
# file with CR line endings (Excel for Mac 'CSV (Macintosh)') every bad byte is reported at row 1, while the CSV
# parser numbers the same file's rows correctly
@pytest.mark.parametrize("bad", [b"\x81", b"\x00"])
def test_bad_byte_row_in_file_with_cr_line_endings(factory, capsys, bad):
    path = factory.make(encoding="cp1252")
    lines = (path / "cases.csv").read_bytes().split(b"\n")
    lines[3] = lines[3] + bad           # line 4 of the file
    (path / "cases.csv").write_bytes(b"\r".join(lines))
    assert_rejected(path, [("cases.csv", 4, None)], capsys)


def test_cr_line_endings_load_and_number_rows(factory, capsys):
    # the CSV part of CR-only files works: same data, and rows numbered by CR lines
    path = factory.make()
    for name in ("cases.csv", "codes.csv", "streams.csv"):
        (path / name).write_bytes((path / name).read_bytes().replace(b"\n", b"\r"))
    assert load_dataset(path).case_ids == ("c1", "c2", "c3", "c4")
    text = (path / "cases.csv").read_bytes().replace(b",Den Haag,0,,", b",Den Haag,0,5,")
    (path / "cases.csv").write_bytes(text)
    assert_rejected(path, [("cases.csv", 5, "w2")], capsys)


# Regression (bug found by these tests, since fixed): codebook._toml_lines numbers lines with str.splitlines(),
# which also breaks at U+2028, U+0085, \x1c.. that TOML allows inside strings, so the row is too high
def test_codebook_row_with_unicode_line_separator_in_a_label(factory, capsys):
    factors = dict(BASE_FACTORS)
    phase, stream, nl, en = factors["p1_insight"]
    factors["p1_insight"] = (phase, stream, "inzicht\u2028aard en omvang", en)
    factors["p2_region_orientation"] = (2, "politiek", "", "")
    text = codebook_toml(factors)
    row = text.split("\n").index("[factors.p2_region_orientation]") + 1
    assert_rejected(factory.make(codebook_text=text), [("codebook.toml", row, "stream")], capsys)


# Regression (bug found by these tests, since fixed): the codebook accepts factor ids equal to case columns
# (level, group, name, w1, ...) or wide stream columns (s1_problem ...); write_wide then writes a header with
# that column twice, and the wide file it wrote does not load
@pytest.mark.parametrize("factor_id", ["level", "s1_problem"])
def test_factor_id_cannot_clash_with_case_columns(factory, tmp_path, factor_id):
    from bayesstreams.data.export import write_wide

    t = factory.tables()
    t["factors"][factor_id] = (1, "problem", "", "")
    t["codes"].append(["c1", factor_id, "1", "r1", "", ""])
    path = factory.make(tables=t)
    try:
        data = load_dataset(path)
    except InputError as exc:   # rejecting the id in the codebook is a fine fix too
        assert any(Path(v.file).name == "codebook.toml" for v in exc.violations)
        return
    write_wide(data, tmp_path / "wide.csv")
    again = load_dataset(tmp_path / "wide.csv", codebook=path / "codebook.toml")
    assert again.content_hash() == data.content_hash()
