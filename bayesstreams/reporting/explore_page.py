"""The what-if page: one self-contained HTML file that scores a profile of factor codes in the browser.

The page holds everything it needs: inline CSS, inline JavaScript and the data of
:func:`bayesstreams.analysis.explore_data.explore_payload` (thinned posterior draws, codebook,
reference cases) plus the words of both languages, in one ``<script type="application/json">``
block.  It loads nothing (a Content-Security-Policy of ``default-src 'none'`` says so to the
browser), so it works offline from a file share.  The JSON is written with ``<``, ``>``, ``&``
and U+2028/U+2029 as ``\\u`` escapes, so no text of the data can end the block, and the script
puts every name into the page with ``textContent``.

The script (``templates/explore.js``) computes what
:func:`bayesstreams.analysis.explore_data.what_if` computes in Python, in float64: the case advice
of the start (a reference case given what is known of it, or a new one), before and after the
changes made on the page, and the steps toward the next window (*now -> with this step*); a
browser test holds the two equal to 1e-9.  The page is written for an official: plain words, the
results beside the factors (sticky, in view while codes change), phase 1 before phase 2, one list
of steps, and one polite live region that says only what changed; the technical notes and the
profile CSV sit in a closed section for analysts.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from bayesstreams.analysis.explore_data import DEFAULT_DRAWS, explore_payload
from bayesstreams.atomic import atomic_write_text, refuse_existing
from bayesstreams.errors import InputError, Violation
from bayesstreams.reporting.i18n import LANGUAGES, check_language, table, translator

TEMPLATES = Path(__file__).with_name("templates")
# the translation keys the page shows (besides those of explore_* below)
SHARED_KEYS = ("label_group", "score_note_causal", "score_note_prior", "score_check_wide", "score_check_power",
               "score_check_contraction", "brief_interval", "action_generated", "voice_goal_1", "voice_goal_2",
               "voice_card_1", "voice_card_2", "voice_chance", "voice_head_next", "voice_head_find_out",
               "voice_both_open", "voice_caution",
               *(f"voice_known_{p}_{state}" for p in (1, 2) for state in ("open", "closed")))
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&``, U+2028/9 escaped."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def page_words(study: dict | None = None) -> dict:
    """The page's words in every language: ``{lang: {key: text}}`` (the ``explore_*`` keys and :data:`SHARED_KEYS`).

    ``study`` (``{lang: codebook.study_words(lang)}``) puts the study's own words in ("gemeenten", "interviews").
    """
    out = {}
    for lang in LANGUAGES:
        t = translator(lang, (study or {}).get(lang))
        out[lang] = {key: t(key) for key in table(lang) if key.startswith("explore_") or key in SHARED_KEYS}
    return out


def render_explore(payload: dict, lang: str = "nl") -> str:
    """The page's HTML for a payload of :func:`~bayesstreams.analysis.explore_data.explore_payload`."""
    lang = check_language(lang)
    words = page_words(payload.get("study_words"))
    data = {**payload, "lang": lang, "text": words}
    template = (TEMPLATES / "explore.html").read_text(encoding="utf-8")
    parts = {"@@LANG@@": lang, "@@TITLE@@": html.escape(words[lang]["explore_title"]),
             "@@CSS@@": (TEMPLATES / "explore.css").read_text(encoding="utf-8"),
             "@@JS@@": (TEMPLATES / "explore.js").read_text(encoding="utf-8"), "@@PAYLOAD@@": script_json(data)}
    for marker in ("@@LANG@@", "@@TITLE@@", "@@CSS@@", "@@JS@@"):  # the payload last: its text is never scanned
        template = template.replace(marker, parts[marker])
    head, tail = template.split("@@PAYLOAD@@")
    return head + parts["@@PAYLOAD@@"] + tail


def write_explore(study, out, lang: str = "nl", draws: int = DEFAULT_DRAWS, force: bool = False) -> Path:
    """Write the what-if page of a run: one self-contained HTML file (see module docs).

    Parameters
    ----------
    study
        A :class:`~bayesstreams.inference.study.Study` (``bs.load_study(folder)``); its wide-prior
        refit, when it holds one, gives the prior-driven flags of the reference cases and the
        empty profile together with power-scaling.
    out
        The ``.html`` file to write.
    lang
        ``"nl"`` (default) or ``"en"``: the language the page opens in (a button switches).
    draws
        How many posterior draws the page computes with, evenly thinned within each chain
        (:func:`~bayesstreams.analysis.explore_data.thin_indices`); all when the run has fewer.
    force
        Replace an existing ``out`` (without it an existing file is refused).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        ``out`` is not ``.html``/``.htm``, exists (without ``force``) or cannot be written;
        ``draws`` is below 1.

    Examples
    --------
    >>> page = write_explore(study, tmp / "what-if.html", lang="nl", draws=100)
    >>> text = page.read_text(encoding="utf-8")
    >>> '<html lang="nl">' in text, "https://" in text, "http://" in text
    (True, False, False)
    """
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(Violation(str(out), None, "--out", "the what-if page is written as .html"))
    if int(draws) < 1:
        raise InputError(Violation(str(out), None, "--draws", f"keep at least 1 draw (got {draws})"))
    check_language(lang)
    refuse_existing(out, force)  # before the work, and again at the rename
    page = render_explore(explore_payload(study.run, int(draws), check_run=study.wide), lang)
    atomic_write_text(out, page, replace=force)
    return out
