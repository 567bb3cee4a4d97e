"""Reports and briefs speak one language: Dutch output has no English words from a stop-list and no
decimal points, English output no Dutch words and no decimal commas, and the brief has no
statistical jargon.  Rendered from the shipped study (real Dutch labels and quotes) with stand-in
draws, so no fitting is needed.

What is not the package's own language is taken out before the words are checked: the data's
own text (case names, levels, groups, verbatim quotes, the source citation) and the machine
identifiers of the reproducibility section (command line, hashes, package versions).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bayesstreams.data.dataset import load_dataset
from bayesstreams.reporting import numbers
from bayesstreams.reporting.brief import write_brief
from bayesstreams.reporting.i18n import translator

from .helpers import as_study, prior_like_draws, write_fake_run

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"

# Words that would betray an untranslated string; none is also a Dutch word (resp. an English one).
ENGLISH = {"the", "and", "with", "from", "this", "that", "which", "are", "for", "chance", "chances", "window",
           "windows", "stream", "streams", "phase", "phases", "municipality", "municipalities", "likely", "unlikely",
           "observed", "unknown", "closed", "approach", "secured", "barrier", "barriers", "lever", "levers", "gain",
           "case", "cases", "quote", "quotes", "section", "average", "mean", "points", "yes", "problem", "policy",
           "politics", "political", "motion", "study", "research", "question", "thesis", "supervisor", "generated",
           "weakest", "similar", "shared", "brief", "report", "figure", "agenda setting", "what", "how", "when"}
DUTCH = {"de", "het", "een", "en", "van", "voor", "met", "niet", "kans", "venster", "vensters", "stroom", "stromen",
         "fase", "gemeente", "gemeenten", "waarschijnlijk", "onwaarschijnlijk", "beleid", "politiek", "probleem",
         "casus", "casussen", "factoren", "hefboom", "hefbomen", "winst", "geborgd", "zijn", "wordt", "worden", "dit",
         "dat", "die", "ook", "nog", "als", "waargenomen", "procentpunt", "onbekend", "dicht", "ja", "nee", "bron"}
JARGON = {"en": ["prior", "posterior", "seed", "hash", "interval", "ace", "log-odds", "contraction", "sampler",
                 "draws", "pp", "p(", "p =", "q"],
          "nl": ["prior", "posterior", "seed", "hash", "interval", "ace", "log-odds", "contractie", "sampler",
                 "trekkingen", "%-punt", "p(", "p =", "q"]}
DECIMAL = {"nl": re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])"), "en": re.compile(r"(?<![\d,])\d+,\d+(?![\d,])")}


class VisibleText(HTMLParser):
    """The text a reader sees (and a screen reader reads, SVG titles included), minus style and quotes."""

    SKIP = {"style", "script", "q", "cite", "code"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        skip = tag in self.SKIP or "quote" in (dict(attrs).get("class") or "").split()
        self.stack.append(skip)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.parts.append(data)


def visible(html: str) -> str:
    html = re.sub(r'<h2 id="repro">.*?(?=<h2)', " ", html, flags=re.S)  # machine identifiers
    html = re.sub(r"<(meta|br|img|input|link)\b[^>]*>", " ", html)  # void elements would unbalance the stack
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def markdown_text(markdown: str, t) -> str:
    """The Markdown minus the reproducibility and quote sections, the source line and figure file names."""
    for key in ("sec_repro", "sec_quotes"):
        markdown = re.sub(rf"^## {re.escape(t(key))}\n.*?(?=^## )", "\n", markdown, flags=re.S | re.M)
    markdown = re.sub(rf"^{re.escape(t('label_source'))}: .*$", " ", markdown, flags=re.M)
    markdown = re.sub(r"`[^`\n]+`", " ", markdown)  # inline code (commands) is not language, as <code> in HTML
    return re.sub(r"\]\(figures/[^)]*\)", "]", markdown)


def without_data_text(text: str, dataset) -> str:
    """``text`` with the data's own words (names, levels, groups, quotes, identifiers) taken out."""
    own = {dataset.name, "streams", *dataset.case_ids}
    for column in ("name", "level", "group"):
        own |= {v for v in dataset.case_column(column) if v}
    own |= {str(r["quote"]).strip() for r in dataset.codes if str(r.get("quote", "") or "").strip()}
    for value in sorted(own, key=len, reverse=True):
        text = re.sub(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", " ", text)
    return text


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", text.lower()))


@pytest.fixture(scope="module")
def study():
    return load_dataset(STUDY)


@pytest.fixture(scope="module")
def run_folder(fake_study):
    return fake_study[0]


@pytest.fixture(scope="module", params=["nl", "en"])
def outputs(request, run_folder, study, fake_study_report, tmp_path_factory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"out-{lang}")
    report = fake_study_report(lang)
    brief = write_brief(as_study(run_folder), out / "brief.html", case_id="g5", lang=lang)
    t = translator(lang)
    texts = {"report.html": visible((report / "report.html").read_text(encoding="utf-8")),
             "report.md": markdown_text((report / "report.md").read_text(encoding="utf-8"), t),
             "brief.html": visible(brief.read_text(encoding="utf-8"))}
    figures = {f"figures/{p.name}": visible(p.read_text(encoding="utf-8")) for p in (report / "figures").glob("*.svg")}
    assert figures, "the report has no SVG figure: its words would go unchecked"
    texts |= figures
    return lang, {name: without_data_text(text, study) for name, text in texts.items()}


def test_no_word_of_the_other_language(outputs):
    lang, texts = outputs
    stop = ENGLISH if lang == "nl" else DUTCH
    for name, text in texts.items():
        found = words(text) & stop | {w for w in stop if " " in w and w in text.lower()}
        assert not found, (lang, name, sorted(found))


def test_numbers_use_the_language_s_decimal_mark(outputs):
    lang, texts = outputs
    for name, text in texts.items():
        assert not DECIMAL[lang].findall(text), (lang, name, DECIMAL[lang].findall(text)[:5])
    if lang == "nl":  # and the Dutch mark is really used: the report prints decimal numbers
        assert re.search(r"\d,\d", texts["report.html"])


def test_the_brief_has_no_statistical_jargon(outputs):
    lang, texts = outputs
    text = texts["brief.html"].lower()
    tokens = words(text)
    found = [term for term in JARGON[lang] if (term in tokens if term.isalpha() or "-" in term else term in text)]
    assert not found, (lang, found)


def test_the_brief_explains_and_advises_from_its_numbers(outputs, run_folder):
    """Both plain paragraphs are there and quote the brief's own chances and best lever."""
    from bayesstreams.inference.store import load_run
    from bayesstreams.reporting.brief import brief_data

    lang, texts = outputs
    t = translator(lang)
    brief = brief_data(load_run(run_folder), case_id="g5", lang=lang)
    text = " ".join(texts["brief.html"].split())
    assert t("voice_head_meaning") in text and t("voice_head_next") in text
    for window in brief.windows:  # a known window as known, the others with their chance
        assert (t(f"voice_card_known_{window.known}") if window.known else numbers.pct(window.p.mean)) in text
    assert brief.levers[0].label in text if brief.levers else any(s.key == "plan" for s in brief.steps)
    for section in brief.steps:  # every section of the advice is on the page, with its numbers (labels are data text)
        assert all(part.strip(" ?") in text for part in section.heading.split(brief.name))
        for line in section.sentences + section.items:
            assert all(number in text for number in re.findall(r"\d+(?:[.,]\d+)?%", line))


def test_the_brief_lists_the_coded_barriers_with_their_quotes(run_folder, study, tmp_path):
    brief = write_brief(as_study(run_folder), tmp_path / "b.html", case_id="g5", lang="nl").read_text(encoding="utf-8")
    k = {f: i for i, f in enumerate(study.factor_ids)}
    g5 = study.case_ids.index("g5")
    coded_barriers = [f for f in study.factor_ids if study.x[g5, k[f]] == -1]
    assert len(coded_barriers) >= 3  # the thesis names money, competing priorities and little involvement
    section = brief[brief.index(translator("nl")("brief_barriers")):]
    for factor in coded_barriers:
        label = study.codebook[factor].label("nl")
        assert (label[:1].upper() + label[1:]).replace("'", "&#39;") in section, factor  # a list item starts with a capital
    for record in study.codes:
        if record["case_id"] == "g5" and record["code"] == -1 and record["quote"]:
            assert str(record["quote"]).strip().replace("'", "&#39;") in section
    others = [f for f in study.factor_ids if study.x[g5, k[f]] != -1]
    listed = section[:section.index("</ul>")]
    capital = {f: study.codebook[f].label("nl")[:1].upper() + study.codebook[f].label("nl")[1:] for f in others}
    assert not [f for f in others if f"<strong>{capital[f]}</strong>" in listed]


def test_titles_and_source_follow_the_language(run_folder, study, fake_study_report, tmp_path):
    html = (fake_study_report("nl") / "report.html").read_text(encoding="utf-8")
    assert study.codebook.describe("title", "nl") in html and study.codebook.describe("source", "nl") in html
    assert "research question" not in html and "[" not in study.codebook.describe("source", "nl")
    brief = write_brief(as_study(run_folder), tmp_path / "b.html", case_id="g5", lang="nl").read_text(encoding="utf-8")
    assert study.codebook.describe("title", "nl") in brief
    assert study.codebook.describe("title", "en") not in brief


# ---------------------------------------------------------------------------- the formatter


@pytest.mark.parametrize("value, en, nl", [(0.046, "+4.6", "+4,6"), (0.18, "+18", "+18"), (-0.00076, "-0.1", "-0,1"),
                                           (0.0, "0", "0"), (0.0998, "+10", "+10"), (None, "–", "–")])
def test_percentage_points_by_language(value, en, nl):
    assert numbers.pp(value, "en") == en and numbers.pp(value, "nl") == nl


def test_intervals_separate_their_bounds_by_language():
    summary = {"mean": 0.046, "q05": 0.0, "q95": 0.18}
    assert numbers.summary_interval(summary, numbers.pp, "en") == "+4.6 [0, +18]"
    assert numbers.summary_interval(summary, numbers.pp, "nl") == "+4,6 [0; +18]"
    assert numbers.summary_interval({"mean": 0.4234, "q05": 0.05, "q95": 0.995}, numbers.pct, "nl") == "42% [5%; 100%]"
    assert numbers.sig(1.2345, "nl") == "1,2" and numbers.fixed(1.0049, 3, "nl") == "1,005"
    assert numbers.plain(1.01, "nl") == "1,01" and numbers.plain(400, "nl") == "400"
    assert numbers.pct_span(0.05, 0.3) == "5–30%"
