"""Hostile input stays harmless (issue 29): each attack a red team tried, generated small.

Every attack ends in located ``error:`` lines and exit 2 (no traceback, no crash), nothing is
written outside the folder the user named, and where an attack aimed at memory, the process
stays within a bound measured against a harmless run of the same command.  Limits are set
low through their ``BAYESSTREAMS_LIMIT_<NAME>`` variables so the inputs stay small.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from bayesstreams.errors import InputError
from .conftest import run_cli
from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run
from .qda_study import write_study

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"


def listing(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (hidden ones too) with the SHA-256 of each file."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        key = str(path.relative_to(folder))
        out[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else "<other>"
    return out


def error_lines(code: int, out: str, err: str) -> list[str]:
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert lines, err
    return lines


def cli(argv, capsys):
    return run_cli([str(a) for a in argv], capsys)


# ----------------------------------------------------------------------------- 1. no path from data

def study_with_case_id(folder: Path, new_id: str) -> Path:
    """The shipped study with case g1 renamed to ``new_id`` in every table."""
    shutil.copytree(STUDY, folder)
    for name in ("cases.csv", "codes.csv", "streams.csv"):
        path = folder / name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        rows = [[new_id if i == 0 and cell == "g1" else cell for i, cell in enumerate(row)] for row in rows]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
    return folder


@pytest.mark.parametrize("case_id, rule", [("../../../../tmp/x/EVIL", "path separator"),
                                           ("..\\..\\EVIL", "path separator"),
                                           ("g\x7f1", "control character"), ("g\u202e1", "control character"),
                                           (".g1", "starts with a dot")])
def test_validate_refuses_a_case_id_that_could_become_a_path(tmp_path, capsys, case_id, rule):
    data = study_with_case_id(tmp_path / "study", case_id)
    lines = error_lines(*cli(["validate", data], capsys))
    assert any(line.startswith(f"error: {data / 'cases.csv'}:2:case_id: ") and rule in line for line in lines), lines


def test_analyze_with_a_hostile_case_writes_nothing_anywhere(tmp_path, capsys):
    """The red team's attack: a case id ../../../../tmp/x/EVIL and --brief naming that case by its name."""
    work = tmp_path / "a" / "b" / "c" / "d"
    data = study_with_case_id(work / "study", "../../../../x/EVIL")
    before = listing(tmp_path)
    lines = error_lines(*cli(["analyze", data, "--out", work / "out", "--run", work / "run",
                              "--brief", "Gemeente 1"], capsys))
    assert any("path separator" in line for line in lines)
    assert listing(tmp_path) == before  # nothing at tmp_path/x/EVIL-*, no junk folders, no report


@pytest.mark.parametrize("text", ["../../tmp/x/EVIL", "..", ".", ".hidden", "a/b", "a\\b", "a\nb", "\x00", "",
                                  "Gemeente 5", "g5", "x" * 500, "é/../é", "CON", "-rf"])
def test_a_safe_name_never_leaves_its_folder(tmp_path, text):
    from bayesstreams.atomic import safe_name
    from bayesstreams.pipeline.analyze import brief_name

    name = brief_name(text, "nl")
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert not name.startswith(".") and "/" not in name and "\\" not in name and len(name.encode()) < 255
    assert all(32 < ord(c) < 127 for c in name)
    assert safe_name(text) == text or safe_name(text) != safe_name(text + "/")  # a changed text carries its hash


def test_safe_names_of_different_ids_differ():
    from bayesstreams.atomic import safe_name

    ids = ["a/b", "a\\b", "a b", "a-b", "a_b", "a.b", "a..b", "a:b", "é", "è"]
    assert len({safe_name(i) for i in ids}) == len(ids)


# ----------------------------------------------------------------------------- 2. private folders

def test_compile_folder_is_created_private(tmp_path):
    from bayesstreams.atomic import private_folder

    folder = private_folder(tmp_path / "cc" / "worker-1")
    assert folder.stat().st_mode & 0o777 == 0o700


