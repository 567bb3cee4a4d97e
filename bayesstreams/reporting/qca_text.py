"""A classical QCA result as plain-text lines (what ``bayesstreams qca`` prints).

Numbers to three decimals, as R's ``QCA`` prints them; the tables themselves are the
result's pandas frames, so nothing is computed here.  English only: the vocabulary of QCA
(inclS, PRI, covS, covU, inclN, RoN, covN) is the same in Dutch publications.
"""

from __future__ import annotations

import math


def _num(value) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def truth_table_lines(result) -> list[str]:
    frame = result.truth_table
    conditions = list(result.conditions)
    header = ["row", *conditions, "OUT", "n", "incl", "PRI", "cases"]
    rows = [[str(r["row"]), *(str(int(r[c])) for c in conditions), r["OUT"], str(r["n"]), _num(r["incl"]),
             _num(r["PRI"]), r["cases"]] for r in frame.to_dict("records")]
    right = {0, len(conditions) + 2, len(conditions) + 3, len(conditions) + 4}
    return _table(header, rows, right)


def necessity_lines(result) -> list[str]:
    header = ["condition", "inclN", "RoN", "covN", "cases", "in outcome"]
    rows = [[r["condition"], _num(r["inclN"]), _num(r["RoN"]), _num(r["covN"]), str(r["n"]), str(r["n_outcome"])]
            for r in result.necessity.to_dict("records")]
    return _table(header, rows, {1, 2, 3, 4, 5})


def necessity_sentences(result) -> list[str]:
    """A sentence for each condition present in every case with the outcome: how many cases could have refuted it."""
    lines = []
    for r in result.necessity.to_dict("records"):
        if not r["condition"].startswith("~") and r["inclN"] == r["inclN"] and r["inclN"] >= 1.0 - 1e-12:
            count = r["n_outcome"]
            lines.append(f"{r['condition']} is present in every case with {result.outcome} ({count} of {count}): "
                         f"necessary in all observed cases, but only those {count} case{'s' if count != 1 else ''} "
                         f"could have refuted it (RoN {_num(r['RoN'])}; a RoN near 0 marks a trivial condition)")
    return lines


def solution_lines(result) -> list[str]:
    lines: list[str] = []
    terms = result.terms
    for model in result.solutions.to_dict("records"):
        lines.append(f"{model['solution']} {model['model']}: {model['expression']} -> {result.outcome}")
        own = terms[(terms["solution"] == model["solution"]) & (terms["model"] == model["model"])]
        rows = [[t["term"], _num(t["inclS"]), _num(t["PRI"]), _num(t["covS"]), _num(t["covU"]), t["cases"]]
                for t in own.to_dict("records")]
        rows.append([model["model"], _num(model["inclS"]), _num(model["PRI"]), _num(model["covS"]), "", ""])
        lines += ["  " + line for line in _table(["term", "inclS", "PRI", "covS", "covU", "cases"], rows, {1, 2, 3, 4})]
        lines.append("")
    return lines


def qca_lines(result) -> list[str]:
    """The whole result: what was analysed, the truth table, necessity and the solutions."""
    cut = result.settings["incl_cut"]
    cut_text = f"{cut[0]:g}" if cut[0] == cut[1] else f"{cut[0]:g} (contradiction down to {cut[1]:g})"
    lines = [f"QCA of {result.outcome} in {result.source}",
             f"conditions: {', '.join(result.conditions)}",
             f"memberships: {result.membership}",
             f"cases: {len(result.cases)} used" + (f", {len(result.dropped)} left out" if result.dropped else ""),
             *(f"  left out {case}: {why}" for case, why in result.dropped.items()),
             f"inclusion cut-off {cut_text}, frequency cut-off {result.settings['n_cut']}",
             "", "truth table (observed rows; OUT: 1 sufficient, 0 not, C contradiction, ? too few cases)",
             *truth_table_lines(result),
             "", f"necessity for {result.outcome} (each condition on the cases where it is known)",
             *necessity_lines(result), *necessity_sentences(result), ""]
    if len(result.solutions):
        lines += ["sufficiency: solutions (covU within the model)", *solution_lines(result)]
    lines += [f"note: {note}" for note in result.notes]
    while lines and not lines[-1]:
        lines.pop()
    return lines
