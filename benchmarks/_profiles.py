"""A realistic profile file of many municipalities, drawn deterministically from a study's own cases.

Used by ``benchmarks/score_batch.py`` and by the batch-scoring tests, so that both score the same
kind of file: the study's cases themselves first (codes, windows and stream states as coded), then
profiles whose code of each factor is that of a randomly chosen case of the study (its not-discussed
cells included), with a further share of cells left not discussed, and with known windows and
stream states in some rows (what a national body would know of a municipality, MODEL.md §9).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np


def _cell(value: float) -> str:
    return "" if math.isnan(value) else str(int(value))


def profile_rows(dataset, n: int, seed: int = 342, p_not_discussed: float = 0.1) -> tuple[list[str], list[list[str]]]:
    """Header and ``n`` rows of a wide profile file drawn from ``dataset``'s cases (see module docs)."""
    rng = np.random.default_rng(seed)
    streams = [f"s{p}_{s}" for p in dataset.phases for s in ("problem", "policy", "politics")]
    header = ["case_id", "name", *dataset.factor_ids, "w1", "w2", *streams]
    rows = []
    phase_count = len(dataset.phases)
    for j in range(n):
        if j < dataset.n_cases:  # the study's own cases, as coded
            codes = dataset.x[j]
            w = [dataset.w[j, 0], dataset.w[j, 1] if phase_count > 1 else math.nan]
            s = dataset.s[j, :phase_count].reshape(-1)
        else:
            donors = rng.integers(0, dataset.n_cases, size=len(dataset.factor_ids))
            codes = dataset.x[donors, np.arange(len(dataset.factor_ids))].copy()
            codes[rng.random(len(codes)) < p_not_discussed] = math.nan
            known = rng.random()
            w1 = float(rng.random() < 0.5) if known < 0.4 else math.nan  # 40% know their phase-1 window
            w2 = 0.0 if (w1 == 1.0 and phase_count > 1 and rng.random() < 0.5) else math.nan
            w = [w1, w2]
            s = np.where(rng.random(3 * phase_count) < 0.15, rng.integers(0, 2, 3 * phase_count), math.nan)
        rows.append([f"m{j + 1:03d}" if j >= dataset.n_cases else dataset.case_ids[j],
                     f"Municipality {j + 1}", *(_cell(v) for v in codes), *(_cell(v) for v in w),
                     *(_cell(v) for v in s)])
    return header, rows


def write_profiles(path: str | Path, dataset, n: int, seed: int = 342) -> Path:
    """Write :func:`profile_rows` as a wide CSV profile file at ``path``."""
    header, rows = profile_rows(dataset, n, seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return Path(path)
