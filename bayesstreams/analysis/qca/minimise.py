"""Boolean minimisation of a truth table: prime implicants, the prime implicant chart, its minimal covers.

Three solutions, as in R's ``QCA`` (``minimize()``) and Schneider & Wagemann (2012, ch. 4 and 8):

* **conservative** (complex): the positive rows minimised with no remainder;
* **parsimonious**: remainders may be used as don't-cares (simplifying assumptions);
* **intermediate**: only the *easy* counterfactuals may be used: remainders that the
  parsimonious model uses and that differ from a conservative prime implicant only in
  conditions moved towards their directional expectation.  One intermediate solution per pair
  of conservative and parsimonious models (``C1P1``, ...).

Rows with output 0 and contradictions (``C``) are never explained and never used as
don't-cares (R's default ``explain = "1"``).  Prime implicants come from an exact enumeration
of all 3^k terms (bit masks; up to :data:`MAX_CONDITIONS` conditions); the chart is solved for
**every** cover with the fewest prime implicants (R's default, ``all.sol = FALSE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

MAX_CONDITIONS = 12
MAX_COMBINATIONS = 2_000_000


@dataclass(frozen=True)
class Term:
    """A conjunction of literals: condition j is fixed where bit ``1 << (k-1-j)`` of ``mask`` is set,
    to the matching bit of ``value``."""

    mask: int
    value: int

    def literals(self, k: int) -> list[tuple[int, int]]:
        """(condition index, 1 present / 0 absent) in condition order."""
        return [(j, (self.value >> (k - 1 - j)) & 1) for j in range(k) if (self.mask >> (k - 1 - j)) & 1]

    def covers(self, rows) -> np.ndarray:
        """Whether each 0-based row lies inside the term."""
        return (np.asarray(rows, dtype=np.int64) & self.mask) == self.value

    def expression(self, names) -> str:
        """``A*~B``; the empty term (no literal) reads ``1``."""
        k = len(names)
        parts = [("" if v else "~") + names[j] for j, v in self.literals(k)]
        return "*".join(parts) if parts else "1"

    def order(self, k: int) -> tuple:
        """Chart order: fewer literals first, then negated < present < absent per condition."""
        codes = []
        for j in range(k):
            bit = 1 << (k - 1 - j)
            codes.append(2 if not self.mask & bit else (1 if self.value & bit else 0))
        return (bin(self.mask).count("1"), tuple(codes))

    def membership(self, x) -> np.ndarray:
        """Fuzzy membership of each case (x is (..., case, condition)): min over the literals."""
        x = np.asarray(x, float)
        k = x.shape[-1]
        lits = self.literals(k)
        if not lits:
            return np.ones(x.shape[:-1])
        parts = [x[..., j] if v else 1.0 - x[..., j] for j, v in lits]
        return np.minimum.reduce(parts)


@dataclass(frozen=True)
class Model:
    """One solution: a sum of prime implicants explaining every positive row."""

    kind: str
    label: str
    terms: tuple[Term, ...]

    def expression(self, names) -> str:
        return " + ".join(t.expression(names) for t in self.terms) if self.terms else "(none)"


def prime_implicants(k: int, on, dont_care=()) -> list[Term]:
    """Every prime implicant of ``on`` (0-based rows) with ``dont_care`` rows free, in chart order.

    A term is an implicant when every row inside it is ``on`` or a don't-care and at least one is
    ``on``; it is prime when no term with one literal fewer is an implicant.

    >>> [t.expression(["A", "B"]) for t in prime_implicants(2, [2, 3])]
    ['A']
    >>> [t.expression(["A", "B"]) for t in prime_implicants(2, [3], dont_care=[1])]
    ['B']
    """
    if k > MAX_CONDITIONS:
        raise ValueError(f"{k} conditions: the exact minimisation handles at most {MAX_CONDITIONS}")
    size = 1 << k
    on = np.asarray(list(on), dtype=np.int64)
    allowed = np.zeros(size, dtype=bool)
    allowed[on] = True
    allowed[np.asarray(list(dont_care), dtype=np.int64)] = True
    positive = np.zeros(size, dtype=bool)
    positive[on] = True
    index = np.arange(size, dtype=np.int64)
    implicants: set[tuple[int, int]] = set()
    if on.size == 0:
        return []
    for mask in range(size):
        keys = index & mask
        bad = np.bincount(keys[~allowed], minlength=size)
        hits = np.bincount(keys[positive], minlength=size)
        implicants.update((mask, int(v)) for v in np.flatnonzero((hits > 0) & (bad == 0)))
    primes = []
    for mask, value in implicants:
        bits, prime = mask, True
        while bits and prime:
            low = bits & -bits
            bits ^= low
            prime = (mask ^ low, value & ~low) not in implicants
        if prime:
            primes.append(Term(mask, value))
    return sorted(primes, key=lambda t: t.order(k))


def minimal_covers(chart: np.ndarray) -> list[tuple[int, ...]]:
    """Every smallest set of chart rows (prime implicants) covering all columns (positive rows).

    >>> minimal_covers(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    [(0, 1), (0, 2)]
    """
    chart = np.asarray(chart, dtype=bool)
    n_terms, n_cols = chart.shape
    if n_cols == 0:
        return [()]
    if not chart.any(0).all():
        return []
    essential = sorted({int(np.flatnonzero(chart[:, c])[0]) for c in range(n_cols) if chart[:, c].sum() == 1})
    left = ~chart[essential].any(0) if essential else np.ones(n_cols, dtype=bool)
    if not left.any():
        return [tuple(essential)]
    candidates = [t for t in range(n_terms) if t not in essential and chart[t, left].any()]
    for size in range(1, len(candidates) + 1):
        if comb(len(candidates), size) > MAX_COMBINATIONS:
            raise ValueError("the prime implicant chart is too large to solve exactly")
        found = [combo for combo in combinations(candidates, size) if chart[list(combo)][:, left].any(0).all()]
        if found:
            return sorted(tuple(sorted(essential + list(combo))) for combo in found)
    return []  # pragma: no cover - unreachable: every column is covered by some candidate


def solve(k: int, on, dont_care, kind: str, prefix: str = "") -> tuple[list[Term], list[Model]]:
    """Prime implicants of ``on`` given ``dont_care``, and every minimal model (``M1``, ``M2``, ...)."""
    on = np.asarray(sorted(int(r) for r in on), dtype=np.int64)
    primes = prime_implicants(k, on, dont_care)
    if not primes:
        return [], []
    chart = np.array([t.covers(on) for t in primes], dtype=bool)
    models = [Model(kind, f"{prefix}M{i}", tuple(primes[j] for j in cover))
              for i, cover in enumerate(minimal_covers(chart), start=1)]
    return primes, models


def easy_counterfactuals(k: int, remainders, complex_terms, simplifying_terms, expectations: dict[int, int]) -> list[int]:
    """Remainders used by the parsimonious terms that a conservative term reaches towards the expectations.

    A remainder is easy for a conservative term when, on every literal of the term, it either
    agrees or takes the value the directional expectation names for that condition (a condition
    without an expectation must agree).

    >>> easy_counterfactuals(2, [3], [Term(3, 2)], [Term(2, 2)], {1: 1})
    [3]
    >>> easy_counterfactuals(2, [3], [Term(3, 2)], [Term(2, 2)], {})
    []
    """
    used = [int(r) for r in remainders if any(bool(t.covers([r])[0]) for t in simplifying_terms)]
    easy = []
    for r in used:
        for term in complex_terms:
            if all(((r >> (k - 1 - j)) & 1) == v or expectations.get(j) == ((r >> (k - 1 - j)) & 1)
                   for j, v in term.literals(k)):
                easy.append(r)
                break
    return easy


def parse_expectations(spec, conditions) -> dict[int, int]:
    """``"A, ~B"`` or ``["A", "~B"]`` -> {index of A: 1, index of B: 0}; ``-C`` or an unnamed condition: none."""
    if spec is None:
        return {}
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    expectations: dict[int, int] = {}
    for item in items:
        if item.startswith("-"):
            name, value = item[1:].strip(), None
        elif item.startswith("~"):
            name, value = item[1:].strip(), 0
        else:
            name, value = item, 1
        if name not in conditions:
            raise KeyError(name)
        if value is not None:
            expectations[list(conditions).index(name)] = value
    return expectations
