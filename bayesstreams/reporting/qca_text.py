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


# ------------------------------------------------------------------ the posterior QCA (issue 27)


def _interval(row: dict, measure: str) -> str:
    return f"{_num(row[f'{measure}_mean'])} [{_num(row[f'{measure}_q05'])}, {_num(row[f'{measure}_q95'])}]"


def _pct(value) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def reading_sentence(reading: dict) -> str:
    """Where the model and the set-theoretic reading part, in plain words (English; the report has its own)."""
    key = reading["key"]
    if key in ("necessity_untested", "necessity_tested"):
        text = (f"{reading['condition']} is necessary for {reading['outcome']} in all observed cases "
                f"({int(reading['n_outcome'])} of {int(reading['n_outcome'])}; in the posterior P(inclN = 1) = "
                f"{_pct(reading['p_all_cases'])}). ")
        if key == "necessity_untested":
            text += (f"But no case could have refuted it: a case refutes it only by opening {reading['outcome']} "
                     f"without {reading['condition']}, which needs its phase-2 streams all in motion, and of the "
                     f"{reading['n_closed']:.0f} cases without {reading['condition']} the expected number with all "
                     f"phase-2 streams in motion is {reading['could_refute_mean']:.2f}. The table has no row that "
                     f"could tell, so the model's phase dependency rho stays where the prior put it")
        else:
            text += (f"{reading['could_refute_mean']:.2f} cases without {reading['condition']} had (in expectation) "
                     f"all phase-2 streams in motion and could have refuted it; the model's phase dependency rho "
                     f"weighs them")
        text += f" (rho {_num(reading['rho_mean'])} [{_num(reading['rho_q05'])}, {_num(reading['rho_q95'])}]"
        if "rho_prior_mean" in reading:
            text += (f"; prior {_num(reading['rho_prior_mean'])} [{_num(reading['rho_prior_q05'])}, "
                     f"{_num(reading['rho_prior_q95'])}]")
        return text + "; rho = 0 means no phase 2 without phase 1)."
    if key == "dropped_cases":
        return (f"the classical table leaves out {reading['n']} case(s) with unknown cells ({reading['cases']}); "
                f"the posterior keeps every case, drawing what is unknown")
    if key == "necessity_turns":
        return (f"{reading['condition']}: classically inclN {_num(reading['classical'])} "
                f"({'passes' if reading['classical'] >= reading['cut'] else 'fails'} {reading['cut']:g}), but "
                f"P(inclN >= {reading['cut']:g}) = {_pct(reading['p'])}: the unknown cells can turn it")
    if key == "term_turns":
        return (f"{reading['term']}: classically inclS {_num(reading['classical'])} "
                f"({'passes' if reading['classical'] >= reading['cut'] else 'fails'} {reading['cut']:g}), but "
                f"P(inclS >= {reading['cut']:g}) = {_pct(reading['p'])}: the unknown cells can turn it")
    if key == "solution_unstable":
        return (f"the classical {reading['solution']} solution {reading['expression']} holds in only "
                f"{_pct(reading['p'])} of the posterior draws")
    raise KeyError(key)


def posterior_lines(post) -> list[str]:
    """The posterior QCA of one outcome: truth table, necessity, terms and solutions with intervals, and the readings."""
    conditions = list(post.conditions)
    evidence = post.settings["evidence"]
    lines = [f"posterior QCA of {post.outcome}: {post.settings['n_draws']} posterior draws, not-discussed cells drawn "
             f"under the run's mode ({evidence['not_discussed']}"
             f"{', coded streams may be wrong' if evidence['stream_error'] else ''}), unknown stream states and "
             "windows drawn likewise; every case takes part; mean [90% interval]",
             "", "truth table (P in solution: the row is positive, OUT = 1)"]
    header = ["row", *conditions, "classical", "P observed", "cases", "incl", "P in solution"]
    rows = [[str(r["row"]), *(str(r[c]) for c in conditions),
             f"{r['classical_OUT']} ({r['classical_n']})", _pct(r["p_observed"]), f"{r['n_mean']:.2f}",
             f"{_num(r['incl_mean'])} [{_num(r['incl_q05'])}, {_num(r['incl_q95'])}]", _pct(r["p_in_solution"])]
            for r in post.truth_table.to_dict("records")]
    width = len(conditions)
    lines += _table(header, rows, {0, width + 2, width + 3, width + 5})
    cut = post.settings["nec_cut"]
    lines += ["", f"necessity (P necessary: inclN >= {cut:g})"]
    header = ["condition", "classical inclN", "inclN", "RoN", "covN", f"P necessary"]
    rows = [[r["condition"], _num(r["classical_inclN"]), _interval(r, "inclN"), _interval(r, "RoN"),
             _interval(r, "covN"), _pct(r["p_necessary"])] for r in post.necessity.to_dict("records")]
    lines += _table(header, rows, {1, 5})
    if len(post.terms):
        incl = post.settings["incl_cut"][0]
        lines += ["", f"terms of the classical solutions (P pass: inclS >= {incl:g}; P in solution: a prime "
                      "implicant of the draw's own solution)"]
        header = ["solution", "term", "classical inclS", "inclS", "covS", "P pass", "P in solution"]
        rows = [[f"{r['solution']} {r['model']}", r["term"], _num(r["classical_inclS"]), _interval(r, "inclS"),
                 _interval(r, "covS"), _pct(r["p_pass"]), _pct(r["p_in_solution"])] for r in post.terms.to_dict("records")]
        lines += _table(header, rows, {2, 5, 6})
    lines += ["", "solutions of the draws' truth tables"]
    rows = [[r["solution"], r["expression"], _pct(r["probability"]), "classical" if r["classical"] else ""]
            for r in post.solutions.to_dict("records")]
    lines += _table(["solution", "expression", "P", ""], rows, {2})
    if post.readings:
        lines += ["", "where the model and the set-theoretic reading part"]
        lines += [f"* {reading_sentence(r)}" for r in post.readings]
    return lines
