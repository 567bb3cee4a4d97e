"""Write files and folders so that a reader never sees half of them, and one writer never loses another's.

Everything is written to a temporary sibling path and renamed into place.  The final
rename never replaces a path this process did not create unless the caller allows it
(``--force``): on Linux it is ``renameat2(RENAME_NOREPLACE)``, which fails when the path
appeared meanwhile, so of two processes writing one path the first wins and the second
says so and removes its temporary folder.  With ``--force`` the old folder is swapped out
(``RENAME_EXCHANGE``) only once the new one is complete, and removed after.  Where
``renameat2`` is missing the same checks run under an ``flock`` on the parent folder.

Operating-system errors while writing (a full disk, no permission, a read-only folder, a
file in the way) become one located :class:`~bayesstreams.errors.InputError` line, with
the partial folder removed.  :func:`staged` commits several outputs together (``analyze``:
its run and its report) inside :func:`bayesstreams.interrupts.deferred`.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

from bayesstreams import faults
from bayesstreams.errors import InputError, Violation
from bayesstreams.interrupts import deferred

MEANWHILE = "already exists (written by another process meanwhile); pass --force to replace it"
_WRITTEN: list[Path] = []  # what this process renamed into place (named when an interrupt follows)
_AT_FDCWD, _NOREPLACE, _EXCHANGE = -100, 1, 2
RESOURCE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def safe_name(text: str, limit: int = 80) -> str:
    """``text`` as one safe file-name part: letters, digits, ``-``, ``_`` and inner dots only.

    Every output file name built from data (a case id, a name) goes through here, so data
    never becomes a path: no separator, no ``..``, no leading dot, no control character.  A
    text that had to change gets a short hash of the original, so two different ids never
    share a file name.

    Examples
    --------
    >>> safe_name("g5"), safe_name("../../tmp/x/EVIL")
    ('g5', 'tmp-x-EVIL-747b4e1f')
    """
    import hashlib
    import re

    slug = re.sub(r"[^\w.-]+", "-", text, flags=re.ASCII).strip(".-")[:limit].strip(".-")
    slug = re.sub(r"\.{2,}", ".", slug)
    if slug == text:
        return slug
    return f"{slug or 'x'}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def private_folder(path: str | Path) -> Path:
    """``path`` as a folder only this user can write: created with mode 0700, or refused.

    An existing folder must be a real folder (not a symbolic link) owned by this user and not
    writable by group or others; code cached there is imported, so anything else would let
    another local user run code in this process.
    """
    import stat

    path = Path(path)
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    except OSError as exc:
        raise InputError(Violation(str(path), None, None, f"folder cannot be created ({exc.strerror})")) from None
    info = os.lstat(path)
    problem = ("is a symbolic link" if stat.S_ISLNK(info.st_mode) else
               "is not a folder" if not stat.S_ISDIR(info.st_mode) else
               f"belongs to another user (uid {info.st_uid})" if info.st_uid != os.getuid() else
               "can be written by other users" if info.st_mode & 0o022 else "")
    if problem:
        raise InputError(Violation(str(path), None, None, f"folder {problem}; code cached there would be "
                                                          "imported, so it is not used (remove it, or pass a "
                                                          "private folder)"))
    return path


def written() -> list[Path]:
    """The paths this process has renamed into place so far."""
    return list(_WRITTEN)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8", replace: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode(encoding), replace=replace)


def atomic_write_bytes(path: str | Path, data: bytes, replace: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    ``replace=False`` refuses a ``path`` that exists when the file is complete (another
    writer won): :class:`InputError` "already exists (written by another process meanwhile)".
    """
    path = Path(path)
    made = _make_parents(path)
    try:
        with os_errors(path):
            fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    except BaseException:
        _remove_empty(made)
        raise
    tmp = Path(name)
    try:
        with os_errors(path, temporary=tmp):
            with os.fdopen(fd, "wb") as handle:
                faults.hit("write")
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; the result is an ordinary file
        if not _inside_staged(path):
            faults.hit("before-rename")
        commit(tmp, path, replace)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove_empty(made)
        raise


