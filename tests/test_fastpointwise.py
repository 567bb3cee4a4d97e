"""The numba pointwise log-likelihood equals the NumPy reference, case by case and draw by draw."""

import numpy as np
import pytest

pytest.importorskip("numba")

from bayesstreams.fast.pointwise import pointwise_loglik as fast_loglik  # noqa: E402
from bayesstreams.model.kinds import pointwise_loglik  # noqa: E402

from .helpers import partly_observed_dataset, prior_like_draws  # noqa: E402


@pytest.mark.parametrize("groups", [False, True], ids=["no groups", "groups"])
def test_equals_numpy_reference(groups):
    """Random partly observed data (streams, windows and codes missing), prior draws spread wide."""
    dataset = partly_observed_dataset(n_cases=57, seed=3 + groups, groups=groups, p_missing=0.25)
    draws = prior_like_draws(dataset, n=64, seed=groups)
    expected = pointwise_loglik(dataset, "streams", draws)
    got = fast_loglik(dataset, draws)
    assert got.shape == expected.shape == (64, 57)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_each_case_depends_on_its_own_data_only():
    """Changing one case's window changes that column and no other: no mix-up of case maps."""
    dataset = partly_observed_dataset(n_cases=30, seed=8)
    draws = prior_like_draws(dataset, n=16, seed=8)
    before = fast_loglik(dataset, draws)
    case = int(np.flatnonzero(~np.isnan(dataset.w[:, 0]))[5])
    dataset.w = dataset.w.copy()
    dataset.w[case, 0] = 1.0 - dataset.w[case, 0]
    if dataset.w[case, 0] == 0.0 and dataset.w[case, 1] == 1.0:
        dataset.w[case, 1] = 0.0
    after = fast_loglik(dataset, draws)
    changed = np.flatnonzero(np.any(before != after, axis=0))
    assert changed.tolist() == [case]
    np.testing.assert_allclose(after, pointwise_loglik(dataset, "streams", draws), rtol=1e-10, atol=1e-10)
