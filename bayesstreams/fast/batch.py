"""Batch scoring's hot loops in numba: the rows' weighted quantiles and the sets' chances of a case's target.

The references are NumPy in :mod:`bayesstreams.analysis.advice` (``_row_quantiles``, which sorts each
summary's draws on the grid of ``RESOLUTION`` and reads its weighted quantiles) and
:mod:`bayesstreams.analysis.advice_fast` (``evaluate_target`` and ``evaluate_factual``: a set's chance
from the coefficients a case reads off once).  Both references materialise several (row, draw) or
(set, draw) temporaries per step; these kernels walk each row once with the same operations in the same
order (a sequential cumulative sum, the same products stream by stream, no fused multiply-add), so the
results are the references' bit for bit (tests/test_score_kernels.py holds them equal, not close).
:func:`grid_keys` packs each value with its draw index into one integer key, :func:`sort_keys` sorts
each row's keys (a radix sort: 3x faster than NumPy's ``ndarray.sort`` of the same keys, and the keys
are distinct, so every correct sort gives the same order) and :func:`read_sorted` reads them back.
:func:`sort_rows` sorts float rows for :mod:`bayesstreams.analysis.quantiles` once these kernels are loaded;
:func:`lever_log_odds` and :func:`lever_gains` compute the codes-only levers' gains (``scoring._levers``, whose
reference is ``queries.do_factor``), NumPy's logistic in between; :func:`bound_windows` the windows of the
not-discussed ranges (the reference: the streams kind's ``not_discussed_bounds``).

Loaded only for a batch of profiles (``score`` of many, :mod:`bayesstreams.fast.registry`): importing
numba costs about 0.3 s, which one profile does not win back.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_JIT)
def grid_keys(samples, resolution, bits, keys, lows):
    """Each row's values on the grid of ``resolution`` packed with their draw index into one integer.

    ``keys[r, j] = (step - low_r) << bits | j`` with ``step = round(samples[r, j] / resolution)`` (half
    to even, as ``np.round``) and ``low_r`` the row's lowest step (kept in ``lows``): sorting a row's keys
    gives its values in the stable order (ties by draw).  Returns False, leaving the rest unwritten, when
    a row holds a value that is not finite or spans ``2 ** (62 - bits)`` steps or more (the caller then
    sorts by NumPy's stable ``argsort``, as the reference does).
    """
    rows, n = samples.shape
    steps = np.empty(n)
    limit = 2.0 ** (62 - bits)
    for r in range(rows):
        low = np.inf
        high = -np.inf
        for j in range(n):
            step = np.rint(samples[r, j] / resolution)
            if not np.isfinite(step):
                return False
            steps[j] = step
            low = min(low, step)
            high = max(high, step)
        if high - low >= limit:
            return False
        lows[r] = low
        for j in range(n):
            keys[r, j] = (np.int64(steps[j] - low) << bits) | j
    return True


@njit(**_JIT)
def lever_log_odds(eta, beta, x, k, p, s, value, rows, out):
    """``out[j, d] = eta[d, c, p, s] + beta[d, k] * (value - x[c, k])`` for ``c = rows[j]``: the stream's
    log-odds of each case under ``do(x_k = value)``, laid out case by case (:func:`lever_gains` reads them
    after NumPy's logistic); the reference's ``eta + shift`` (``queries.do_factor``) element for element."""
    n_draws, n_rows = eta.shape[0], rows.shape[0]
    deltas = np.empty(n_rows)
    for j in range(n_rows):
        deltas[j] = value - x[rows[j], k]
    for d in range(n_draws):  # draw by draw: the inputs are read where they lie, only the output is strided
        b = beta[d, k]
        for j in range(n_rows):
            out[j, d] = eta[d, rows[j], p, s] + b * deltas[j]


@njit(**_JIT)
def lever_gains(q_new, others, lam, kap, pibar, rho, p1_now, p2_now, p, rows, gain_w1, gain_w2):
    """The codes-only levers' gains in P(W1) and P(W2), (row, draw), of one factor of phase ``p`` whose
    stream is at ``q_new`` (row, draw): ``do_factor``'s windows less those at the codes, each element by
    the reference's operations in its order.

    ``others`` (draw, case): the product of the factor's stream's others (``Baseline.q_others``); ``lam``,
    ``kap`` (draw,) of phase ``p``; ``pibar`` (draw, case, phase) at the codes; ``rho`` (draw,);
    ``p1_now``, ``p2_now`` (draw, case): the windows at the codes.  The moved phase's ``pibar`` is
    ``lam + (1 - lam) (1 - kap) others q_new``; ``P(W2) = pibar2 P(W1) + pibar2 rho (1 - P(W1))``.
    """
    n_rows, n_draws = q_new.shape
    for d in range(n_draws):  # draw by draw: the inputs are read where they lie, only the outputs are strided
        la, r = lam[d], rho[d]
        scale = (1.0 - la) * (1.0 - kap[d])
        for j in range(n_rows):
            c = rows[j]
            moved = la + scale * others[d, c] * q_new[j, d]
            if p == 0:
                one, two = moved, pibar[d, c, 1]
            else:
                one, two = pibar[d, c, 0], moved
            gain_w1[j, d] = one - p1_now[d, c]
            gain_w2[j, d] = (two * one + two * r * (1.0 - one)) - p2_now[d, c]

@njit(**_JIT)
def bound_windows(q, moved, values, lam, kap, rho, p1, p2):
    """``P(W1)`` and ``P(W2)`` (case, draw) with the cells ``moved`` of ``q`` at ``values``: the streams model's
    ``not_discussed_bounds`` of one side from its shifted stream probabilities, element by element its operations.

    ``q`` (draw, case * 6) the stream probabilities at the codes, ``moved`` (cell,) flat indices into a draw's
    row, ``values`` (draw, cell) their probabilities under the completion (NumPy's logistic); ``lam``, ``kap``
    (draw, phase), ``rho`` (draw,).  Per case ``pibar_p = lam_p + (1 - lam_p) (1 - kap_p) (q_p0 q_p1) q_p2``
    (``window_probability``) and ``P(W2) = pibar2 P(W1) + pibar2 rho (1 - P(W1))``.
    """
    n_draws, width = q.shape
    row = np.empty(width)
    for d in range(n_draws):
        for m in range(width):
            row[m] = q[d, m]
        for m in range(moved.shape[0]):
            row[moved[m]] = values[d, m]
        l0, l1, r = lam[d, 0], lam[d, 1], rho[d]
        a0 = (1.0 - l0) * (1.0 - kap[d, 0])
        a1 = (1.0 - l1) * (1.0 - kap[d, 1])
        for c in range(width // 6):
            b = 6 * c
            one = l0 + a0 * (row[b] * row[b + 1] * row[b + 2])
            two = l1 + a1 * (row[b + 3] * row[b + 4] * row[b + 5])
            p1[c, d] = one
            p2[c, d] = two * one + two * r * (1.0 - one)


RADIX_BITS = 11  # bits of the key sorted per pass of sort_keys (a 2,048-entry count fits the L1 cache)


@njit(inline="always", **_JIT)
def _radix_pass(source, target, counts, shift, mask):
    """One stable counting pass of a radix sort: ``source``'s keys into ``target`` by the digit ``(key >> shift) & mask``.

    Returns False, ``target`` left as it was, where every key shares the digit (the pass would keep the order).
    ``shift`` and ``mask`` of the keys' own integer type (an unsigned key with a signed shift would be promoted to float).
    """
    n = source.shape[0]
    counts[:] = 0
    for j in range(n):
        counts[np.int64((source[j] >> shift) & mask)] += 1
    if counts[np.int64((source[0] >> shift) & mask)] == n:
        return False
    total = 0
    for digit in range(counts.shape[0]):
        count = counts[digit]
        counts[digit] = total
        total += count
    for j in range(n):
        digit = np.int64((source[j] >> shift) & mask)
        target[counts[digit]] = source[j]
        counts[digit] += 1
    return True


@njit(**_JIT)
def sort_keys(keys, bits):
    """Sort each row of ``keys`` (row, n) in place, ascending, as ``keys.sort(axis=-1)`` does.

    A least-significant-digit radix sort, :data:`RADIX_BITS` bits per pass, a pass skipped where all of a
    row's keys share its digit.  Where the low ``bits`` bits of a row are already non-decreasing (the
    draw index of :func:`grid_keys`' keys) the sort starts above them: a stable sort by the higher bits
    then leaves equal ones in that order, which is the full key's order.  Returns False, leaving the
    rows unsorted from the first that holds a negative key (the caller then sorts with NumPy).
    """
    rows, n = keys.shape
    size = 1 << RADIX_BITS
    mask = np.int64(size - 1)
    buffer = np.empty(n, dtype=np.int64)
    counts = np.empty(size, dtype=np.int64)
    low_mask = (np.int64(1) << bits) - 1
    for r in range(rows):
        row = keys[r]
        shift = bits
        every = np.int64(0)
        for j in range(n):
            if row[j] < 0:
                return False
            every |= row[j]
            if j > 0 and (row[j] & low_mask) < (row[j - 1] & low_mask):
                shift = 0
        source, target = row, buffer
        while shift < 63 and (every >> shift) != 0:
            if _radix_pass(source, target, counts, shift, mask):
                source, target = target, source
            shift += RADIX_BITS
        if source is not row:
            row[:] = source
    return True


@njit(**_JIT)
def sort_rows(rows):
    """Sort each row of the float ``rows`` (row, n) in place, ascending, as ``np.sort(rows, axis=1)`` does.

    A radix sort of each value's bits made monotonic (the sign bit flipped for a positive value, every
    bit for a negative one), :data:`RADIX_BITS` bits per pass.  The sorted values are NumPy's; only
    ``-0.0`` and ``0.0``, which compare equal, come ``-0.0`` first here and in either order from NumPy
    (a caller that reads the sign of a zero asks NumPy for such a row).  Returns False, leaving the
    rows partly sorted, from the first row that holds NaN (the caller then sorts with NumPy).
    """
    n_rows, n = rows.shape
    size = 1 << RADIX_BITS
    digit_mask = np.uint64(size - 1)
    sign = np.uint64(1) << np.uint64(63)
    ones = ~np.uint64(0)
    keys = np.empty(n, dtype=np.uint64)
    buffer = np.empty(n, dtype=np.uint64)
    counts = np.empty(size, dtype=np.int64)
    for r in range(n_rows):
        bits = rows[r].view(np.uint64)
        for j in range(n):
            if np.isnan(rows[r, j]):
                return False
            b = bits[j]
            keys[j] = b ^ ones if b & sign else b ^ sign
        source, target = keys, buffer
        shift = np.uint64(0)
        while shift < np.uint64(64):
            if _radix_pass(source, target, counts, shift, digit_mask):
                source, target = target, source
            shift += np.uint64(RADIX_BITS)
        for j in range(n):
            key = source[j]
            bits[j] = key ^ sign if key & sign else key ^ ones
    return True


@njit(**_JIT)
def read_sorted(keys, lows, bits, resolution, weights, row_weights, levels, out):
    """The ``levels`` quantiles of each row from its sorted keys (:func:`grid_keys`) under its weights.

    ``weights`` (set of weights, draw), ``row_weights`` (row,) which set each row reads.  Per row: the
    values ``(step) * resolution`` and the weights in sorted order, the midpoint cumulative weights
    ``cumsum(w) - w / 2`` summed in that order, and ``interpolate_rows``' reading of each level (the
    count of points at or below it, the straight line from there, its fall-backs for NaN slopes).
    """
    rows, n = keys.shape
    mask = (np.int64(1) << bits) - 1
    cumulative = np.empty(n)
    ordered = np.empty(n)
    for r in range(rows):
        w_row = weights[row_weights[r]]
        total = 0.0
        low = lows[r]
        for j in range(n):
            key = keys[r, j]
            w = w_row[key & mask]
            total += w
            cumulative[j] = total - 0.5 * w
            ordered[j] = (np.float64(key >> bits) + low) * resolution
        for c in range(levels.shape[0]):
            level = levels[c]
            count = 0
            for j in range(n):
                count += cumulative[j] <= level
            out[r, c] = _read(level, count - 1, cumulative, ordered)


@njit(inline="always", **_JIT)
def _read(level, j, xp, fp):
    """``interpolate_rows`` at one level of one row, ``j`` the last point at or below it (-1: none)."""
    n = xp.shape[0]
    if j < 0:
        return fp[0]
    if j >= n - 1:
        return fp[n - 1]
    x0, x1, y0, y1 = xp[j], xp[j + 1], fp[j], fp[j + 1]
    slope = (y1 - y0) / (x1 - x0)
    value = slope * (level - x0) + y0
    if np.isnan(value):
        value = slope * (level - x1) + y1
    if np.isnan(value) and y0 == y1:
        value = y0
    return value


@njit(inline="always", **_JIT)
def _step(k_new, k_both, now, moved, code):
    """``products``' update of ``k_new`` and ``k_both`` by one stream (``np.minimum``/``np.maximum``: NaN wins)."""
    if np.isnan(now) or np.isnan(moved):
        low = np.nan
        high = np.nan
    else:
        low = now if now <= moved else moved
        high = moved if now <= moved else now
    if np.isnan(code):
        return k_new * moved, k_both * low
    if code == 1:
        return k_new * low, k_both * low
    return k_new * (high - now), 0.0


@njit(inline="always", **_JIT)
def _new_and_both(q, s, new, j, d):
    """``products``' ``k_new`` and ``k_both`` of set ``j`` in draw ``d``, stream by stream in its order."""
    k_new = 1.0
    k_both = 1.0
    for stream in range(q.shape[1]):
        k_new, k_both = _step(k_new, k_both, q[d, stream], new[j, stream, d], s[stream])
    return k_new, k_both


@njit(**_JIT)
def evaluate_target_columns(q, s, columns, index, terms, out):
    """:func:`evaluate_target` with set ``j``'s stream ``t`` read from ``columns[index[j, t]]`` (column, draw):
    the sets' stream probabilities where they lie, not gathered into a (set, stream, draw) copy."""
    for j in range(index.shape[0]):
        for d in range(columns.shape[1]):
            k_new = 1.0
            k_both = 1.0
            for stream in range(q.shape[1]):
                k_new, k_both = _step(k_new, k_both, q[d, stream], columns[index[j, stream], d], s[stream])
            cf = terms[0, 0, d] + terms[0, 1, d] * k_new + terms[0, 2, d] * k_both
            mass = terms[2, 0, d] + terms[2, 1, d] * k_new + terms[2, 2, d] * k_both
            out[j, d] = cf / mass


@njit(**_JIT)
def evaluate_target(q, s, new, terms, out):
    """``advice_fast.evaluate_target``: ``out[j, d]`` the chance of the target under set ``j`` in draw ``d``.

    ``q`` (draw, stream) the moved phase's factual stream probabilities, ``s`` (stream,) its codes,
    ``new`` (set, stream, draw) under each set (the layout ``_q_under_fast`` builds), ``terms`` (quantity, term, draw) ``advice_fast._linear``.
    """
    for j in range(new.shape[0]):
        for d in range(new.shape[2]):
            k_new, k_both = _new_and_both(q, s, new, j, d)
            cf = terms[0, 0, d] + terms[0, 1, d] * k_new + terms[0, 2, d] * k_both
            mass = terms[2, 0, d] + terms[2, 1, d] * k_new + terms[2, 2, d] * k_both
            out[j, d] = cf / mass


@njit(**_JIT)
def per_key(table, joint, rho, out):
    """``advice_fast._per_key``: ``out[c, j, d]`` the other phase's cells summed in under each gate.

    ``table`` (gate, case, 4, 4) 0/1, ``joint`` (case, 4, draw) the other phase's cells, ``rho`` (draw,).
    Each output cell is the sum of the cells its table row selects, in key order from the first
    (``_apply``: 0 where it selects none), then ``(1 - rho) * gate0 + rho * gate1``.
    """
    cases, _, draws = joint.shape
    keys = np.empty((2, 4), dtype=np.int64)
    counts = np.empty(2, dtype=np.int64)
    for c in range(cases):
        for j in range(4):
            for gate in range(2):  # the cells each gate's row selects, in key order (read once, not per draw)
                counts[gate] = 0
                for k in range(4):
                    if table[gate, c, j, k] != 0:
                        keys[gate, counts[gate]] = k
                        counts[gate] += 1
            for d in range(draws):
                out[c, j, d] = ((1.0 - rho[d]) * _selected(keys[0], counts[0], joint, c, d)
                                + rho[d] * _selected(keys[1], counts[1], joint, c, d))


@njit(inline="always", **_JIT)
def _selected(keys, count, joint, c, d):
    """The sum of the cells ``keys[:count]``, in key order from the first; 0 where there is none."""
    if count == 0:
        return 0.0
    total = joint[c, keys[0], d]
    for m in range(1, count):
        total += joint[c, keys[m], d]
    return total


@njit(**_JIT)
def joint_cells(q, s, lam, kap, out):
    """``advice_fast._joint``: one phase's factual joint of many cases, ``out`` (case, key, draw).

    ``q`` (case, draw, stream), ``s`` (case, stream) the codes (NaN: not coded), ``lam``, ``kap`` (draw,).
    """
    cases, draws, streams = q.shape
    for c in range(cases):
        for d in range(draws):
            mass = 1.0
            k_now = 1.0
            for stream in range(streams):
                code = s[c, stream]
                now = q[c, d, stream]
                coded = not np.isnan(code)
                on = code == 1
                mass = mass * ((now if on else 1.0 - now) if coded else 1.0)
                k_now = k_now * (now if (not coded or on) else 0.0)
            lam_d, kap_d = lam[d], kap[d]
            coupled = (1.0 - lam_d) * (1.0 - kap_d)
            out[c, 0, d] = lam_d * mass + coupled * k_now
            out[c, 1, d] = coupled * (k_now - k_now)
            out[c, 2, d] = coupled * (k_now - k_now)
            out[c, 3, d] = (1.0 - lam_d) * kap_d * mass + coupled * (mass - k_now - k_now + k_now)


@njit(**_JIT)
def cell_sums(x, beta, onehot, out):
    """``model.likelihood.cell_sums``: ``out[d, c, m] = sum_k x[c, k] beta[d, k] onehot[k, m]``.

    Every factor's term, zeros included, added in factor order from 0 to each cell, each term the
    product ``(x beta) onehot``: the order and the products of NumPy's ``einsum`` of three operands
    (one sequential accumulation per output; the tests hold the two equal bit for bit).
    """
    draws, factors = beta.shape
    cases, cells = x.shape[0], onehot.shape[1]
    for d in range(draws):
        for c in range(cases):
            for m in range(cells):
                total = 0.0
                for k in range(factors):
                    total += x[c, k] * beta[d, k] * onehot[k, m]
                out[d, c, m] = total


@njit(**_JIT)
def cell_sums_onehot(x, beta, cell, out):
    """:func:`cell_sums` where each factor feeds one cell (``cell[k]``, the column of its 1 in ``onehot``).

    The same bits for finite ``x`` and ``beta``: a term of another cell, ``x beta 0``, is a signed zero,
    and adding one to a sum leaves it as it is (``+0 + -0 = +0``), so each cell's sum is its own
    factors' products, in factor order, from ``0.0``; ``x beta 1 = x beta``.  A sixth of the work for
    six cells.
    """
    draws, factors = beta.shape
    cases, cells = x.shape[0], out.shape[2]
    for d in range(draws):
        for c in range(cases):
            for m in range(cells):
                out[d, c, m] = 0.0
            for k in range(factors):
                out[d, c, cell[k]] += x[c, k] * beta[d, k]


@njit(inline="always", **_JIT)
def _mass_step(mass, k_now, now, code):
    """``advice_fast._mass_and_k_now``'s update of the evidence mass and ``k_now`` by one stream at ``now``."""
    if np.isnan(code):
        return mass, k_now * now
    if code == 1:
        return mass * now, k_now * now
    return mass * (1.0 - now), 0.0 * now


@njit(inline="always", **_JIT)
def _mass_and_k_now(q, s, j, d):
    """``advice_fast._mass_and_k_now`` of set ``j`` in draw ``d`` (``q`` (set, stream, draw))."""
    mass = 1.0
    k_now = 1.0
    for stream in range(q.shape[1]):
        mass, k_now = _mass_step(mass, k_now, q[j, stream, d], s[stream])
    return mass, k_now


@njit(**_JIT)
def linear_terms(q, s, lam, kap, per_key, out):
    """``advice_fast._linear``: ``out`` (quantity, term, draw) from the factual ``q`` (draw, stream) of the moved
    phase, its codes ``s``, ``lam``, ``kap`` (draw,) and the per-key sums ``per_key`` (quantity, key, draw)."""
    for d in range(q.shape[0]):
        mass = 1.0
        k_now = 1.0
        for stream in range(q.shape[1]):  # _mass_and_k_now of the factual q
            mass, k_now = _mass_step(mass, k_now, q[d, stream], s[stream])
        lam_d, kap_d = lam[d], kap[d]
        coupled = (1.0 - lam_d) * (1.0 - kap_d)
        for n in range(per_key.shape[0]):
            w0, w1, w2, w3 = per_key[n, 0, d], per_key[n, 1, d], per_key[n, 2, d], per_key[n, 3, d]
            out[n, 0, d] = (lam_d * mass * w0 + coupled * k_now * w1 + (1.0 - lam_d) * kap_d * mass * w3
                            + coupled * (mass - k_now) * w3)
            out[n, 1, d] = coupled * (w2 - w3)
            out[n, 2, d] = coupled * (w0 - w1 - w2 + w3)


@njit(**_JIT)
def evaluate_factual(q_moved, s, a1, b1, a2, b2, out):
    """``advice_fast.evaluate_factual``: ``out[j, d]`` from ``q_moved`` (set, stream, draw) and the two linear terms."""
    for j in range(q_moved.shape[0]):
        for d in range(q_moved.shape[2]):
            mass, k_now = _mass_and_k_now(q_moved, s, j, d)
            out[j, d] = (a1[d] * mass + b1[d] * k_now) / (a2[d] * mass + b2[d] * k_now)


@njit(**_JIT)
def finish_cases(q, s, lam, kap, per_key, cf, fact, mass):
    """``advice_fast._finish`` of many cases: ``q`` (case, draw, stream) the moved phase's, ``s`` (case, stream),
    ``lam``, ``kap`` (draw,), ``per_key`` (case, quantity, key, draw); ``cf``, ``fact``, ``mass`` (case, draw) out.

    The factual joint's four cells (``_cells`` at ``k_new = k_both = k_now``) dotted with each quantity's
    per-key sums in key order, and the two ratios.
    """
    for c in range(q.shape[0]):
        for d in range(q.shape[1]):
            m = 1.0
            k = 1.0
            for stream in range(q.shape[2]):  # products' evidence mass and k_now
                m, k = _mass_step(m, k, q[c, d, stream], s[c, stream])
            lam_d, kap_d = lam[d], kap[d]
            coupled = (1.0 - lam_d) * (1.0 - kap_d)
            c0 = lam_d * m + coupled * k
            c1 = coupled * (k - k)
            c2 = coupled * (k - k)
            c3 = (1.0 - lam_d) * kap_d * m + coupled * (m - k - k + k)
            w = per_key[c]
            dot_cf = c0 * w[0, 0, d] + c1 * w[0, 1, d] + c2 * w[0, 2, d] + c3 * w[0, 3, d]
            dot_fact = c0 * w[1, 0, d] + c1 * w[1, 1, d] + c2 * w[1, 2, d] + c3 * w[1, 3, d]
            dot_mass = c0 * w[2, 0, d] + c1 * w[2, 1, d] + c2 * w[2, 2, d] + c3 * w[2, 3, d]
            mass[c, d] = dot_mass
            cf[c, d] = dot_cf / dot_mass
            fact[c, d] = dot_fact / dot_mass


@njit(**_JIT)
def bilinear_sums(table, j1, j2, rho, out):
    """``advice_fast._sum``: ``out[c, d] = sum_j per_key[c, j, d] * j1[c, j, d]`` with :func:`per_key`'s sums of
    ``j2`` under ``table`` (gate, case, 4, 4), the four products added in key order from the first."""
    cases, _, draws = j1.shape
    keys = np.empty((4, 2, 4), dtype=np.int64)
    counts = np.empty((4, 2), dtype=np.int64)
    for c in range(cases):
        for j in range(4):
            for gate in range(2):
                counts[j, gate] = 0
                for k in range(4):
                    if table[gate, c, j, k] != 0:
                        keys[j, gate, counts[j, gate]] = k
                        counts[j, gate] += 1
        for d in range(draws):
            total = 0.0
            for j in range(4):
                cell = ((1.0 - rho[d]) * _selected(keys[j, 0], counts[j, 0], j2, c, d)
                        + rho[d] * _selected(keys[j, 1], counts[j, 1], j2, c, d))
                if j == 0:
                    total = cell * j1[c, 0, d]
                else:
                    total += cell * j1[c, j, d]
            out[c, d] = total


KERNELS = (bilinear_sums, finish_cases, grid_keys, sort_keys, sort_rows, read_sorted, lever_log_odds, lever_gains, bound_windows, evaluate_target, evaluate_target_columns, per_key, joint_cells, cell_sums, linear_terms, evaluate_factual)


def warm() -> None:
    """Compile every kernel into numba's on-disk cache with the argument types batch scoring passes
    (``python -m bayesstreams.fast.adapter``, run by ``scripts/setup.sh``), so that ``score`` loads them."""
    n, bits = 4, 2
    samples, keys, lows = np.linspace(0.0, 1.0, 2 * n).reshape(2, n), np.empty((2, n), dtype=np.int64), np.empty(2)
    grid_keys(samples, 2.0 ** -40, bits, keys, lows)
    sort_keys(keys, bits)
    sort_rows(samples.copy())
    rows, levers = np.array([1, 0], dtype=np.int64), np.empty((2, n))
    lever_log_odds(np.zeros((n, 2, 2, 3)), np.ones((n, 3)), np.ones((2, 3)), 1, 0, 2, 1.0, rows, levers)
    lever_gains(levers, np.full((n, 2), 0.5), np.full(n, 0.1), np.full(n, 0.1), np.full((n, 2, 2), 0.3),
                np.full(n, 0.2), np.full((n, 2), 0.3), np.full((n, 2), 0.1), 0, rows, np.empty((2, n)), np.empty((2, n)))
    bound_windows(np.full((n, 12), 0.5), rows, np.full((n, 2), 0.7), np.full((n, 2), 0.1), np.full((n, 2), 0.1),
                  np.full(n, 0.2), np.empty((2, n)), np.empty((2, n)))
    read_sorted(keys, lows, bits, 2.0 ** -40, np.full((1, n), 1.0 / n), np.zeros(2, dtype=np.int64),
                np.array([0.05, 0.25, 0.75, 0.95]), np.empty((2, 4)))
    q = np.full((n, 3), 0.5)
    evaluate_target(q, np.array([np.nan, 1.0, 0.0]), np.full((2, 3, n), 0.6), np.ones((3, 3, n)), np.empty((2, n)))
    evaluate_target_columns(q, np.array([np.nan, 1.0, 0.0]), np.full((4, n), 0.6), np.zeros((2, 3), dtype=np.int64),
                            np.ones((3, 3, n)), np.empty((2, n)))
    joint = np.empty((2, 4, n))
    joint_cells(np.full((2, n, 3), 0.5), np.full((2, 3), np.nan), np.full(n, 0.1), np.full(n, 0.1), joint)
    per_key(np.ones((2, 2, 4, 4)), joint, np.full(n, 0.5), np.empty((2, 4, n)))
    cell_sums(np.ones((2, 3)), np.ones((n, 3)), np.eye(6)[:3], np.empty((n, 2, 6)))
    cell_sums_onehot(np.ones((2, 3)), np.ones((n, 3)), np.arange(3, dtype=np.int64), np.empty((n, 2, 6)))
    bilinear_sums(np.ones((2, 2, 4, 4)), joint, joint, np.full(n, 0.5), np.empty((2, n)))
    finish_cases(np.full((2, n, 3), 0.5), np.full((2, 3), np.nan), np.full(n, 0.1), np.full(n, 0.1),
                 np.ones((2, 3, 4, n)), *np.empty((3, 2, n)))
    linear_terms(q, np.array([np.nan, 1.0, 0.0]), np.full(n, 0.1), np.full(n, 0.1), np.ones((3, 4, n)),
                 np.empty((3, 3, n)))
    evaluate_factual(np.full((2, 3, n), 0.6), np.array([np.nan, 1.0, 0.0]), *np.ones((4, n)), np.empty((2, n)))
