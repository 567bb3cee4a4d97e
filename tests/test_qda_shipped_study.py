"""The shipped study rebuilt from a REFI-QDA project made of its own quotes gives the same codes.csv values.

The project is what an analyst of the thesis would have exported: per municipality one source
per respondent (and one for the thesis's case-level text), each holding the quotes behind its
cells, coded with ``Fase p/<stream>/<factor>/+|0|-``; a case file per municipality coded with
its windows and stream states; the municipalities as cases with their level and population band.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.qda.importer import import_qdpx
from .qda_builders import FLAVOURS, Spec, Src, build_qdpx

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
SIGN = {"1": "+", "0": "0", "-1": "-"}
STREAM_NL = {"problem": "Probleemstroom", "policy": "Beleidsstroom", "politics": "Politieke stroom"}


def _rows(name: str) -> list[dict]:
    with open(STUDY / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def factor_code(factor, sign: str) -> str:
    return f"Fase {factor.phase}/{STREAM_NL[factor.stream]}/{factor.id}/{sign}"


def study_project(folder: Path, flavour: str) -> tuple[Path, Path]:
    study = load_dataset(STUDY)
    codes = [factor_code(f, s) for f in study.codebook.factors for s in "+0-"]
    codes += [f"Vensters/Fase {p}/{state}" for p in (1, 2) for state in ("open", "dicht")]
    codes += [f"Stromen/Fase {p}/{STREAM_NL[s]}/{state}" for p in (1, 2) for s in STREAM_NL
              for state in ("in beweging", "stil")]
    texts: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in _rows("codes.csv"):
        if row["code"] != "":
            texts.setdefault((row["case_id"], row["respondent"]), []).append(
                (row["quote"], factor_code(study.codebook[row["factor"]], SIGN[row["code"]])))
    sources, members = [], {c: [] for c in study.case_ids}
    for (case_id, respondent), codings in texts.items():
        name = f"{case_id} respondent {respondent}" if respondent else f"{case_id} hoofdstuk 5"
        text = "\n".join(dict.fromkeys(quote for quote, _ in codings))
        sources.append(Src(name, text, codings, {"Respondent": respondent} if respondent else {}))
        members[case_id].append(name)
    for i, case in enumerate(study.cases):
        lines = [(f"Venster fase {p}: {'open' if study.w[i, p - 1] else 'dicht'}.",
                  f"Vensters/Fase {p}/{'open' if study.w[i, p - 1] else 'dicht'}") for p in (1, 2)]
        lines += [(f"Fase {p}, {STREAM_NL[s]}: {'in beweging' if v else 'stil'}.",
                   f"Stromen/Fase {p}/{STREAM_NL[s]}/{'in beweging' if v else 'stil'}")
                  for p in (1, 2) for k, s in enumerate(STREAM_NL)
                  if not np.isnan(v := study.s[i, p - 1, k])]
        name = f"{case['case_id']} dossier"
        sources.append(Src(name, "\n".join(q for q, _ in lines), lines))
        members[case["case_id"]].append(name)
    cases = {case["name"]: (members[case["case_id"]], {"level": case["level"], "Population band": case["population_band"]})
             for case in study.cases}
    project = build_qdpx(folder / f"study-{flavour}.qdpx", Spec(codes, sources, cases), flavour)
    ids = "\n".join(f'"{c["name"]}" = "{c["case_id"]}"' for c in study.cases)
    lines = "\n".join(f'"{factor_code(f, s)}" = {{ factor = "{f.id}", code = {v} }}'
                      for f in study.codebook.factors for s, v in (("+", 1), ("0", 0), ("-", -1)))
    lines += "\n" + "\n".join(f'"Vensters/Fase {p}/{state}" = {{ phase = {p}, window = {int(state == "open")} }}'
                              for p in (1, 2) for state in ("open", "dicht"))
    lines += "\n" + "\n".join(f'"Stromen/Fase {p}/{nl}/{state}" = {{ phase = {p}, stream = "{s}", '
                              f'in_motion = {int(state == "in beweging")} }}'
                              for p in (1, 2) for s, nl in STREAM_NL.items() for state in ("in beweging", "stil"))
    mapping = folder / "map.toml"
    mapping.write_text(f'codebook = "{(STUDY / "codebook.toml").as_posix()}"\n[cases]\nfrom = "cases"\n[cases.ids]\n{ids}\n'
                       f'[respondents]\nvariable = "Respondent"\n[codes]\n{lines}\n', encoding="utf-8")
    return project, mapping


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_shipped_codes_rebuilt_from_a_project_of_their_own_quotes(flavour, tmp_path):
    project, mapping = study_project(tmp_path, flavour)
    result = import_qdpx(project, mapping, tmp_path / "rebuilt")
    assert result.unmapped == {}
    columns = ("case_id", "factor", "code", "respondent", "quote")
    rebuilt = [tuple(r[c] for c in columns) for r in _read(tmp_path / "rebuilt" / "codes.csv")]
    shipped = [tuple(r[c] for c in columns) for r in _rows("codes.csv")]
    assert rebuilt == shipped
    study, data = load_dataset(STUDY), load_dataset(tmp_path / "rebuilt")
    np.testing.assert_array_equal(data.x, study.x)
    np.testing.assert_array_equal(data.w, study.w)
    np.testing.assert_array_equal(data.s, study.s)
    assert data.content_hash() == study.content_hash()
    assert data.case_column("level") == study.case_column("level")
    assert data.case_column("population_band") == study.case_column("population_band")


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
