"""Assemble the numbers a report shows, as one JSON-safe dict (also written as summary.json).

Nothing statistical is computed here: every number comes from :mod:`bayesstreams.queries`,
:mod:`bayesstreams.contraction` or the run's diagnostics; this module selects, labels
and rounds nothing (rounding is the templates' job).
"""

from __future__ import annotations

import math

import numpy as np

from bayesstreams.codebook import PHASES, STREAMS

SUMMARY = ("mean", "q05", "q25", "q75", "q95")


def _num(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _summary(row) -> dict:
    return {k: _num(row[k]) for k in SUMMARY}


def code_table(dataset, lang: str) -> dict:
    """The case x factor codes (None = not discussed), factors in codebook order with their labels."""
    factors = [{"id": f.id, "label": f.label(lang), "phase": f.phase, "stream": f.stream}
               for f in dataset.codebook.factors]
    names, levels = dataset.case_column("name"), dataset.case_column("level")
    rows = [{"case_id": c, "name": names[i], "level": levels[i],
             "codes": [_num(v) for v in dataset.x[i]], "w1": _num(dataset.w[i, 0]), "w2": _num(dataset.w[i, 1]),
             "n_not_discussed": int(dataset.n_not_discussed[i])} for i, c in enumerate(dataset.case_ids)]
    return {"factors": factors, "rows": rows, "n_missing": int(np.isnan(dataset.x).sum()), "n_cells": int(dataset.x.size)}


def _prior_driven(taught, source: str, name: str, index: str) -> bool:
    hit = taught[(taught["source"] == source) & (taught["name"] == name) & (taught["index"] == index)]
    return bool(hit["prior_driven"].iloc[0]) if len(hit) else False


def factor_rows(tables: dict, taught, dataset, lang: str) -> list[dict]:
    """Per factor: ACE (+1 vs -1) on W1 and W2 with intervals, P(beta > 0), prior-driven flags."""
    table = tables["factor_importance"]
    rows = []
    for factor in dataset.codebook.factors:
        own = table[table["factor"] == factor.id]
        beta = own[own["quantity"] == "beta"].iloc[0]
        row = {"id": factor.id, "label": factor.label(lang), "phase": factor.phase, "stream": factor.stream,
               "p_gt_0": _num(beta["p_gt_0"])}
        for window in ("W1", "W2"):
            ace = own[(own["quantity"] == "ace") & (own["window"] == window) & (own["contrast"] == "+1 vs -1")]
            # a phase-2 factor cannot move the phase-1 window (its path is "none"): nothing to show
            row[window] = _summary(ace.iloc[0]) if len(ace) and ace.iloc[0]["path"] != "none" else None
            row[f"{window}_prior_driven"] = _prior_driven(taught, "query", f"ace_{window.lower()}", factor.id)
        rows.append(row)
    return rows


def dependency_rows(tables: dict, taught) -> list[dict]:
    rows = []
    for _, row in tables["phase_dependency"].iterrows():
        name = row["quantity"]
        source, label = ("parameter", name) if name in ("rho", "delta") else ("query", "dependency_effect")
        rows.append({"quantity": name, **_summary(row),
                     "prior_driven": _prior_driven(taught, source, label, "") or _prior_driven(taught, source, label, "-")})
    return rows


def case_rows(tables: dict, dataset, lang: str, n_levers: int = 3) -> list[dict]:
    """Per case: predictions, observed windows, stream activation, bottlenecks and the best levers."""
    labels = {f.id: f.label(lang) for f in dataset.codebook.factors}
    predictions, levers = tables["case_predictions"], tables["levers"]
    activation = tables.get("stream_activation")
    out = []
    names = dataset.case_column("name")
    for i, case_id in enumerate(dataset.case_ids):
        own = predictions[predictions["case_id"] == case_id].set_index("quantity")
        case = {"case_id": case_id, "name": names[i], "w1": _num(dataset.w[i, 0]), "w2": _num(dataset.w[i, 1]),
                "n_not_discussed": int(dataset.n_not_discussed[i]),
                "p_w1": _summary(own.loc["p_w1"]), "p_w2": _summary(own.loc["p_w2"])}
        mine = levers[(levers["case_id"] == case_id) & (levers["window"] == "W2")].sort_values("rank").head(n_levers)
        case["levers"] = [{"factor": r["factor"], "label": labels[r["factor"]], "code": _num(r["code"]),
                           "gain": _summary(r), "p_gain": _num(r["p_gain_gt_threshold"])} for _, r in mine.iterrows()]
        if activation is not None:
            streams = activation[activation["case_id"] == case_id]
            case["streams"] = [{"phase": int(r["phase"]), "stream": r["stream"], "observed": _num(r["observed"]),
                                "bottleneck": bool(r["bottleneck"]), **_summary(r)} for _, r in streams.iterrows()]
        out.append(case)
    return out


def report_data(run, lang: str = "en", comparison: dict | None = None) -> dict:
    """Every number the report shows, labelled; the same dict becomes summary.json."""
    from bayesstreams.contraction import PRIOR_DRIVEN_BELOW, what_the_data_taught
    from bayesstreams.queries import query_tables

    dataset, info = run.dataset, run.info
    tables = query_tables(run)
    taught = what_the_data_taught(run)
    diagnostics = info.get("diagnostics", {})
    return {
        "lang": lang,
        "dataset": {"name": dataset.name, "title": dataset.codebook.dataset.get("title", ""),
                    "n_cases": dataset.n_cases, "n_factors": len(dataset.factor_ids)},
        "model": {"name": run.config.name, "kind": run.config.kind},
        "codes": code_table(dataset, lang),
        "factors": factor_rows(tables, taught, dataset, lang),
        "dependency": dependency_rows(tables, taught),
        "cases": case_rows(tables, dataset, lang),
        "taught": {"threshold": PRIOR_DRIVEN_BELOW, "n_total": int(len(taught)),
                   "n_prior_driven": int(taught["prior_driven"].sum()),
                   "rows": [{"source": r["source"], "name": r["name"], "index": r["index"],
                             "contraction": _num(r["contraction"]), "prior_driven": bool(r["prior_driven"])}
                            for _, r in taught.iterrows()]},
        "diagnostics": diagnostics,
        "comparison": comparison,
        "reproducibility": {"versions": info.get("versions", {}), "seed": info.get("seed"),
                            "data_hash": info.get("dataset", {}).get("hash"), "command": info.get("command"),
                            "created": info.get("created")},
        "phases": list(PHASES), "streams": list(STREAMS),
    }
