"""Shared fixtures: a small valid dataset folder built in tmp_path, and the fits shared by the slow tier.

The base dataset is chosen so that it loads with no warnings at all (every case coded,
every factor coded, no w2 = 1 with w1 = 0, no factor separating its window), so a test
that adds one weakness can assert exactly the warning it expects.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
from pathlib import Path

import numpy as np
import pytest

NAN = float("nan")
SLOW_MARKERS = ("model", "browser")


def pytest_itemcollected(item):
    """Real fits and Chromium are slow: ``-m "not slow"`` (the fast tier) leaves them out."""
    if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
        item.add_marker(pytest.mark.slow)

# Factor id -> (phase, stream, label_nl, label_en)
BASE_FACTORS = {
    "p1_insight": (1, "problem", "inzicht in aard en omvang", "insight into nature and extent"),
    "p1_congruence_values": (1, "policy", "congruentie met lokale waarden", "congruence with local values"),
    "p1_political_involvement": (1, "politics", "politieke betrokkenheid", "political involvement"),
    "p2_structural_collaboration": (2, "policy", "structurele integrale samenwerking", "structural collaboration"),
    "p2_region_orientation": (2, "politics", "regiogerichtheid", "region orientation"),
}

BASE_CASES_HEADER = ["case_id", "name", "w1", "w2", "level", "group", "population"]
BASE_CASES = [
    ["c1", "Súdwest-Fryslân", "1", "1", "ver", "noord", "90000"],
    ["c2", "Zoëterwoude", "1", "0", "gevorderd", "west", "8500"],
    ["c3", "Düren-Café", "0", "0", "beginnend", "west", "12000"],
    ["c4", "Den Haag", "0", "", "gemiddeld", "", "550000"],
]

BASE_CODES_HEADER = ["case_id", "factor", "code", "respondent", "section", "quote"]
# (case, factor, code); every row gets respondent r1, a section and a quote with a comma,
# quotes and non-ASCII text so that CSV quoting and decoding are exercised.
_BASE_CODE_TRIPLES = [
    ("c1", "p1_insight", "1"), ("c2", "p1_insight", "0"), ("c3", "p1_insight", "1"), ("c4", "p1_insight", "-1"),
    ("c1", "p1_congruence_values", "0"), ("c2", "p1_congruence_values", "1"), ("c3", "p1_congruence_values", "0"),
    ("c1", "p1_political_involvement", "1"), ("c2", "p1_political_involvement", "-1"),
    ("c3", "p1_political_involvement", "-1"), ("c4", "p1_political_involvement", "1"),
    ("c1", "p2_structural_collaboration", "0"), ("c2", "p2_structural_collaboration", "0"),
    ("c3", "p2_structural_collaboration", "1"), ("c4", "p2_structural_collaboration", "1"),
    ("c1", "p2_region_orientation", "1"), ("c2", "p2_region_orientation", "1"),
    ("c3", "p2_region_orientation", "-1"), ("c4", "p2_region_orientation", "0"),
]
BASE_CODES = [[c, f, k, "r1", "5.2", f'zij zei: "ja, dat klopt" — {c}/{f} (café)'] for c, f, k in _BASE_CODE_TRIPLES]

STREAMS_HEADER = ["case_id", "phase", "stream", "in_motion"]
BASE_STREAMS = [
    ["c1", "1", "problem", "1"],
    ["c1", "1", "policy", "1"],
    ["c2", "2", "politics", "0"],
    ["c3", "1", "problem", "0"],
]

CASE_IDS = ("c1", "c2", "c3", "c4")
FACTOR_IDS = tuple(BASE_FACTORS)


def expected_x() -> np.ndarray:
    """The (case, factor) matrix the base codes must give, derived from the triples by hand."""
    x = np.full((len(CASE_IDS), len(FACTOR_IDS)), NAN)
    for case, factor, code in _BASE_CODE_TRIPLES:
        x[CASE_IDS.index(case), FACTOR_IDS.index(factor)] = float(code)
    return x


EXPECTED_W = np.array([[1, 1], [1, 0], [0, 0], [0, NAN]], dtype=float)


def expected_s() -> np.ndarray:
    s = np.full((4, 2, 3), NAN)
    streams = ("problem", "policy", "politics")
    for case, phase, stream, value in BASE_STREAMS:
        s[CASE_IDS.index(case), int(phase) - 1, streams.index(stream)] = float(value)
    return s


def codebook_toml(factors: dict | None = None, dataset: bool = True) -> str:
    """The text of a codebook.toml for ``factors`` (id -> (phase, stream, nl, en))."""
    factors = BASE_FACTORS if factors is None else factors
    parts = []
    if dataset:
        parts.append('[dataset]\ntitle = "test gemeenten"\nsource = "built in conftest"\n')
    for fid, (phase, stream, nl, en) in factors.items():
        parts.append(f'[factors.{fid}]\nphase = {phase}\nstream = "{stream}"\n'
                     f'label_nl = "{nl}"\nlabel_en = "{en}"\ndescription = "test factor {fid}"\n')
    return "\n".join(parts)


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv_file(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ",",
                   encoding: str = "utf-8", bom: bool = False, line_terminator: str = "\n") -> Path:
    text = csv_text(header, rows, delimiter).replace("\n", line_terminator)
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def line_of(header_and_rows_index: int) -> int:
    """File row of the i-th data row (0-based) when each row is one line: the header is row 1."""
    return header_and_rows_index + 2


class DatasetFactory:
    """Builds dataset folders under one temporary directory; each call gets a fresh folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._counter = itertools.count()

    def tables(self) -> dict:
        """Deep copies of the base tables, to corrupt before writing."""
        return {
            "factors": copy.deepcopy(BASE_FACTORS),
            "cases_header": list(BASE_CASES_HEADER),
            "cases": copy.deepcopy(BASE_CASES),
            "codes_header": list(BASE_CODES_HEADER),
            "codes": copy.deepcopy(BASE_CODES),
            "streams_header": list(STREAMS_HEADER),
            "streams": copy.deepcopy(BASE_STREAMS),
        }

    def folder(self, name: str | None = None) -> Path:
        path = self.root / (name or f"ds{next(self._counter)}")
        path.mkdir(parents=True, exist_ok=False)
        return path

    def make(self, name: str | None = None, *, tables: dict | None = None, streams: bool = True,
             codebook_text: str | None = None, delimiter: str = ",", encoding: str = "utf-8",
             bom: bool = False) -> Path:
        """Write a dataset folder from ``tables`` (default: the valid base dataset)."""
        t = self.tables() if tables is None else tables
        path = self.folder(name)
        text = codebook_toml(t["factors"]) if codebook_text is None else codebook_text
        (path / "codebook.toml").write_text(text, encoding="utf-8")
        options = dict(delimiter=delimiter, encoding=encoding, bom=bom)
        write_csv_file(path / "cases.csv", t["cases_header"], t["cases"], **options)
        write_csv_file(path / "codes.csv", t["codes_header"], t["codes"], **options)
        if streams:
            write_csv_file(path / "streams.csv", t["streams_header"], t["streams"], **options)
        return path