@contextmanager
def atomic_folder(path: str | Path, force: bool = False, replaceable: Callable[[Path], bool] | None = None):
    """Yield a temporary folder that becomes ``path`` only when the block ends without error.

    Parameters
    ----------
    path
        The folder to write.
    force
        Replace an existing ``path`` (only after the new folder is complete).
    replaceable
        Instead of ``force``: replace an existing ``path`` when ``replaceable(path)`` holds.

    An existing ``path`` is refused before the block (unless allowed) and again at the
    rename, when another process may have written it meanwhile.  Whatever stops the block
    (an error, an interrupt) removes the temporary folder and leaves ``path`` as it was.
    """
    with staged() as stage:
        yield stage.folder(path, force, replaceable)


class _Stage:
    """Temporary folders waiting to be renamed into place together."""

    def __init__(self):
        self.pending: list[tuple[Path, Path, Callable[[Path], bool]]] = []
        self.made: list[Path] = []  # parent folders this stage created (removed again if nothing is written)

    def folder(self, path: str | Path, force: bool = False, replaceable: Callable[[Path], bool] | None = None) -> Path:
        path = Path(path)
        allowed = (lambda _: True) if force else (replaceable or (lambda _: False))
        if path.exists() and not allowed(path):
            raise InputError(Violation(str(path), None, None, "already exists; pass --force to replace it"))
        self.made += _make_parents(path)
        with os_errors(path):
            tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".partial", dir=path.parent))
        self.pending.append((tmp, path, allowed))
        tmp.chmod(0o755)  # mkdtemp makes 0700; a finished run or report is an ordinary folder
        return tmp


@contextmanager
def staged():
    """Stage several folders (``stage.folder(path, force)``) and rename them all into place at the end.

    The renames run with interrupts held back; if one of them fails (another writer won),
    the ones already renamed are taken back, so either every folder is written or none.
    """
    stage = _Stage()
    try:
        try:
            yield stage
            faults.hit("before-rename")
        except OSError as exc:
            raise _while_writing(exc, stage) from None
        except InputError as exc:
            raise _renamed(exc, stage) from None
        with deferred():
            _commit_all(stage.pending)
    except BaseException:
        for tmp, _, _ in stage.pending:
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(stage.made)
        raise


def _make_parents(path: Path) -> list[Path]:
    """Create the missing parent folders of ``path``; returns them, deepest first, for :func:`_remove_empty`.

    Also removes the temporary siblings of ``path`` left by processes that no longer run
    (a SIGKILL leaves a hidden ``.partial`` folder that nothing else would ever remove).
    """
    missing = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    with os_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    if not missing:
        _remove_stale(path)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; a folder another writer filled meanwhile stays
        try:
            folder.rmdir()
        except OSError:
            break


def _host() -> str:
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _temp_prefix(path: Path) -> str:
    """``.<name>.<pid>.<host>-``: the temporary sibling names the process (and machine) that writes it."""
    return f".{path.name}.{os.getpid()}.{_host()}-"


def _remove_stale(path: Path) -> None:
    """Remove ``.<name>.<pid>.<host>-*.partial`` and ``.tmp`` siblings of ``path`` whose process on this machine is gone."""
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.name.endswith((".partial", ".tmp")):
            continue
        pid, _, host = entry.name[len(prefix):].split("-", 1)[0].partition(".")
        if host != _host() or not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue  # another machine's (on a shared folder), or a process that still runs
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _while_writing(exc: OSError, stage: _Stage) -> Exception:
    """An ``OSError`` inside a staged block: located under the output's own name when it concerns the output."""
    name = str(exc.filename or "")
    for tmp, path, _ in stage.pending:
        if name.startswith(str(tmp)):
            return _located(exc, path, tmp)
    if exc.errno in RESOURCE_ERRORS:
        return _located(exc, stage.pending[0][1] if stage.pending else None)
    return exc  # not about the output (e.g. an input file): the caller's error as it is


def _renamed(exc: InputError, stage: _Stage) -> InputError:
    """``exc`` with file names inside a temporary folder shown under the folder's own name."""
    violations = []
    for violation in exc.violations:
        name = violation.file
        for tmp, path, _ in stage.pending:
            if name.startswith(str(tmp)):
                name = str(path) + name[len(str(tmp)):]
        violations.append(replace(violation, file=name))
    return InputError(violations)


def _commit_all(pending: list) -> None:
    done: list[tuple[Path, Path, Path | None]] = []
    try:
        for tmp, path, allowed in pending:
            done.append((tmp, path, _commit(tmp, path, allowed)))
    except BaseException:
        for tmp, path, old in reversed(done):  # undo: the new folder back to tmp, the old one back in place
            if old is None:
                _rename(path, tmp, 0)
            else:
                _rename(old, path, _EXCHANGE)
                shutil.rmtree(old, ignore_errors=True)
        raise
    for tmp, path, old in done:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        _WRITTEN.append(path)


