"""Checks that say whether the numbers can be trusted (``bayesstreams check ...``).

Nothing is imported here; each module imports its heavy libraries inside its functions.

=================  ===========================================================================
module             its single job
=================  ===========================================================================
``data_model``     the model with its data as ``pm.Data``: one compiled sampler, many data sets
``cluster``        a Dask client (local cluster or ``--scheduler``), one compile dir per worker
``sbc``            simulation-based calibration: simulate, fit, rank (a Dask task per simulation)
``sbc_stats``      thinning, fractional ranks, chi-square uniformity, coverage, ECDF bands
``plots``          figures from the tables above; computes nothing
``prior_check``    prior predictive P(W1), P(W2), window counts; the extreme-prior flag
``sensitivity``    power-scaling prior sensitivity; headline quantities under two priors
``compare``        PSIS-LOO and exact LOO of two fits of one dataset
=================  ===========================================================================

See ``docs/VALIDATION.md`` for what each check does and how to run it.
"""
