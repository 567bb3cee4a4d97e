"""Write a run's report: report.html (self-contained), report.md with figures beside it, summary.json."""

from __future__ import annotations

import json
from pathlib import Path


def _failed_checks(diagnostics: dict) -> list[str]:
    return [name for name, ok in diagnostics.get("checks", {}).items() if not ok]


def figures_for(data: dict, lang: str) -> dict:
    """SVG figures of the report, drawn from its data tables."""
    from bayesstreams.reports.i18n import table, translator
    from bayesstreams.reports.plots import forest_svg, stream_diagram_svg

    t = translator(lang)
    figures = {"forest_W1": forest_svg(data["factors"], "W1", t("ace_w1")),
               "forest_W2": forest_svg(data["factors"], "W2", t("ace_w2")), "streams": {}}
    for case in data["cases"]:
        if case.get("streams"):
            figures["streams"][case["case_id"]] = stream_diagram_svg(case, table(lang))
    return figures


def comparison_rows(run, compare_run) -> dict | None:
    """PSIS-LOO of two runs on the windows (see bayesstreams.checks.compare), as report rows."""
    if compare_run is None:
        return None
    from bayesstreams.checks.compare import compare_fits
    from bayesstreams.store import load_run

    result = compare_fits([run, load_run(compare_run)], exact="none")
    rows = []
    for _, r in result.table.iterrows():
        rows.append({"model": str(r.get("model", "")), "elpd": float(r.get("elpd", float("nan"))),
                     "se": float(r.get("se", float("nan"))), "max_k": float(r.get("max_k", float("nan"))),
                     "method": str(r.get("method", ""))})
    return {"rows": rows}


def write_report(run_path, out_dir, lang: str = "en", compare_run=None, force: bool = False) -> Path:
    """Write report.html, report.md (+ figures/) and summary.json into ``out_dir`` atomically."""
    from bayesstreams.atomic import atomic_folder
    from bayesstreams.reports.data import report_data
    from bayesstreams.reports.render import render
    from bayesstreams.store import load_run

    run = load_run(run_path)
    data = report_data(run, lang, comparison_rows(run, compare_run))
    figures = figures_for(data, lang)
    failed = _failed_checks(data["diagnostics"])
    out_dir = Path(out_dir)
    with atomic_folder(out_dir, force=force) as tmp:
        (tmp / "report.html").write_text(render("report.html.j2", lang, d=data, figures=figures, failed=failed),
                                         encoding="utf-8")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "forest_W1.svg").write_text(figures["forest_W1"], encoding="utf-8")
        (tmp / "figures" / "forest_W2.svg").write_text(figures["forest_W2"], encoding="utf-8")
        for n, case in enumerate(data["cases"], start=1):
            if case["case_id"] in figures["streams"]:
                (tmp / "figures" / f"streams_{n}.svg").write_text(figures["streams"][case["case_id"]], encoding="utf-8")
        (tmp / "report.md").write_text(render("report.md.j2", lang, d=data, figures=figures, failed=failed),
                                       encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return out_dir
