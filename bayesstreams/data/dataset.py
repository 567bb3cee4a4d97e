"""The validated Dataset handed to the model: arrays plus coords.

``load_dataset`` is the one public entry point: it reads a dataset folder, a wide CSV or
an xlsx workbook, validates every table, and returns a :class:`Dataset` whose arrays are
indexed by case, factor, phase and stream.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesstreams.data.cases import resolve_case
from bayesstreams.data.claims import load_claims
from bayesstreams.data.codebook import PHASES, STREAMS, Codebook, CodebookRead, parse_factor, read_codebook
from bayesstreams.data.limits import limit, over
from bayesstreams.data.screen import screen_dataset
from bayesstreams.errors import InputError, Violation
from bayesstreams.data.io import RawTable, read_csv, read_xlsx
from bayesstreams.data.schema import Validated, validate_tables

CODEBOOK_FILE = "codebook.toml"
CASES_FILE = "cases.csv"
CODES_FILE = "codes.csv"
STREAMS_FILE = "streams.csv"


@dataclass
class Dataset:
    """A validated dataset.

    Attributes
    ----------
    x : (case, factor) codes in {-1, 0, 1}, NaN where not discussed.
    w : (case, phase) windows in {0, 1}, NaN where unknown.
    s : (case, phase, stream) observed stream states in {0, 1}, NaN where not observed.
    group : (case,) integer group index, -1 where no group is given; ``groups`` names them.
    """

    name: str
    source: str
    codebook: Codebook
    cases: list[dict]
    codes: list[dict]
    x: np.ndarray
    w: np.ndarray
    s: np.ndarray
    group: np.ndarray
    groups: tuple[str, ...]
    warnings: list[Violation] = field(default_factory=list)
    claims: tuple = ()  # the source study's conclusions (claims.toml beside the codebook), not model input
    # {(case_id, phase, stream): basis} of the stream states whose basis is known (data.sources); not model input
    stream_basis: dict = field(default_factory=dict)

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(record["case_id"] for record in self.cases)

    def resolve_case(self, case: str) -> str:
        """The id of the case given by its id or its name (case-insensitive); see :mod:`bayesstreams.data.cases`."""
        return resolve_case(self, case)

    def case_column(self, name: str) -> list[str]:
        """One column of the case table as text ("" where absent)."""
        return [str(record.get(name, "")) for record in self.cases]

    def cases_frame(self):
        """The case table as a pandas DataFrame (imports pandas; not on the fast paths)."""
        import pandas as pd

        return pd.DataFrame.from_records([{k: v for k, v in r.items() if not k.startswith("_")} for r in self.cases])

    def codes_frame(self):
        """The long code table as a pandas DataFrame, provenance columns included."""
        import pandas as pd

        return pd.DataFrame.from_records([{k: v for k, v in r.items() if not k.startswith("_")} for r in self.codes])

    def respondent_codes(self):
        """The codes as recorded, one row per (case, factor, respondent): the evidence before consensus.

        Returns
        -------
        pandas.DataFrame
            Columns ``case_id``, ``factor``, ``respondent`` ("" where the row names none) and
            ``code`` (-1, 0, 1, NaN where that respondent left the cell empty), in case and
            codebook order.  ``x`` is the consensus of these rows (:func:`aggregate_codes`).
        """
        import pandas as pd

        case_pos = {c: i for i, c in enumerate(self.case_ids)}
        factor_pos = {f: j for j, f in enumerate(self.factor_ids)}
        rows = sorted(({"case_id": r["case_id"], "factor": r["factor"], "respondent": str(r.get("respondent", "") or ""),
                        "code": float(r["code"])} for r in self.codes),
                      key=lambda r: (case_pos[r["case_id"]], factor_pos[r["factor"]], r["respondent"]))
        return pd.DataFrame(rows, columns=["case_id", "factor", "respondent", "code"])

    @property
    def factor_ids(self) -> tuple[str, ...]:
        return self.codebook.ids

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    @property
    def phases(self) -> tuple[int, ...]:
        """The phases the study has: those with a coded factor, within ``[dataset] phases`` where declared.

        The model always holds both windows; outputs say nothing of a phase the study does not
        have (no headline, ranking, lever, claim or sentence about its window): a study of agenda
        setting alone, or a codebook whose phase-2 factors no case was coded on.

        Examples
        --------
        >>> load_dataset("data/trafficking_nl_2020").phases
        (1, 2)
        """
        coded = ~np.isnan(np.asarray(self.x, dtype=float))
        phase = self.factor_phase
        found = tuple(p for i, p in enumerate(PHASES) if coded[:, phase == i].any())
        declared = self.codebook.dataset.get("phases")
        return tuple(p for p in found if not declared or p in declared)

    @property
    def factor_phase(self) -> np.ndarray:
        """Phase index (0 or 1) of each factor."""
        return np.array([PHASES.index(f.phase) for f in self.codebook.factors], dtype=int)

    @property
    def factor_stream(self) -> np.ndarray:
        """Stream index (0, 1, 2) of each factor."""
        return np.array([STREAMS.index(f.stream) for f in self.codebook.factors], dtype=int)

    @property
    def x_filled(self) -> np.ndarray:
        """Codes with not-discussed cells set to 0 (MODEL.md §2, v1)."""
        return np.nan_to_num(self.x, nan=0.0)

    @property
    def n_not_discussed(self) -> np.ndarray:
        """Per case, how many factor codes are missing (reported next to every result)."""
        return np.isnan(self.x).sum(axis=1)

    def coords(self) -> dict[str, list]:
        """Coordinates for PyMC and ArviZ."""
        return {
            "case": list(self.case_ids),
            "factor": list(self.factor_ids),
            "phase": list(PHASES),
            "stream": list(STREAMS),
        }

    def content_hash(self) -> str:
        """SHA-256 over everything the model reads (codes, windows, streams, groups, codebook).

        Quotes and labels do not enter, so editing provenance does not invalidate a run;
        any change to a number the likelihood sees does.  Where a cell has codes of two or more
        respondents, their counts per code enter too (the evidence model's ``respondents =
        "latent"`` reads them; MODEL.md §7); data with one code per cell hash as before.
        """
        payload = {
            "cases": list(self.case_ids),
            "factors": [[f.id, f.phase, f.stream] for f in self.codebook.factors],
            "x": _nan_list(self.x),
            "w": _nan_list(self.w),
            "s": _nan_list(self.s),
            "group": self.group.tolist(),
            "groups": list(self.groups),
        }
        several = _several_codes(self)
        if several:
            payload["respondent_counts"] = several
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _several_codes(dataset) -> list:
    """``[case, factor, n(-1), n(0), n(+1)]`` of every cell coded by two or more respondents, in order."""
    counts: dict = {}
    for record in dataset.codes:
        if record["code"] == record["code"]:  # an empty code is no evidence
            cell = counts.setdefault((record["case_id"], record["factor"]), [0, 0, 0])
            cell[int(record["code"]) + 1] += 1
    return sorted([case, factor, *n] for (case, factor), n in counts.items() if sum(n) >= 2)


def _nan_list(array: np.ndarray) -> list:
    return np.where(np.isnan(array), None, array).tolist()


def aggregate_codes(codes: list[dict], cases: list[str], factors: list[str]) -> np.ndarray:
    """The (case, factor) code matrix; several respondents combine to the sign of their sum."""
    total = np.zeros((len(cases), len(factors)))
    seen = np.zeros((len(cases), len(factors)), dtype=bool)
    case_pos = {c: i for i, c in enumerate(cases)}
    factor_pos = {f: j for j, f in enumerate(factors)}
    for record in codes:
        if np.isnan(record["code"]):
            continue
        i, j = case_pos[record["case_id"]], factor_pos[record["factor"]]
        total[i, j] += record["code"]
        seen[i, j] = True
    return np.where(seen, np.sign(total), np.nan)


def stream_array(streams: list[dict], cases: list[str]) -> np.ndarray:
    """The (case, phase, stream) array of observed stream states."""
    s = np.full((len(cases), len(PHASES), len(STREAMS)), np.nan)
    case_pos = {c: i for i, c in enumerate(cases)}
    for row in streams:
        s[case_pos[row["case_id"]], PHASES.index(row["phase"]), STREAMS.index(row["stream"])] = row["in_motion"]
    return s


def build_dataset(name: str, source: str, codebook: Codebook, tables: Validated) -> Dataset:
    """Turn validated tables into a :class:`Dataset` and screen it for warnings."""
    cases = tables.cases
    cells = len(cases) * len(codebook.ids)
    if cells > limit("dataset_cells"):  # checked before the (case, factor) arrays are allocated
        raise InputError(Violation(source, None, None, f"{len(cases)} cases x {len(codebook.ids)} factors = {cells} "
                                                       f"cells, too many {over('dataset_cells')}"))
    case_ids = [record["case_id"] for record in cases]
    group_labels = [str(record.get("group", "") or "") for record in cases]
    groups = tuple(sorted({g for g in group_labels if g}))
    group = np.array([groups.index(g) if g else -1 for g in group_labels], dtype=int)
    dataset = Dataset(
        name=name,
        source=source,
        codebook=codebook,
        cases=cases,
        codes=tables.codes,
        x=aggregate_codes(tables.codes, case_ids, list(codebook.ids)),
        w=np.array([[record["w1"], record["w2"]] for record in cases], dtype=float).reshape(len(cases), 2),
        s=stream_array(tables.streams, case_ids),
        group=group,
        groups=groups,
        stream_basis={(r["case_id"], int(r["phase"]), r["stream"]): r["basis"] for r in tables.streams
                      if r.get("basis")},
    )
    dataset.warnings = screen_dataset(dataset)
    return dataset


def _codebook_from_sheet(table: RawTable) -> CodebookRead:
    problems, factors, seen = [], [], {}
    if "id" not in table.columns:
        return CodebookRead(None, (Violation(table.file, 1, "id", "required column 'id' is missing"),))
    for row, line in zip(table.rows, table.lines):
        entry = {k: v for k, v in row.items() if k != "id" and v != ""}
        if row["id"] in seen:
            problems.append(Violation(table.file, line, "id", f"duplicate factor {row['id']!r} (first at row {seen[row['id']]})"))
            continue
        seen[row["id"]] = line
        factor, found = parse_factor(table.file, line, row["id"], entry)
        problems += found
        if factor:
            factors.append(factor)
    codebook = Codebook(factors=tuple(factors), file=table.file, lines=dict(seen))
    return CodebookRead(codebook, tuple(problems), frozenset(seen))


@dataclass
class _Tables:
    """What a dataset's files held before validation, and the problems met reading them."""

    codebook: CodebookRead
    cases: RawTable | None = None
    codes: RawTable | None = None
    streams: RawTable | None = None
    problems: list[Violation] = field(default_factory=list)

    unreadable: set = field(default_factory=set)

    def read(self, name: str, reader, target) -> None:
        """Read one table; a problem is kept for the report, not raised, so the other files are checked too."""
        try:
            setattr(self, name, reader(target))
        except InputError as exc:
            self.problems += exc.violations
            self.unreadable.add(name)


