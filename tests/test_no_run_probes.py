"""The run contract is a type, not a guess: no code probes a run or a study for what it holds.

``Run`` is a record (:mod:`bayesstreams.inference.run`) and a ``Study`` holds one; a function that
takes either says so with ``isinstance``.  A ``getattr(run, ...)`` / ``hasattr(run, ...)`` probe
(or ``getattr(x, "run", x)`` to unwrap a study) lets a half-built fake or a folder path through and
hides which fields the code relies on (issue 22: 37 such probes once).  Only the record's own module
may look at itself that way.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bayesstreams"
RECORD = "inference/run.py"
PROBES = ("getattr", "hasattr")


def _mentions_run(node: ast.AST) -> bool:
    """``run``, ``study``, ``main_run``, ``self.run``, ``study.run`` ...: an expression naming a run or a study."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return "run" in name.lower() or "study" in name.lower()


def run_probes(path: Path) -> list[str]:
    """``file:line`` of every getattr/hasattr call that probes a run or a study."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PROBES
                and len(node.args) >= 2):
            continue
        probed, attribute = node.args[0], node.args[1]
        asks_for_run = isinstance(attribute, ast.Constant) and attribute.value in ("run", "study")
        if _mentions_run(probed) or asks_for_run:
            found.append(f"{path}:{node.lineno}")
    return found


def test_no_module_probes_a_run_or_a_study():
    found, modules = [], sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50 and (PACKAGE / RECORD).is_file(), f"{PACKAGE}: not the package's folder"
    for path in modules:
        if path.relative_to(PACKAGE).as_posix() != RECORD:
            found += run_probes(path)
    assert found == [], "take a Run or a Study and say so with isinstance, not a probe:\n" + "\n".join(found)


def test_the_check_finds_each_kind_of_probe(tmp_path):
    module = tmp_path / "toy.py"
    module.write_text("def f(run, study, posterior, result):\n"
                      "    a = getattr(run, 'posterior', None)\n"          # 2: probes a run
                      "    b = hasattr(study.run, 'prior')\n"               # 3: probes a study's run
                      "    c = getattr(posterior, 'run', posterior)\n"      # 4: unwraps a study
                      "    d = getattr(result, 'phases', (1, 2))\n"         # a result, not a run: fine
                      "    return isinstance(run, object), a, b, c, d\n", encoding="utf-8")
    assert run_probes(module) == [f"{module}:2", f"{module}:3", f"{module}:4"]
