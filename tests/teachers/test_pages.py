"""Teacher pages and API for a county bureau: staffing, shortages, eligibility, a plan made, shown, exported."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.test import Client, override_settings

from dudao.accounts.models import ApiToken
from dudao.accounts.services import create_user
from dudao.teachers.models import RotationPlan, Teacher

from .conftest import YEAR

pytestmark = pytest.mark.django_db
FAST = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture
def county_user(roster):
    _data, _td, counties = roster
    county = max(counties, key=lambda c: Teacher.objects.filter(county__code=c).count())
    other = next(c for c in counties if c != county)
    with FAST:
        user = create_user("xian_t", "county_bureau", "Secret-pass-123", county)
    client = Client()
    client.force_login(user)
    return client, user, county, other


def test_pages_for_a_county_bureau(county_user):
    client, _user, county, other = county_user
    home = client.get(f"/teachers/?year={YEAR}").content.decode()
    assert county in home and other not in home and "交流比例" in home
    page = client.get(f"/teachers/county/{county}/?year={YEAR}").content.decode()
    assert 'id="staffing"' in page and "学科缺口" in page and "生师比" in page
    elig = client.get(f"/teachers/county/{county}/eligible/?year={YEAR}&show=all").content.decode()
    teacher = Teacher.objects.filter(county__code=county).first()
    assert teacher.id_masked in elig and "任职" in elig
    from dudao.teachers.crypto import decrypt

    assert decrypt(teacher.id_encrypted) not in elig  # only the masked number is shown
    assert client.get(f"/teachers/county/{other}/?year={YEAR}").status_code == 403
    r = client.post(f"/teachers/county/{county}/plans/", {"year": str(YEAR), "time_limit": "5", "stay": str(teacher.pk)})
    plan = RotationPlan.objects.get(county__code=county)
    assert r.status_code == 302 and r["Location"] == f"/teachers/plans/{plan.pk}/"
    body = client.get(r["Location"]).content.decode()
    assert "差异系数" in body and "已证明的最优性差距" in body
    assert all(mv["teacher"] != str(teacher.pk) for mv in plan.result["moves"])
    x = client.get(f"/teachers/plans/{plan.pk}.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert "交流方案" in wb.sheetnames


def test_bad_pin_is_a_message_not_a_crash(county_user):
    client, _user, county, _other = county_user
    r = client.post(f"/teachers/county/{county}/plans/", {"year": str(YEAR), "move": "99999999"}, follow=True)
    assert r.status_code == 200 and "E_ROT_PIN" not in r.content.decode() and "不在本县" in r.content.decode()
    assert not RotationPlan.objects.exists()


def test_api(county_user):
    _client, user, county, other = county_user
    token = ApiToken.issue(user, "t")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    s = api.get(f"/api/teachers/counties/{county}/staffing?year={YEAR}").json()
    assert s["summary"]["county_code"] == county and s["schools"] and s["mismatches"] == []
    e = api.get(f"/api/teachers/counties/{county}/eligibility?year={YEAR}").json()
    assert e["teachers"] and all(t["must_rotate"] for t in e["teachers"]) and "id_number" not in e["teachers"][0]
    assert [i["county"] for i in api.get(f"/api/teachers/indicators?year={YEAR}").json()] == [county]
    assert api.get(f"/api/teachers/counties/{other}/staffing?year={YEAR}").status_code == 404
    p = api.post("/api/teachers/plans", json.dumps({"county": county, "year": YEAR, "time_limit": 3}),
                 content_type="application/json")
    assert p.status_code == 201 and p.json()["violations"] == []
    assert api.get(f"/api/teachers/plans/{p.json()['id']}").json()["county"] == county
    bad = api.post("/api/teachers/plans", json.dumps({"county": other, "year": YEAR}), content_type="application/json")
    assert bad.status_code == 403


def test_roster_upload_refused_with_locations(county_user, tmp_path):
    from dudao.teachers.rules import load_teacher_rules
    from dudao.teachers.workbook import write_teachers_csv

    client, _user, county, _other = county_user
    teacher = Teacher.objects.filter(county__code=county).first()
    row = {"id_number": "210521198501011230", "name": "新教师", "school_code": teacher.school.code, "section": "primary",
           "subject": "math", "qualification": "本科", "title": "first", "key_level": "none", "certified": True,
           "birth_year": 1850, "sex": "F", "post": "teacher"}
    path = write_teachers_csv(tmp_path / "bad.csv", load_teacher_rules(), [row])
    before = Teacher.objects.count()
    with path.open("rb") as fh:
        body = client.post("/teachers/upload/", {"year": str(YEAR), "file": fh}).content.decode()
    assert 'data-outcome="refused"' in body and "E_RANGE" in body and Teacher.objects.count() == before
