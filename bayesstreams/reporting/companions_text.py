"""Which companion runs a study lacks, and what that changes, as sentences in English or Dutch.

Every output of a study (report, brief, score, what-if page, compare-cases, analyze) says
which companion is missing instead of silently giving another verdict (MODEL.md §8, §10).
"""

from __future__ import annotations

from bayesstreams.inference.study import AGNOSTIC, MODE_PREFIX, NOSTREAMS, STREAMERROR, WIDE
from bayesstreams.reporting.i18n import translator


def missing_rows(study) -> list[dict]:
    """``[{"role", "why"}]`` for every expected companion the study does not hold (the agnostic refit is optional)."""
    return [{"role": role, "why": why} for role, why in study.missing.items() if role != AGNOSTIC]


def missing_lines(study, lang: str = "en") -> list[str]:
    """One sentence per missing companion: what it is, why it is missing, what the output does without it.

    Examples
    --------
    >>> missing_lines(Study.of(run))[0]
    'Missing companion: the wide-prior refit (not fitted); prior dependence is measured by power-scaling alone.'
    """
    t = translator(lang)
    lines = []
    for row in missing_rows(study):
        role = row["role"]
        if role == WIDE:
            what, effect = t("companion_wide"), t("companion_missing_wide")
        elif role in (NOSTREAMS, STREAMERROR):
            what, effect = t(f"companion_{role}"), t("companion_missing_sources")
        else:
            what = t("companion_mode").format(mode=t(f"mode_name_{role[len(MODE_PREFIX):]}"))
            effect = t("companion_missing_mode")
        lines.append(t("companion_missing").format(what=what, why=_why(row["why"], t), effect=effect))
    return lines


def _why(why: str, t) -> str:
    """The study's reason in the output's language (a refusal's own text stays as the error said it)."""
    if why == "not fitted":
        return t("companion_not_fitted")
    if why == "not looked for":
        return t("companion_not_looked")
    if why.endswith(" is not there"):
        return t("companion_not_beside")  # no path: it would carry folder names into the other language
    return why
