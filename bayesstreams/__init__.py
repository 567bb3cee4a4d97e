"""bayesstreams: Bayesian causal analysis of Kingdon's multiple streams in two phases.

The Python API (the command line is a thin layer over exactly these functions)::

    import bayesstreams as bs
    ds = bs.load_dataset("data/trafficking_nl_2020")
    study = bs.fit_study(ds, seed=1)                   # the run and its companion refits
    study.q.effects(); study.q.dependency(); study.q.cases(draws=True); study.q.advice("g5")
    study.q.score("profile.csv")                       # same as `bayesstreams score`
    bs.write_report(study, "reports/x", lang="nl"); bs.write_brief(study, case="g5", out="g5.pdf")
    study.save("runs/x"); again = bs.load_study("runs/x")

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
    "simulate_to_folder": ("bayesstreams.model.simulate", "simulate_to_folder"),
    "import_qdpx": ("bayesstreams.data.qda.importer", "import_qdpx"),
    "import_matrix": ("bayesstreams.data.qda.importer", "import_matrix"),
    "write_template": ("bayesstreams.data.qda.template", "write_template"),
    "resolve_model": ("bayesstreams.inference.fit", "resolve_model"),
    "fit": ("bayesstreams.inference.fit", "fit"),
    "Run": ("bayesstreams.inference.run", "Run"),
    "load_run": ("bayesstreams.inference.store", "load_run"),
    "save_run": ("bayesstreams.inference.store", "save_run"),
    "Study": ("bayesstreams.analysis.accessor", "Study"),
    "load_study": ("bayesstreams.analysis.accessor", "load_study"),
    "fit_study": ("bayesstreams.analysis.accessor", "fit_study"),
    "score_profiles": ("bayesstreams.analysis.scoring", "score_profiles"),
    "write_report": ("bayesstreams.reporting.report", "write_report"),
    "write_brief": ("bayesstreams.reporting.brief", "write_brief"),
    "write_explore": ("bayesstreams.reporting.explore_page", "write_explore"),
    "analyze": ("bayesstreams.pipeline.analyze", "analyze"),
    "KINDS": ("bayesstreams.model.kinds", "KINDS"),
    "data_support": ("bayesstreams.data.support", "data_support"),
    "raw_view": ("bayesstreams.data.raw_view", "raw_view"),
    "agreement": ("bayesstreams.data.agreement", "agreement"),
    "effect_ranks": ("bayesstreams.analysis.ranks", "effect_ranks"),
    "case_advice": ("bayesstreams.analysis.advice", "case_advice"),
    "what_it_takes": ("bayesstreams.analysis.advice", "what_it_takes"),
    "compare_cases": ("bayesstreams.analysis.compare_cases", "compare_cases"),
    "mode_comparison": ("bayesstreams.analysis.mode_comparison", "mode_comparison"),
    "not_discussed_reliance": ("bayesstreams.analysis.mode_comparison", "not_discussed_reliance"),
    "mode_study_to_folder": ("bayesstreams.checks.mode_study", "mode_study_to_folder"),
    "compare_modes": ("bayesstreams.checks.mode_study", "compare_modes"),
    "qca": ("bayesstreams.analysis.qca.result", "qca"),
    "posterior_qca": ("bayesstreams.analysis.qca.posterior", "posterior_qca"),
}

# the names of the last release: they still work, with a DeprecationWarning naming the new one
_RENAMED = {"simulate": "simulate_to_folder", "write_mapping_template": "write_template",
            "load_model": "resolve_model", "score": "score_profiles", "explore": "write_explore",
            "model_kinds": "KINDS", "mode_study": "mode_study_to_folder"}

__all__ = ["__version__", "BayesStreamsError", "InputError", "RunError", "Violation", *_LAZY]


def __getattr__(name: str):
    if name in _RENAMED:
        import warnings

        warnings.warn(f"bayesstreams.{name} is deprecated and goes in the next release: use "
                      f"bayesstreams.{_RENAMED[name]}", DeprecationWarning, stacklevel=2)
        return __getattr__(_RENAMED[name])
    if name == "mode_runs":
        raise AttributeError("bayesstreams.mode_runs is gone: a Study holds the not-discussed runs "
                             "(bs.load_study(folder).modes; bs.fit_study or bs.analyze fit them)")
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'bayesstreams' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