def _load_folder(path: Path, codebook: CodebookRead | None) -> _Tables:
    missing = [name for name in (CASES_FILE,) if not (path / name).is_file()]
    if codebook is None and not (path / CODEBOOK_FILE).is_file():
        missing.insert(0, CODEBOOK_FILE)
    if missing:
        raise InputError([Violation(str(path / m), None, None, "required file is missing from the dataset folder")
                          for m in missing])
    tables = _Tables(codebook if codebook is not None else read_codebook(path / CODEBOOK_FILE))
    tables.read("cases", read_csv, path / CASES_FILE)
    for name, file in (("codes", CODES_FILE), ("streams", STREAMS_FILE)):
        if (path / file).exists() or (path / file).is_symlink():  # present, if only as a device: refused when read
            tables.read(name, read_csv, path / file)
    return tables


def _load_xlsx(path: Path, codebook: CodebookRead | None) -> _Tables:
    sheets = read_xlsx(path)
    if codebook is None:
        if "codebook" not in sheets:
            raise InputError(Violation(str(path), None, None,
                                       "workbook has no 'codebook' sheet; add one or pass --codebook FILE"))
        codebook = _codebook_from_sheet(sheets["codebook"])
    cases = sheets.get("cases")
    if cases is None:
        if len(sheets) == 1 or (len(sheets) == 2 and "codebook" in sheets):
            cases = next(t for n, t in sheets.items() if n != "codebook")
        else:
            raise InputError(Violation(str(path), None, None, f"workbook has no 'cases' sheet (sheets: {', '.join(sheets)})"))
    return _Tables(codebook, cases, sheets.get("codes"), sheets.get("streams"))


