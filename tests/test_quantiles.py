"""Quantiles from one sort per row or column are NumPy's ``np.quantile`` bit for bit (bayesstreams.analysis.quantiles).

The report's summaries, the claims, the prior-dependence checks and the codes-only levers read their
intervals from these; NumPy is the reference: every value, NaN and signed zero equal, at every shape the
callers pass, and NumPy's own errors for what it refuses.  Each test runs twice: rows sorted by NumPy, and
by the batch kernels' radix sort (what a batch being scored, which has loaded them, uses).
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.analysis import quantiles
from bayesstreams.analysis.quantiles import column_quantiles, row_quantiles


@pytest.fixture(params=["numpy sort", "kernel sort"], autouse=True)
def sort(request, monkeypatch):
    """Rows sorted by NumPy (numba not loaded) or by the loaded kernels' radix sort; the kernel's calls counted."""
    calls = []
    if request.param == "numpy sort":
        monkeypatch.setattr(quantiles, "loaded_batch_kernels", lambda: None)
    else:
        from bayesstreams.fast import batch

        class Counted:
            @staticmethod
            def sort_rows(rows):
                calls.append(rows.shape)
                return batch.sort_rows(rows)

        monkeypatch.setattr(quantiles, "loaded_batch_kernels", lambda: Counted)
    return request.param, calls


@pytest.mark.parametrize("n", [1, 2, 3, 20, 4000])
def test_row_quantiles_from_one_sort_equal_np_quantile(n, sort):
    """The codes-only levers' summaries: one sort per row, NumPy's linear interpolation, the same bits."""
    rng = np.random.default_rng(n)
    rows = rng.random((12, n))
    rows[1] = np.round(rows[1], 1)  # ties
    rows[2] = 0.0
    rows[3] = rng.normal(size=n) * 1e-9
    rows[4, n // 2] = np.nan  # a row with NaN gives NaN
    rows[5] = -rows[5]
    rows[6] = np.round(rng.normal(size=n) * 0.05, 1)  # ties of 0.0 and -0.0 (equal: either may be ranked first)
    for levels in ([0.05, 0.25, 0.75, 0.95], [0.0, 0.5, 1.0, 1 / 3]):
        expected = np.quantile(rows, levels, axis=1)
        found = row_quantiles(rows, levels)
        assert np.array_equal(found, expected, equal_nan=True)
        assert np.array_equal(np.signbit(found), np.signbit(expected))
    kind, calls = sort
    assert bool(calls) == (kind == "kernel sort" and n >= quantiles.KERNEL_SORT_FROM)
    clean = rows[[0, 1, 2, 3, 5]]  # no NaN: the kernel's own sort throughout
    assert np.array_equal(row_quantiles(clean, [0.05, 0.95]), np.quantile(clean, [0.05, 0.95], axis=1))


@pytest.mark.parametrize("shape", [(4000,), (4000, 1), (4000, 30), (1000, 4, 3), (1, 5), (2, 7), (3, 2, 2)])
@pytest.mark.parametrize("levels", [[0.05, 0.95], [0.05, 0.25, 0.5, 0.75, 0.95], [0.0, 1.0], [1 / 3]])
def test_column_quantiles_equal_np_quantile_over_the_first_axis(shape, levels):
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    samples = rng.normal(size=shape)
    flat = samples.reshape(shape[0], -1)
    if flat.shape[1] > 2:
        flat[:, 1] = np.round(flat[:, 1], 1)  # ties
        flat[:, 2] = -0.0  # signed zeros
    if flat.shape[1] > 3:
        flat[shape[0] // 2, 3] = np.nan  # a column with NaN gives NaN
    expected = np.quantile(samples, levels, axis=0)
    found = column_quantiles(samples, levels)
    assert found.shape == expected.shape
    assert np.array_equal(found, expected, equal_nan=True)
    assert np.array_equal(np.signbit(found), np.signbit(expected))


def test_column_quantiles_of_a_strided_view_and_integers_equal_np_quantile():
    rng = np.random.default_rng(9)
    samples = rng.normal(size=(500, 8))[::2, ::3]  # not contiguous
    assert np.array_equal(column_quantiles(samples, [0.05, 0.95]), np.quantile(samples, [0.05, 0.95], axis=0))
    counts = rng.integers(0, 5, size=(301, 4))
    assert np.array_equal(column_quantiles(counts, [0.1, 0.5]), np.quantile(counts, [0.1, 0.5], axis=0))


def test_column_quantiles_refuse_what_numpy_refuses():
    samples = np.ones((10, 2))
    for levels in ([1.5], [-0.1]):
        with pytest.raises(ValueError):
            column_quantiles(samples, levels)
    with pytest.raises((ValueError, IndexError)):
        column_quantiles(np.empty((0, 3)), [0.5])
