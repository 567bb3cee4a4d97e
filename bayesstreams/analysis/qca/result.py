"""``qca``: the classical set-theoretic analysis of a plain QCA table or a bayesstreams dataset.

One call gives the truth table, the necessity of each condition (and of the conditions the
outcome requires), and the conservative, parsimonious and (with directional expectations)
intermediate solutions with each term's inclS, PRI, covS and covU, as pandas tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesstreams.analysis.qca.measures import cov_suf, incl_suf, pri, unique_coverage
from bayesstreams.analysis.qca.membership import (RULES, dataset_memberships, default_conditions,
                                                  required_conditions, resolve_condition)
from bayesstreams.analysis.qca.minimise import MAX_CONDITIONS, easy_counterfactuals, parse_expectations, solve
from bayesstreams.analysis.qca.necessity import necessity_rows
from bayesstreams.data.codebook import PHASES
from bayesstreams.data.dataset import Dataset, load_dataset
from bayesstreams.data.qca_table import read_plain_table
from bayesstreams.analysis.qca.truth_table import TruthTable, parse_incl_cut, truth_table
from bayesstreams.errors import InputError, UsageError, Violation


@dataclass
class QCAResult:
    """The classical QCA of one outcome: tables (pandas) and what went into them.

    Attributes
    ----------
    truth_table : one row per observed configuration: ``row``, the conditions, ``OUT``, ``n``,
        ``incl``, ``PRI``, ``cases``.
    necessity : one row per condition and negated condition: ``inclN``, ``RoN``, ``covN``, ``n``
        (cases known) and ``n_outcome`` (of those, the cases in the outcome: the only ones that
        could refute the condition's necessity).
    solutions : one row per model: ``solution`` (conservative / parsimonious / intermediate),
        ``model``, ``expression``, ``inclS``, ``PRI``, ``covS``.
    terms : one row per term of each model: ``inclS``, ``PRI``, ``covS``, ``covU`` (within its
        model) and ``cases`` (the explained rows it covers, rows separated by ``;``).
    """

    source: str
    kind: str
    outcome: str
    conditions: tuple[str, ...]
    membership: str
    cases: tuple[str, ...]
    dropped: dict[str, str]
    truth: TruthTable
    truth_table: object
    necessity: object
    solutions: object
    terms: object
    settings: dict
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Everything as JSON-ready values (NaN as ``None``)."""
        def records(frame):
            return [{k: (None if isinstance(v, float) and np.isnan(v) else (v.item() if hasattr(v, "item") else v))
                     for k, v in row.items()} for row in frame.to_dict("records")]

        return {"source": self.source, "kind": self.kind, "outcome": self.outcome, "conditions": list(self.conditions),
                "membership": self.membership, "cases": list(self.cases), "dropped": dict(self.dropped),
                "settings": dict(self.settings), "truth_table": records(self.truth_table),
                "necessity": records(self.necessity), "solutions": records(self.solutions),
                "terms": records(self.terms), "notes": list(self.notes)}


def _load(source, membership: str, not_discussed: str, codebook):
    """(kind, source label, columns, cases, membership text, dataset or None)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        columns = {str(c): pd.to_numeric(source[c], errors="coerce").to_numpy(dtype=float) for c in source.columns}
        bad = [Violation("<DataFrame>", None, name, "memberships must be numbers in [0, 1] (NaN where unknown)")
               for name, values in columns.items() if ((values < 0) | (values > 1)).any()
               or (np.isnan(values) & source[name].notna().to_numpy()).any()]
        if bad:
            raise InputError(bad)
        crisp = all(np.isin(v[~np.isnan(v)], (0.0, 1.0)).all() for v in columns.values())
        return ("table", "a DataFrame", columns, tuple(str(i) for i in source.index),
                f"as given ({'crisp' if crisp else 'fuzzy'})", None)
    if isinstance(source, Dataset):
        dataset, label = source, source.name
    else:
        path = Path(source)
        if path.is_dir() and (path / "run.json").is_file() and (path / "dataset").is_dir():
            dataset, label = load_dataset(path / "dataset"), str(path)
        elif path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm") or codebook is not None:
            dataset, label = load_dataset(path, codebook=codebook), str(path)
        else:
            table = read_plain_table(path)
            text = "as given (crisp)" if table.crisp else "as given (fuzzy)"
            return "table", table.file, table.columns, table.cases, text, None
    if membership not in RULES:
        raise UsageError("--membership", f"{membership!r} is not a rule; choose one of {', '.join(RULES)}")
    if not_discussed not in ("drop", "zero"):
        raise UsageError("--not-discussed", f"{not_discussed!r}: choose drop or zero")
    rule = ", ".join(f"{code:+d} -> {value:g}".replace("+0", "0") for code, value in RULES[membership].items())
    text = (f"windows and stream states as coded; factor codes {membership} ({rule}); "
            f"not-discussed cells {'dropped' if not_discussed == 'drop' else 'read as 0'}")
    columns = dataset_memberships(dataset, membership, not_discussed)
    return "dataset", label, columns, dataset.case_ids, text, dataset


def _column(columns, name: str) -> np.ndarray:
    values = columns[name.lstrip("~")]
    return 1.0 - values if name.startswith("~") else values


def _pick(columns, dataset, outcome, conditions):
    names = list(columns)
    if outcome is None:
        outcome = "w2" if dataset is not None else names[-1]
    if outcome.lstrip("~") not in columns:
        raise UsageError("--outcome", f"{outcome!r} is not a column; known: {', '.join(names)}")
    if conditions is None:
        conditions = default_conditions(dataset, outcome) if dataset is not None else \
            [n for n in names if n != outcome.lstrip("~")]
        if not conditions:
            raise UsageError("--conditions", f"give the conditions for outcome {outcome!r}")
    else:
        given = [c.strip() for c in (conditions.split(",") if isinstance(conditions, str) else conditions) if c.strip()]
        conditions = []
        for name in given:
            column = resolve_condition(name, outcome, columns)
            if column is None:
                raise UsageError("--conditions", f"{name!r} is not a column; known: {', '.join(names)}")
            conditions.append(column)
    if not conditions:
        raise UsageError("--conditions", "name at least one condition")
    if outcome.lstrip("~") in [c.lstrip("~") for c in conditions]:
        raise UsageError("--conditions", f"the outcome {outcome.lstrip('~')!r} cannot also be a condition")
    if len(set(conditions)) != len(conditions):
        raise UsageError("--conditions", "a condition is named twice")
    if len(conditions) > MAX_CONDITIONS:
        raise UsageError("--conditions", f"{len(conditions)} conditions; the exact minimisation takes at most {MAX_CONDITIONS}")
    return outcome, conditions


def _term_rows(truth: TruthTable, model, x, y, names) -> tuple[list[dict], dict]:
    """Parameters of fit of each term of a model and of the whole model."""
    on = truth.rows_with("1")
    membership = np.array([t.membership(x) for t in model.terms])  # (term, case)
    cov_u = unique_coverage(membership, y)
    rows = []
    for i, term in enumerate(model.terms):
        covered = [r for r in on if term.covers([r])[0]]
        rows.append({"solution": model.kind, "model": model.label, "term": term.expression(names),
                     "inclS": float(incl_suf(membership[i], y)), "PRI": float(pri(membership[i], y)),
                     "covS": float(cov_suf(membership[i], y)), "covU": float(cov_u[i]),
                     "cases": "; ".join(",".join(truth.cases_of(r)) for r in covered)})
    union = membership.max(0)
    whole = {"solution": model.kind, "model": model.label, "expression": model.expression(names),
             "inclS": float(incl_suf(union, y)), "PRI": float(pri(union, y)), "covS": float(cov_suf(union, y))}
    return rows, whole


def _models(truth: TruthTable, expectations: dict[int, int] | None):
    return models_of(truth.k, truth.rows_with("1"), truth.remainders(), expectations)


def models_of(k: int, on, remainders, expectations: dict[int, int] | None) -> list:
    """Conservative, parsimonious and (with ``expectations``) intermediate models of positive rows ``on``.

    >>> [m.expression(["A", "B"]) for m in models_of(2, [3], [1], None)]
    ['A*B', 'B']
    """
    on, remainders = np.asarray(on, dtype=np.int64), np.asarray(remainders, dtype=np.int64)
    if on.size == 0:
        return []
    _, conservative = solve(k, on, [], "conservative")
    _, parsimonious = solve(k, on, remainders, "parsimonious")
    models = conservative + parsimonious
    if expectations is not None:
        for ci, c_model in enumerate(conservative, start=1):
            for pj, p_model in enumerate(parsimonious, start=1):
                easy = easy_counterfactuals(k, remainders, c_model.terms, p_model.terms, expectations)
                models += solve(k, on, easy, "intermediate", prefix=f"C{ci}P{pj}-")[1]
    return models


def qca(source, outcome: str | None = None, conditions=None, incl_cut=0.8, n_cut: int = 1, pri_cut: float = 0.0,
        dir_exp=None, membership: str = "crisp", not_discussed: str = "drop", codebook=None) -> QCAResult:
    """Classical crisp- or fuzzy-set QCA of a plain table or a dataset (truth table, necessity, solutions).

    Parameters
    ----------
    source
        A plain QCA table (CSV: one row per case, memberships in [0, 1]; or a pandas DataFrame
        indexed by case), or a bayesstreams dataset (folder, xlsx workbook, a ``Dataset``, or a
        run folder, whose dataset snapshot is used).
    outcome
        The outcome column; ``~`` negates it.  Default: the table's last column, or ``w2``.
        For a dataset: ``w1``, ``w2``, a stream state (``policy_2``) or a factor id.
    conditions
        Condition columns (list or comma-separated).  Default: every other column of a table;
        for a window the streams of its phase (``problem`` means ``problem_<phase>``); for a
        stream state the factors of that stream and phase.
    incl_cut
        Inclusion cut-off for output 1, or two (``(0.8, 0.75)``): rows between them are
        contradictions (``C``).  ``n_cut``: rows with fewer cases are remainders.
    dir_exp
        Directional expectations (``"A, ~B"``) for the intermediate solution.
    membership, not_discussed
        A dataset's rule for factor codes (``crisp`` or ``fuzzy``) and not-discussed cells
        (``drop`` the case or read as ``zero``); see docs/QCA.md.

    Returns
    -------
    QCAResult
        ``truth_table``, ``necessity``, ``solutions``, ``terms`` (pandas) and the cases used.

    Examples
    --------
    >>> import bayesstreams as bs
    >>> lf = bs.qca("tests/data/qca/lipset_fuzzy.csv", outcome="SURV")
    >>> lf.solutions[["solution", "expression"]].values.tolist()
    [['conservative', 'DEV*~URB*LIT*~IND*STB + DEV*URB*LIT*IND*STB'], ['parsimonious', 'DEV*~IND + URB*STB']]
    >>> study = bs.qca("data/trafficking_nl_2020", outcome="w2")
    >>> study.necessity.set_index("condition").loc["w1", ["inclN", "covN", "n_outcome"]].tolist()
    [1.0, 0.75, 3.0]
    """
    kind, label, columns, cases, rule_text, dataset = _load(source, membership, not_discussed, codebook)
    outcome, conditions = _pick(columns, dataset, outcome, conditions)
    try:
        cut = parse_incl_cut(incl_cut)
    except (TypeError, ValueError) as exc:
        raise UsageError("--incl-cut", f"{incl_cut!r}: {exc}") from None
    if int(n_cut) < 1:
        raise UsageError("--n-cut", "at least 1 case")
    if dir_exp is not None and "*" in (dir_exp if isinstance(dir_exp, str) else "".join(dir_exp)):
        raise UsageError("--dir-exp", "conjunctural expectations (A*B) are not supported; name single conditions")
    try:
        expectations = None if dir_exp is None else parse_expectations(dir_exp, [c.lstrip("~") for c in conditions])
    except KeyError as exc:
        raise UsageError("--dir-exp", f"{exc.args[0]!r} is not a condition ({', '.join(conditions)})") from None
    y_all = _column(columns, outcome)
    x_all = np.stack([_column(columns, c) for c in conditions], axis=1)
    known = ~np.isnan(y_all) & ~np.isnan(x_all).any(1)
    dropped = {case: "unknown: " + ", ".join(n for n, v in zip([outcome, *conditions], [y_all[i], *x_all[i]]) if np.isnan(v))
               for i, case in enumerate(cases) if not known[i]}
    kept = tuple(c for c, k in zip(cases, known) if k)
    x, y = x_all[known], y_all[known]
    truth = truth_table(x, y, conditions, outcome, kept, incl_cut=cut, n_cut=n_cut, pri_cut=pri_cut)
    necessity_columns = {c: _column(columns, c) for c in [*conditions, *required_conditions(outcome)]
                         if c in columns or c.lstrip("~") in columns}
    notes = []
    if truth.unassigned:
        notes.append(f"cases with a membership of exactly 0.5 belong to no row: {', '.join(truth.unassigned)}")
    if not truth.rows_with("1").size:
        notes.append("no row passes the inclusion cut-off: there is nothing to minimise")
    term_rows, model_rows = [], []
    try:
        models = _models(truth, expectations)
    except ValueError as exc:  # the chart has too many equally small covers to list
        raise UsageError("--conditions", f"{exc}; use fewer conditions or a stricter --incl-cut") from None
    for model in models:
        rows, whole = _term_rows(truth, model, x, y, conditions)
        term_rows += rows
        model_rows.append(whole)
    return _result(kind, label, outcome, conditions, rule_text, kept, dropped, truth, necessity_columns, y_all,
                   model_rows, term_rows, {"incl_cut": list(cut), "n_cut": int(n_cut), "pri_cut": float(pri_cut),
                                           "dir_exp": dir_exp, "membership": membership if dataset is not None else None,
                                           "not_discussed": not_discussed if dataset is not None else None}, notes)


def _result(kind, label, outcome, conditions, rule_text, kept, dropped, truth, necessity_columns, y_all, model_rows,
            term_rows, settings, notes) -> QCAResult:
    import pandas as pd

    return QCAResult(
        source=label, kind=kind, outcome=outcome, conditions=tuple(conditions), membership=rule_text, cases=kept,
        dropped=dropped, truth=truth, truth_table=truth.to_frame(),
        necessity=pd.DataFrame(necessity_rows(necessity_columns, y_all), columns=["condition", "inclN", "RoN", "covN", "n", "n_outcome"]),
        solutions=pd.DataFrame(model_rows, columns=["solution", "model", "expression", "inclS", "PRI", "covS"]),
        terms=pd.DataFrame(term_rows, columns=["solution", "model", "term", "inclS", "PRI", "covS", "covU", "cases"]),
        settings=settings, notes=notes)


def outcomes_of(source, outcome: str | None, codebook=None) -> list[str | None]:
    """The outcomes ``bayesstreams qca`` analyses: the one asked for; for a dataset without one, each window.

    >>> outcomes_of("data/trafficking_nl_2020", None)
    ['w1', 'w2']
    >>> outcomes_of("tests/data/qca/lipset_crisp.csv", None)
    [None]
    """
    if outcome is not None:
        return [outcome]
    path = Path(source)
    is_dataset = path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm") or codebook is not None
    return [f"w{phase}" for phase in PHASES] if is_dataset else [None]
