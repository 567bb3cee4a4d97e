"""The Python API as documented: every docstring example runs, and docs/API.md runs as written."""

import doctest
import importlib
import os
import re
import shutil
from pathlib import Path

import pytest

from bayesstreams.analysis.accessor import Study
from .conftest import reuse

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.model

# (module, object) whose docstring examples run against the session's fit of the shipped study
DOCUMENTED = [
    ("bayesstreams.data.dataset", "load_dataset"), ("bayesstreams.data.codebook", "load_codebook"),
    ("bayesstreams.data.codebook", "Factor"),
    ("bayesstreams.model.simulate", "simulate_to_folder"), ("bayesstreams.inference.fit", "resolve_model"),
    ("bayesstreams.inference.fit", "fit"), ("bayesstreams.inference.store", "load_run"),
    ("bayesstreams.inference.store", "save_run"),
    ("bayesstreams.analysis.scoring", "score_profiles"), ("bayesstreams.reporting.report", "write_report"),
    ("bayesstreams.reporting.brief", "write_brief"), ("bayesstreams.pipeline.analyze", "analyze"),
    ("bayesstreams.inference.run", "Run"), ("bayesstreams.model.priors", "Prior"),
    ("bayesstreams.model.priors", "draw_prior"), ("bayesstreams.model.priors", None),
    ("bayesstreams.data.claims", "load_claims"), ("bayesstreams.analysis.prior_dependence", "prior_dependence"),
    ("bayesstreams.analysis.claims", "claim_verdicts"), ("bayesstreams.analysis.structural", "prior_probabilities"),
    ("bayesstreams.inference.study", None), ("bayesstreams.inference.study", "Study"),
    ("bayesstreams.inference.study", "mode_config"), ("bayesstreams.inference.study", "register_accessor"),
    ("bayesstreams.analysis.accessor", None), ("bayesstreams.analysis.accessor", "Queries"),
    ("bayesstreams.analysis.accessor", "load_study"), ("bayesstreams.analysis.draws", None),
    ("bayesstreams.analysis.queries", "quantile_names"), ("bayesstreams.reporting.companions_text", "missing_lines"),
    ("bayesstreams.data.qda.importer", "import_qdpx"), ("bayesstreams.data.qda.importer", "import_matrix"),
    ("bayesstreams.data.qda.template", "write_template"),
    ("bayesstreams.analysis.advice", "case_advice"), ("bayesstreams.analysis.advice", "what_it_takes"),
    ("bayesstreams.analysis.compare_cases", "compare_cases"), ("bayesstreams.analysis.compare_cases", "CaseComparison"),
    ("bayesstreams.data.agreement", "agreement"),
    ("bayesstreams.reporting.explore_page", "write_explore"), ("bayesstreams.analysis.explore_data", "explore_payload"),
    ("bayesstreams.analysis.explore_data", "explore_scores"), ("bayesstreams.analysis.explore_data", "thin_indices"),
    ("bayesstreams.analysis.mode_comparison", "mode_comparison"),
    ("bayesstreams.analysis.mode_comparison", "not_discussed_reliance"),
    ("bayesstreams.checks.mode_study", "mode_study_to_folder"), ("bayesstreams.checks.mode_study", "compare_modes"),
    ("bayesstreams.analysis.fragility", None), ("bayesstreams.inference.study", "stream_error_config"),
    ("bayesstreams.analysis.identification", None), ("bayesstreams.analysis.identification", "rho_identification"),
    ("bayesstreams.analysis.identification", "cases_needed"), ("bayesstreams.analysis.advice", "necessity"),
    ("bayesstreams.analysis.voi", None), ("bayesstreams.reporting.score_table", "score_table"),
    ("bayesstreams.inference.memo", None), ("bayesstreams.analysis.companion_memo", None),
]


def _tests(module_name, name):
    module = importlib.import_module(module_name)
    target = module if name is None else getattr(module, name)
    finder = doctest.DocTestFinder(recurse=name is not None and isinstance(target, type))
    return [t for t in finder.find(target, module_name if name is None else name, module=module) if t.examples]


@pytest.mark.parametrize("module_name,name", DOCUMENTED, ids=[f"{m}.{n}" for m, n in DOCUMENTED])
def test_docstring_examples_run(module_name, name, study_fit, fits, tmp_path, monkeypatch):
    """``run`` is the session's fit of the shipped study, and a fit an example repeats is made once
    per session (``reuse_fits``): ``analyze`` refits the study and ``check_run`` its wide companion."""
    monkeypatch.chdir(ROOT)
    tests = _tests(module_name, name)
    assert tests, f"{module_name}.{name} has no examples"
    reuse(fits, monkeypatch)  # after reading the examples: ``fit``'s own are on the real function
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        test.globs.update({"run": study_fit, "tmp": tmp_path, "study": Study.of(study_fit), "Study": Study,
                           "small_data": ROOT / "data" / "trafficking_nl_2020"})
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} failing example(s) in {module_name}.{name} (see the output above)"


def api_block() -> str:
    text = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, flags=re.S).group(1)


@pytest.mark.browser
def test_the_api_tour_runs_as_written(tmp_path, monkeypatch):
    """The first code block of docs/API.md, run as a user would from a checkout (PDF through Chromium)."""
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is not installed")
    (tmp_path / "data").symlink_to(ROOT / "data")
    (tmp_path / "profile.csv").write_text("case_id,factor,code\nnew,p1_insight,1\n"
                                          "new,p2_political_sponsor,-1\n")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(api_block(), "docs/API.md", "exec"), namespace)  # noqa: S102
    study, again = namespace["study"], namespace["again"]
    run, run2 = study.run, again.run
    assert run.diagnostics.passed and sorted(study.companions) == sorted(again.companions) == [
        "nd-marginal", "nd-salience", "nostreams", "streamerror", "wide"]
    assert again.missing == {} and (again.wide.posterior["beta"] == study.wide.posterior["beta"]).all()
    assert (tmp_path / "reports" / "x" / "report.html").is_file()
    assert (tmp_path / "g5.pdf").read_bytes().startswith(b"%PDF")
    assert (run2.posterior["beta"] == run.posterior["beta"]).all()
    assert os.path.isdir(tmp_path / "runs" / "x") and os.path.isdir(tmp_path / "runs" / "x-wide")
