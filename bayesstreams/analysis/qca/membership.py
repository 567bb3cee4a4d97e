"""A bayesstreams dataset as set memberships: windows, stream states and factor codes per case.

The membership rule (docs/QCA.md):

* windows ``w1``, ``w2`` and stream states (``problem_1`` ... ``politics_2``) are crisp sets as
  coded: 1 in the set, 0 out of it, unknown where the dataset does not say;
* a factor code becomes a membership in "the factor helps its stream" by a stated rule:
  ``crisp`` (the default) maps +1 -> 1 and 0, -1 -> 0; ``fuzzy`` maps +1 -> 1, 0 -> 0.33
  (present or absent without effect: more out than in), -1 -> 0 (named as a barrier);
* a not-discussed factor cell is unknown (``not_discussed="drop"``, the default) or read as
  code 0 (``"zero"``, the model's v1 reading, MODEL.md §2).

Unknown memberships stay NaN here; the analysis drops the cases it cannot place.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.data.codebook import PHASES, STREAMS

RULES = {
    "crisp": {1: 1.0, 0: 0.0, -1: 0.0},
    "fuzzy": {1: 1.0, 0: 0.33, -1: 0.0},
}
NOT_DISCUSSED = ("drop", "zero")


def stream_column(stream: str, phase) -> str:
    """The column name of a stream state: ``policy_2``."""
    return f"{stream}_{phase}"


def dataset_memberships(dataset, rule: str = "crisp", not_discussed: str = "drop") -> dict[str, np.ndarray]:
    """Columns of memberships (case,), NaN where unknown: windows, stream states, then factors in codebook order.

    >>> import bayesstreams as bs
    >>> m = dataset_memberships(bs.load_dataset("data/trafficking_nl_2020"))
    >>> m["w2"].tolist(), m["policy_2"][:2].tolist()
    ([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0], [nan, 1.0])
    """
    if rule not in RULES:
        raise KeyError(rule)
    if not_discussed not in NOT_DISCUSSED:
        raise KeyError(not_discussed)
    columns: dict[str, np.ndarray] = {}
    for p, phase in enumerate(PHASES):
        columns[f"w{phase}"] = dataset.w[:, p].astype(float)
    for p, phase in enumerate(PHASES):
        for s, stream in enumerate(STREAMS):
            columns[stream_column(stream, phase)] = dataset.s[:, p, s].astype(float)
    # QCA's own choice for a not-discussed cell (no set membership, or membership of a 0 code);
    # not an evidence mode of the model
    codes = {"drop": dataset.x, "zero": dataset.x_filled}[not_discussed]
    mapping = RULES[rule]
    for j, factor in enumerate(dataset.factor_ids):
        column = np.full(dataset.n_cases, np.nan)
        for code, value in mapping.items():
            column[codes[:, j] == code] = value
        columns[factor] = column
    return columns


def default_conditions(dataset, outcome: str) -> list[str]:
    """The conditions that go with an outcome: a window's phase streams; a stream's factors."""
    name = outcome.lstrip("~")
    for phase in PHASES:
        if name == f"w{phase}":
            return [stream_column(stream, phase) for stream in STREAMS]
        for stream in STREAMS:
            if name == stream_column(stream, phase):
                return [f.id for f in dataset.codebook.factors if f.phase == phase and f.stream == stream]
    return []


def required_conditions(outcome: str) -> list[str]:
    """Conditions the model says an outcome needs beyond its own: phase 2 builds on the phase-1 window.

    Only for the outcome itself: the absence of a window (``~w2``) needs nothing.
    """
    return [f"w{PHASES[0]}"] if outcome == f"w{PHASES[-1]}" and len(PHASES) > 1 else []


def resolve_condition(name: str, outcome: str, columns) -> str | None:
    """A condition as the user wrote it -> a column: ``policy`` means the outcome's phase (``policy_2``)."""
    bare = name.lstrip("~")
    if bare in columns:
        return name
    for phase in PHASES:
        if outcome.lstrip("~") in (f"w{phase}", *(stream_column(s, phase) for s in STREAMS)) and bare in STREAMS:
            return ("~" if name.startswith("~") else "") + stream_column(bare, phase)
    return None