def commit(tmp: Path, path: Path, replace: bool | Callable[[Path], bool]) -> None:
    """Rename the complete ``tmp`` to ``path``; replace an existing ``path`` only when ``replace`` allows it."""
    allowed = replace if callable(replace) else (lambda _: bool(replace))
    with deferred():
        old = _commit(tmp, path, allowed)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        if not _inside_staged(path):  # a file of a staged folder is not written until its folder is
            _WRITTEN.append(path)


def _inside_staged(path: Path) -> bool:
    return any(part.endswith(".partial") for part in Path(path).parts)


def _commit(tmp: Path, path: Path, allowed: Callable[[Path], bool]) -> Path | None:
    """Rename ``tmp`` onto ``path``; returns where the replaced old ``path`` now is (``tmp``), or ``None``."""
    for _ in range(100):  # another writer may remove or create path between the tries
        try:
            with os_errors(path, (FileExistsError,)):
                _rename(tmp, path, _NOREPLACE)
            return None
        except FileExistsError:
            pass
        if not allowed(path):
            raise InputError(Violation(str(path), None, None, MEANWHILE))
        try:
            with os_errors(path, (FileNotFoundError,)):
                _rename(tmp, path, _EXCHANGE)
            return tmp
        except FileNotFoundError:
            continue
    raise InputError(Violation(str(path), None, None, "could not be renamed into place (other writers kept changing it)"))


def _rename(src: Path, dst: Path, flags: int) -> None:
    """``renameat2(src, dst, flags)``; under an ``flock`` of the parent where the kernel or libc lacks it."""
    function = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if function is not None:
        if function(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(dst))
    _locked_rename(src, dst, flags)


def _locked_rename(src: Path, dst: Path, flags: int) -> None:
    fd = os.open(dst.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # every bayesstreams writer of this folder takes the same lock
        exists = os.path.lexists(dst)
        if flags == _NOREPLACE and exists:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
        if flags == _EXCHANGE:
            if not exists:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(dst))
            aside = src.with_name(src.name + ".swap")
            os.rename(dst, aside)
            os.rename(src, dst)
            os.rename(aside, src)
            return
        os.rename(src, dst)
    finally:
        os.close(fd)


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no C library to load (not Linux)
    _LIBC = None


@contextmanager
def os_errors(path: Path | None, passthrough: tuple = (), temporary: Path | None = None):
    """Turn an ``OSError`` of the block (disk full, permission, read-only, a file in the way) into one located line.

    ``passthrough`` errors are re-raised as they are; a file name inside ``temporary`` is
    shown under ``path``, the name the user asked for.
    """
    try:
        yield
    except passthrough:
        raise
    except OSError as exc:
        raise _located(exc, path, temporary) from None


def _located(exc: OSError, path: Path | None, temporary: Path | None = None) -> InputError:
    where = str(exc.filename or path or "<output>")
    if temporary is not None and path is not None and where.startswith(str(temporary)):
        where = str(path) + where[len(str(temporary)):]
    reason = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
              errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
              errno.EROFS: "read-only file system", errno.ENOTDIR: "a file is in the way of a folder",
              errno.EEXIST: "a file is in the way of a folder", errno.EISDIR: "a folder is in the way of a file",
              }.get(exc.errno, exc.strerror or str(exc))
    return InputError(Violation(str(where), None, None, f"cannot write: {reason}; nothing was written"))


def refuse_existing(path: str | Path, force: bool, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Fail early (exit 2), before any work, when ``path`` could not be written at the end.

    Refused: ``path`` exists and neither ``force`` nor ``replaceable(path)`` allows replacing
    it; or its nearest existing folder takes no new entry (read-only, no permission, a file
    in the way), probed by creating and removing a temporary folder there.
    """
    path = Path(path)
    if path.exists() and not force and not (replaceable and replaceable(path)):
        raise InputError(Violation(str(path), None, None, "already exists; pass --force to replace it"))
    probe_writable(path)


def probe_writable(path: str | Path) -> None:
    """Raise the located error a write of ``path`` would end with, if its nearest existing folder refuses it."""
    path = Path(path)
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    with os_errors(path):
        if not ancestor.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(ancestor))
        os.rmdir(tempfile.mkdtemp(prefix=".bayesstreams-probe.", dir=ancestor))