@pytest.fixture
def factory(tmp_path) -> DatasetFactory:
    return DatasetFactory(tmp_path)


@pytest.fixture
def valid_dataset(factory) -> Path:
    return factory.make("valid")


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the console entry point ``bayesstreams.cli.app.main``; return (exit code, stdout, stderr)."""
    from bayesstreams.cli.app import main

    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    out, err = capsys.readouterr()
    return code, out, err


def codes_row(tables: dict, case: str, factor: str) -> int:
    """0-based index of the (case, factor) row in a codes table."""
    return next(i for i, r in enumerate(tables["codes"]) if r[0] == case and r[1] == factor)


ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"
STUDY_MODEL = ROOT / "models" / "streams.toml"
STUDY_SEED = 20200601


class SharedFits:
    """The one place the tests fit real models: each fit is made once per session and handed out as copies.

    ``fit`` has the signature of :func:`bayesstreams.inference.fit.fit`.  Two calls are the same
    fit when they agree on what decides the draws: the data (content hash), the model (kind,
    priors and evidence options: ``model_hash``), the seed and the sampler settings.  A repeated
    call returns a copy of the first result under the caller's own config and provenance, which is
    what fitting again would give (same seed, data and model give identical draws:
    ``tests/test_fit_model.py`` checks that without this cache).  The draws are read-only, so a
    test that changed them in place would fail instead of changing them for the next test.
    """

    def __init__(self):
        from bayesstreams.inference import fit as fit_module

        self._module = fit_module
        self._fit = fit_module.fit  # the real one, also while ``reuse_fits`` replaces it
        self._runs: dict = {}
        self.fitted: list[tuple] = []  # keys in the order they were really fitted

    def key(self, dataset, config, seed, settings) -> tuple:
        return (dataset.content_hash(), config.kind, config.model_hash(), int(seed), tuple(sorted(settings.items())))

    def fit(self, dataset, model=None, seed=STUDY_SEED, draws=None, tune=None, chains=None, sampler=None,
            progress=False, config=None):
        import copy

        from bayesstreams.data.dataset import load_dataset

        if isinstance(dataset, (str, Path)):
            dataset = load_dataset(dataset)
        config = self._module.resolve_model(config if config is not None else model)
        settings = self._module.resolve_settings(config, draws, tune, chains, sampler)
        key = self.key(dataset, config, seed, settings)
        if key not in self._runs:
            run = self._fit(dataset, config, seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler,
                            progress=progress)
            for draws_of in (run.posterior, run.prior):
                for array in draws_of.values():
                    array.setflags(write=False)
            if run.log_likelihood is not None:
                run.log_likelihood.setflags(write=False)
            self._runs[key] = run
            self.fitted.append(key)
        first = self._runs[key]
        run = copy.copy(first)
        run.dataset, run.config, run.path = dataset, config, None
        run.power_weights, run.power_khat = dict(first.power_weights), dict(first.power_khat)
        run.info = self._module.provenance(run, seed, settings, copy.deepcopy(first.info.get("timings", {})))
        return run

    def study(self):
        """The shipped study fitted with its model file and seed (what ``study_fit`` holds)."""
        return self.fit(STUDY, STUDY_MODEL, seed=STUDY_SEED)


@pytest.fixture(scope="session")
def fits() -> SharedFits:
    """Every real fit the tests share (see :class:`SharedFits`)."""
    return SharedFits()


@pytest.fixture(scope="session")
def study_fit(fits):
    """The shipped study fitted once with the default model and seed, shared by every model-tier test."""
    return fits.study()


@pytest.fixture
def reuse_fits(fits, monkeypatch) -> SharedFits:
    """Within one test, every call of ``bayesstreams.inference.fit.fit`` (and ``bs.fit``) goes through ``fits``.

    For tests and docstring examples whose subject is not the sampling (a pipeline, a CLI
    command, a companion run beside a run): they see the runs a fit gives, made once per session.
    """
    return reuse(fits, monkeypatch)


def reuse(fits: SharedFits, monkeypatch) -> SharedFits:
    """Route ``bayesstreams.inference.fit.fit`` and ``bs.fit`` through ``fits`` until the test ends."""
    import bayesstreams

    # bs.fit first: reading it (for the undo) resolves the lazy name, which must find the real fit,
    # not the stand-in, or the stand-in would stay behind as bs.fit after the test
    monkeypatch.setattr(bayesstreams, "fit", fits.fit, raising=False)
    monkeypatch.setattr(fits._module, "fit", fits.fit)
    return fits


@pytest.fixture(scope="session")
def fake_study(tmp_path_factory):
    """The shipped study with prior-like draws standing in for a posterior, as a run folder: ``(folder, run)``.

    No fitting: the one fake run of the shipped data that the advice, language and report tests
    share.  Read it, never change it (write a fake of your own for that).
    """
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.store import load_run

    from .helpers import prior_like_draws, write_fake_run

    dataset = load_dataset(STUDY)
    folder = write_fake_run(tmp_path_factory.mktemp("fake-study") / "run", dataset,
                            prior_like_draws(dataset, n=400, seed=8), prior_like_draws(dataset, n=400, seed=9))
    return folder, load_run(folder)


@pytest.fixture(scope="session")
def fake_study_report(fake_study, tmp_path_factory):
    """``fake_study_report(lang)``: the report folder of ``fake_study``, written once per language and session."""
    from bayesstreams.reporting.report import write_report

    from .helpers import as_study

    folders = {}

    def report(lang: str = "en") -> Path:
        if lang not in folders:
            out = tmp_path_factory.mktemp(f"fake-study-report-{lang}") / "report"
            folders[lang] = write_report(as_study(fake_study[0]), out, lang=lang)
        return folders[lang]

    return report
