"""The demo's student aid data: a synthetic roster, department lists and payments (with planted errors) for the
schools of two counties of the demo province, checked and stored like a county bureau would."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_demo(year: int, actor: str, data_dir: Path, counties: tuple[str, ...] = ("210102", "210521")) -> dict[str, Any]:
    """Stores the aid check of the autumn term of ``year`` for each county that has schools in that year."""
    from dudao.aid.services import check_county
    from dudao.schools.models import SchoolYear
    from dudao.synth.students import generate_students, write_students

    term = f"{year}-autumn"
    out: dict[str, Any] = {"term": term, "counties": 0, "students": 0, "findings": 0}
    for i, county in enumerate(counties):
        schools = dict(SchoolYear.objects.filter(year=year, county__code=county, status="operating")
                       .values_list("school__code", "name")) or dict(
            SchoolYear.objects.filter(year=year, county__code=county).values_list("school__code", "name"))
        if not schools:
            continue
        codes = sorted(schools)[:12]
        data = generate_students(county, term, students=250 * len(codes), seed=20 + i, school_codes=codes)
        data.roster["学校名称"] = data.roster["学校标识码"].map(schools)
        paths = write_students(data, data_dir / "aid" / county, "csv")
        run, _ = check_county(county, term, [paths["roster"]], [paths[f"list_{k}"] for k in ("civil", "rural", "disability")],
                              [paths["payments"]], actor=actor)
        out["counties"] += 1
        out["students"] += run.students
        out["findings"] += sum(t["unpaid"] + t["not_eligible"] + t["twice"] + t["amount"] for t in run.totals)
    return out
