"""The layer contract holds: no upward import and no import circle, imports inside functions included.

The contract is import-linter's, written in pyproject.toml ([tool.importlinter]); these tests run
it on the package, and on small packages made here to show that it fails on the imports it must
refuse (an upward import inside a function, a circle inside a room, an ignore that matches nothing).
"""

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"

def lint(cwd: Path, *config: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", *config], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_package_keeps_its_layers_and_has_no_import_circle():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_contract_names_every_room_in_order_with_the_shared_modules_at_the_bottom():
    layers = next(c for c in contracts() if c["type"] == "layers")["layers"]
    assert layers[:9] == ["cli", "pipeline", "reporting", "checks", "analysis", "inference", "fast", "model", "data"]
    rooms = {p.name for p in (ROOT / "bayesstreams").iterdir() if (p / "__init__.py").exists()}
    top = {p.stem for p in (ROOT / "bayesstreams").glob("*.py")} - {"__init__"}
    named = {name.strip() for layer in layers for name in layer.split("|")}
    assert named == rooms | top, "every room and shared module sits in exactly one layer"


def test_the_contract_ignores_no_import():
    # the Study rewrite and the evidence-mode registry removed the last exceptions; a new one
    # would hide an upward import or a circle again
    for contract in contracts():
        assert contract.get("ignore_imports", []) == [], contract["id"]
        assert contract.get("unmatched_ignore_imports_alerting", "error") == "error"


def _toy(tmp_path: Path, files: dict[str, str], contract: str) -> Path:
    for name, text in files.items():
        path = tmp_path / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_package = "toy"\n\n[[tool.importlinter.contracts]]\n' + textwrap.dedent(contract),
        encoding="utf-8")
    return tmp_path


LAYERS = '''\
name = "layers"
type = "layers"
containers = ["toy"]
layers = ["high", "low"]
'''
TOY = {"__init__.py": "", "high/__init__.py": "", "high/view.py": "from toy.low import core\n",
       "low/__init__.py": "", "low/core.py": "def ok():\n    return 1\n"}


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path):
    upward = {**TOY, "low/core.py": "def sneaky():\n    from toy.high import view\n    return view\n"}
    result = lint(_toy(tmp_path, upward, LAYERS))
    assert result.returncode == 1
    assert "toy.low.core -> toy.high.view" in result.stdout


def test_the_toy_without_an_upward_import_keeps_the_layers(tmp_path):
    """The control for the test above: the same package with the import removed passes."""
    result = lint(_toy(tmp_path, TOY, LAYERS))
    assert result.returncode == 0, result.stdout


def test_an_ignored_import_that_no_longer_exists_breaks_the_contract(tmp_path):
    stale = LAYERS + 'ignore_imports = ["toy.low.core -> toy.high.view"]\n'
    result = lint(_toy(tmp_path, TOY, stale))
    assert result.returncode == 1
    assert "No matches for ignored import toy.low.core -> toy.high.view" in result.stdout + result.stderr


def test_a_circle_inside_a_room_breaks_the_acyclic_contract(tmp_path):
    circle = {**TOY, "high/assemble.py": "from toy.high import view\n",
              "high/view.py": "def num():\n    from toy.high import assemble\n    return assemble\n"}
    result = lint(_toy(tmp_path, circle, 'name = "circles"\ntype = "acyclic_siblings"\nancestors = ["toy"]\n'))
    assert result.returncode == 1
    assert "No cycles are allowed in toy.high" in result.stdout
