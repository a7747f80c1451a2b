"""The school-places rows of the access matrix (tests/web/test_access_matrix.py): data and expectations."""

from __future__ import annotations

from typing import Any

COUNTIES = ("210521", "211321", "130102")  # county A, county B, the Hebei county of the matrix
REPORT_TARGETS = ("210521/xlsx", "211321/pdf", "130102/xlsx", "210000/xlsx", "210521/doc")


def build() -> None:
    """Synthetic births, enrolment by grade, classrooms and sites for every school of the matrix world."""
    from dudao.places.demo import load_demo

    load_demo(seed=1)


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
