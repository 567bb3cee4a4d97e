"""bayesstreams is MIT: no dependency it declares may be under a copyleft licence (issue 26 item 8).

The ``krippendorff`` package (GPL-3.0-or-later) was a dependency until Krippendorff's alpha was
computed in ``bayesstreams/data/alpha.py``; a user redistributing the package would have inherited it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
COPYLEFT = re.compile(r"\b(A|L)?GPL|General Public License|\bMPL\b|Mozilla|EUPL|\bCDDL\b", re.IGNORECASE)


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0]


def licence_words(distribution: str) -> str:
    """The licence a distribution declares: its SPDX expression, licence field and licence classifiers."""
    meta = metadata.metadata(distribution)
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return " | ".join([meta.get("License-Expression") or "", (meta.get("License") or "").split("\n")[0], *classifiers])


@pytest.mark.parametrize("requirement", PROJECT["dependencies"])
def test_every_runtime_dependency_is_permissive(requirement):
    words = licence_words(_name(requirement))
    assert words.strip(" |"), f"{requirement} declares no licence"
    assert not COPYLEFT.search(words), f"{requirement}: {words}"


def test_the_check_catches_the_gpl_package_that_was_removed():
    try:
        words = licence_words("krippendorff")
    except metadata.PackageNotFoundError:
        pytest.skip("krippendorff is not installed (nothing to check the rule against)")
    assert COPYLEFT.search(words), words


def test_no_module_imports_krippendorff_and_the_locks_do_not_hold_it():
    for path in (ROOT / "bayesstreams").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+krippendorff\b", path.read_text(encoding="utf-8"), re.M), path
    for lock in ("requirements.lock", "requirements-jax.lock"):
        assert "krippendorff" not in (ROOT / lock).read_text(encoding="utf-8"), lock
