"""What would identify the phase dependency ``rho``, in words (the report's dependency section and ``bayesstreams dependency``).

The numbers are :mod:`bayesstreams.analysis.identification`'s (as ``to_dict`` data); this module
only words them, in the report's language and the study's own words for its cases.
"""

from __future__ import annotations

from bayesstreams.analysis.identification import MAX_NEW
from bayesstreams.reporting.numbers import fixed, pct, sig


def identification_lines(found: dict | None, needed: dict | None, t, lang: str) -> list[str]:
    """The sentences: which case would identify ``rho``, what one such case would do, how many it would take.

    ``found`` is ``rho_identification(run).to_dict()`` (None: the run has no ``rho``), ``needed``
    ``cases_needed(run)``'s (None: not within its maximum, or no prior draws); ``t`` the study's translator.
    """
    if not found:
        return []
    num = lambda x: sig(x, lang)  # noqa: E731
    out = [t("ident_kind")]
    out.append(t("ident_in_data_none") if not found["in_data"] else
               t("ident_in_data").format(n=len(found["in_data"]), cases=", ".join(found["in_data"])))
    by_open = {o["n_open"]: o for o in found["outcomes"]}
    opened, closed = by_open.get(found["n_new"]), by_open.get(0)
    out.append(t("ident_one").format(
        p_open=pct(found["p_open"], lang), sd_now=num(found["sd_now"]), sd_after=num(found["expected_sd"]),
        mcse=num(found["expected_sd_mcse"]), w_now=num(found["width_now"]), w_after=num(found["expected_width"]),
        open_mean=num(opened["rho"]["mean"]), open_low=num(opened["rho"]["q05"]), open_high=num(opened["rho"]["q95"]),
        closed_mean=num(closed["rho"]["mean"]), closed_low=num(closed["rho"]["q05"]),
        closed_high=num(closed["rho"]["q95"]), p_change=pct(found["p_verdict_changes"], lang)))
    if found["sd_limit"] is not None:
        out.append(t("ident_needed").format(n=needed["n_new"], sd=num(needed["expected_sd"]),
                                            limit=num(needed["sd_limit"])) if needed else
                   t("ident_needed_none").format(max=MAX_NEW, limit=num(found["sd_limit"])))
    out.append(t("ident_method").format(khat=khat_text(found["max_khat"], t, lang)))
    if not found["reliable"] or (needed and not needed["reliable"]):
        ks = [found["max_khat"]] + ([needed["max_khat"]] if needed else [])
        out.append(t("ident_unreliable_no_tail") if None in ks else
                   t("ident_unreliable").format(khat=fixed(max(ks), 2, lang)))
    return out


def khat_text(khat: float | None, t, lang: str) -> str:
    """A Pareto k in words: two decimals, or "none (no tail fitted)" where no tail could be fitted (k None)."""
    return t("khat_none") if khat is None else fixed(khat, 2, lang)


def dependency_lines(found: dict, needed: dict | None, table: dict, t, lang: str, prior_driven: bool) -> list[str]:
    """What ``bayesstreams dependency`` prints: rho now, the sentences of :func:`identification_lines`, and
    the outcomes of ``table`` (``rho_identification(run, n_new).to_dict()``) one per line."""
    num = lambda x: sig(x, lang)  # noqa: E731
    now = found["rho_now"]
    out = [t("ident_cli_now").format(mean=num(now["mean"]), low=num(now["q05"]), high=num(now["q95"]),
                                     sd=num(found["sd_now"]),
                                     prior_sd="–" if found["prior_sd"] is None else num(found["prior_sd"]),
                                     flag=t("prior_driven") if prior_driven else t("not_flagged")), ""]
    out += identification_lines(found, needed, t, lang)
    out += ["", t("ident_cli_expected").format(n=table["n_new"], sd=num(table["expected_sd"]),
                                               mcse=num(table["expected_sd_mcse"]), width=num(table["expected_width"]),
                                               width_now=num(table["width_now"]), p_change=pct(table["p_verdict_changes"], lang))]
    for o in table["outcomes"]:
        out.append("  " + t("ident_cli_outcome").format(
            j=o["n_open"], n=table["n_new"], p=pct(o["probability"], lang), mean=num(o["rho"]["mean"]),
            low=num(o["rho"]["q05"]), high=num(o["rho"]["q95"]), sd=num(o["sd"]), khat=khat_text(o["khat"], t, lang),
            verdict=t("verdict_" + o["verdict"])))
    return out
