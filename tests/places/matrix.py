"""The school-places rows of the access matrix (tests/web/test_access_matrix.py): data and expectations."""

from __future__ import annotations

from typing import Any

COUNTIES = ("210521", "211321", "130102")  # county A, county B, the Hebei county of the matrix
REPORT_TARGETS = ("210521/xlsx", "211321/pdf", "130102/xlsx", "210000/xlsx", "210521/doc")


UPLOADS = {"A": "210521", "B": "211321"}  # a births sheet for one county
FILES: dict[str, Any] = {}
MARK_YEAR, MARK_BIRTHS = 2030, 777


def build(tmp: Any = None) -> None:
    """Synthetic births, enrolment by grade, classrooms and sites for every school of the matrix world,
    and one upload file per target (a births row of one county)."""
    import tempfile
    from pathlib import Path

    from dudao.places.demo import load_demo
    from dudao.places.workbook import write_workbook

    load_demo(seed=1)
    folder = Path(tmp) if tmp is not None else Path(tempfile.mkdtemp(prefix="places-matrix-"))
    for key, county in UPLOADS.items():
        FILES[key] = write_workbook(folder / f"places-{key}.xlsx", {"births": [
            {"county_code": county, "year": MARK_YEAR, "series": "huji", "births": MARK_BIRTHS}]})


def upload_request(req: Any) -> Any:
    def make(world: Any, target: str) -> Any:
        return req("POST", "/places/import/", upload=FILES[target], echo={UPLOADS[target]})

    return make


def upload(who: Any, target: str, expect: Any, denied: Any) -> Any:
    if not who.can("import"):
        return denied
    return expect((200,), granted=who.region(UPLOADS[target]))


def check_upload(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    from dudao.places.models import Births

    stored = Births.objects.filter(county__code=UPLOADS[target], year=MARK_YEAR, births=MARK_BIRTHS).exists()
    assert stored == exp.grants, "stored although refused" if stored else "not stored"
    if r.status_code == 200:
        body = r.content.decode()
        assert f'data-outcome="{"accepted" if exp.grants else "refused"}"' in body
        if not exp.grants:
            assert "E_PL_SCOPE" in body


def home(who: Any, ok: Any, denied: Any, redirect: Any) -> Any:
    return denied if who.school else redirect(f"/places/{who.unit}/")


def report(who: Any, target: str, ok: Any, denied: Any, missing: Any) -> Any:
    code, fmt = target.split("/")
    if fmt not in ("xlsx", "pdf"):
        return missing  # unknown format: 404 before any check
    if not (who.can("export") and who.region(code)):
        return denied
    return ok if code in COUNTIES else missing  # a province is not a county


def check_report(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    if exp.grants:
        fmt = target.split("/")[1]
        assert r.content.startswith(b"%PDF" if fmt == "pdf" else b"PK") and len(r.content) > 3000
        assert r["Content-Disposition"].startswith("attachment;")


def check_region(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    if exp.grants and target in COUNTIES:
        assert 'data-fig="fig-primary"' in r.content.decode(), "the county page shows no projection"


def check_api(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    if exp.grants:
        body = r.json()
        if target in COUNTIES:
            assert body["county"]["code"] == target and body["projection"]["medium"]
        else:
            assert all(who.region(c["code"]) for c in body["counties"])
