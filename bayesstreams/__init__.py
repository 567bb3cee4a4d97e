"""bayesstreams: Bayesian causal analysis of Kingdon's multiple streams in two phases.

The Python API (the command line is a thin layer over exactly these functions)::

    import bayesstreams as bs
    ds = bs.load_dataset("data/trafficking_nl_2020")
    run = bs.fit(ds, model="streams", seed=1)          # a Run
    run.effects(); run.dependency(); run.cases(); run.levers("g5")
    run.score("profile.csv")                           # same as `bayesstreams score`
    bs.write_report(run, "reports/x", lang="nl"); bs.write_brief(run, case="g5", out="g5.pdf")
    run.save("runs/x"); run2 = bs.load_run("runs/x")

The import is light: names are re-exported lazily (a module ``__getattr__``), so
``import bayesstreams`` never imports PyMC, PyTensor or ArviZ, and ``bayesstreams validate``,
``score`` and ``--help`` start fast.  See ``docs/API.md``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from bayesstreams.errors import BayesStreamsError, InputError, RunError, Violation  # noqa: E402

# public name -> (module, attribute); imported on first use
_LAZY = {
    "load_dataset": ("bayesstreams.data.dataset", "load_dataset"),
    "Dataset": ("bayesstreams.data.dataset", "Dataset"),
    "load_codebook": ("bayesstreams.data.codebook", "load_codebook"),
    "simulate": ("bayesstreams.model.simulate", "simulate_to_folder"),
    "import_qdpx": ("bayesstreams.data.qda.importer", "import_qdpx"),
    "import_matrix": ("bayesstreams.data.qda.importer", "import_matrix"),
    "write_mapping_template": ("bayesstreams.data.qda.template", "write_template"),
    "load_model": ("bayesstreams.inference.fit", "resolve_model"),
    "fit": ("bayesstreams.inference.fit", "fit"),
    "Run": ("bayesstreams.inference.run", "Run"),
    "load_run": ("bayesstreams.inference.store", "load_run"),
    "score": ("bayesstreams.analysis.scoring", "score_profiles"),
    "write_report": ("bayesstreams.reporting.report", "write_report"),
    "write_brief": ("bayesstreams.reporting.brief", "write_brief"),
    "explore": ("bayesstreams.reporting.explore_page", "write_explore"),
    "analyze": ("bayesstreams.reporting.analyze", "analyze"),
    "model_kinds": ("bayesstreams.model.kinds", "KINDS"),
    "data_support": ("bayesstreams.data.support", "data_support"),
    "raw_view": ("bayesstreams.data.raw_view", "raw_view"),
    "agreement": ("bayesstreams.data.agreement", "agreement"),
    "effect_ranks": ("bayesstreams.analysis.ranks", "effect_ranks"),
    "case_advice": ("bayesstreams.analysis.advice", "case_advice"),
    "what_it_takes": ("bayesstreams.analysis.advice", "what_it_takes"),
    "compare_cases": ("bayesstreams.analysis.compare_cases", "compare_cases"),
    "mode_comparison": ("bayesstreams.analysis.mode_comparison", "mode_comparison"),
    "not_discussed_reliance": ("bayesstreams.analysis.mode_comparison", "not_discussed_reliance"),
    "mode_runs": ("bayesstreams.inference.mode_runs", "mode_runs"),
    "mode_study": ("bayesstreams.checks.mode_study", "mode_study_to_folder"),
    "compare_modes": ("bayesstreams.checks.mode_study", "compare_modes"),
}

__all__ = ["__version__", "BayesStreamsError", "InputError", "RunError", "Violation", *_LAZY]


def __getattr__(name: str):
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'bayesstreams' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