def _load_wide_csv(path: Path, codebook: CodebookRead | None) -> _Tables:
    if codebook is None:
        beside = path.parent / CODEBOOK_FILE
        if not beside.is_file():
            raise InputError(Violation(str(path), None, None,
                                       "a wide CSV needs a codebook: pass --codebook FILE or put codebook.toml beside it"))
        codebook = read_codebook(beside)
    tables = _Tables(codebook)
    tables.read("cases", read_csv, path)
    return tables


def load_dataset(path: str | Path, codebook: str | Path | Codebook | None = None) -> Dataset:
    """Read and validate a dataset.

    Parameters
    ----------
    path
        A dataset folder (``codebook.toml``, ``cases.csv``, ``codes.csv``, optional
        ``streams.csv``), a wide CSV (one row per case, one column per factor), or an
        ``.xlsx`` workbook holding the same tables as sheets.
    codebook
        A ``codebook.toml`` to use instead of the one in the folder; required for a wide CSV
        that has no ``codebook.toml`` beside it.

    Raises
    ------
    InputError
        With every violation found, each located by file, row and column.

    Examples
    --------
    >>> ds = load_dataset("data/trafficking_nl_2020")
    >>> ds.n_cases, len(ds.factor_ids)
    (8, 23)
    >>> ds.resolve_case("Gemeente 5")
    'g5'
    """
    path = Path(path)
    given = None
    if isinstance(codebook, (str, Path)):
        given = read_codebook(codebook)
    elif isinstance(codebook, Codebook):
        given = CodebookRead(codebook, (), frozenset(codebook.ids))
    if not path.exists():
        raise InputError(Violation(str(path), None, None, "dataset does not exist (expected a folder, a .csv or a .xlsx)"))
    if path.is_dir():
        tables, name = _load_folder(path, given), path.name
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        tables, name = _load_xlsx(path, given), path.stem
    else:
        tables, name = _load_wide_csv(path, given), path.stem
    earlier = list(tables.codebook.problems) + tables.problems
    if tables.cases is None:
        raise InputError(earlier)
    validated = validate_tables(tables.codebook.codebook, tables.cases, tables.codes, tables.streams,
                                earlier=earlier, skip_factors=tables.codebook.invalid,
                                codes_unreadable="codes" in tables.unreadable)
    dataset = build_dataset(name, str(path), tables.codebook.codebook, validated)
    if path.is_dir() or path.suffix.lower() == ".csv":
        dataset.claims = load_claims(path if path.is_dir() else path.parent, dataset.codebook)
    return dataset
