"""Selections cut from the right place whatever the writer counts (issue 26 item 7): emoji, CRLF, relative paths.

Each program's layout comes from ``tests/qda_builders.py``, which computes positions from the text
with the writer's counting rule written out: NVivo in UTF-16 code units, ATLAS.ti with a CRLF as one,
MAXQDA and QualCoder in code points.  The quotes expected are the strings the builder was asked to
select, so a reader that counts wrongly cannot agree with them.
"""

from __future__ import annotations

import re
import zipfile

import pytest

from bayesstreams.data.qda import positions as pos
from bayesstreams.data.qda.qdpx import read_qdpx
from bayesstreams.data.qda.template import write_template
from bayesstreams.errors import InputError

from .qda_builders import FLAVOURS, Spec, Src, build_qdpx, rewrite_qde

# emoji (outside the BMP) before, inside and after selections, on several lines
TEXT = ("Eerst 😀 een bericht 🚀🚀 van de wethouder.\n"
        "Het team zegt: de aanpak 💪 werkt echt goed.\n"
        "Tot slot 👍 een laatste zin zonder meer.")
QUOTES = ["een bericht 🚀🚀 van de wethouder.",     # emoji before and inside
          "de aanpak 💪 werkt",                     # on the second line, emoji inside
          "wethouder.\nHet team zegt",              # across a line break
          "een laatste zin zonder meer."]           # near the end: a code-point reading overruns
CODES = ["A", "B", "C", "D"]


def emoji_spec() -> Spec:
    return Spec(CODES, [Src("Chat 1", TEXT, [(q, c) for q, c in zip(QUOTES, CODES)])])


def quotes_of(project) -> list[str]:
    (source,) = project.sources
    return [coding.text for coding in source.codings]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_quotes_with_emoji_and_line_breaks_are_cut_right_for_every_writer(flavour, tmp_path):
    project = read_qdpx(build_qdpx(tmp_path / "p.qdpx", emoji_spec(), flavour))
    stored = [q.replace("\n", "\r\n") if flavour in ("nvivo", "atlas") else q for q in QUOTES]
    assert quotes_of(project) == stored
    expected = {"nvivo": "UTF-16 code units", "atlas": "code points, CRLF as one"}.get(flavour, "code points")
    assert project.sources[0].positions == expected
    notes = [n for n in project.notes if "positions of source 'Chat 1'" in n]
    if flavour in ("nvivo", "qualcoder"):
        assert not notes  # the writer said how it counts: nothing to note
    else:  # MAXQDA does not say; ATLAS.ti says CRLF as one, not how it counts an emoji: the words told
        (note,) = notes
        assert f"read as {expected}: those positions start and end on words (8 of 8 selection ends" in note


def test_nvivo_positions_read_as_code_points_would_cut_other_quotes(tmp_path):
    """The property the reader must not lose: NVivo's positions are not code points in an emoji text."""
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "nvivo")
    qde = zipfile.ZipFile(path).read("project.qde").decode()
    spans = [(int(a), int(b)) for a, b in re.findall(r'startPosition="(\d+)" endPosition="(\d+)"', qde)]
    stored = TEXT.replace("\n", "\r\n")
    as_code_points = [stored[a:b] for a, b in spans]
    assert sum(q != w.replace("\n", "\r\n") for q, w in zip(as_code_points, QUOTES)) == len(QUOTES)


@pytest.mark.parametrize("flavour", ["nvivo", "atlas"])
def test_an_unknown_writer_is_found_from_the_positions_and_said(flavour, tmp_path):
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), flavour)
    rewrite_qde(path, lambda xml: re.sub(r' origin="[^"]*"', "", xml))
    project = read_qdpx(path)
    assert quotes_of(project) == [q.replace("\n", "\r\n") for q in QUOTES]
    (note,) = [n for n in project.notes if "positions of source 'Chat 1'" in n]
    assert "does not say which program wrote it" in note
    assert project.sources[0].positions in note


def test_a_writer_whose_positions_do_not_fit_its_own_way_is_read_the_way_they_fit(tmp_path):
    """An NVivo-built project claiming to be ATLAS.ti: the CRLF-as-one reading overruns the text, UTF-16 fits."""
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "nvivo")
    rewrite_qde(path, lambda xml: xml.replace('origin="NVivo 14"', 'origin="ATLAS.ti 23"'))
    project = read_qdpx(path)
    assert quotes_of(project) == [q.replace("\n", "\r\n") for q in QUOTES]
    assert any("written by ATLAS.ti" in n and "do not fit" in n for n in project.notes)


def test_a_selection_that_fits_no_way_of_counting_is_a_located_error(tmp_path):
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "nvivo")
    last = len(TEXT.encode("utf-16-le")) // 2 + TEXT.count("\n")  # the NVivo length of the stored text
    rewrite_qde(path, lambda xml: re.sub(r'endPosition="\d+">(?!.*endPosition)', f'endPosition="{last + 1}">', xml,
                                         flags=re.S))
    with pytest.raises(InputError) as caught:
        read_qdpx(path)
    (problem,) = caught.value.violations
    row = next(i for i, line in enumerate(zipfile.ZipFile(path).read("project.qde").decode().split("\n"), 1)
               if f'endPosition="{last + 1}"' in line)
    assert (problem.row, problem.column) == (row, "endPosition")
    assert f"-{last + 1} points outside its source 'Chat 1'" in problem.message
    assert "UTF-16 code units" in problem.message and "it fits no way of counting" in problem.message


