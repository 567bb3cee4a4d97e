"""Where a stream state came from (its ``basis``), and the data without the stream states that are not independent.

A coded stream state ("the problem stream of Gemeente 6 was in motion in phase 2") is
evidence for the factor -> stream effect only when it was judged apart from the factor codes.
When it comes from the very passage the factor codes were read from, the model counts the
same sentence twice: once as the codes, once as the stream they "explain".  The optional
``basis`` column of ``streams.csv`` says which it is:

``same_passage``
    coded from the same passage (section, sentence or figure) as factor codes of that case
    and phase;
``separate_source``
    from a source the factor codes were not read from (another document, an observation,
    a second coder who did not see the codes);
``judgement``
    the analyst's (or the source author's) own summary of the case, made from the same
    reading that gave the codes;
empty
    unknown.

Only ``separate_source`` states are independent of the codes.  :func:`without_coded_streams`
keeps those and drops the others (same passage, judgement, unknown): the windows and the codes
alone, plus any independent stream state.  The study refits that data as its ``nostreams``
companion (:mod:`bayesstreams.inference.study`) and every verdict says what it changes.

Examples
--------
>>> check_basis("same passage"), check_basis(""), check_basis("separate_source")
('same_passage', '', 'separate_source')
>>> check_basis("other")
Traceback (most recent call last):
...
ValueError: basis 'other' is not one of same_passage, separate_source, judgement (or empty: unknown)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS

SAME_PASSAGE, SEPARATE_SOURCE, JUDGEMENT, UNKNOWN = "same_passage", "separate_source", "judgement", ""
BASES = (SAME_PASSAGE, SEPARATE_SOURCE, JUDGEMENT)
INDEPENDENT = frozenset({SEPARATE_SOURCE})


def check_basis(text: str) -> str:
    """The basis named by ``text`` (spaces, hyphens and letter case forgiven); ValueError for any other word."""
    value = str(text or "").strip().lower().replace(" ", "_").replace("-", "_")
    if value == UNKNOWN or value in BASES:
        return value
    raise ValueError(f"basis {text!r} is not one of {', '.join(BASES)} (or empty: unknown)")


def stream_basis(dataset) -> np.ndarray:
    """The (case, phase, stream) basis of every observed stream state; "" where unknown or not observed."""
    out = np.full(np.shape(dataset.s), UNKNOWN, dtype=object)
    known = getattr(dataset, "stream_basis", {}) or {}
    for i, case in enumerate(dataset.case_ids):
        for p, phase in enumerate(PHASES):
            for k, stream in enumerate(STREAMS):
                if not np.isnan(dataset.s[i, p, k]):
                    out[i, p, k] = known.get((case, int(phase), stream), UNKNOWN)
    return out


def dependent_streams(dataset) -> np.ndarray:
    """(case, phase, stream) True where a stream state is observed and not from a separate source."""
    basis = stream_basis(dataset)
    observed = ~np.isnan(np.asarray(dataset.s, dtype=float))
    return observed & ~np.isin(basis, list(INDEPENDENT))


def has_dependent_streams(dataset) -> bool:
    """True when the data hold a stream state that is not independent of the codes (a ``nostreams`` refit differs)."""
    return bool(dependent_streams(dataset).any())


def without_coded_streams(dataset):
    """The dataset with every stream state that is not from a separate source removed (windows and codes kept)."""
    drop = dependent_streams(dataset)
    s = np.where(drop, np.nan, np.asarray(dataset.s, dtype=float))
    kept = {key: basis for key, basis in (getattr(dataset, "stream_basis", {}) or {}).items() if basis in INDEPENDENT}
    return dataclasses.replace(dataset, s=s, stream_basis=kept, warnings=[])


def basis_counts(dataset) -> dict[str, int]:
    """How many observed stream states have each basis (``""``: unknown)."""
    basis = stream_basis(dataset)[~np.isnan(np.asarray(dataset.s, dtype=float))]
    return {b: int((basis == b).sum()) for b in (*BASES, UNKNOWN)}
