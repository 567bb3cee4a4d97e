"""Shared fixtures for the data-loading tests: a small valid dataset folder built in tmp_path.

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


@pytest.fixture(scope="session")
def study_fit():
    """The shipped study fitted once with the default model and seed, shared by every model-tier test."""
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.config import load_config

    root = Path(__file__).resolve().parents[1]
    return fit(load_dataset(root / "data" / "trafficking_nl_2020"), load_config(root / "models" / "streams.toml"),
               seed=20200601)
