"""The on-disk caches that make a second fit fast: used when warm, never a source of stale results."""

import os
import subprocess
import sys

import pytest

from bayesstreams.reporting import render

PROBE = ("import bayesstreams.fast.kernels as f; "
         "print(f.logp_cfunc.cache_hits, f.expand_cfunc.cache_hits)")


@pytest.mark.model  # compiles the numba kernels from scratch twice (~15 s): the slower tier
def test_compiled_log_density_loads_from_the_numba_cache(tmp_path):
    """First process compiles and stores; a second loads both C callbacks from disk (no compilation)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    hits = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
        hits.append(out.stdout.split())
    assert hits == [["0", "0"], ["1", "1"]]
    assert any(tmp_path.joinpath("numba").rglob("*.nbc"))


QUERY_PROBE = """
import numpy as np
from bayesstreams.analysis.queries import baseline
from bayesstreams.data.dataset import load_dataset
from bayesstreams.fast import modes
from bayesstreams.model.config import load_config
from bayesstreams.model.priors import draw_prior
data = load_dataset("data/trafficking_nl_2020")
config = load_config("models/streams-marginal.toml")
baseline(draw_prior(config, data.factor_phase, data.factor_stream, len(data.groups), 4, np.random.default_rng(0)), data)
print(sum(modes._expected_q.stats.cache_hits.values()), sum(modes._expected_q.stats.cache_misses.values()))
"""


@pytest.mark.model  # runs the set-up's cache fill from scratch (~35 s of CPU): the slower tier
def test_the_set_up_compiles_what_the_first_analyze_calls(tmp_path):
    """After ``python -m bayesstreams.fast.adapter`` (scripts/setup.sh) the queries' evidence kernel loads from disk.

    It used to compile on the first analyze of a fresh clone (about 10 s of the 30 s that analyze may take).
    """
    from .conftest import ROOT

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    subprocess.run([sys.executable, "-m", "bayesstreams.fast.adapter"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-c", QUERY_PROBE], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.split() == ["1", "0"]


def test_report_templates_compile_once_into_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESSTREAMS_CACHE_DIR", str(tmp_path))
    render.environment.cache_clear()
    try:
        cache = render.environment(False).bytecode_cache
        assert cache is not None and cache.directory == str(tmp_path / "jinja")
        render.environment(False).get_template("report.html")
        assert list((tmp_path / "jinja").glob("__jinja2_*.cache"))
    finally:
        render.environment.cache_clear()


def test_unwritable_cache_folder_means_no_cache_not_an_error(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("BAYESSTREAMS_CACHE_DIR", str(blocked))
    assert render.template_cache() is None


def test_an_edited_template_is_never_served_from_the_cache(tmp_path, monkeypatch):
    """Same template name, new source: the cache is keyed by a checksum of the source."""
    import jinja2

    monkeypatch.setenv("BAYESSTREAMS_CACHE_DIR", str(tmp_path))
    outputs = []
    for source in ("old {{ x }}", "new {{ x }}"):
        env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": source}), bytecode_cache=render.template_cache())
        outputs.append(env.get_template("t.html").render(x=1))
    assert outputs == ["old 1", "new 1"]
    # one entry per template name, refreshed when the checksum of its source changes
    assert len(list((tmp_path / "jinja").glob("__jinja2_*.cache"))) == 1
