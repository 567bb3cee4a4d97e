"""The package keeps its shape: rooms, one object per model kind, a light and documented Python API."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bayesstreams"
# interrupts and faults are shared like atomic (which imports both): every room writes through them;
# forked (a value computed in a forked copy of the process) is shared by inference, analysis and reporting
TOP_LEVEL_ALLOWED = {"__init__.py", "errors.py", "atomic.py", "forked.py", "interrupts.py", "faults.py"}
KIND_MODULES = {PACKAGE / "model" / "streams.py", PACKAGE / "model" / "additive.py"}


def modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def listed() -> list[str]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `(bayesstreams/[^`]+\.py)` \|", text, flags=re.M)


def test_architecture_lists_every_module_and_nothing_that_is_gone():
    on_disk, in_doc = set(modules()), listed()
    assert sorted(on_disk - set(in_doc)) == [], "modules missing from docs/ARCHITECTURE.md"
    assert sorted(set(in_doc) - on_disk) == [], "docs/ARCHITECTURE.md lists modules that do not exist"
    assert len(in_doc) == len(set(in_doc)), "a module is listed twice"


def test_top_level_holds_only_the_shared_modules():
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top <= TOP_LEVEL_ALLOWED, f"top-level modules outside the rooms: {sorted(top - TOP_LEVEL_ALLOWED)}"


KIND_BRANCH = re.compile(r"""(\bkind\b[\w.]*\s*[!=]=\s*["'](streams|additive)["'])|(["'](streams|additive)["']\s*[!=]=)""")


def test_no_branch_on_the_model_kind_outside_the_kinds():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path in KIND_MODULES or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if KIND_BRANCH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_branch_detector_finds_branches():
    """The check above must be able to fail."""
    assert KIND_BRANCH.search('if config.kind == "streams":')
    assert KIND_BRANCH.search("x = 'rho' if kind != 'additive' else 'delta'")
    assert not KIND_BRANCH.search('parameter.role == "raw"')


MODES_MODULE = PACKAGE / "model" / "modes.py"
_MODE_NAMES = "zero|marginal|salience|consensus|latent"
MODE_BRANCH = re.compile(
    rf"""([!=]=\s*["']({_MODE_NAMES})["'])|(["']({_MODE_NAMES})["']\s*[!=]=)"""  # x == "salience"
    rf"""|(\[["'](not_discussed|respondents)["']\]\s*[!=]=)"""  # options["not_discussed"] != mode
    rf"""|(\bin\s*[(\[{{]\s*["']({_MODE_NAMES})["'])""")  # m in ("marginal", "salience")


def test_no_branch_on_an_evidence_mode_outside_the_modes():
    """Evidence modes are objects in one registry (model/modes.py), like the kinds: nothing else branches on a name."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == MODES_MODULE or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if MODE_BRANCH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_mode_branch_detector_finds_branches():
    """The check above must be able to fail."""
    assert MODE_BRANCH.search('if options["not_discussed"] == "zero":')
    assert MODE_BRANCH.search("latent = config.evidence_options['respondents'] == 'latent'")
    assert MODE_BRANCH.search('if "salience" != mode:')
    assert MODE_BRANCH.search('if options["respondents"] != wanted:')
    assert MODE_BRANCH.search('modes = [m for m in ("zero", "marginal", "salience") if m in measured]')
    assert not MODE_BRANCH.search('Parameter("salience_zero", (), Prior("beta", {"alpha": 2.0}))')
    assert not MODE_BRANCH.search('t("nd_reading_" + mode)')


def test_modes_are_defined_once():
    """``MODES`` is the registry's; every other module imports it."""
    defined = [str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts
               and re.search(r"^MODES\s*=", path.read_text(encoding="utf-8"), flags=re.M)]
    assert defined == ["bayesstreams/model/modes.py"]


def test_the_reference_model_never_imports_the_accelerator():
    """model/ is the reference; fast/ depends on it, not the other way round (no import of fast in model/)."""
    offenders = []
    for path in (PACKAGE / "model").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {name}" for name in names if name.startswith("bayesstreams.fast")]
    assert offenders == []


def test_the_fast_layout_is_a_leaf():
    """fast/layout.py imports nothing of the package, so the kernels and the problems both read it without a circle."""
    tree = ast.parse((PACKAGE / "fast" / "layout.py").read_text(encoding="utf-8"))
    imported = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imported == []


def test_the_fast_room_has_no_import_circle():
    """Inside fast/, module-level and function-level imports alike form no circle (layout <- kernels <- modes ...)."""
    room = {path.stem: path for path in (PACKAGE / "fast").glob("*.py") if path.stem != "__init__"}
    edges = {}
    for name, path in room.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "bayesstreams.fast":
                    found |= {alias.name for alias in node.names}
                elif node.module.startswith("bayesstreams.fast."):
                    found.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                found |= {alias.name.split(".")[2] for alias in node.names if alias.name.startswith("bayesstreams.fast.")}
        edges[name] = found & set(room)

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in edges[start])

    assert [name for name in room if reaches(name, name)] == []


def test_no_prior_family_is_written_outside_the_prior_spec():
    """PyMC distributions of top-level priors are created by Prior.pymc only (z and gamma_raw are N(0, 1);
    beta_or_z, the centred or non-centred effects of model/centring.py, is N(mu, tau) or N(0, 1): the hierarchy)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "__pycache__" in path.parts or path.name == "priors.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"pm\.(HalfNormal|Beta|Normal)\(", line) and not re.search(r'"(z|gamma_raw|beta_or_z)"', line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_import_is_light_and_names_resolve_lazily():
    probe = ("import sys, bayesstreams as bs; names = [bs.load_dataset, bs.load_run, bs.Run, bs.score_profiles, "
             "bs.fit, bs.write_report, bs.write_brief, bs.analyze, bs.KINDS, bs.load_study, bs.Study, bs.fit_study]; "
             "print(','.join(sorted(m for m in ('pymc', 'pytensor', 'arviz', 'arviz_stats', 'nutpie', 'matplotlib') "
             "if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""


def test_unknown_api_name_is_an_attribute_error():
    import bayesstreams as bs

    with pytest.raises(AttributeError):
        bs.no_such_function  # noqa: B018


def _public_api():
    import bayesstreams as bs
    from bayesstreams.analysis.accessor import _OLD_RUN_METHODS, Queries
    from bayesstreams.inference.run import Run
    from bayesstreams.inference.study import Study

    for name in bs.__all__:
        value = getattr(bs, name)
        if callable(value) and not isinstance(value, type(Exception)) and not (isinstance(value, type) and
                                                                               issubclass(value, Exception)):
            yield f"bs.{name}", value
    for owner in (Run, Study, Queries):
        for name, value in inspect.getmembers(owner, predicate=inspect.isfunction):
            if not name.startswith("_") and not (owner is Run and name in _OLD_RUN_METHODS):  # deprecated shims
                yield f"{owner.__name__}.{name}", value


def test_every_public_function_has_a_numpydoc_docstring_with_examples():
    missing = [name for name, value in _public_api()
               if "Examples\n" not in (inspect.getdoc(value) or "") + "\n" and name != "bs.Dataset"]
    assert missing == []


def test_cli_commands_call_the_api_and_compute_nothing():
    """Commands import from the library and print; no NumPy arithmetic in the CLI modules."""
    for path in (PACKAGE / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "numpy" not in imported, f"{path.name} imports numpy"
