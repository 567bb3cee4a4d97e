"""The data tables the numba kernels read: code patterns per stream, cell types, per-case maps.

Built from a dataset alone (no priors, no parameters): :mod:`bayesstreams.fast.problem` packs them
with the priors for the density, and the pointwise log-likelihoods (:mod:`bayesstreams.fast.pointwise`,
:func:`bayesstreams.fast.modes.pointwise_loglik`) read them for saved draws.  Under an evidence mode
(MODEL.md §7) the cells' possible codes come from the mode and respondents objects of
:mod:`bayesstreams.model.modes` (``table_support``, ``table_counts``).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.fast.layout import N_CELLS
from bayesstreams.model import evidence as ev
from bayesstreams.model.likelihood import observed_terms
from bayesstreams.model.modes import mode_of, respondents_of


def cells_and_groups(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Each factor's cell (``3 * phase + stream``) and each case's group (-1 for none), as int64."""
    cell = np.ascontiguousarray(dataset.factor_phase * 3 + dataset.factor_stream, dtype=np.int64)
    return cell, np.where(dataset.group >= 0, dataset.group, -1).astype(np.int64)


def pattern_table(x: np.ndarray, cell: np.ndarray, group: np.ndarray):
    """Distinct (codes of a cell's factors, group) combinations per cell.

    Returns ``codes`` (pattern, factor), ``pattern_cell``, ``pattern_group`` and
    ``case_pattern`` (case, cell): the pattern of each case in each cell.
    """
    n_cases, n_factors = x.shape
    blocks, cells, groups = [], [], []
    case_pattern = np.empty((n_cases, N_CELLS), dtype=np.int64)
    start = 0
    for c in range(N_CELLS):
        columns = np.flatnonzero(cell == c)
        distinct, inverse = np.unique(np.column_stack([x[:, columns], group]), axis=0, return_inverse=True)
        block = np.zeros((len(distinct), n_factors))
        block[:, columns] = distinct[:, :-1]
        blocks.append(block)
        cells.append(np.full(len(distinct), c))
        groups.append(distinct[:, -1])
        case_pattern[:, c] = start + inverse.ravel()
        start += len(distinct)
    return np.concatenate(blocks), np.concatenate(cells), np.concatenate(groups), case_pattern


def evidence_tables(dataset, options: dict) -> dict:
    """The cell types, patterns and per-case maps of a dataset under evidence ``options`` (no priors).

    Also what the pointwise log-likelihood reads: ``case_type`` (case, factor), ``case_pattern``
    (case, cell), with ``s_obs``/``s_val`` and the window terms.
    """
    respondents = respondents_of(options)
    terms = observed_terms(dataset.s, dataset.w)
    cell, group = cells_and_groups(dataset)
    counts = ev.respondent_counts(dataset, dataset.x) if respondents.codes_latent else None
    data = ev.evidence_data(dataset.x, counts)
    # each option says which codes a cell may take (zero: a not-discussed cell is a point mass at 0;
    # latent respondents: every code, the record entering through the confusion matrix)
    support = respondents.table_support(mode_of(options).table_support(data.support, data.discussed))
    counts = respondents.table_counts(data.counts)
    n_cases, n_factors = dataset.x.shape
    key = np.concatenate([np.broadcast_to(np.arange(n_factors)[None, :, None], (n_cases, n_factors, 1)), support,
                          counts, data.discussed[..., None]], axis=-1).reshape(n_cases * n_factors, 8)
    types, case_type, type_n = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    case_type = case_type.reshape(n_cases, n_factors)
    uncertain = types[:, 1:4].sum(axis=1) > 1
    fixed_code = np.where(uncertain, 0.0, np.argmax(types[:, 1:4], axis=1) - 1.0)
    # a stream's pattern: its factors' types (a fixed type fixes the code) and the group
    blocks, cells, groups, starts, slots = [], [], [], [0], []
    case_pattern = np.empty((n_cases, N_CELLS), dtype=np.int64)
    for c in range(N_CELLS):
        columns = np.flatnonzero(cell == c)
        distinct, inverse = np.unique(np.column_stack([case_type[:, columns], group]).astype(np.int64), axis=0,
                                      return_inverse=True)
        for row in distinct:
            codes = np.zeros(n_factors)
            codes[columns] = fixed_code[row[:-1]]
            blocks.append(codes)
            cells.append(c)
            groups.append(row[-1])
            free = [t for t in row[:-1] if uncertain[t]]
            if 3 ** len(free) > ev.MAX_STATES:
                raise ValueError(f"a stream has {len(free)} uncertain cells: too many joint codes to sum out")
            slots += free
            starts.append(len(slots))
        case_pattern[:, c] = len(cells) - len(distinct) + inverse.ravel()
    return {"cell": cell, "codes": np.array(blocks).reshape(-1, n_factors), "pattern_cell": np.array(cells),
            "pattern_group": np.array(groups), "pattern_start": np.array(starts), "slot_type": np.array(slots),
            "type_factor": types[:, 0], "type_support": types[:, 1:4], "type_counts": types[:, 4:7],
            "type_discussed": types[:, 7], "type_n": type_n, "case_type": case_type, "case_pattern": case_pattern,
            "s_obs": terms.s_obs.reshape(n_cases, N_CELLS), "s_val": terms.s_val.reshape(n_cases, N_CELLS),
            "terms": terms}