def test_compile_folder_others_can_write_is_refused_and_nothing_in_it_runs(tmp_path, monkeypatch):
    """The planted lazylinker_ext/__init__.py in a world-writable worker folder is never imported."""
    from bayesstreams.checks.cluster import CompileDirPlugin

    root = tmp_path / "bayesstreams-compiledir"
    planted = root / "worker-0" / "lazylinker_ext"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("raise SystemExit('planted code ran')\n")
    for folder in (root, root / "worker-0"):
        folder.chmod(0o777)
    monkeypatch.delenv("PYTENSOR_FLAGS", raising=False)
    worker = type("Worker", (), {"name": 0})()
    with pytest.raises(InputError, match="can be written by other users"):
        CompileDirPlugin(root).setup(worker)
    assert "PYTENSOR_FLAGS" not in os.environ  # the folder was not handed to PyTensor
    root.chmod(0o700)
    with pytest.raises(InputError, match=f"{root / 'worker-0'}: folder can be written by other users"):
        CompileDirPlugin(root).setup(worker)


def test_compile_folder_that_is_a_symlink_or_another_users_is_refused(tmp_path):
    from bayesstreams.atomic import private_folder

    target = tmp_path / "target"
    target.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(InputError, match="is a symbolic link"):
        private_folder(tmp_path / "link")
    if os.getuid() != 0:
        pytest.skip("handing a folder to another user needs root")
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    os.chown(other, 65534, 65534)
    with pytest.raises(InputError, match="belongs to another user"):
        private_folder(other)


def test_the_default_compile_root_is_per_user():
    from bayesstreams.checks.cluster import default_compiledir_root

    assert default_compiledir_root().name.endswith(f"-{os.getuid()}")


def test_read_only_caches_fall_back_to_a_private_numba_cache(tmp_path, monkeypatch):
    import bayesstreams.fast as fast

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(fast, "_writable", lambda folder: False)
    monkeypatch.setattr(fast.tempfile, "gettempdir", lambda: str(tmp_path))
    numba = sys.modules.get("numba")
    old = numba.config.CACHE_DIR if numba else None
    try:
        fast._private_cache_if_needed()
        folder = Path(os.environ["NUMBA_CACHE_DIR"])
        assert folder.parent == tmp_path and folder.stat().st_mode & 0o777 == 0o700
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)
        if numba:
            numba.config.CACHE_DIR = old


def test_a_template_cache_others_can_write_is_not_used(tmp_path, monkeypatch):
    """Jinja's bytecode cache is loaded as code: a planted cache in a shared folder must not be read."""
    from bayesstreams.reporting import render

    (tmp_path / "jinja").mkdir()
    (tmp_path / "jinja").chmod(0o777)
    monkeypatch.setenv("BAYESSTREAMS_CACHE_DIR", str(tmp_path))
    render.environment.cache_clear()
    try:
        assert render.environment(False).bytecode_cache is None
        (tmp_path / "jinja").chmod(0o700)
        render.environment.cache_clear()
        assert render.environment(False).bytecode_cache.directory == str(tmp_path / "jinja")
    finally:
        render.environment.cache_clear()


# ----------------------------------------------------------------------------- 3. bounded reads

