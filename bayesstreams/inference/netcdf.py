"""Write an ArviZ DataTree as netCDF (h5netcdf) straight to a file, holding no copy of it in memory.

``trace.nc`` is written inside the temporary folder of :func:`bayesstreams.atomic.atomic_folder`,
so the run folder is still complete or absent; only the way its bytes reach the disk is here.

HDF5 is given a Python file object (h5py's ``fileobj`` driver) rather than a path.  HDF5 writing a
path itself left its handle open when the disk filled, and the interpreter crashed at exit
(status 139); building the whole file in a ``BytesIO`` first (as before 2026-12-06) avoided that
but held the pointwise log-likelihood a second time (320 MB at N = 10,000: ``fit`` + save peaked at
1.1 GB).  :class:`FileSink` never lets a write fail inside HDF5: the first ``OSError`` (a full disk,
a quota) or interrupt is kept, later writes are dropped, HDF5 closes its file normally, and the kept
error is raised afterwards, when no HDF5 handle is open.  Signals are held back
(:func:`bayesstreams.interrupts.deferred`) while HDF5 runs and honoured when it is done.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from bayesstreams.inference.imports import masked
from bayesstreams.interrupts import deferred


class FileSink(io.RawIOBase):
    """A read-write file for HDF5 whose writes never raise: the first failure is kept in :attr:`error`.

    Positioned reads and writes (``pread``/``pwrite``) on one descriptor; a short write is
    continued until every byte is written.  After a failure the file's content is garbage, which
    is fine: the caller raises :attr:`error` and the temporary folder holding it is removed.
    """

    def __init__(self, path: str | Path):
        super().__init__()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
        self._pos = 0
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = os.fstat(self._fd).st_size + offset
        return self._pos

    def write(self, data) -> int:
        with memoryview(data) as view, view.cast("B") as flat:
            size = len(flat)
            if self.error is None:
                try:
                    done = 0
                    while done < size:
                        done += os.pwrite(self._fd, flat[done:], self._pos + done)
                except BaseException as exc:  # noqa: BLE001 - kept and raised by write_netcdf, outside HDF5
                    self.error = exc
        self._pos += size
        return size

    def readinto(self, buffer) -> int:
        with memoryview(buffer) as view, view.cast("B") as flat:
            got = 0
            while got < len(flat):
                n = os.preadv(self._fd, [flat[got:]], self._pos + got)
                if n == 0:
                    break
                got += n
        self._pos += got
        return got

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if self.error is None:
            try:
                os.ftruncate(self._fd, size)
            except OSError as exc:
                self.error = exc
        return size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if not self.closed and self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        super().close()


def write_netcdf(tree, path: Path) -> None:
    """Write ``tree`` as netCDF (h5netcdf) to ``path`` without a copy in memory; raise a write's error after HDF5 closed."""
    with FileSink(path) as sink:
        try:
            with deferred(), masked("distributed"):  # no client can run when nothing imported it; asking imports it (0.2 s)
                tree.to_netcdf(sink, engine="h5netcdf")
        except Exception:
            if sink.error is None:
                raise
        if sink.error is not None:  # the write's own error, not what HDF5 made of the dropped bytes
            raise sink.error
