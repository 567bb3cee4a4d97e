"""Imports inside the package sit at module level, so the import graph shows every dependency.

A function-level import of a bayesstreams module hides an arrow from the layer contract's readers
(and once hid three import circles).  It is allowed only where laziness is the point, and then the
line says why with a ``# lazy: <reason>`` comment: the CLI (``bayesstreams/cli/``) and the package's
``__init__`` stay light by design, and a few modules defer numba-compiled kernels.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bayesstreams"
LIGHT_BY_DESIGN = ("cli/", "__init__.py")  # relative to the package; the CLI must start fast


def hidden_imports(path: Path) -> list[str]:
    """``file:line`` of every function-level import of a bayesstreams module without a ``# lazy:`` reason."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                inside = node.level > 0 or (node.module or "").split(".")[0] == "bayesstreams"
            elif isinstance(node, ast.Import):
                inside = any(alias.name.split(".")[0] == "bayesstreams" for alias in node.names)
            else:
                continue
            said = " ".join(lines[node.lineno - 1:node.end_lineno])
            if inside and "# lazy:" not in said:
                found.append(f"{path}:{node.lineno}")
    return sorted(set(found))


def test_package_modules_import_the_package_at_module_level():
    hidden, modules = [], sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50, f"{PACKAGE}: the package's modules are not where this test looks"
    for path in modules:
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(LIGHT_BY_DESIGN[0]) or relative == LIGHT_BY_DESIGN[1]:
            continue
        hidden += hidden_imports(path)
    assert hidden == [], "import at module level, or say why it must wait with '# lazy: <reason>':\n" + "\n".join(hidden)


def test_the_check_finds_a_hidden_import_and_accepts_a_stated_reason(tmp_path):
    module = tmp_path / "toy.py"
    module.write_text("import numpy\n\n\ndef f():\n    from bayesstreams.data import io\n    import numpy as np\n"
                      "    from . import sibling\n\n\ndef g():\n"
                      "    from bayesstreams.fast import problem  # lazy: compiles numba kernels\n", encoding="utf-8")
    assert hidden_imports(module) == [f"{module}:5", f"{module}:7"]
