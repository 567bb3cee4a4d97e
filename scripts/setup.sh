#!/usr/bin/env bash
# Set up bayesstreams in ./.venv: find a Python >= 3.12, create the virtual environment,
# install the locked stack (requirements.lock) and the package itself.  Safe to rerun:
# it reinstalls only when requirements.lock or pyproject.toml changed.
#
#   bash scripts/setup.sh            # the README's first command: the package and its tests' tools
#   bash scripts/setup.sh --jax      # also JAX and numpyro (requirements-jax.lock): --sampler numpyro
#                                    # and its tests; the README's test command and CI use this
#   BAYESSTREAMS_PYTHON=/path/to/python3.12 bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
for arg in "$@"; do
  case "$arg" in
    --jax) lock=requirements-jax.lock ;;
    *) echo "setup: unknown option $arg (known: --jax)" >&2; exit 2 ;;
  esac
done

is_usable() {
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidates=() root
  [ -n "${BAYESSTREAMS_PYTHON:-}" ] && candidates+=("$BAYESSTREAMS_PYTHON")
  # pyenv shims for versions that are installed but not selected fail when run, so
  # look at the interpreters themselves under $(pyenv root)/versions.
  root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for dir in "$root"/versions/3.12* "$root"/versions/3.13* "$root"/versions/3.1[4-9]*; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  done
  for name in python3.12 python3.13 python3.14 python3; do
    command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
  done
  candidates+=(/usr/bin/python3.12 /usr/bin/python3.13 /usr/local/bin/python3.12 /usr/local/bin/python3.13)
  for candidate in "${candidates[@]}"; do
    if is_usable "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

if [ -x .venv/bin/python ] && is_usable .venv/bin/python; then
  :
else
  if ! python=$(find_python); then
    echo "setup: no Python >= 3.12 found (PyMC 6 needs it)." >&2
    echo "setup: install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv'," >&2
    echo "setup: or point BAYESSTREAMS_PYTHON at an interpreter: BAYESSTREAMS_PYTHON=/path/to/python3.12 bash scripts/setup.sh" >&2
    exit 1
  fi
  echo "setup: creating .venv with $python ($("$python" --version 2>&1))"
  rm -rf .venv
  "$python" -m venv .venv
fi

stamp_of() { cat "$1" pyproject.toml | sha256sum | cut -d' ' -f1; }
stamp=$(stamp_of "$lock")
installed=$(cat .venv/.bayesstreams-stamp 2>/dev/null || true)
# up to date when this lock is installed, or the JAX lock (a superset) when the plain one is asked for
if { [ "$installed" = "$stamp" ] || { [ "$lock" = requirements.lock ] \
       && [ "$installed" = "$(stamp_of requirements-jax.lock)" ]; }; } \
   && .venv/bin/python -c 'import bayesstreams' >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing the locked stack ($lock) into .venv (first time: a few minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
# Byte-compile once: with PYTHONDONTWRITEBYTECODE set, nothing else would, and every
# command would pay for compiling its imports again.
.venv/bin/python -m compileall -q -j 0 .venv/lib bayesstreams >/dev/null 2>&1 || true
# Compile the streams model's log-density once, into numba's on-disk cache
# (bayesstreams/__pycache__), so that the first fit does not pay ~10 s for it; batch
# scoring's kernels too (fast/batch.py), so that the first score of many profiles loads them.
.venv/bin/python -m bayesstreams.fast.adapter
echo "$stamp" > .venv/.bayesstreams-stamp
echo "setup: done ($(.venv/bin/python --version))"
