"""The targets-and-schedule rows of the access matrix (tests/web/test_access_matrix.py): the data they need and
the checks of granted answers. Office holders' names are personal data: they may appear only on the terms page
and the terms workbook, to users with the ``terms`` capability, and only for counties in the user's area."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from dudao.orgunits.models import OrgUnit
from dudao.planning.models import Term

COUNTY_A, COUNTY_B = "210521", "211321"
CLERK_SCHOOL = "2121000001"
PERSON = {COUNTY_A: "矩阵县长甲", COUNTY_B: "矩阵县长乙"}
PRINCIPAL = "矩阵校长丙"
NEW_PERSON = "矩阵新任丁"


def build() -> None:
    """A county head for counties A and B, a principal for the clerk's school."""
    for code, name in PERSON.items():
        Term.objects.create(county=OrgUnit.objects.get(code=code), post="county_head", person=name,
                            start=dt.date(2021, 6, 1), end=dt.date(2026, 5, 31), actor="setup")
    Term.objects.create(county=OrgUnit.objects.get(code=COUNTY_A), school_code=CLERK_SCHOOL, post="principal",
                        person=PRINCIPAL, start=dt.date(2022, 9, 1), end=dt.date(2026, 8, 31), actor="setup")


def _text(r: Any) -> str:
    if r.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        content = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return r.content.decode("utf-8", "replace")


def no_names(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    """Targets and schedule (pages and export) never show a person's name, to anyone."""
    text = _text(r)
    assert not [n for n in (*PERSON.values(), PRINCIPAL) if n in text], "a personal name on a planning page"
    if exp.grants and target == COUNTY_A and "/schedule/" in r.request["PATH_INFO"]:
        assert "尚无督导评估记录" in text  # the county's due line is there (page and export), without the name


def terms_page(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    """Names only of counties in the user's area (and of the county picked, when one is)."""
    text = _text(r)
    if not exp.grants:
        assert not [n for n in (*PERSON.values(), PRINCIPAL) if n in text]
        return
    picked_b = COUNTY_B in target and who.region(COUNTY_B)
    assert (PERSON[COUNTY_A] in text) == (who.region(COUNTY_A) and not picked_b)
    assert (PERSON[COUNTY_B] in text) == who.region(COUNTY_B)


def form(county: str) -> dict[str, str]:
    return {"county": county, "post": "party_secretary", "person": NEW_PERSON, "start": "2021-01-01",
            "end": "2025-12-31"}


def term_added(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    stored = Term.objects.filter(person=NEW_PERSON, county__code=target).exists()
    assert stored == exp.grants, "stored although refused" if stored else "not stored"
