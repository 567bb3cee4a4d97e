"""The import mapping: every mistake located at its line of the mapping file, all at once."""

from __future__ import annotations

import pytest

from bayesstreams.data.qda.mapping import load_mapping
from bayesstreams.errors import InputError
from .conftest import BASE_FACTORS, codebook_toml


def _mapping(tmp_path, body: str):
    (tmp_path / "codebook.toml").write_text(codebook_toml(BASE_FACTORS), encoding="utf-8")
    path = tmp_path / "map.toml"
    path.write_text('codebook = "codebook.toml"\n' + body, encoding="utf-8")
    return path


def _line(path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().split("\n"), 1) if needle in ln)


def test_targets_are_read(tmp_path):
    path = _mapping(tmp_path, '[codes]\n"A/+" = { factor = "p1_insight", code = 1 }\n'
                              '"B" = { phase = 2, stream = "politics", in_motion = 0 }\n"C" = { phase = 1, window = 1 }\n')
    mapping = load_mapping(path)
    got = {k: (t.kind, t.factor, t.value, t.phase, t.stream, t.line) for k, t in mapping.codes.items()}
    assert got == {"A/+": ("factor", "p1_insight", 1, 0, "", 3), "B": ("stream", "", 0, 2, "politics", 4),
                   "C": ("window", "", 1, 1, "", 5)}
    assert mapping.case_from == "cases" and mapping.matrix.separator == "\\"


def test_every_mistake_is_located(tmp_path):
    path = _mapping(tmp_path, '[codes]\n'
                              '"A" = { factor = "p1_insight", code = 2 }\n'
                              '"B" = { phase = 3, window = 1 }\n'
                              '"C" = { phase = 1, stream = "polics", in_motion = 1 }\n'
                              '"D" = { factor = "p1_insight" }\n'
                              '"E" = { phase = 1, window = true }\n'
                              '[cases]\nfrom = "gemeente"\n[extra]\nx = 1\n')
    with pytest.raises(InputError) as info:
        load_mapping(path)
    got = sorted((v.row, v.column) for v in info.value.violations)
    assert got == sorted([(_line(path, '"A"'), "code"), (_line(path, '"B"'), "phase"), (_line(path, '"C"'), "stream"),
                          (_line(path, '"D"'), "D"), (_line(path, '"E"'), "window"), (_line(path, "from ="), "from"),
                          (_line(path, "[extra]"), "extra")])
    message = {v.column: v.message for v in info.value.violations}["D"]
    assert "{ factor, code }" in message and "{ phase, window }" in message and "{{" not in message


def test_codebook_is_required_and_checked(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('[codes]\n"A" = { factor = "p1_insight", code = 1 }\n', encoding="utf-8")
    with pytest.raises(InputError, match="names no codebook"):
        load_mapping(path)
    path.write_text('codebook = "missing.toml"\n', encoding="utf-8")
    with pytest.raises(InputError, match="codebook file does not exist"):
        load_mapping(path)


def test_empty_codes_and_bad_toml(tmp_path):
    path = _mapping(tmp_path, "[codes]\n")
    with pytest.raises(InputError, match="maps no codes"):
        load_mapping(path)
    path.write_text('codebook = "codebook.toml"\n[codes\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_mapping(path)
    (v,) = info.value.violations
    assert v.row == 2 and "not valid TOML" in v.message


def test_a_codebook_that_cannot_be_read_does_not_hide_the_mapping_s_other_problems(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('codebook = "missing.toml"\n[codes]\n"A" = { phase = 3, window = 1 }\n'
                    '[matrix]\ncolumns = "rows"\nsepartor = "/"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_mapping(path)
    got = [(v.row, v.column) for v in info.value.violations]
    assert (None, None) in got and str(tmp_path / "missing.toml") in str(info.value)  # the codebook's own error
    assert (3, "phase") in got and (5, "columns") in got and (6, "matrix.separtor") in got
    assert len(got) == 4
