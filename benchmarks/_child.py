"""One measured job in a fresh interpreter; prints a JSON line with wall time and peak memory.

Run by benchmarks/*.py, never by users.  Jobs:
  fit DATASET SAMPLER [PARAM]  bayesstreams fit (library call) with nutpie or PyMC's NUTS; PARAM is the model
                               file's [sampler] parametrisation, "auto@0.99" also sets target_accept
  fitsave DATASET SAMPLER OUT [PARAM]  the same, then save_run to OUT (what `bayesstreams fit` does)
  plain DATASET [SAMPLER]      a plain pm.sample() of the same model, no caches of ours
  analyze DATASET RUN OUT      bayesstreams analyze (the CLI entry point: fit + report + brief)
  score RUN PROFILE            bayesstreams score via the CLI entry point
"""

import json
import resource
import sys
import time

START = time.perf_counter()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    job = sys.argv[1]
    result = {"job": job, "args": sys.argv[2:]}
    if job in ("fit", "fitsave", "plain"):
        from bayesstreams.model.config import config_from_text, load_config
        from bayesstreams.data.dataset import load_dataset

        dataset = load_dataset(sys.argv[2])
        config = load_config(None)
        if job in ("fit", "fitsave"):
            import numpy as np

            from bayesstreams.inference.fit import fit
            from bayesstreams.model.centring import effect_codes

            param = sys.argv[5 if job == "fitsave" else 4] if len(sys.argv) > (5 if job == "fitsave" else 4) else "auto"
            param, _, accept = param.partition("@")  # "auto@0.99": also a target_accept
            accept = f"target_accept = {accept}\n" if accept else ""
            config = config_from_text(f'kind = "streams"\n[sampler]\nparametrisation = "{param}"\n{accept}')
            out = fit(dataset, config, seed=1, sampler=sys.argv[3])
            result["fit_wall_s"] = time.perf_counter() - START
            result["fit_peak_mb"] = peak_mb()
            if job == "fitsave":
                from bayesstreams.inference.store import save_run

                save_run(out, sys.argv[4], force=True)
            result["timings"] = out.info["timings"]
            result["divergences"] = out.diagnostics.divergences
            result["rhat_max"] = out.diagnostics.rhat_max
            result["ess_bulk_min"] = out.diagnostics.ess_bulk_min
            result["ess_tail_min"] = out.diagnostics.ess_tail_min
            result["passed"] = bool(out.diagnostics.passed)
            stats = out.trace["sample_stats"]
            if "n_steps" in stats:
                result["steps_per_draw"] = float(np.mean(stats["n_steps"].values))
            result["n_centred"] = int((effect_codes(dataset, config) > 0).sum())
        else:
            import pymc as pm

            from bayesstreams.model.kinds import build_model

            # pm.sample() as a user types it; "plain DATASET pymc" asks for PyMC's own NUTS
            # (with PyTensor's numba backend the default hands the graph to nutpie)
            kwargs = {"nuts_sampler": sys.argv[3]} if len(sys.argv) > 3 else {}
            with build_model(dataset, config):
                trace = pm.sample(draws=1000, tune=1000, chains=4, cores=2, random_seed=1, progressbar=False,
                                  target_accept=0.9, **kwargs)
            result["inference_library"] = trace["posterior"].attrs.get("inference_library")
    elif job == "analyze":
        from bayesstreams.cli.app import main as cli_main

        cli_main(["analyze", sys.argv[2], "--run", sys.argv[3], "--out", sys.argv[4], "--brief", "g5", "--force"])
        with open(f"{sys.argv[3]}/run.json", encoding="utf-8") as handle:
            info = json.load(handle)
        result["timings"] = info["timings"]
        result["divergences"] = info["diagnostics"]["divergences"]
    result["wall_s"] = time.perf_counter() - START
    result["peak_mb"] = peak_mb()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
