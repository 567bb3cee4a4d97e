"""Hand-written numba kernels of the streams model: log-density, gradient, pointwise log-likelihood.

The kernels are compiled with ``cache=True``.  numba keeps that cache in the package's
``__pycache__`` or, where that is read-only, in the user's cache folder; where both are
read-only (an installed package and a read-only HOME) it fails with "cannot cache function
...: no locator available".  Then the cache goes to a private folder of this user under the
temporary folder (mode 0700, refused if another user owns it).  ``NUMBA_CACHE_DIR`` still wins.
"""

import os
import sys
import tempfile
from pathlib import Path


def _writable(folder: Path) -> bool:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"


def _private_cache_if_needed() -> None:
    if os.environ.get("NUMBA_CACHE_DIR") or _writable(Path(__file__).parent / "__pycache__"):
        return
    try:
        if _writable(_user_cache()):
            return
    except RuntimeError:  # no home folder to find
        pass
    from bayesstreams.atomic import private_folder  # lazy: runs before numba is configured, only when the cache needs a folder

    folder = private_folder(Path(tempfile.gettempdir()) / f"bayesstreams-numba-{os.getuid()}")
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # numba read its settings already
        sys.modules["numba"].config.CACHE_DIR = str(folder)


_private_cache_if_needed()
