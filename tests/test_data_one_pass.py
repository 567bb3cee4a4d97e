"""One run of ``validate`` shows every problem, and one mistake gives one error.

* a codebook with a problem no longer hides the problems of the other tables (they used to
  appear only after the codebook was fixed, on a second pass);
* codes of a factor the codebook declares but cannot accept are not reported again as
  "unknown factor";
* a duplicated or empty case id in a wide table is one error, not one per factor cell;
* repeated warnings of one kind print as one line that lists every subject.

Each test asserts the complete set of (file, row, column), so a spurious follow-up error fails.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.profile import read_profile
from bayesstreams.data.screen import warning_lines
from bayesstreams.errors import InputError
from .conftest import BASE_FACTORS, codebook_toml, codes_row, line_of, run_cli, write_csv_file

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
WIDE_HEADER = ["case_id", "w1", "w2", *BASE_FACTORS]


def located(path, **kwargs) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(InputError) as info:
        load_dataset(path, **kwargs)
    return sorted(((Path(v.file).name, v.row, v.column) for v in info.value.violations), key=repr)


def codebook_line(needle: str, text: str | None = None) -> int:
    return (text or codebook_toml()).splitlines().index(needle) + 1


def test_codebook_problem_does_not_hide_the_other_tables(factory):
    t = factory.tables()
    t["cases"][2][0] = "c1"                                   # c3 -> duplicate of c1
    t["codes"][codes_row(t, "c2", "p2_region_orientation")][2] = "ja"
    text = codebook_toml().replace('stream = "problem"', 'stream = "problems"', 1)   # p1_insight
    path = factory.make(tables=t, codebook_text=text)
    # codes of p1_insight (declared, but refused by the codebook) are skipped, not reported
    first_c3_code = min(i for i, row in enumerate(t["codes"]) if row[0] == "c3" and row[1] != "p1_insight")
    first_c3_stream = min(i for i, row in enumerate(t["streams"]) if row[0] == "c3")
    assert located(path) == sorted([
        ("codebook.toml", codebook_line("[factors.p1_insight]"), "stream"),
        ("cases.csv", line_of(2), "case_id"),
        ("codes.csv", line_of(codes_row(t, "c2", "p2_region_orientation")), "code"),
        # c3 lost its row: one error per file naming it, not one per code of c3
        ("codes.csv", line_of(first_c3_code), "case_id"),
        ("streams.csv", line_of(first_c3_stream), "case_id"),
    ], key=repr)


def test_unknown_case_is_one_error_per_file_listing_its_rows(factory):
    t = factory.tables()
    t["cases"][2][0] = "c1"
    with pytest.raises(InputError) as info:
        load_dataset(factory.make(tables=t))
    [codes] = [v for v in info.value.violations if Path(v.file).name == "codes.csv"]
    rows = [line_of(i) for i, row in enumerate(t["codes"]) if row[0] == "c3"]
    assert len(rows) > 2 and codes.row == rows[0]
    assert f"(also at row {', '.join(map(str, rows[1:]))})" in codes.message
    assert "repeats a case_id at row 4" in codes.message


def test_unreadable_codebook_still_checks_the_case_table(factory):
    t = factory.tables()
    t["cases"][1][t["cases_header"].index("w1")] = "ja"
    path = factory.make(tables=t, codebook_text="[factors.p1_insight\nphase = 1\n")
    found = located(path)
    assert [f for f in found if f[0] == "cases.csv"] == [("cases.csv", line_of(1), "w1")]
    assert [f[0] for f in found] == ["cases.csv", "codebook.toml"]


def test_xlsx_codebook_sheet_problem_and_cases_problem_together(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "codebook"
    sheet.append(["id", "phase", "stream"])
    sheet.append(["p1_insight", 1, "problem"])
    sheet.append(["p2_region_orientation", 3, "politics"])     # row 3: bad phase
    cases = book.create_sheet("cases")
    cases.append(["case_id", "w1", "w2", "p1_insight", "p2_region_orientation"])
    cases.append(["a", 1, 0, 1, 1])
    cases.append(["b", "ja", 0, -1, 0])                         # row 3: bad w1
    book.save(tmp_path / "book.xlsx")
    assert located(tmp_path / "book.xlsx") == [("book.xlsx[cases]", 3, "w1"), ("book.xlsx[codebook]", 3, "phase")]


@pytest.mark.parametrize("bad_id", ["a", ""])
def test_wide_duplicate_or_empty_case_id_is_one_error(tmp_path, bad_id, capsys):
    cb = tmp_path / "codebook.toml"
    cb.write_text(codebook_toml(), encoding="utf-8")
    rows = [["a", "1", "0", "1", "0", "1", "0", "1"], ["b", "0", "0", "-1", "0", "0", "1", "-1"],
            [bad_id, "1", "1", "1", "1", "1", "1", "1"]]
    wide = write_csv_file(tmp_path / "wide.csv", WIDE_HEADER, rows)
    assert located(wide) == [("wide.csv", 4, "case_id")]
    code, out, err = run_cli(["validate", str(wide)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_wide_profile_duplicate_case_id_is_one_error(tmp_path):
    rows = [["new", "1", "0", "1", "0", "1", "0", "1"], ["new", "0", "0", "-1", "0", "0", "1", "-1"]]
    profile = write_csv_file(tmp_path / "profile.csv", WIDE_HEADER, rows)
    codebook = load_dataset(STUDY).codebook
    with pytest.raises(InputError) as info:
        read_profile(profile, codebook)
    assert [(v.row, v.column) for v in info.value.violations] == [(1, f) for f in BASE_FACTORS
                                                                  if f not in codebook] + [(3, "case_id")]


def test_repeated_warnings_print_as_one_line_per_kind(capsys):
    data = load_dataset(STUDY)
    never = [w for w in data.warnings if w.kind == "never_coded"]
    assert sorted(w.subject for w in never) == ["p2_framing", "p2_interest_group_access"]
    lines = warning_lines(data.warnings)
    kinds = {w.kind for w in data.warnings}
    assert len(lines) == len(kinds)
    [line] = [x for x in lines if "never coded" in x]
    assert line.startswith(f"{STUDY / 'codebook.toml'}: 2 factors are never coded: ")
    for w in never:  # each subject with the codebook row that declares it
        row = codebook_line(f"[factors.{w.subject}]", (STUDY / "codebook.toml").read_text(encoding="utf-8"))
        assert f"{w.subject} (row {row})" in line
    code, out, err = run_cli(["validate", str(STUDY)], capsys)
    assert code == 0
    assert [x for x in out.splitlines() if x.startswith("warning:")] == [f"warning: {x}" for x in lines]
    assert "::" not in out


def test_a_single_warning_keeps_its_own_line(factory):
    t = factory.tables()
    t["factors"]["p2_framing"] = (2, "problem", "framing", "framing")
    data = load_dataset(factory.make(tables=t))
    [w] = data.warnings
    assert warning_lines(data.warnings) == [str(w)]
    assert str(w).startswith(f"{w.file}:{codebook_line('[factors.p2_framing]', codebook_toml(t['factors']))}:p2_framing: ")


def test_problems_of_every_xlsx_sheet_are_reported_together(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "codebook"
    book.active.append(["id", "phase", "stream", "phase"])          # repeated header column
    book.create_sheet("cases").append(["case_id", "w1", "", "w2"])   # empty header cell
    book.create_sheet("codes")                                       # empty sheet
    book.save(tmp_path / "book.xlsx")
    assert located(tmp_path / "book.xlsx") == [("book.xlsx[cases]", 1, None), ("book.xlsx[codebook]", 1, "phase"),
                                               ("book.xlsx[codes]", None, None)]
