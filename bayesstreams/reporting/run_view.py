"""The report's view of the run itself: what the data taught (contraction), the sampler checks, the model comparison, the provenance."""

from __future__ import annotations

from dataclasses import dataclass

from bayesstreams.analysis.contraction import PRIOR_DRIVEN_BELOW
from bayesstreams.checks.compare import K_THRESHOLD, compare_fits
from bayesstreams.inference.diagnostics import BFMI_MIN, ESS_MIN, RHAT_MAX
from bayesstreams.reporting.effects_view import PriorFlags
from bayesstreams.reporting.view import _num


@dataclass
class TaughtRow:
    """The contraction of one scalar (a parameter or a headline query)."""

    source: str
    name: str
    index: str
    prior_sd: float | None
    posterior_sd: float | None
    contraction: float | None
    prior_driven: bool
    label: str = ""


@dataclass
class TaughtCount:
    """How many scalars of one quantity there are and how many are prior-driven."""

    source: str
    name: str
    n: int
    n_prior_driven: int


@dataclass
class Taught:
    """Prior-to-posterior contraction, counted per quantity and listed in full."""

    threshold: float
    n_total: int
    n_prior_driven: int
    counts: list[TaughtCount]
    rows: list[TaughtRow]


def taught(frame, words: dict[str, str] | None = None, flags: PriorFlags | None = None) -> Taught:
    """The contraction table of :func:`bayesstreams.analysis.contraction.what_the_data_taught` as report data.

    ``words`` turns the parts of an index ("1, problem", a factor id, a case id) into the
    reader's words (see :func:`~bayesstreams.reporting.view.index_words`); parts without an entry stay as they are.
    Contraction is descriptive: the ``prior_driven`` mark of each row is the measured flag
    (``flags``, :mod:`bayesstreams.analysis.prior_dependence`), the one every part of the report shows.
    """
    words = words or {}

    def label(index: str) -> str:
        return ", ".join(words.get(part, part) for part in index.split(", ")) if index else ""

    rows = [TaughtRow(r.source, r.name, str(r.index), _num(r.prior_sd), _num(r.posterior_sd), _num(r.contraction),
                      flags(r.source, r.name, str(r.index)) if flags else bool(r.prior_driven),
                      label(str(r.index))) for r in frame.itertuples()]
    counts: dict[tuple[str, str], TaughtCount] = {}
    for row in rows:
        count = counts.setdefault((row.source, row.name), TaughtCount(row.source, row.name, 0, 0))
        count.n += 1
        count.n_prior_driven += row.prior_driven
    return Taught(PRIOR_DRIVEN_BELOW, len(rows), sum(r.prior_driven for r in rows), list(counts.values()), rows)


@dataclass
class DiagnosticRow:
    """One sampler check: its worst value, the target and whether it passed."""

    check: str
    value: float | None
    target: str
    passed: bool
    op: str = ""
    limit: float | None = None


@dataclass
class DiagnosticsSummary:
    """All sampler checks; ``failed`` names the checks that failed (the banner lists them)."""

    passed: bool
    failed: list[str]
    n_samples: int | None
    rows: list[DiagnosticRow]


def diagnostics_summary(info: dict) -> DiagnosticsSummary:
    """The sampler checks recorded in run.json; a run without them counts as failed."""
    d = info.get("diagnostics") or {}
    limits = {"rhat_max": RHAT_MAX, "ess_min": ESS_MIN, "bfmi_min": BFMI_MIN, **d.get("thresholds", {})}
    specs = (("rhat", "rhat_max", "<=", limits["rhat_max"]), ("ess_bulk", "ess_bulk_min", ">=", limits["ess_min"]),
             ("ess_tail", "ess_tail_min", ">=", limits["ess_min"]), ("divergences", "divergences", "=", 0),
             ("bfmi", "bfmi_min", ">=", limits["bfmi_min"]))
    checks = d.get("checks", {})
    rows = [DiagnosticRow(check, _num(d.get(value)), f"{op} {limit}", bool(checks.get(check, False)), op, _num(limit))
            for check, value, op, limit in specs]
    failed = [r.check for r in rows if not r.passed]
    return DiagnosticsSummary(bool(d.get("passed", False)) and not failed, failed, d.get("n_samples"), rows)


@dataclass
class ComparisonRow:
    """One model's leave-one-case-out elpd (see :mod:`bayesstreams.checks.compare`)."""

    model: str
    elpd: float | None
    se: float | None
    p_loo: float | None
    elpd_diff: float | None
    se_diff: float | None
    max_k: float | None
    n_k_high: int
    method: str


@dataclass
class Comparison:
    """Leave-one-case-out elpd of the report's run and the compared run (best first)."""

    target: str
    k_threshold: float
    rows: list[ComparisonRow]


def comparison(run, compare_run) -> Comparison | None:
    """PSIS-LOO of the two runs through :func:`bayesstreams.checks.compare.compare_fits`."""
    if compare_run is None:
        return None
    table = compare_fits([run, compare_run], exact="none").table
    rows = [ComparisonRow(str(r["model"]), _num(r["elpd"]), _num(r["se"]), _num(r["p_loo"]), _num(r["elpd_diff"]),
                          _num(r["se_diff"]), _num(r["max_k"]), int(r["n_k_high"]), str(r["method"]))
            for _, r in table.iterrows()]
    return Comparison(str(table["target"].iloc[0]), K_THRESHOLD, rows)


@dataclass
class Reproducibility:
    """Command, seed, hashes, sampler settings and versions of the run."""

    command: str
    seed: int | None
    data_hash: str
    model_hash: str
    sampler: str
    settings: dict
    versions: dict
    created: str


def reproducibility(info: dict) -> Reproducibility:
    """What a reader needs to rerun the analysis, from run.json."""
    return Reproducibility(str(info.get("command", "")), info.get("seed"), str(info.get("dataset", {}).get("hash", "")),
                           str(info.get("model", {}).get("hash", "")), str(info.get("sampler", "")),
                           dict(info.get("settings", {})), {str(k): str(v) for k, v in info.get("versions", {}).items()},
                           str(info.get("created", "")))
