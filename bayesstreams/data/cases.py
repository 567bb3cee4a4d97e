"""Find a case by what a user types: its id or its name, in any letter case.

``--case g5``, ``--case G5``, ``--case "Gemeente 5"`` and ``--case "gemeente  5"`` all name the
same case of the shipped study.  An exact id wins, then an id in another letter case, then a
name; ids and names are compared case-insensitively with runs of white space collapsed.  A text that matches no
case, or several cases, is an error that lists the known cases.
"""

from __future__ import annotations

import difflib

from bayesstreams.errors import UsageError


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _known(ids, names) -> str:
    return ", ".join(f"{i} ({n})" if n and n != i else i for i, n in zip(ids, names))


def resolve_case(dataset, text: str, option: str = "--case") -> str:
    """The id of the case of ``dataset`` that ``text`` names (its id or its name, case-insensitive).

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset` (a run's data or a profile).
    text
        What the user typed.
    option
        The option that named the case, for the error message.

    Raises
    ------
    UsageError
        When no case, or more than one, matches; the message lists the known cases and the
        closest one.
    """
    ids = list(dataset.case_ids)
    if text in ids:
        return text
    names = dataset.case_column("name")
    key = _key(text)
    for field in (ids, names):  # ids first: a case's id outranks another case's name
        matches = [i for i, value in zip(ids, field) if value and _key(value) == key]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError(option, f"{text!r} names several cases ({', '.join(matches)}); give the case id")
    keys = {_key(i): i for i in ids} | {_key(n): i for i, n in zip(ids, names) if n}
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
    hint = f" (did you mean {keys[close[0]]}?)" if close else ""
    raise UsageError(option, f"no case {text!r} in the run's data{hint}; known cases: {_known(ids, names)}")