def _add_member(project: Path, name: str, data: bytes, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(project, "a", compression=compression) as archive:
        archive.writestr(name, data)
    return project


def import_qdpx(tmp_path, capsys, project, mapping, env=None, monkeypatch=None):
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    before = listing(tmp_path)
    result = cli(["import", "qdpx", project, "--mapping", mapping, "--out", tmp_path / "out"], capsys)
    lines = error_lines(*result)
    assert listing(tmp_path) == before
    return lines


def test_a_zip_bomb_member_is_refused_by_its_ratio(tmp_path, capsys):
    project, mapping = write_study(tmp_path / "s", "maxqda")
    _add_member(project, "sources/bomb.txt", b"\0" * (4 << 20))  # 4 MiB in about 4 KB
    (line,) = import_qdpx(tmp_path, capsys, project, mapping)
    assert f"{project}[sources/bomb.txt]: inflates" in line and "BAYESSTREAMS_LIMIT_ZIP_RATIO" in line


def test_declared_member_and_total_sizes_are_limited(tmp_path, capsys, monkeypatch):
    project, mapping = write_study(tmp_path / "s", "nvivo")
    (line,) = import_qdpx(tmp_path, capsys, project, mapping, {"BAYESSTREAMS_LIMIT_ZIP_MEMBER_BYTES": "1000"},
                          monkeypatch)
    assert "declares" in line and "(limit 1000; set BAYESSTREAMS_LIMIT_ZIP_MEMBER_BYTES" in line
    monkeypatch.delenv("BAYESSTREAMS_LIMIT_ZIP_MEMBER_BYTES")
    (line,) = import_qdpx(tmp_path, capsys, project, mapping, {"BAYESSTREAMS_LIMIT_ZIP_TOTAL_BYTES": "3000"},
                          monkeypatch)
    assert line.startswith(f"error: {project}: declares") and "ZIP_TOTAL_BYTES" in line


def test_a_member_that_inflates_beyond_its_declared_size_is_cut(tmp_path):
    from bayesstreams.data.limits import read_member

    path = tmp_path / "forged.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"x" * 100_000)
    with zipfile.ZipFile(path) as archive:
        archive.getinfo("a.txt").file_size = 10  # what a forged central directory declares
        with pytest.raises(InputError):
            read_member(archive, "a.txt", str(path))


def test_a_member_with_a_bad_crc_is_located(tmp_path, capsys):
    project, mapping = write_study(tmp_path / "s", "nvivo")
    with zipfile.ZipFile(project) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    with zipfile.ZipFile(project, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = bytearray(project.read_bytes())
    at = raw.index(b"<Project")
    raw[at + 1:at + 8] = b"Projekt"  # the stored bytes change, the CRC does not
    project.write_bytes(bytes(raw))
    (line,) = import_qdpx(tmp_path, capsys, project, mapping)
    assert f"{project}[project.qde]: cannot be read from the archive" in line and "CRC" in line


def test_deeply_nested_codes_are_refused_not_a_recursion_error(tmp_path, capsys):
    from .qda_builders import rewrite_qde

    project, mapping = write_study(tmp_path / "s", "nvivo")
    nested = "<Code guid=\"{g}\" name=\"n\" isCodable=\"true\">" * 5000 + "</Code>" * 5000
    rewrite_qde(project, lambda xml: xml.replace("<CodeBook>\n<Codes>\n", "<CodeBook>\n<Codes>\n" + nested.replace(
        "{g}", "00000000-0000-0000-0000-000000000001"), 1))
    lines = import_qdpx(tmp_path, capsys, project, mapping)
    assert any("nested more than 256 deep" in line and "BAYESSTREAMS_LIMIT_XML_DEPTH" in line for line in lines)


def test_a_huge_case_name_is_refused_within_a_memory_bound(tmp_path):
    """The 200 MiB case name, scaled down: 24 MiB in a tiny archive; the reader stops at the text limit."""
    from .qda_builders import rewrite_qde

    project, mapping = write_study(tmp_path / "s", "nvivo")
    mapping.write_text(re.sub(r"\[cases\.ids\]\n.*\n.*\n", "", mapping.read_text()))  # the name is the case id
    rewrite_qde(project, lambda xml: xml.replace('name="Gemeente Noord"', f'name="{"N" * (24 << 20)}"', 1))
    env = {"BAYESSTREAMS_LIMIT_ZIP_RATIO": "100000", "BAYESSTREAMS_LIMIT_XML_TEXT_BYTES": "100000"}
    args = ["import", "qdpx", project, "--mapping", mapping, "--out", tmp_path / "out"]
    code, err, peak = run_measured(args, env)
    assert code == 2 and "attribute 'name' of <Case> holds 25165824 characters (limit 100000" in err, err
    _, _, baseline = run_measured([*args[:2], tmp_path / "missing.qdpx", *args[3:]], env)
    # read unbounded, it became a case id in every row and file: about 40 times the name (1 GB measured)
    assert peak - baseline < 192 << 20, (peak, baseline)
    assert not (tmp_path / "out").exists()


# The child reports its own high-water mark (VmHWM of its new address space): ru_maxrss of a child
# on Linux also counts the parent's memory at the exec, which would hide what the child used.
_MEASURED = ("import atexit, runpy, sys\n"
             "def peak():\n"
             "    status = open('/proc/self/status').read()\n"
             "    sys.stderr.write('\\npeak-kib ' + status.split('VmHWM:')[1].split()[0] + '\\n')\n"
             "atexit.register(peak)\n"
             "sys.argv = ['bayesstreams', *sys.argv[1:]]\n"
             "runpy.run_module('bayesstreams.cli', run_name='__main__')\n")


def run_measured(args, env: dict) -> tuple[int, str, int]:
    """Run the CLI in a child process; (exit code, stderr, the child's own peak resident memory in bytes)."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    result = subprocess.run([sys.executable, "-c", _MEASURED, *map(str, args)], env=environment, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    err, _, peak = result.stderr.rpartition("\npeak-kib ")
    return result.returncode, err, int(peak) * 1024


def test_a_qdpx_bomb_is_refused_without_inflating_it(tmp_path):
    """project.qde padded to 192 MiB, deflated to 190 KB: refused from its header, so the process stays near a
    harmless run (read and parsed, it took over 192 MiB)."""
    project, mapping = write_study(tmp_path / "s", "nvivo")
    _rewrite_member(project, "project.qde", lambda xml: xml + b" " * (192 << 20))
    args = ["import", "qdpx", project, "--mapping", mapping, "--out", tmp_path / "o"]
    code, err, peak = run_measured(args, {})
    assert code == 2 and "inflates" in err and "Traceback" not in err, err
    _, _, baseline = run_measured([*args[:2], tmp_path / "missing.qdpx", *args[3:]], {})
    assert peak - baseline < 64 << 20, (peak, baseline)  # inflating it alone would take 192 MiB
    assert not (tmp_path / "o").exists()


def _workbook(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cases"
    sheet.append(["case_id", "w1", "w2"])
    sheet.append(["g1", 1, 0])
    book.save(path)
    return path


def _rewrite_member(path: Path, member: str, edit) -> Path:
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[member] = edit(members[member])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_xlsx_bomb_is_refused(tmp_path):
    from bayesstreams.data.io import read_xlsx

    book = _rewrite_member(_workbook(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml",
                           lambda xml: xml.replace(b"</sheetData>", b"<row/>" * 1 + b" " * (4 << 20) + b"</sheetData>"))
    with pytest.raises(InputError, match=r"sheet1.xml\]: inflates .* BAYESSTREAMS_LIMIT_ZIP_RATIO"):
        read_xlsx(book)


@pytest.mark.parametrize("attack", ["truncated", "entities", "bad xml"])
def test_a_broken_xlsx_sheet_is_one_located_error(tmp_path, capsys, attack):
    def edit(xml: bytes) -> bytes:
        if attack == "truncated":
            return xml[: len(xml) // 2]
        if attack == "bad xml":
            return xml.replace(b"<sheetData>", b"<sheetData><row><c>")
        laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(8)) + b"]>"
        return xml.replace(b"?>", b"?>" + laughs, 1).replace(b"<v>1</v>", b"<v>&i;</v>", 1)

    book = _rewrite_member(_workbook(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml", edit)
    (line,) = error_lines(*cli(["validate", book], capsys))
    assert line.startswith(f"error: {book}: not a readable xlsx workbook (")


def test_an_xlsx_declaring_a_huge_sheet_reads_only_its_cells(tmp_path):
    from bayesstreams.data.io import read_xlsx

    book = _rewrite_member(_workbook(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml",
                           lambda xml: xml.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:XFD1048576"/>'))
    table = read_xlsx(book)["cases"]
    assert table.columns == ("case_id", "w1", "w2") and len(table.rows) == 1


def test_a_data_set_of_too_many_cells_is_refused_before_allocating(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BAYESSTREAMS_LIMIT_DATASET_CELLS", "100")
    (line,) = error_lines(*cli(["validate", STUDY], capsys))
    assert re.search(r"\d+ cases x \d+ factors = \d+ cells, too many", line) and "too many (limit 100; set BAYESSTREAMS_LIMIT_DATASET_CELLS" in line


def test_an_input_file_that_is_a_device_is_refused(tmp_path, capsys):
    data = tmp_path / "study"
    shutil.copytree(STUDY, data)
    (data / "codes.csv").unlink()
    (data / "codes.csv").symlink_to("/dev/zero")
    lines = error_lines(*cli(["validate", data], capsys))
    assert any(str(data / "codes.csv") in line for line in lines)


def test_an_input_file_over_its_limit_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BAYESSTREAMS_LIMIT_INPUT_FILE_BYTES", "500")
    lines = error_lines(*cli(["validate", STUDY], capsys))
    assert any("too large (limit 500; set BAYESSTREAMS_LIMIT_INPUT_FILE_BYTES" in line for line in lines)


# ----------------------------------------------------------------------------- 4. located errors

@pytest.mark.parametrize("prior, where", [("mu = {mu = 1e308, sigma = 1e308}", "priors.mu.mu"),
                                          ("mu = {mu = 0.5, sigma = 5e-324}", "priors.mu.sigma"),
                                          ("lambda = {alpha = 1e308, beta = 1e-300}", "priors.lambda.alpha"),
                                          ("tau = {sigma = 1e-7}", "priors.tau.sigma")])
def test_priors_beyond_what_the_sampler_represents_are_located(tmp_path, capsys, prior, where):
    model = tmp_path / "m.toml"
    model.write_text(f'kind = "streams"\n[priors]\n{prior}\n')
    lines = error_lines(*cli(["fit", STUDY, "--model", model, "--out", tmp_path / "run"], capsys))
    assert lines[0].startswith(f"error: {model}:3:{where}: must be ")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("text, where", [('kind = ["streams"]\n', "1:kind"),
                                         ('[sampler]\ndraws = 2000000\n', "2:sampler.draws"),
                                         ('[sampler]\nchains = 1000\n', "2:sampler.chains"),
                                         ('[sampler]\nchains = 64\ndraws = 1000000\n', "sampler.draws")])
def test_model_file_values_of_the_wrong_type_or_size_are_located(tmp_path, capsys, text, where):
    model = tmp_path / "m.toml"
    model.write_text(text)
    lines = error_lines(*cli(["fit", STUDY, "--model", model, "--out", tmp_path / "run"], capsys))
    assert lines[0].startswith(f"error: {model}:") and where in lines[0]


@pytest.mark.parametrize("option, value", [("--draws", 1_000_000_000), ("--chains", 100_000), ("--tune", 10**12)])
def test_sampler_settings_on_the_command_line_are_bounded(tmp_path, capsys, option, value):
    (line,) = error_lines(*cli(["fit", STUDY, option, value, "--out", tmp_path / "run"], capsys))
    assert line.startswith(f"error: {option}: must be at most")
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- 5. run folders

@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    dataset = partly_observed_dataset(n_cases=6, seed=8)
    return write_fake_run(tmp_path_factory.mktemp("runs") / "run", dataset, prior_like_draws(dataset, n=50))


def _rehash(folder: Path, name: str) -> None:
    from bayesstreams.inference.integrity import file_sha256

    info = json.loads((folder / "run.json").read_text())
    info["hashes"][name] = file_sha256(folder / name)
    (folder / "run.json").write_text(json.dumps(info))


def _edit_json(key, value):
    def edit(folder: Path) -> None:
        info = json.loads((folder / "run.json").read_text())
        if key is None:
            info = value
        else:
            info[key] = value
        (folder / "run.json").write_text(json.dumps(info))
    return edit


def _replace(name: str, data: bytes, rehash: bool = False):
    def edit(folder: Path) -> None:
        (folder / name).write_bytes(data)
        if rehash:
            _rehash(folder, name)
    return edit


def _link(name: str):
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).symlink_to("/dev/zero")
    return edit


def _short_draws(folder: Path) -> None:
    raw = (folder / "draws.npz").read_bytes()
    (folder / "draws.npz").write_bytes(raw[: len(raw) // 2])
    _rehash(folder, "draws.npz")


def _wrong_shape(folder: Path) -> None:
    from bayesstreams.inference.store import load_draws, save_draws

    posterior, prior, loglik = load_draws(folder / "draws.npz")
    posterior["beta"] = posterior["beta"][:, :-1]
    save_draws(folder / "draws.npz", posterior, prior, loglik)
    _rehash(folder, "draws.npz")


def _deep(folder: Path) -> None:
    (folder / "run.json").write_text("[" * 100_000 + "]" * 100_000)


ATTACKS = {
    "draws.npz -> /dev/zero": (_link("draws.npz"), "draws.npz: is a symbolic link"),
    "run.json -> /dev/zero": (_link("run.json"), "run.json: is a symbolic link"),
    "run.json a list": (_edit_json(None, [1, 2]), "run.json: holds a list, not a table"),
    "hashes a list": (_edit_json("hashes", ["x"]), "'hashes' must be a table"),
    "chains four": (_edit_json("settings", {"chains": "four", "draws": 10}), "settings.chains must be a whole"),
    "deep nesting": (_deep, "nested too deeply"),
    "trace.nc truncated": (_replace("trace.nc", b"\x89HDF"), "trace.nc: does not match the hash"),
    "model.toml random": (_replace("model.toml", os.urandom(64)), "model.toml: does not match the hash"),
    "snapshot altered": (_replace("dataset/cases.csv", b"case_id,w1,w2\nz,1,1\n"), "dataset/cases.csv: does not match"),
    "draws truncated": (_short_draws, "draws.npz: not a readable draws file"),
    "draws wrongly shaped": (_wrong_shape, "draws.npz: beta has shape"),
    "a file without hash": (_edit_json("hashes", {"draws.npz": "0" * 64}), "has no hash in run.json"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_run_folder_with_a_bad_file_is_refused_by_its_readers(good_run, tmp_path, capsys, attack):
    edit, message = ATTACKS[attack]
    run = tmp_path / "run"
    shutil.copytree(good_run, run, symlinks=True)
    edit(run)
    before = listing(tmp_path)
    (line,) = error_lines(*cli(["report", run, "--out", tmp_path / "rep"], capsys))
    assert message in line, line
    assert listing(tmp_path) == before


def test_a_fitted_run_hashes_every_file(good_run):
    from bayesstreams.inference.integrity import hashed_names

    info = json.loads((good_run / "run.json").read_text())
    assert set(info["hashes"]) == set(hashed_names(good_run)) >= {"trace.nc", "draws.npz", "model.toml",
                                                                   "dataset/cases.csv"}


# ----------------------------------------------------------------------------- 6. faults

def test_a_failed_write_leaves_no_empty_folders(tmp_path, monkeypatch):
    from bayesstreams.atomic import atomic_folder, atomic_write_text

    monkeypatch.setenv("BAYESSTREAMS_FAULT", "write:enospc")
    with pytest.raises(InputError, match="no space left"):
        atomic_write_text(tmp_path / "a" / "b" / "brief.html", "x")
    with pytest.raises(InputError, match="no space left"):
        with atomic_folder(tmp_path / "c" / "d" / "report") as folder:
            atomic_write_text(folder / "report.html", "x")
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_folders_of_dead_processes_are_removed_by_the_next_write(tmp_path):
    from bayesstreams.atomic import _host, atomic_folder

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.{dead.pid}.{_host()}-abcd1234.partial"
    (stale / "trace.nc").parent.mkdir()
    (stale / "trace.nc").write_bytes(b"\0" * 1000)
    alive = tmp_path / f".out.{os.getppid()}.{_host()}-abcd1234.partial"
    alive.mkdir()
    elsewhere = tmp_path / f".out.{dead.pid}.ffffff-abcd1234.partial"
    elsewhere.mkdir()
    with atomic_folder(tmp_path / "out") as folder:
        (folder / "x").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, elsewhere.name, "out"])


def test_of_two_analyze_writers_on_one_folder_the_second_exits_2(tmp_path):
    """The rule analyze renames by: replace only the folder seen at the start (never one written meanwhile)."""
    from bayesstreams.atomic import staged
    from bayesstreams.pipeline.analyze import MARKER, _replace_rule

    out = tmp_path / "reports"
    for existed in (False, True):
        if existed:
            out.mkdir()
            (out / MARKER).write_text("earlier analyze")
        first_rule, second_rule = _replace_rule(out, False), _replace_rule(out, False)
        with staged() as stage:
            (stage.folder(out, False, first_rule) / MARKER).write_text("first")
        with pytest.raises(InputError, match="already exists"):
            with staged() as stage:
                (stage.folder(out, False, second_rule) / MARKER).write_text("second")
        assert (out / MARKER).read_text() == "first"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
        shutil.rmtree(out)


NASTY = ["Fase 1/Inzicht\n[evil]\nx = 1", "code\x7fwith DEL", 'quote " and \\ back', "tab\there", "é 😀", "\x00nul"]


def test_templates_are_valid_toml_whatever_the_names_hold(tmp_path):
    from bayesstreams.data.qda.template import template_text

    codes = {name: 1 for name in NASTY}
    text = template_text(tmp_path / "proj\nect\x7f.qdpx", codes, NASTY[:2], [], ["var\niable"], "codebook.toml", None)
    parsed = tomllib.loads(text)
    assert parsed["codebook"] == "codebook.toml" and parsed["codes"] == {}
    uncommented = "\n".join(line[2:] if line.startswith('# "') else line for line in text.splitlines())
    assert set(tomllib.loads(uncommented)["codes"]) == set(NASTY)  # every code round-trips once uncommented


@pytest.mark.parametrize("entry, column", [('{ factor = "p1_insight", code = 1.0 }', "code"),
                                           ('{ factor = "p1_insight", code = true }', "code"),
                                           ('{ factor = ["p1_insight"], code = 1 }', "factor"),
                                           ("{ phase = 1.0, window = 1 }", "phase"),
                                           ("{ phase = 1, window = 1.0 }", "window"),
                                           ('{ phase = 1, stream = ["problem"], in_motion = 1 }', "stream")])
def test_mapping_values_are_type_checked(tmp_path, capsys, entry, column):
    project, mapping = write_study(tmp_path / "s", "nvivo")
    mapping.write_text(mapping.read_text().replace("[codes]\n", f'[codes]\n"Overig/Opvallend" = {entry}\n', 1))
    lines = import_qdpx(tmp_path, capsys, project, mapping)
    assert any(line.startswith(f"error: {mapping}:") and f":{column}: " in line for line in lines), lines


def test_limits_are_documented_with_their_variables():
    from bayesstreams.data.limits import LIMITS, env_name

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in LIMITS:
        assert f"`{name.upper()}`" in readme, name
    assert env_name("zip_ratio") == "BAYESSTREAMS_LIMIT_ZIP_RATIO"


def test_a_bad_limit_value_is_located(capsys, monkeypatch):
    monkeypatch.setenv("BAYESSTREAMS_LIMIT_DATASET_CELLS", "lots")
    (line,) = error_lines(*cli(["validate", STUDY], capsys))
    assert line == "error: $BAYESSTREAMS_LIMIT_DATASET_CELLS: must be a number, got 'lots'"
