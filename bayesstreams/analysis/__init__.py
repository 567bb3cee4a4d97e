"""Causal queries on posterior draws (NumPy), their tables, scoring of new cases, contraction.

Importing the room registers ``study.q`` (:mod:`bayesstreams.analysis.accessor`).
"""

from bayesstreams.analysis import accessor  # noqa: F401  (registers Study.q)
