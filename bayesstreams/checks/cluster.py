"""A Dask cluster for the simulation checks, each worker compiling in its own directory.

PyTensor keeps compiled code in one ``compiledir`` guarded by a lock; worker processes
sharing it wait on each other.  :class:`CompileDirPlugin` gives every worker process its
own directory by setting ``PYTENSOR_FLAGS`` at worker start, before the first task imports
PyTensor.  The directories are stable (``<root>/worker-<name>``), so a second run on the
same machine finds its compiled code again.

Compiled code is imported from these folders, so they are private: the default root is
per user (``$TMPDIR/bayesstreams-compiledir-<uid>``), every folder is created with mode 0700,
and a folder that is a symbolic link, belongs to another user or can be written by group or
others is refused (one located error), never used.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from bayesstreams.atomic import private_folder


def default_compiledir_root() -> Path:
    """``$TMPDIR/bayesstreams-compiledir-<uid>``: the parent of the per-worker compile directories."""
    return Path(tempfile.gettempdir()) / f"bayesstreams-compiledir-{os.getuid()}"


def with_compiledir(flags: str, path: Path) -> str:
    """``PYTENSOR_FLAGS`` text ``flags`` with its ``compiledir`` set to ``path`` (other flags kept)."""
    kept = [item for item in flags.split(",") if item.strip() and not item.strip().startswith("compiledir=")]
    return ",".join([*kept, f"compiledir={path}"])


class CompileDirPlugin(WorkerPlugin):
    """Set a per-worker PyTensor ``compiledir`` when a worker starts.

    Parameters
    ----------
    root
        Parent folder; each worker uses ``root / "worker-<name>"``.
    """

    name = "bayesstreams-compiledir"

    def __init__(self, root: str | Path):
        self.root = str(root)

    def setup(self, worker) -> None:
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", str(worker.name))
        path = private_folder(Path(private_folder(self.root)) / f"worker-{label}")
        os.environ["PYTENSOR_FLAGS"] = with_compiledir(os.environ.get("PYTENSOR_FLAGS", ""), path)
        # A worker that imported PyTensor before (a reused cluster) keeps its old directory.
        worker.bayesstreams_compiledir = None if "pytensor" in sys.modules else str(path)


def worker_compiledir() -> str | None:
    """The compile directory of the worker running this task (``None`` outside a worker or when unset)."""
    from distributed import get_worker

    try:
        return getattr(get_worker(), "bayesstreams_compiledir", None)
    except ValueError:
        return None


@contextmanager
def check_client(scheduler: str | None = None, n_workers: int | None = None, compiledir_root=None):
    """A ``distributed.Client`` on an existing scheduler or on a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` of processes with one thread each, one worker per core.
    n_workers
        Workers of the local cluster (default: ``os.cpu_count()``).
    compiledir_root
        Parent of the per-worker PyTensor compile directories.
    """
    from distributed import Client, LocalCluster

    plugin = CompileDirPlugin(private_folder(compiledir_root or default_compiledir_root()))
    if scheduler:
        with Client(scheduler) as client:
            client.register_plugin(plugin)
            yield client
        return
    with LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.register_plugin(plugin)
        yield client
