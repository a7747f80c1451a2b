"""The value-added JSON API against the stored (frozen) run: same figures, school-code order, scope as pages."""

from __future__ import annotations

import pytest

from dudao.accounts.services import create_user
from dudao.quality.models import SchoolValueAdded
from dudao.quality.scores_io import check_frame, value_added
from dudao.quality.services import save_run
from tests.factories import COUNTY_A, COUNTY_B
from tests.quality.conftest import YEAR, va_scores

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-pass-123"


def _login(client, username, role, unit="", school=""):
    client.force_login(create_user(username, role, PASSWORD, unit, school))


def test_county_json_is_the_stored_run(client, stored_run):
    run, _ = stored_run
    _login(client, "pa", "province_admin", "210000")
    r = client.get(f"/api/quality/value-added/{COUNTY_A}")
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    assert body["code"] == COUNTY_A and len(body["runs"]) == 1
    got = body["runs"][0]
    assert (got["run"], got["year"], got["subject"], got["label"], got["latest"]) == (run.pk, YEAR, "数学", "测试", True)
    prov = got["provenance"]
    assert (prov["model_id"], prov["inputs_hash"], prov["code_version"], prov["engine"]) == (
        run.model_id, run.inputs_hash, run.code_version, run.engine)
    assert prov["params"] == run.params and prov["model"]["regressors"] == run.model["regressors"]
    stored = list(SchoolValueAdded.objects.filter(run=run, county_code=COUNTY_A).order_by("school_code"))
    assert [s["code"] for s in got["schools"]] == [s.school_code for s in stored] and len(stored) == 7
    for s, row in zip(got["schools"], stored, strict=True):
        assert (s["name"], s["matched"], s["students"], s["band"], s["reason"], s["reason_en"]) == (
            row.school_name, row.matched, row.students, row.band, row.reason_zh, row.reason_en)
        for key, field in (("estimate", "estimate"), ("lower", "lower"), ("upper", "upper"), ("se", "se")):
            assert s[key] == pytest.approx(getattr(row, field)) if getattr(row, field) is not None else s[key] is None
    refused = [s for s in got["schools"] if s["band"] == "refused"]
    assert [s["code"] for s in refused] == ["2121000005"] and refused[0]["estimate"] is None
    assert "20" in refused[0]["reason"] and refused[0]["reason_en"]
    assert sum(got["counts"].values()) == 7 and got["counts"]["refused"] == 1


def test_newer_run_filters_and_school_results(client, stored_run):
    run, _ = stored_run
    newer = save_run(value_added(check_frame(va_scores(seed=2).students, "b.parquet", 1)), YEAR, "t", subject="数学")
    chinese = save_run(value_added(check_frame(va_scores(seed=3).students, "c.parquet", 1)), YEAR, "t", subject="语文")
    _login(client, "ca", "county_bureau", COUNTY_A)
    runs = client.get(f"/api/quality/value-added/{COUNTY_A}").json()["runs"]
    assert [(x["run"], x["latest"]) for x in runs] == [(newer.pk, True), (run.pk, False), (chinese.pk, True)]
    only = client.get(f"/api/quality/value-added/{COUNTY_A}?subject=语文").json()["runs"]
    assert [x["run"] for x in only] == [chinese.pk]
    assert client.get(f"/api/quality/value-added/{COUNTY_A}?year=2023").json()["runs"] == []
    school = client.get("/api/quality/value-added/school/2121000001").json()
    assert [(e["year"], e["subject"], e["run"]) for e in school["results"]] == [(YEAR, "数学", newer.pk),
                                                                                (YEAR, "语文", chinese.pk)]
    row = SchoolValueAdded.objects.get(run=newer, school_code="2121000001")
    assert school["results"][0]["result"]["estimate"] == pytest.approx(row.estimate)


def test_scope_is_that_of_the_pages(client, stored_run):
    assert client.get(f"/api/quality/value-added/{COUNTY_A}").status_code == 401
    _login(client, "cb", "county_bureau", COUNTY_B)
    r = client.get(f"/api/quality/value-added/{COUNTY_A}")
    assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"
    assert client.get("/api/quality/value-added/school/2121000001").status_code == 404
    assert client.get("/api/quality/value-added/211300").status_code == 404  # a prefecture, not a county
    _login(client, "clerk", "school_clerk", COUNTY_A, "2121000005")
    assert client.get(f"/api/quality/value-added/{COUNTY_A}").status_code == 404
    mine = client.get("/api/quality/value-added/school/2121000005").json()["results"]
    assert [e["result"]["band"] for e in mine] == ["refused"]
