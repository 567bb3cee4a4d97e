"""What each conclusion rests on: the single codes and stream states whose change would overturn it.

The conclusions (MODEL.md §8, §9; issue 23):

``claim``
    each claim verdict of ``claims.toml`` (supported / contradicted / cannot tell: the 90%
    interval of its quantity against its reference, :mod:`bayesstreams.analysis.claims`);
``top3``
    per window, the three factors with the largest posterior-mean ACE over the common step
    ``0 -> +1`` (the report's highlights and rankings, :mod:`bayesstreams.analysis.ranks`), as a set;
``lever``
    per case with a window to open, its first lever (the largest gain of the target window,
    :mod:`bayesstreams.analysis.advice`; none when that gain is below the lever threshold);
``plan``
    per such case, its best plan (the factors of the first plan).

The changes tried: every coded cell to each other value of ``-1 / 0 / +1 / not discussed`` and
every coded stream state flipped or removed.  A claim or a top 3 reads every case, so every
change is tried for them; a case's lever and plan are tried with the changes of that case's
own cells of its target phase and its own stream states (another case's cell moves them only
through the posterior, which the claims already measure).

How a change is evaluated, without refitting: the posterior under the changed data is the saved
posterior reweighted by ``p(changed case | draw) / p(case | draw)`` (the likelihood factorises
over cases, so only the changed case's pointwise log-likelihood enters), Pareto-smoothed
(PSIS).  Where the smoothed weights' Pareto ``k`` exceeds :data:`K_MAX` (0.7) the reweighting
is not trusted: the change is *unchecked* unless an exact refit of the changed data is given
(``refits``: the robustness pipeline, :mod:`bayesstreams.pipeline.robustness`, fits them within
a budget; this module never fits).  A refit's draws weigh the same.  The verdict of a claim
whose main reason is "no data" or "prior-driven" is not re-judged (those reasons are not
about the interval); the prior-driven flag itself is not re-measured under a change.

Examples
--------
>>> found = fragility(run, cases=["g6"], changes_of=lambda change: change.factor == "p2_internal_communication")
>>> sorted({c.kind for c in found.conclusions}), found.conclusion("lever", "g6").value
(['claim', 'lever', 'plan', 'top3'], 'p2_internal_communication')
>>> [f.after for f in found.rests_on("lever", "g6") if f.change.new == 1]  # recoded +1: no lever left
[None]
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bayesstreams.analysis.advice import DEFAULT_MIN_GAIN, advise, weighted_summary
from bayesstreams.analysis.claims import CANNOT_TELL, CONTRADICTED, REFERENCE, SUPPORTED, _target
from bayesstreams.analysis.prior_dependence import (dependency_necessity_draws, step_ace_draws, stream_labels,
                                                    stream_necessity_draws)
from bayesstreams.analysis.queries import baseline
from bayesstreams.analysis.ranks import common_step_draws
from bayesstreams.data.codebook import PHASES, STREAMS
from bayesstreams.inference.mcmc_stats import logsumexp, psis
from bayesstreams.model.kinds import pointwise_loglik

K_MAX = 0.7
VALUES = (-1.0, 0.0, 1.0, np.nan)  # what a cell can be recoded to (NaN: not discussed)
N_TOP = 3
FIXED_REASONS = ("no_data", "prior_driven", "no_query")


# ---------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class Change:
    """One cell recoded (``kind = "code"``: ``factor``) or one stream state changed (``"stream"``: ``phase``, ``stream``).

    ``old`` and ``new`` are codes (NaN: not discussed / not coded).
    """

    kind: str
    case_id: str
    factor: str = ""
    phase: int = 0
    stream: str = ""
    old: float = np.nan
    new: float = np.nan

    @property
    def key(self) -> tuple:
        return (self.kind, self.case_id, self.factor, self.phase, self.stream, _text(self.new))

    def apply(self, dataset):
        """The dataset with this change (a copy; the caller's is not touched)."""
        i = dataset.case_ids.index(self.case_id)
        if self.kind == "code":
            k = dataset.factor_ids.index(self.factor)
            x = np.array(dataset.x, dtype=float)
            x[i, k] = self.new
            codes = [r for r in dataset.codes if not (r["case_id"] == self.case_id and r["factor"] == self.factor)]
            codes.append({"case_id": self.case_id, "factor": self.factor, "code": self.new})
            return dataclasses.replace(dataset, x=x, codes=codes, warnings=[])
        s = np.array(dataset.s, dtype=float)
        s[i, self.phase - 1, STREAMS.index(self.stream)] = self.new
        return dataclasses.replace(dataset, s=s, warnings=[])


def _text(value: float) -> str:
    return "nd" if np.isnan(value) else f"{int(value):+d}" if value else "0"


def candidate_changes(dataset) -> list[Change]:
    """Every single change tried: each cell to each other value, each coded stream state flipped or removed."""
    out = []
    for i, case in enumerate(dataset.case_ids):
        for k, factor in enumerate(dataset.factor_ids):
            old = float(dataset.x[i, k])
            for new in VALUES:
                if not (np.isnan(old) and np.isnan(new)) and old != new:
                    out.append(Change("code", case, factor=factor, old=old, new=new))
        for p, phase in enumerate(PHASES):
            for s, stream in enumerate(STREAMS):
                old = float(dataset.s[i, p, s])
                if not np.isnan(old):
                    out += [Change("stream", case, phase=int(phase), stream=stream, old=old, new=1.0 - old),
                            Change("stream", case, phase=int(phase), stream=stream, old=old, new=np.nan)]
    return out


# ---------------------------------------------------------------------------- conclusions


@dataclass(frozen=True)
class Conclusion:
    """One conclusion: ``kind`` (claim, top3, lever, plan), what it is about (claim id, window, case) and its value."""

    kind: str
    subject: str
    value: object


@dataclass
class Flip:
    """A change that overturns a conclusion: the value before and after, and how it was found."""

    conclusion: Conclusion
    change: Change
    after: object
    method: str  # "psis" or "refit"
    pareto_k: float
    provenance: dict = field(default_factory=dict)  # the cell's quote and section, when it has them


@dataclass
class Fragility:
    """The conclusions, the changes that overturn each, and the changes that could not be checked."""

    conclusions: list[Conclusion]
    flips: list[Flip]
    unchecked: list[tuple[Change, float | None]]  # (change, Pareto k; None: no tail fitted), unreliable, not refitted
    n_changes: int
    n_refits: int = 0

    def rests_on(self, kind: str, subject: str) -> list[Flip]:
        """The flips of one conclusion (``("lever", "g6")``), codes before stream states."""
        return sorted((f for f in self.flips if (f.conclusion.kind, f.conclusion.subject) == (kind, subject)),
                      key=lambda f: (f.change.kind != "code", f.change.case_id, f.change.factor, f.change.phase))

    def conclusion(self, kind: str, subject: str) -> Conclusion | None:
        return next((c for c in self.conclusions if (c.kind, c.subject) == (kind, subject)), None)

    def most_relied_on(self, n: int | None = 10) -> list[tuple[tuple, int]]:
        """The cells (``(kind, case_id, factor or phase/stream)``) whose change overturns the most conclusions.

        These are the codes to double-check with a second coder.  One conclusion counts once per
        cell, however many of the cell's recodings overturn it.  Ties are broken by the cell itself
        (codes before stream states, then case and factor or stream), so the order is the same in
        every process (a set's order depends on the interpreter's string hashing).  ``n=None``: every cell.
        """
        pairs = {(_cell(f.change), (f.conclusion.kind, f.conclusion.subject)) for f in self.flips}
        counts = Counter(cell for cell, _ in pairs)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked if n is None else ranked[:n]

    def frame(self):
        """One row per flip: conclusion, its value before and after, the change, method and Pareto k."""
        import pandas as pd

        return pd.DataFrame([{"conclusion": f.conclusion.kind, "subject": f.conclusion.subject,
                              "before": _show(f.conclusion.value), "after": _show(f.after), "change": f.change.kind,
                              "case_id": f.change.case_id, "factor": f.change.factor,
                              "phase": f.change.phase or None, "stream": f.change.stream,
                              "old": f.change.old, "new": f.change.new, "method": f.method,
                              "pareto_k": f.pareto_k} for f in self.flips],
                            columns=["conclusion", "subject", "before", "after", "change", "case_id", "factor",
                                     "phase", "stream", "old", "new", "method", "pareto_k"])


def _cell(change: Change) -> tuple:
    return (change.kind, change.case_id, change.factor or f"{change.phase}/{change.stream}")


def _show(value) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def _weighted_interval(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    summary = weighted_summary(values, weights)
    return summary["q05"], summary["q95"]


def _judge(expected: str, reference: float, low: float, high: float) -> str:
    if low <= reference <= high:
        return CANNOT_TELL
    return SUPPORTED if (low > reference) == (expected == "positive") else CONTRADICTED


def _quantities(posterior: dict, dataset, base, names: set[str]) -> dict:
    """The claim quantities named (``ace_step_w*``, ``dependency_necessity``, ``stream_necessity``): name -> (labels, draws)."""
    out = {}
    if names & {"ace_step_w1", "ace_step_w2"}:
        out.update(step_ace_draws(posterior, dataset, base))
    if "dependency_necessity" in names:
        out["dependency_necessity"] = ([""], dependency_necessity_draws(posterior, dataset, base)[:, None])
    if "stream_necessity" in names:
        out["stream_necessity"] = (stream_labels(), stream_necessity_draws(posterior, dataset, base))
    return out


def evaluate(posterior: dict, dataset, weights: np.ndarray, claims, fixed: dict, cases, base=None,
             min_gain: float = DEFAULT_MIN_GAIN, reference=None) -> dict:
    """Every conclusion's value under ``posterior`` weighted by ``weights`` on ``dataset``: ``{(kind, subject): value}``.

    ``fixed`` holds the claims whose verdict is not re-judged (``{claim_id: verdict}``); ``cases`` the
    case ids whose lever and plan are wanted; ``reference`` the data whose support decides the levers.
    """
    base = base if base is not None else baseline(posterior, dataset)
    names = {_target(c)[0] for c in claims if c.id not in fixed}
    draws = _quantities(posterior, dataset, base, names)
    out = {}
    for claim in claims:
        if claim.id in fixed:
            out["claim", claim.id] = fixed[claim.id]
            continue
        name, index = _target(claim)
        labels, values = draws.get(name, ([], None))
        if index not in labels:
            out["claim", claim.id] = CANNOT_TELL
            continue
        low, high = _weighted_interval(values[:, labels.index(index)], weights)
        out["claim", claim.id] = _judge(claim.expected, REFERENCE[claim.query], low, high)
    for window, (labels, values) in common_step_draws(posterior, dataset, base).items():
        means = weights @ values if len(labels) else np.array([])
        top = [labels[j] for j in np.argsort(-means, kind="stable")[:N_TOP]]
        out["top3", window] = tuple(sorted(top))
    for case in cases:
        advice = advise(posterior, dataset, case, base=base, reference=reference, weights=weights,
                        min_gain=min_gain)
        first = advice.levers[0] if advice.levers else None
        out["lever", case] = first["factor"] if first and first["gain"]["mean"] >= min_gain else None
        out["plan", case] = tuple(advice.plans[0]["factors"]) if advice.plans else None
    return out


# ---------------------------------------------------------------------------- reweighting


def psis_weights(log_ratio: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Pareto-smoothed importance weights (normalised) of per-draw log ratios, and their Pareto k.

    The one rule for a tail that cannot be fitted: ``k`` is None ("no tail fitted") and the
    weights are the plain normalised ratios, which no reader trusts (:func:`unreliable`).  That
    happens with fewer than 5 tail draws, with a tail of one value, and when the fit itself fails
    (arviz-stats' k of NaN or infinity).  A change that leaves every draw's weight the same has
    k = 0.
    """
    log_ratio = np.asarray(log_ratio, dtype=float)
    n = len(log_ratio)
    if not np.any(log_ratio - log_ratio.max() < -1e-12):  # the change leaves every draw's weight the same
        return np.full(n, 1.0 / n), 0.0
    tail = np.sort(log_ratio)[n - _tail_size(n):] if _tail_size(n) < n else log_ratio
    if np.ceil(min(0.2 * n, 3 * np.sqrt(n))) < 5 or _tail_size(n) < 5 or np.ptp(tail) < np.finfo(float).tiny:
        return _plain(log_ratio), None
    log_w, k = psis(log_ratio, r_eff=1.0)  # arviz-stats' psislw(-log_ratio): it smooths exp(-x)
    if not np.isfinite(k):  # the fit failed: the ratios were left unsmoothed
        return _plain(log_ratio), None
    w = np.exp(log_w - np.max(log_w))
    return w / w.sum(), float(k)


def unreliable(k: float | None) -> bool:
    """A reweighting no reader trusts: no Pareto tail fitted (``k`` None or NaN) or ``k`` above :data:`K_MAX`."""
    return k is None or not k <= K_MAX


def _tail_size(n: int) -> int:
    """arviz-stats' tail length for ``n`` draws (``r_eff = 1``): ``3 sqrt(n)`` above 225 draws, else ``n / 5``."""
    return int(np.floor(3 * np.sqrt(n))) if n > 225 else int(np.floor(n / 5))


def _plain(log_ratio: np.ndarray) -> np.ndarray:
    w = np.exp(log_ratio - log_ratio.max())
    return w / w.sum()


PSIS_CHUNK = 64  # rows per chunk of psis_weights_many: its (row, grid, tail) array stays a few MB


def psis_weights_many(log_ratios: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`psis_weights` of every row of ``log_ratios`` (row, draw), the Pareto fits vectorised across rows.

    The same steps as arviz-stats' ``psislw`` (the tail of ``3 sqrt(n)`` largest ratios, Zhang and
    Stephens' empirical-Bayes fit of a generalised Pareto with its weak prior on ``k``, the tail
    replaced by the fit's quantiles, capped at the largest ratio), row by row in NumPy instead of
    one call per row; equal to :func:`psis_weights` to rounding (the tests hold them to 1e-12).
    Rows that need a special case (every weight the same, too few draws, a tail of one value, a
    failed fit) go through :func:`psis_weights`; ``k`` is NaN where it gives None (no tail fitted).
    """
    log_ratios = np.asarray(log_ratios, dtype=float)
    rows, n = log_ratios.shape
    weights, k = np.empty((rows, n)), np.empty(rows)
    n_tail = _tail_size(n)
    flat = ~np.any(log_ratios - log_ratios.max(axis=1, keepdims=True) < -1e-12, axis=1)
    special = flat | (np.ceil(min(0.2 * n, 3 * np.sqrt(n))) < 5) | (n_tail < 5) | (n_tail >= n)
    for start in range(0, rows, PSIS_CHUNK):
        chunk = np.arange(start, min(start + PSIS_CHUNK, rows))
        chunk = chunk[~special[chunk]]
        if len(chunk):
            log_w, k_chunk, done = _psis_rows(log_ratios[chunk], n_tail, logsumexp)
            w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
            done &= np.isfinite(k_chunk)  # a failed fit: psis_weights' plain weights and no k
            weights[chunk[done]] = (w / w.sum(axis=1, keepdims=True))[done]
            k[chunk[done]] = k_chunk[done]
            special[chunk[~done]] = True
    for r in np.flatnonzero(special):
        weights[r], one = psis_weights(log_ratios[r])
        k[r] = np.nan if one is None else one
    return weights, k


def _psis_rows(log_ratio: np.ndarray, n_tail: int, logsumexp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed log weights, k, and which rows were done (a tail of one value is left to the caller)."""
    n = log_ratio.shape[1]
    ary = log_ratio - log_ratio.max(axis=1, keepdims=True)
    ordered = np.argsort(ary, axis=1)
    tail_idx = ordered[:, n - n_tail:]
    draws_tail = np.take_along_axis(ary, tail_idx, axis=1)
    cutoff = np.take_along_axis(ary, ordered[:, n - n_tail - 1:n - n_tail], axis=1)
    max_tail = draws_tail.max(axis=1)
    done = np.abs(max_tail - draws_tail.min(axis=1)) >= np.finfo(float).tiny
    mu = np.exp(cutoff)
    khat, sigma = _gpdfit_rows(np.exp(draws_tail) - mu, logsumexp)
    fitted = np.isfinite(khat) & done
    if fitted.any():
        p = np.arange(0.5, n_tail) / n_tail
        kk, ss, mm = khat[fitted, None], sigma[fitted, None], mu[fitted]
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(kk == 0, mm - ss * np.log1p(-p),
                         mm + ss * np.expm1(-np.where(kk == 0, 1.0, kk) * np.log1p(-p)) / np.where(kk == 0, 1.0, kk))
            q = np.where(ss <= 0, np.nan, q)
            smoothed = np.log(q)
        cap = max_tail[fitted, None]
        smoothed = np.where(smoothed > cap, cap, smoothed)
        rows = np.flatnonzero(fitted)
        ary[rows[:, None], tail_idx[fitted]] = smoothed
    ary -= logsumexp(ary, axis=1, keepdims=True)
    return ary, khat, done


def _gpdfit_rows(x: np.ndarray, logsumexp) -> tuple[np.ndarray, np.ndarray]:
    """arviz-stats' ``_gpdfit`` (unweighted) of each row of sorted tail excesses ``x``: (k, sigma) per row."""
    prior_bs, prior_k = 3, 10
    rows, n = x.shape
    m_est = 30 + int(n ** 0.5)
    xstar = x[:, int((n / 4 + 0.5) - 1)]
    far = xstar <= x[:, 0]  # not a generalised Pareto at all: k is NaN
    safe = np.where(far, 1.0, xstar)
    b_ary = 1 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    with np.errstate(invalid="ignore", divide="ignore"):  # rows of one value are left to the caller
        b_ary = b_ary[None, :] / (prior_bs * safe[:, None]) + 1 / x[:, -1:]
        k_ary = np.mean(np.log1p(-b_ary[:, :, None] * x[:, None, :]), axis=2)
        len_scale = n * (np.log(-b_ary / k_ary) - k_ary - 1)
        w_theta = np.exp(len_scale - logsumexp(len_scale, axis=1, keepdims=True))
        w_theta = np.where(w_theta >= 10 * np.finfo(float).eps, w_theta, 0.0)
        w_theta /= w_theta.sum(axis=1, keepdims=True)
        b_post = np.sum(b_ary * w_theta, axis=1)
        kappa = np.mean(np.log1p(-b_post[:, None] * x), axis=1)
        sigma = -kappa / b_post
    kappa = (n * kappa + prior_k * 0.5) / (n + prior_k)
    sigma = np.where(np.isnan(kappa), np.nan, sigma)
    kappa = np.where(np.isnan(kappa), np.inf, kappa)
    return np.where(far, np.nan, kappa), np.where(far, np.nan, sigma)


def change_weights(run, change: Change, changed, loglik: np.ndarray | None = None) -> tuple[np.ndarray, float | None]:
    """PSIS weights that turn the run's posterior into the posterior of the changed data, and their Pareto k (None: no tail fitted)."""
    i = run.dataset.case_ids.index(change.case_id)
    rows = slice(i, i + 1)
    old = loglik[:, i] if loglik is not None else _case_loglik(run, run.dataset, rows)
    new = _case_loglik(run, changed, rows)
    return psis_weights(new - old)


def _case_loglik(run, dataset, rows: slice) -> np.ndarray:
    """One case's pointwise log-likelihood (draw,) under ``dataset``, from the saved draws."""
    one = dataclasses.replace(dataset, cases=dataset.cases[rows], x=dataset.x[rows], w=dataset.w[rows],
                              s=dataset.s[rows], group=dataset.group[rows],
                              codes=[c for c in dataset.codes if c["case_id"] == dataset.case_ids[rows.start]],
                              warnings=[])
    return pointwise_loglik(one, run.config.kind, run.posterior)[:, 0]


# ---------------------------------------------------------------------------- the query


def fragility(run, verdicts=None, cases=None, changes_of=None, refits: dict | None = None,
              min_gain: float = DEFAULT_MIN_GAIN) -> Fragility:
    """The single changes of the data that overturn each conclusion of ``run`` (see the module docstring).

    Parameters
    ----------
    run
        A fitted or loaded run (streams model: the levers and plans need its case advice).
    verdicts
        The main claim verdicts (:func:`bayesstreams.analysis.claims.claim_verdicts`); a claim whose
        reason is "no data" or "prior-driven" keeps its verdict.  Default: judged here on the
        interval alone, every claim re-judged.
    cases
        The case ids whose lever and plan are examined (default: every case with a window to open).
    changes_of
        A filter on :class:`Change` (default: every change of :func:`candidate_changes`).
    refits
        ``{change.key: Run}``: exact refits of changed data, used where PSIS's k exceeds 0.7.
    min_gain
        A lever below this gain is no lever.

    Returns
    -------
    Fragility
    """
    dataset, posterior = run.dataset, run.posterior
    claims = list(dataset.claims)
    fixed = {v.claim_id: v.main_verdict or v.verdict for v in verdicts or () if v.reason in FIXED_REASONS}
    if cases is None:
        cases = [c for i, c in enumerate(dataset.case_ids) if not (dataset.w[i] == 1).all()]
    n = len(next(iter(posterior.values())))
    flat = np.full(n, 1.0 / n)
    before = evaluate(posterior, dataset, flat, claims, fixed, cases, base=baseline(posterior, dataset),
                      min_gain=min_gain, reference=dataset)
    conclusions = [Conclusion(kind, subject, value) for (kind, subject), value in before.items()]
    changes = [c for c in candidate_changes(dataset) if changes_of is None or changes_of(c)]
    loglik = run.log_likelihood if run.log_likelihood is not None else None
    flips, unchecked, used = [], [], 0
    for change in changes:
        changed = change.apply(dataset)
        mine = [c for c in cases if c == change.case_id and _in_target(dataset, c, change)]
        refit = (refits or {}).get(change.key)
        if refit is not None:  # an exact refit: its own draws, each of the same weight
            draws, method, k, used = refit.posterior, "refit", float("nan"), used + 1
            size = len(next(iter(draws.values())))
            weights = np.full(size, 1.0 / size)
        else:
            weights, k = change_weights(run, change, changed, loglik)
            method, draws = "psis", posterior
            if unreliable(k):
                unchecked.append((change, k))
                continue
        after = evaluate(draws, changed, weights, claims, fixed, mine, min_gain=min_gain, reference=dataset)
        for conclusion in conclusions:
            if conclusion.kind in ("lever", "plan") and conclusion.subject not in mine:
                continue
            value = after[conclusion.kind, conclusion.subject]
            if value != conclusion.value:
                flips.append(Flip(conclusion, change, value, method, k, _provenance(dataset, change)))
    return Fragility(conclusions, flips, unchecked, len(changes), used)


def _in_target(dataset, case: str, change: Change) -> bool:
    """True when ``change`` is a cell of the case's target phase or one of its stream states."""
    i = dataset.case_ids.index(case)
    target = 0 if dataset.w[i, 0] != 1 else 1
    if change.kind == "stream":
        return True
    return int(dataset.factor_phase[dataset.factor_ids.index(change.factor)]) == target


def _provenance(dataset, change: Change) -> dict:
    if change.kind != "code":
        return {}
    for record in dataset.codes:
        if record["case_id"] == change.case_id and record["factor"] == change.factor:
            return {key: str(record.get(key, "") or "") for key in ("quote", "section", "basis")}
    return {}
