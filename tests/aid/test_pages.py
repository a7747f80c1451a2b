"""The aid pages: masked by default, unmasking only with the capability and always audited (who, whom,
when), exports watermarked and audited, the notice without categories, the confirm action, dashboards."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.test import Client, override_settings

from dudao.accounts.services import create_user
from dudao.aid import crypto
from dudao.aid.models import AidLine, AidNotice, AidPerson, AidProposal
from dudao.audit.models import AuditEvent
from tests.aid.conftest import COUNTY, TERM

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hashes")]
PASSWORD = "Secret-pass-123"


@pytest.fixture
def fast_hashes():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def client(username: str, role: str, unit: str, school: str = "") -> Client:
    c = Client()
    c.force_login(create_user(username, role, PASSWORD, unit, school))
    return c


@pytest.fixture
def school(stored):
    return AidLine.objects.filter(run=stored, eligible=True, programme__startswith="living").first().school_code


def test_school_page_masked_by_default_and_unmasking_audited(stored, school):
    bureau = client("bureau", "county_bureau", COUNTY)
    body = bureau.get(f"/aid/school/{school}/").content.decode()
    people = AidPerson.objects.filter(run=stored, school_code=school, on_roster=True)
    plain = [crypto.decrypt(p.id_enc) for p in people]
    assert not [i for i in plain if i in body]
    assert people[0].id_mask in body or any(p.id_mask in body for p in people)
    before = AuditEvent.objects.filter(action="view_personal", actor="bureau").count()
    body = bureau.get(f"/aid/school/{school}/?unmask=1&finding=ok").content.decode()
    assert any(i in body for i in plain)
    ev = AuditEvent.objects.filter(action="view_personal", actor="bureau").latest("pk")
    assert AuditEvent.objects.filter(action="view_personal", actor="bureau").count() == before + 1
    assert ev.object_unit == COUNTY and ev.detail["count"] >= 1 and all("*" in m for m in ev.detail["people"])


@pytest.mark.parametrize("role", ["province_inspector", "prefecture_inspector", "expert_inspector"])
def test_roles_without_the_capability_cannot_unmask(stored, school, role):
    unit = {"province_inspector": "210000", "prefecture_inspector": "210500", "expert_inspector": COUNTY}[role]
    c = client("viewer", role, unit)
    assert c.get(f"/aid/school/{school}/").status_code == 200
    r = c.get(f"/aid/school/{school}/?unmask=1")
    assert r.status_code == 403
    assert not AuditEvent.objects.filter(action="view_personal", actor="viewer").exists()
    assert AuditEvent.objects.filter(action="denied", actor="viewer").exists()
    assert c.get(f"/aid/export/{school}.xlsx?term={TERM}").status_code == 403


def test_clerk_sees_own_school_only(stored, school):
    other = AidLine.objects.filter(run=stored).exclude(school_code=school).first().school_code
    clerk = client("clerk", "school_clerk", COUNTY, school)
    assert clerk.get("/aid/").url == f"/aid/school/{school}/"
    assert clerk.get(f"/aid/school/{school}/?unmask=1").status_code == 200
    assert clerk.get(f"/aid/school/{other}/").status_code == 403
    assert clerk.get(f"/aid/region/{COUNTY}/").status_code == 403


def test_export_is_watermarked_and_audited(stored, school):
    bureau = client("bureau", "county_bureau", COUNTY)
    r = bureau.get(f"/aid/export/{COUNTY}.xlsx?term={TERM}&finding=unpaid")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    sheet = pd.read_excel(io.BytesIO(r.content), header=None, dtype=str, engine="openpyxl")
    assert "导出人：bureau" in sheet.iloc[1, 0]
    assert set(sheet.iloc[4:, 9]) == {"应助未助"}
    assert AuditEvent.objects.filter(action="export", actor="bureau", object_type="aid.lines").exists()


def test_region_dashboards(stored, school):
    prov = client("prov", "province_inspector", "210000")
    body = prov.get("/aid/region/210000/").content.decode()
    assert "本溪市" in body and "应助未助" in body  # the province lists prefectures
    assert "本溪满族自治县" in prov.get("/aid/region/210500/").content.decode()
    body = client("bureau", "county_bureau", COUNTY).get(f"/aid/region/{COUNTY}/").content.decode()
    assert school in body and "待确认的建议匹配" in body
    assert client("other", "county_bureau", "211321").get(f"/aid/region/{COUNTY}/").status_code == 403


def test_notice_page_and_period(stored, school):
    bureau = client("bureau", "county_bureau", COUNTY)
    body = bureau.get(f"/aid/school/{school}/notice/").content.decode()
    for c in ("最低生活保障", "脱贫家庭", "孤儿", "特困"):
        assert c not in body
    assert "公示" in body
    r = bureau.post(f"/aid/school/{school}/notice/", {"term": TERM, "starts": "2024-03-10", "ends": "2024-03-11"})
    assert r.status_code == 400 and not AidNotice.objects.exists()
    r = bureau.post(f"/aid/school/{school}/notice/", {"term": TERM, "starts": "2024-03-10", "ends": "2024-03-16"})
    assert r.status_code == 302
    body = bureau.get(r.url).content.decode()
    assert "2024年3月10日" in body and "2024年3月16日" in body
    viewer = client("prov", "province_inspector", "210000")
    assert viewer.post(f"/aid/school/{school}/notice/", {"term": TERM, "starts": "2024-03-10",
                                                         "ends": "2024-03-16"}).status_code == 403


def test_confirm_page(stored):
    bureau = client("bureau", "county_bureau", COUNTY)
    body = bureau.get(f"/aid/region/{COUNTY}/proposals/").content.decode()
    p = AidProposal.objects.filter(run=stored).first()
    assert crypto.decrypt(p.person.id_enc) in body  # shown whole to the person deciding, and audited
    assert AuditEvent.objects.filter(action="view_personal", actor="bureau", detail__purpose="proposed matches").exists()
    r = bureau.post(f"/aid/proposals/{p.pk}/", {"action": "confirm", "comment": "核对一致"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "confirmed" and p.decided_by == "bureau"
    assert AuditEvent.objects.filter(action="update", object_type="aid.proposal", actor="bureau").exists()
    expert = client("expert", "expert_inspector", COUNTY)
    other = AidProposal.objects.filter(run=stored, status="pending").first()
    assert expert.post(f"/aid/proposals/{other.pk}/", {"action": "confirm"}).status_code == 403
    other.refresh_from_db()
    assert other.status == "pending"
