"""A study of other cases than the shipped one (issue 26): its own words, title and source; aliased factors.

The "cabinets" study is the shipped data under another codebook ``[dataset]`` table: a report
or brief of it that still said "municipalities", "gemeenten" or "interviews", or cited the
shipped thesis, would be caught here.  No fitting: the runs hold prior-like draws.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from bayesstreams.data.codebook import PLACEHOLDER, codebook_from_mapping, imported_codebook_text, load_codebook
from bayesstreams.data.dataset import load_dataset
from bayesstreams.data.screen import warning_lines
from bayesstreams.data.support import aliased_factors
from bayesstreams.reporting.brief import write_brief
from bayesstreams.reporting.report import write_report

from .helpers import as_study, prior_like_draws, write_fake_run

STUDY = Path("data/trafficking_nl_2020")
SHIPPED = load_codebook(STUDY / "codebook.toml")
CABINETS = {"title_en": "Agenda setting in Dutch cabinets", "title_nl": "Agendering in Nederlandse kabinetten",
            "source_en": "Doe, J. (2024). Cabinets and their agendas.", "source_nl": "Doe, J. (2024). Kabinetten.",
            "unit_en": "cabinet", "units_en": "cabinets", "unit_nl": "kabinet", "units_nl": "kabinetten",
            "evidence_en": "documents", "evidence_nl": "documenten", "agenda_en": "cabinet agenda",
            "agenda_nl": "kabinetsagenda", "home_en": "the ministries", "home_nl": "de ministeries"}
# the shipped study's own words: none may reach the outputs of another study
SHIPPED_WORDS = re.compile(r"municipalit|gemeente|interview|Olijve|mensenhandel|trafficking|Utrecht|local agenda|"
                           r"lokale agenda", re.I)


def study_copy(folder: Path, dataset_table: dict) -> Path:
    """The shipped data set under a codebook whose ``[dataset]`` table is ``dataset_table``.

    The data's own words (case names, factor labels, actions, quotes) are cleared of the shipped
    study's words too, so that whatever is left of them in an output is the package's.
    """
    shutil.copytree(STUDY, folder)
    (folder / "claims.toml").unlink()  # the thesis's conclusions are the shipped study's
    for path in folder.glob("*.csv"):
        path.write_text(SHIPPED_WORDS.sub("unit", path.read_text(encoding="utf-8")), encoding="utf-8")
    text = SHIPPED_WORDS.sub("unit", (STUDY / "codebook.toml").read_text(encoding="utf-8"))
    (folder / "codebook.toml").write_text(imported_codebook_text(text, SHIPPED, dataset_table), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cabinets(tmp_path_factory):
    """A fake run of the cabinets study: ``(folder, dataset)``."""
    root = tmp_path_factory.mktemp("cabinets")
    data = load_dataset(study_copy(root / "cabinets", CABINETS))
    folder = write_fake_run(root / "run", data, prior_like_draws(data, n=200, seed=3), prior_like_draws(data, n=200, seed=4))
    return folder, data


def visible(html: str) -> str:
    """The text a reader sees: tags, styles, scripts and figure markup left out."""
    html = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_an_import_never_carries_over_the_shipped_title_or_source():
    text = imported_codebook_text((STUDY / "codebook.toml").read_text(encoding="utf-8"), SHIPPED)
    assert text.count("\n[dataset]\n") == 1
    book = codebook_from_mapping("codebook.toml", tomllib.loads(text))
    assert book.ids == SHIPPED.ids and book.factors == SHIPPED.factors
    for key in ("title", "source", "description", "licence"):
        assert book.describe(key, "en") == book.describe(key, "nl") == ""
        assert SHIPPED.describe(key, "en")[:30] not in text
    assert set(book.placeholders()) >= {"title_en", "title_nl", "source_en", "source_nl"}
    # the kind of study stays: its unit and evidence words, its phases
    assert book.study_words("nl") == SHIPPED.study_words("nl") and book.phases == (1, 2)


def test_validate_warns_while_the_import_placeholders_are_left(tmp_path):
    data = load_dataset(study_copy(tmp_path / "study", {}))
    lines = [line for line in warning_lines(data.warnings) if "placeholders" in line]
    assert len(lines) == 1 and "codebook.toml" in lines[0] and "title_en" in lines[0]
    assert PLACEHOLDER in (tmp_path / "study" / "codebook.toml").read_text(encoding="utf-8")
    own = load_dataset(study_copy(tmp_path / "own", CABINETS))
    assert not [line for line in warning_lines(own.warnings) if "placeholders" in line]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_report_and_brief_speak_of_the_studys_own_cases_and_cite_only_its_own_source(cabinets, tmp_path, lang):
    folder, data = cabinets
    report = write_report(as_study(folder), tmp_path / "report", lang=lang)
    brief = write_brief(as_study(folder), tmp_path / "brief.html", case="g5", lang=lang)
    units = CABINETS[f"units_{lang}"]
    for text in (visible((report / "report.html").read_text(encoding="utf-8")),
                 (report / "report.md").read_text(encoding="utf-8"), visible(brief.read_text(encoding="utf-8"))):
        assert not SHIPPED_WORDS.findall(text), sorted(set(SHIPPED_WORDS.findall(text)))
        assert CABINETS[f"title_{lang}"] in text
    html = visible((report / "report.html").read_text(encoding="utf-8"))
    assert CABINETS[f"source_{lang}"] in html and units in html
    assert units in visible(brief.read_text(encoding="utf-8"))


def test_a_report_of_an_import_left_with_placeholders_cites_no_source(tmp_path):
    data = load_dataset(study_copy(tmp_path / "study", {}))
    folder = write_fake_run(tmp_path / "run", data, prior_like_draws(data, n=100, seed=1),
                            prior_like_draws(data, n=100, seed=2))
    report = write_report(as_study(folder), tmp_path / "report", lang="en")
    html = (report / "report.html").read_text(encoding="utf-8")
    assert PLACEHOLDER not in html and "<cite>" not in html
    assert "multiple-streams analysis: study</h1>" in html.lower()  # the folder's name stands in for the title


def test_the_shipped_data_has_two_aliased_pairs_flagged_in_validate():
    data = load_dataset(STUDY)
    found = aliased_factors(data)
    assert found["p1_focusing_event"] == [("p2_structural_collaboration", 1)]
    assert found["p1_national_steering"] == [("p1_external_actors", -1)]
    assert len(found) == 4  # the two pairs, each side listing the other
    line = next(line for line in warning_lines(data.warnings) if "told apart" in line)
    assert "2 pairs" in line and "p1_focusing_event = p2_structural_collaboration" in line
    assert "p1_national_steering = -p1_external_actors" in line


def test_a_factor_aliased_only_once_not_discussed_is_read_as_zero_is_not_aliased_in_marginal_mode():
    data = load_dataset(STUDY)
    assert "p1_focusing_event" not in aliased_factors(data, na_as=None)


def test_the_report_flags_aliased_factors_and_marks_their_effects_and_ranks(fake_study_report):
    for lang, sentence in (("en", "cannot tell these effects apart"), ("nl", "niet van elkaar onderscheiden")):
        folder = fake_study_report(lang)
        for name in ("report.html", "report.md"):
            text = (folder / name).read_text(encoding="utf-8")
            assert sentence in text
        summary = __import__("json").loads((folder / "summary.json").read_text(encoding="utf-8"))
        effects = {e["factor"]: e for e in summary["factors"]}
        assert effects["p1_focusing_event"]["aliases"] and effects["p1_external_actors"]["aliases"]
        assert not effects["p1_insight"]["aliases"]
        ranked = [r for r in summary["ranks"] if r["factor"] == "p2_structural_collaboration"]
        assert ranked and all(r["aliases"] for r in ranked)


# ---------------------------------------------------------------------------- context factors (item 3)


def _offered(run) -> set[str]:
    """Every factor offered as a lever, a find-out-first step or a plan step, by advice, score and the page."""
    from bayesstreams.analysis.advice import case_advice
    from bayesstreams.analysis.explore_data import explore_payload, explore_scores, what_if
    from bayesstreams.analysis.scoring import score_dataset

    found = set()
    for case in run.dataset.case_ids:
        advice = case_advice(run, case)
        found |= {e["factor"] for e in advice.levers + advice.find_out_first}
        found |= {f for plan in advice.plans + advice.then_w2_plans for f in plan["factors"]}
    score = score_dataset(run, run.dataset, top_levers=23)
    found |= {lever["factor"] for case in score.cases for lever in case.levers}
    payload = explore_payload(run, n_draws=60)
    new = [what_if(payload, run.dataset, None, [0] * len(payload["factors"]))]  # a new one, every factor 0
    for entry in explore_scores(payload, run.dataset) + new:
        found |= {lever["factor"] for lever in entry["levers"] + entry["find_out_first"]}
    return found


def test_context_is_modelled_but_never_a_lever_a_plan_step_or_an_action(fake_study):
    import copy
    from dataclasses import replace

    _, run = fake_study
    assert run.dataset.codebook.context == {"p1_focusing_event"}
    assert "p1_focusing_event" not in _offered(run)
    # the same draws with the factor actionable do offer it: the rule keeps it out, not chance
    book = run.dataset.codebook
    actionable = replace(book, factors=tuple(replace(f, actionable=True) for f in book.factors))
    other = copy.copy(run)
    other.dataset = replace(run.dataset, codebook=actionable)
    assert "p1_focusing_event" in _offered(other)


def test_context_is_shown_in_the_report_with_its_effect_and_marked(fake_study_report):
    import json

    for lang, mark in (("en", "context: never a lever"), ("nl", "context: nooit een hefboom")):
        folder = fake_study_report(lang)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        effect = next(e for e in summary["factors"] if e["factor"] == "p1_focusing_event")
        assert effect["actionable"] is False and effect["ace_w1"]["mean"] is not None  # modelled
        assert mark in (folder / "report.html").read_text(encoding="utf-8")
        offered = {lever["factor"] for case in summary["cases"] for lever in case["levers"]}
        offered |= {f for row in summary["advice"] for plan in row.get("plans", []) for f in plan.get("factors", [])}
        assert offered and "p1_focusing_event" not in offered


def test_a_context_factor_with_an_action_is_refused_in_one_line(tmp_path):
    from bayesstreams.errors import InputError

    text = (STUDY / "codebook.toml").read_text(encoding="utf-8").replace(
        "\nactionable = false\n", '\nactionable = false\naction_nl = "Doe iets"\naction_en = "Do something"\n')
    with pytest.raises(InputError) as caught:
        codebook_from_mapping("codebook.toml", tomllib.loads(text))
    assert [v.column for v in caught.value.violations] == ["actionable"]
    bad = (STUDY / "codebook.toml").read_text(encoding="utf-8").replace("\nactionable = false\n", '\nactionable = "maybe"\n')
    with pytest.raises(InputError, match="actionable must be true or false"):
        codebook_from_mapping("codebook.toml", tomllib.loads(bad))


# ---------------------------------------------------------------------------- errors that help (item 6)


def _load_errors(folder: Path) -> list:
    from bayesstreams.errors import InputError

    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    return caught.value.violations


def test_a_factor_the_codebook_lacks_is_one_error_naming_the_codebook_without_a_wrong_suggestion(tmp_path):
    folder = study_copy(tmp_path / "study", CABINETS)
    book = folder / "codebook.toml"
    text = book.read_text(encoding="utf-8")
    book.write_text(re.sub(r"\[factors\.p1_funding\].*?(?=\n\[factors\.)", "", text, flags=re.S), encoding="utf-8")
    found = _load_errors(folder)
    assert len(found) == 1, [str(v) for v in found]  # one line, not one per case
    message = str(found[0])
    assert "unknown factor 'p1_funding'" in message and f"{book} does not declare it" in message
    assert "also at row" in message and "did you mean" not in message  # p2_framing is no suggestion


def test_a_mistyped_factor_is_one_error_with_the_right_suggestion(tmp_path):
    folder = study_copy(tmp_path / "study", CABINETS)
    codes = folder / "codes.csv"
    codes.write_text(codes.read_text(encoding="utf-8").replace(",p1_insight,", ",p1_insigth,"), encoding="utf-8")
    found = _load_errors(folder)
    assert len(found) == 1 and "did you mean 'p1_insight'?" in str(found[0])
    assert str(found[0]).startswith(f"{codes}:")


# ---------------------------------------------------------------------------- one phase (item 2)

AGENDA = {"title_en": "Agenda setting in Dutch cabinets", "title_nl": "Agendering in Nederlandse kabinetten",
          "source_en": "Doe, J. (2024). Cabinets.", "source_nl": "Doe, J. (2024). Kabinetten.",
          "unit_en": "cabinet", "units_en": "cabinets", "unit_nl": "kabinet", "units_nl": "kabinetten"}


def one_phase_copy(folder: Path, drop_factors: bool = True) -> Path:
    """The shipped data with phase 1 only: no phase-2 codes, windows or stream states (the phase-2 factors
    dropped from the codebook too, or kept there uncoded as a reused codebook would)."""
    import csv

    study_copy(folder, AGENDA)
    if drop_factors:
        book = folder / "codebook.toml"
        book.write_text(re.sub(r"\[factors\.p2_[a-z_]+\].*?(?=\n\[factors\.|\Z)", "",
                               book.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")

    def rewrite(name: str, keep, change=lambda row: row) -> None:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            columns = list(rows[0])
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(change(row) for row in rows if keep(row))

    rewrite("codes.csv", lambda row: not row["factor"].startswith("p2_"))
    rewrite("cases.csv", lambda row: True, lambda row: {**row, "w2": ""})
    rewrite("streams.csv", lambda row: row["phase"] != "2")
    return folder


@pytest.mark.parametrize("drop_factors", [True, False])
def test_a_study_without_phase_2_data_has_one_phase(tmp_path, drop_factors):
    data = load_dataset(one_phase_copy(tmp_path / "one", drop_factors))
    assert data.phases == (1,)
    assert load_dataset(STUDY).phases == (1, 2)


def test_declared_phases_bound_the_phases_and_are_checked(tmp_path):
    folder = study_copy(tmp_path / "study", {**CABINETS, "phases": [1]})
    assert load_dataset(folder).phases == (1,)
    book = folder / "codebook.toml"
    book.write_text(re.sub(r"phases = \[[^\]]*\]", "phases = [3]", book.read_text(encoding="utf-8")),
                    encoding="utf-8")
    found = _load_errors(folder)
    assert any("phases must be [1] or [1, 2]" in str(v) for v in found), [str(v) for v in found]


@pytest.fixture(scope="module")
def one_phase_run(tmp_path_factory, fits):
    """A real fit of the one-phase study (shared by the tests below)."""
    from bayesstreams.inference.store import save_run

    folder = one_phase_copy(tmp_path_factory.mktemp("one-phase") / "agenda")
    run = fits.fit(load_dataset(folder))
    return save_run(run, tmp_path_factory.mktemp("one-phase-run") / "run"), run


PHASE_2 = re.compile(r"phase.2|fase.2|institutional|geborgd|secured", re.I)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_one_phase_study_has_no_phase_2_headline_ranking_lever_claim_or_sentence(one_phase_run, tmp_path, lang):
    import json

    from bayesstreams.reporting.i18n import translator

    folder, run = one_phase_run
    t = translator(lang)
    report = write_report(as_study(folder), tmp_path / "report", lang=lang)
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["phases"] == [1] and summary["highlights_w2"] == [] and summary["highlights_w1"]
    assert {r["window"] for r in summary["ranks"]} == {"W1"}
    assert all(s["window"] == "W1" for e in summary["factors"] for s in e["steps"])
    assert summary["prior_check"]["n_total"] == len(summary["prior_check"]["rows"])
    assert not [r for r in summary["prior_check"]["rows"] if "w2" in r["name"] or r["name"] == "dependency_effect"]
    raw = (report / "report.html").read_text(encoding="utf-8")
    html = visible(raw)
    for key in ("short_w2", "sec_dependency", "levers_codes_title"):
        assert t(key) not in html, key
    for key in ("col_p_w2", "col_gain_w2", "col_ace_w2", "col_obs_w2"):  # no phase-2 column (the glossary may say P)
        assert f"<th>{t(key)}</th>" not in raw, key
    assert t("raw_sentence").split("{")[0] not in html
    for row in summary["advice"]:  # every case's advice: the phase-1 window or nothing
        assert row["advice"]["target"] in ("W1", None)
        assert not [line for line in row["lines"] if PHASE_2.search(line)], row["lines"]
    for case in ("g5", "g6"):  # phase-1 window closed, and open
        brief = visible(write_brief(as_study(folder), tmp_path / f"{case}.html", case=case, lang=lang)
                        .read_text(encoding="utf-8"))
        assert not PHASE_2.search(brief), PHASE_2.findall(brief)


@pytest.mark.slow
def test_a_one_phase_study_scores_levers_toward_its_one_window(one_phase_run, tmp_path):
    from bayesstreams.analysis.scoring import score_profiles
    from bayesstreams.reporting.score_text import case_lines

    folder, run = one_phase_run
    profile = tmp_path / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\nnew,p1_media,-1\n", encoding="utf-8")
    result = score_profiles(run, profile)
    case = result.cases[0]
    assert result.phases == [1] and case.levers
    assert all(lever["window"] == "W1" and "gain_w2" not in lever for lever in case.levers)
    means = [lever["gain_w1"]["mean"] for lever in case.levers]
    assert means == sorted(means, reverse=True)
    lines = case_lines(case, result, "en", details=True)
    assert not [line for line in lines if PHASE_2.search(line)], lines


def _titled_workbook(path: Path, tables: dict, title_rows: list, header: bool = True) -> Path:
    """The test data set as a workbook whose ``cases`` sheet starts with ``title_rows`` above its header."""
    import openpyxl

    from .test_data_roundtrip import write_workbook

    write_workbook(path, tables, numbers=True)
    book = openpyxl.load_workbook(path)
    sheet = book["Cases"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.remove(sheet)
    sheet = book.create_sheet("Cases")
    for row in title_rows + (rows if header else [["Gemeente", "naam", "venster 1"] + [None] * 4] + rows[1:]):
        sheet.append(row)
    book.save(path)
    return path


def test_an_xlsx_sheet_with_title_rows_is_read_from_its_header_row(factory, tmp_path):
    from .conftest import BASE_CASES

    original = load_dataset(factory.make())
    book = _titled_workbook(tmp_path / "titled.xlsx", factory.tables(), [["Cases of my study (2024)"], [], ["n = 6"]])
    data = load_dataset(book)
    assert data.case_ids == original.case_ids and data.content_hash() == original.content_hash()
    assert data.cases[0]["_line"] == 5  # the Excel row under the header in row 4
    assert len(BASE_CASES) == data.n_cases


def test_an_xlsx_sheet_whose_header_cannot_be_found_is_refused_in_one_line(factory, tmp_path):
    book = _titled_workbook(tmp_path / "titled.xlsx", factory.tables(), [["Cases of my study (2024)"]], header=False)
    found = _load_errors(book)
    lines = [str(v) for v in found if "[Cases]" in v.file]
    assert len(lines) == 1, lines
    assert "row 1 is a title" in lines[0] and "the header looks like row" in lines[0]


# ---------------------------------------------------------------------------- the brief's language (item 5)


def test_analyze_passes_the_brief_language_and_defaults_it_to_the_report_language(monkeypatch, capsys):
    """The brief speaks the report's --lang unless --brief-lang says otherwise (it was fixed to Dutch)."""
    import bayesstreams.pipeline.analyze as pipeline

    from .conftest import run_cli

    seen = []

    def stand_in(*args, **kwargs):
        seen.append(kwargs)
        raise pipeline.BayesStreamsError("stopped before fitting")

    monkeypatch.setattr(pipeline, "run_analysis", lambda *a, **k: stand_in(**k))
    run_cli(["analyze", str(STUDY), "--lang", "en"], capsys)
    run_cli(["analyze", str(STUDY), "--lang", "en", "--brief-lang", "nl"], capsys)
    assert [k["lang"] for k in seen] == ["en", "en"] and [k["brief_lang"] for k in seen] == [None, "nl"]
    code, _, err = run_cli(["analyze", str(STUDY), "--brief-lang", "de"], capsys)
    assert code == 2 and "--brief-lang" in err


@pytest.mark.parametrize("lang, agenda, home", [("en", "cabinet agenda", "the ministries"),
                                                ("nl", "kabinetsagenda", "de ministeries")])
def test_the_brief_says_which_agenda_and_where_in_the_studys_own_words(cabinets, tmp_path, lang, agenda, home):
    """The phase words are the study's (issue 26's one-phase and other-study findings): never the shipped 'local agenda'."""
    folder, data = cabinets
    from bayesstreams.reporting.i18n import study_translator

    t = study_translator(lang, data)
    assert agenda in t("voice_known_1_closed") and home in t("voice_known_2_closed") and agenda in t("voice_card_1")
    from bayesstreams.reporting.i18n import translator

    default = translator(lang)("voice_next_1")  # a study that names no agenda: the plain word
    assert ("onto the agenda" if lang == "en" else "op de agenda") in default and "lokale" not in default
