"""A small coded study as QDA material: two municipalities, three interviews, nested codes.

The expected dataset is written out by hand below (``EXPECTED_X`` and friends), from the
codings listed here, so an importer that is wrong cannot agree with it by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .conftest import BASE_FACTORS, codebook_toml
from .qda_builders import Spec, Src, build_qdpx

NAN = float("nan")
INSIGHT = "Fase 1/Probleemstroom/Inzicht"
CODES = [f"{INSIGHT}/+", f"{INSIGHT}/-", f"{INSIGHT}/0",
         "Fase 1/Beleidsstroom/Lokale waarden/+", "Fase 1/Beleidsstroom/Lokale waarden/-",
         "Fase 1/Politieke stroom/Politieke betrokkenheid/+",
         "Fase 2/Beleidsstroom/Samenwerking/+",
         "Fase 2/Politieke stroom/Regio/+", "Fase 2/Politieke stroom/Regio/-",
         "Stromen/Fase 1/Probleemstroom in beweging", "Stromen/Fase 1/Probleemstroom stil",
         "Vensters/Fase 1/open", "Vensters/Fase 1/dicht", "Vensters/Fase 2/open", "Vensters/Fase 2/dicht",
         "Overig/Opvallend", "Memo's"]

A1 = ("Wij hebben sinds 2019 een goed beeld van de aard en omvang van uitbuiting in de stad.\n"
      "Met de regio trekken we samen op, dat werkt goed.\n"
      "Het college heeft mensenhandel in 2019 op de agenda gezet.\n"
      "Opvallend: de koffie was slecht.")
A2 = ("Eerlijk gezegd weten we niet hoe groot het probleem is.\n"
      "Het past bij wie we zijn als stad: dit willen we hier niet.\n"
      "Er is veel aandacht voor cijfers en signalen.\n"
      "Het is nu geborgd in het collegeprogramma.")
LONG = ("De samenwerking in de regio stokt omdat iedere gemeente haar eigen koers vaart, "
        "er geen gezamenlijk budget is, de zorgpartners per gemeente verschillen en niemand de regie neemt "
        "over de aanpak van uitbuiting in de hele regio.")
B1 = ("Inzicht speelt hier eigenlijk geen rol.\n"
      "Het zorg- en veiligheidshuis werkt structureel samen met de politie.\n"
      "De raad stelt er regelmatig vragen over.\n"
      f"{LONG}\n"
      "Het onderwerp kwam niet op de agenda, en geborgd is er niets.")


def spec(flavour: str) -> Spec:
    """The study as one program would hold it: NVivo with cases, MAXQDA with document groups (sets), ATLAS.ti
    with a document variable."""
    a1 = Src("Interview A1", A1, [
        (A1.split("\n")[0], f"{INSIGHT}/+"), ("Met de regio trekken we samen op", "Fase 2/Politieke stroom/Regio/+"),
        ("Het college heeft mensenhandel in 2019 op de agenda gezet.", "Vensters/Fase 1/open"),
        ("de koffie was slecht", "Overig/Opvallend")])
    a2 = Src("Interview A2", A2, [
        ("weten we niet hoe groot het probleem is", f"{INSIGHT}/-"),
        ("dit willen we hier niet", "Fase 1/Beleidsstroom/Lokale waarden/+"),
        ("Er is veel aandacht voor cijfers en signalen.", "Stromen/Fase 1/Probleemstroom in beweging"),
        ("Het is nu geborgd in het collegeprogramma.", "Vensters/Fase 2/open")], pdf=flavour == "nvivo")
    b1 = Src("Interview B1", B1, [
        ("Inzicht speelt hier eigenlijk geen rol.", f"{INSIGHT}/0"),
        ("werkt structureel samen met de politie", "Fase 2/Beleidsstroom/Samenwerking/+"),
        ("De raad stelt er regelmatig vragen over.", "Fase 1/Politieke stroom/Politieke betrokkenheid/+"),
        (LONG, "Fase 2/Politieke stroom/Regio/-")],
        whole=["Vensters/Fase 1/dicht", "Vensters/Fase 2/dicht"])
    if flavour == "nvivo":
        cases = {"Gemeente Noord": (["Interview A1", "Interview A2"], {"Inwoners": "50.000 – 100.000"}),
                 "Gemeente Zuid": (["Interview B1"], {"Inwoners": "200.000 +"})}
        return Spec(CODES, [a1, a2, b1], cases)
    for src, case in ((a1, "Gemeente Noord"), (a2, "Gemeente Noord"), (b1, "Gemeente Zuid")):
        src.variables = {"Gemeente": case, "Functie": "ambtenaar"}
    sets = {"Gemeente Noord": ["Interview A1", "Interview A2"], "Gemeente Zuid": ["Interview B1"]}
    return Spec(CODES, [a1, a2, b1], sets=sets if flavour == "maxqda" else {})


FACTOR_LINES = f'''
"{INSIGHT}/+" = {{ factor = "p1_insight", code = 1 }}
"{INSIGHT}/-" = {{ factor = "p1_insight", code = -1 }}
"{INSIGHT}/0" = {{ factor = "p1_insight", code = 0 }}
"Fase 1/Beleidsstroom/Lokale waarden/+" = {{ factor = "p1_congruence_values", code = 1 }}
"Fase 1/Beleidsstroom/Lokale waarden/-" = {{ factor = "p1_congruence_values", code = -1 }}
"Fase 1/Politieke stroom/Politieke betrokkenheid/+" = {{ factor = "p1_political_involvement", code = 1 }}
"Fase 2/Beleidsstroom/Samenwerking/+" = {{ factor = "p2_structural_collaboration", code = 1 }}
"Fase 2/Politieke stroom/Regio/+" = {{ factor = "p2_region_orientation", code = 1 }}
"Fase 2/Politieke stroom/Regio/-" = {{ factor = "p2_region_orientation", code = -1 }}
"Stromen/Fase 1/Probleemstroom in beweging" = {{ phase = 1, stream = "problem", in_motion = 1 }}
"Stromen/Fase 1/Probleemstroom stil" = {{ phase = 1, stream = "problem", in_motion = 0 }}
"Vensters/Fase 1/open" = {{ phase = 1, window = 1 }}
"Vensters/Fase 1/dicht" = {{ phase = 1, window = 0 }}
"Vensters/Fase 2/open" = {{ phase = 2, window = 1 }}
"Vensters/Fase 2/dicht" = {{ phase = 2, window = 0 }}
'''


def mapping_text(flavour: str, extra_codes: str = "") -> str:
    cases = {"nvivo": 'from = "cases"', "maxqda": 'from = "sets"'}.get(flavour, 'from = "variable"\nvariable = "Gemeente"')
    return (f'codebook = "codebook.toml"\n\n[cases]\n{cases}\n\n[cases.ids]\n"Gemeente Noord" = "noord"\n'
            f'"Gemeente Zuid" = "zuid"\n\n[codes]{FACTOR_LINES}{extra_codes}\n[ignore]\ncodes = ["Memo\'s"]\n')


def write_study(folder: Path, flavour: str) -> tuple[Path, Path]:
    """The .qdpx and its mapping (with codebook.toml beside it) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebook.toml").write_text(codebook_toml(BASE_FACTORS), encoding="utf-8")
    (folder / "map.toml").write_text(mapping_text(flavour), encoding="utf-8")
    return build_qdpx(folder / f"{flavour}.qdpx", spec(flavour), flavour), folder / "map.toml"


# factor order of BASE_FACTORS: insight, congruence_values, political_involvement, structural_collaboration,
# region_orientation.  Noord: insight +1 (A1) and -1 (A2) -> consensus 0.
EXPECTED_X = np.array([[0, 1, NAN, NAN, 1],
                       [0, NAN, 1, 1, -1]], dtype=float)
EXPECTED_W = np.array([[1, 1], [0, 0]], dtype=float)
EXPECTED_STREAMS = [("noord", 1, "problem", 1)]
# (case, factor, respondent, code) of every coded row
EXPECTED_ROWS = sorted([
    ("noord", "p1_insight", "Interview A1", 1.0), ("noord", "p1_insight", "Interview A2", -1.0),
    ("noord", "p1_congruence_values", "Interview A2", 1.0), ("noord", "p2_region_orientation", "Interview A1", 1.0),
    ("zuid", "p1_insight", "Interview B1", 0.0), ("zuid", "p1_political_involvement", "Interview B1", 1.0),
    ("zuid", "p2_structural_collaboration", "Interview B1", 1.0), ("zuid", "p2_region_orientation", "Interview B1", -1.0),
])
