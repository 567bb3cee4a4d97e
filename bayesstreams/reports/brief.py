"""One-page brief for one municipality: chances in numbers and calibrated words, levers, peers, caveats."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bayesstreams.reports.i18n import translator
from bayesstreams.reports.words import phrase


def case_profile(dataset, case_id: str):
    """The one-case Dataset of a case in the run's data (scored exactly as its in-sample prediction)."""
    from bayesstreams.errors import InputError, Violation

    if case_id not in dataset.case_ids:
        raise InputError(Violation("<command line>", None, "--case",
                                   f"case {case_id!r} is not in the run's data ({', '.join(dataset.case_ids)})"))
    i = dataset.case_ids.index(case_id)
    return dataclasses.replace(dataset, cases=[dataset.cases[i]], codes=[], x=dataset.x[i:i + 1],
                               w=dataset.w[i:i + 1], s=dataset.s[i:i + 1], group=dataset.group[i:i + 1], warnings=[])


def brief_data(run, case_id: str | None = None, profile=None, lang: str = "nl") -> dict:
    """Everything the brief shows, from scoring (the same numbers as ``bayesstreams score``)."""
    from bayesstreams.contraction import what_the_data_taught
    from bayesstreams.profile import read_profile
    from bayesstreams.scoring import score_dataset

    t = translator(lang)
    is_profile = case_id is None
    cases = read_profile(profile, run.dataset.codebook, run.dataset.groups) if is_profile else case_profile(run.dataset, case_id)
    score = score_dataset(run, cases, top_levers=3, n_similar=4).cases[0]
    similar = [s for s in score.similar if is_profile or s["case_id"] != case_id][:3]
    labels = {f.id: f.label(lang) for f in run.dataset.codebook.factors}
    taught = what_the_data_taught(run)
    name = score.case_id if is_profile else run.dataset.case_column("name")[run.dataset.case_ids.index(case_id)]
    return {
        "lang": lang, "name": name, "is_profile": is_profile, "model": run.config.name,
        "dataset_title": run.dataset.codebook.dataset.get("title", run.dataset.name),
        "p_w1": score.p_w1, "p_w2": score.p_w2,
        "words_w1": phrase(score.p_w1["mean"], score.p_w1["q05"], score.p_w1["q95"], t),
        "words_w2": phrase(score.p_w2["mean"], score.p_w2["q05"], score.p_w2["q95"], t),
        "weakest": score.bottlenecks or [],
        "levers": [{**lever, "label": labels[lever["factor"]], "gain": lever["gain_w2"],
                    "p_gain": lever["p_gain_gt_threshold"],
                    "code": None if np.isnan(lever["code"]) else lever["code"]} for lever in score.levers],
        "similar": [{**s, "w1": None if np.isnan(s["w1"]) else s["w1"], "w2": None if np.isnan(s["w2"]) else s["w2"]}
                    for s in similar],
        "n_reference": run.dataset.n_cases, "n_not_discussed": score.n_not_discussed, "n_factors": score.n_factors,
        "n_prior_driven": int(taught["prior_driven"].sum()), "n_taught": int(len(taught)),
        "diagnostics_passed": bool(run.info.get("diagnostics", {}).get("passed", False)),
        "seed": run.info.get("seed"), "data_hash": run.info.get("dataset", {}).get("hash", ""),
    }


def write_brief(run_path, out_file, case_id: str | None = None, profile=None, lang: str = "nl") -> Path:
    """Write the brief as HTML, or as a one-page A4 PDF through headless Chromium (by the file's suffix)."""
    import tempfile

    from bayesstreams.atomic import atomic_write_bytes, atomic_write_text
    from bayesstreams.reports.browser import print_pdf
    from bayesstreams.reports.render import render
    from bayesstreams.store import load_run

    out_file = Path(out_file)
    html = render("brief.html.j2", lang, b=brief_data(load_run(run_path), case_id, profile, lang))
    if out_file.suffix.lower() != ".pdf":
        atomic_write_text(out_file, html)
        return out_file
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "brief.html"
        page.write_text(html, encoding="utf-8")
        pdf = print_pdf(page, Path(tmp) / "brief.pdf")
        atomic_write_bytes(out_file, pdf.read_bytes())
    return out_file