def test_positions_that_fit_two_ways_with_different_quotes_are_refused_or_read_as_told(tmp_path):
    """A selection whose ends are word boundaries either way: nothing tells the readings apart."""
    text = "ab 😀 c d e"
    spec = Spec(["A"], [Src("S", text, [("c", "A")])])
    path = build_qdpx(tmp_path / "p.qdpx", spec, "maxqda")
    rewrite_qde(path, lambda xml: xml.replace('startPosition="5" endPosition="6"', 'startPosition="6" endPosition="7"'))
    with pytest.raises(InputError) as caught:
        read_qdpx(path)
    (problem,) = caught.value.violations
    assert "selection 6-7 of source 'S' cuts ' ' (code points) or 'c' (UTF-16 code units)" in problem.message
    assert "--positions" in problem.message
    assert read_qdpx(path, positions="utf-16").sources[0].codings[0].text == "c"
    assert read_qdpx(path, positions="code-points").sources[0].codings[0].text == " "
    with pytest.raises(InputError, match="positions 'bytes' is not one of"):
        read_qdpx(path, positions="bytes")


# ----------------------------------------------------------------------------- plainTextPath


def test_a_relative_plain_text_path_is_read_from_sources(tmp_path):
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "qualcoder")
    assert 'plainTextPath="Chat_1.txt"' in zipfile.ZipFile(path).read("project.qde").decode()
    assert quotes_of(read_qdpx(path)) == QUOTES


@pytest.mark.parametrize("where", ["../Chat_1.txt", "/etc/passwd", "file:///etc/passwd", "C:\\texts\\Chat_1.txt",
                                   "sources/../../Chat_1.txt"])
def test_a_plain_text_path_that_leaves_the_archive_is_refused(where, tmp_path):
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "qualcoder")
    rewrite_qde(path, lambda xml: xml.replace('plainTextPath="Chat_1.txt"', f'plainTextPath="{where}"'))
    with pytest.raises(InputError) as caught:
        read_qdpx(path)
    (problem,) = caught.value.violations
    assert problem.column == "plainTextPath" and "is outside the archive" in problem.message


def test_the_template_needs_no_text(tmp_path):
    """A project exported without its texts still lists its codes (the mapping needs no quote)."""
    path = build_qdpx(tmp_path / "p.qdpx", emoji_spec(), "qualcoder")
    with zipfile.ZipFile(path) as archive:
        qde = archive.read("project.qde")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
    with pytest.raises(InputError, match="is not in the archive"):
        read_qdpx(path)
    text = write_template(path, tmp_path / "map.toml").read_text()
    assert all(f'# "{code}" = ' in text for code in CODES)


# ----------------------------------------------------------------------------- the rule itself


def test_read_positions_counts_each_way():
    text = "a😀b\r\nc"
    # code points: a 😀 b CR LF c ; UTF-16: the emoji is two; CRLF as one: CR LF is one
    assert pos.text_length(text, pos.CODE_POINTS) == 6
    assert pos.text_length(text, pos.UTF16) == 7
    assert pos.text_length(text, pos.CODE_POINTS_CRLF) == 5
    assert pos.text_length(text, pos.UTF16_CRLF) == 6
    for convention, span in ((pos.CODE_POINTS, (5, 6)), (pos.UTF16, (6, 7)), (pos.CODE_POINTS_CRLF, (4, 5)),
                             (pos.UTF16_CRLF, (5, 6))):
        reading = pos.read_positions(text, [span], convention=convention)
        assert text[slice(*reading.cuts[0])] == "c", convention
    # inside the surrogate pair: no UTF-16 reading
    assert pos.read_positions(text, [(2, 3)], convention=pos.UTF16).cuts is None


def test_writers_are_named_by_their_origin():
    # origins as real exports write them (NVivo for Windows 12.6; NVivo 12 for Mac's codebooks)
    for origin in ("NVivo for Windows 12.6", "NVivo 12 For Mac", "NVivo 14"):
        assert pos.writer_conventions(origin) == ("NVivo", (pos.UTF16,)), origin
    assert pos.writer_conventions("ATLAS.ti 23.2.1")[1][0] == pos.CODE_POINTS_CRLF
    assert pos.writer_conventions("QualCoder 3.6")[1] == (pos.CODE_POINTS,)
    assert pos.writer_conventions("MAXQDA 24") == ("", ())


def test_the_command_reads_positions_as_told_and_refuses_in_one_line(tmp_path, capsys):
    from .conftest import BASE_FACTORS, codebook_toml, run_cli

    text = "ab 😀 c d e"
    path = build_qdpx(tmp_path / "p.qdpx", Spec(["Inzicht/+"], [Src("S", text, [("c", "Inzicht/+")])]), "maxqda")
    rewrite_qde(path, lambda xml: xml.replace('startPosition="5" endPosition="6"', 'startPosition="6" endPosition="7"'))
    (tmp_path / "codebook.toml").write_text(codebook_toml(BASE_FACTORS), encoding="utf-8")
    (tmp_path / "map.toml").write_text('codebook = "codebook.toml"\n[cases]\nfrom = "sets"\n[codes]\n'
                                       '"Inzicht/+" = { factor = "p1_insight", code = 1 }\n', encoding="utf-8")
    args = ["import", "qdpx", str(path), "--mapping", str(tmp_path / "map.toml"), "--out", str(tmp_path / "ds")]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and err.count("\n") == 1 and "selection 6-7 of source 'S' cuts" in err
    code, _, err = run_cli(args + ["--positions", "utf-16"], capsys)
    assert code == 0, err
    from bayesstreams.data.dataset import load_dataset

    (row,) = [r for r in load_dataset(tmp_path / "ds").codes if r["factor"] == "p1_insight" and r["quote"]]
    assert row["quote"] == "c"
