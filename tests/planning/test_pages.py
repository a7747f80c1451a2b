"""The planning pages: targets with the chart, the schedule with its reasons, the terms page (upload with located
errors and nothing stored, the one-term form), and no office holder's name where it does not belong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dudao.accounts.services import create_user
from dudao.orgunits.models import OrgUnit
from dudao.planning.models import RecordedEvaluation, Term
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from tests.factories import COUNTY_A, COUNTY_B, dataset
from tests.planning.test_services import _book

pytestmark = pytest.mark.django_db
PW = "Secret-pass-123"
NAME = "页面测试县长"


@pytest.fixture
def site(liaoning, dictionary, tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert import_file(write_xlsx(tmp_path / "seed.xlsx", dictionary, 2024, *dataset()), 2024, "setup").accepted
    Term.objects.create(county=OrgUnit.objects.get(code=COUNTY_A), post="county_head", person=NAME,
                        start=dt.date(2021, 6, 1), end=dt.date(2026, 5, 31), actor="t")
    RecordedEvaluation.objects.create(county=OrgUnit.objects.get(code=COUNTY_B), date=dt.date(2022, 5, 1),
                                      result="recognised", document="辽教督〔2022〕3号", actor="t")
    users = {"admin": create_user("p_admin", "province_admin", PW, "210000"),
             "insp": create_user("p_insp", "province_inspector", PW, "210000"),
             "county": create_user("c_a", "county_bureau", PW, COUNTY_A)}
    return tmp_path, users


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_targets_page_has_chart_targets_and_trend(site):
    _tmp, users = site
    body = client(users["insp"]).get(reverse("planning_targets", args=["210000"]) + "?year=2026").content.decode()
    assert "<svg" in body and 'id="targets"' in body and 'id="trend"' in body
    assert "2025年完成义务教育优质均衡发展省级评估验收县" in body and "辽宁省实施方案" in body
    assert "90% 是本系统画出的参考线" in body  # the national reference line says what it is
    assert "朝阳县" in body and NAME not in body


def test_schedule_pages_and_export(site):
    _tmp, users = site
    c = client(users["insp"])
    body = c.get(reverse("planning_schedule", args=["210000"]) + "?year=2026").content.decode()
    assert 'id="county-due"' in body and "尚无督导评估记录" in body and "县（市、区）长任期 2021-06-01 至 2026-05-31" in body
    assert 'id="school-due-by-county"' in body and NAME not in body
    county = c.get(reverse("planning_schedule", args=[COUNTY_A]) + "?year=2026").content.decode()
    assert 'id="school-due"' in county and "测试学校0001" in county
    r = c.get(reverse("planning_schedule_xlsx", args=["210000"]) + "?year=2026")
    assert r.status_code == 200 and r.content.startswith(b"PK") and "attachment" in r["Content-Disposition"]
    c.cookies["django_language"] = "en"
    english = c.get(reverse("planning_schedule", args=["210000"]) + "?year=2026").content.decode()
    assert "no supervision evaluation on record" in english and "term 2021-06-01 to 2026-05-31" in english


def test_terms_page_upload_refused_with_located_errors(site):
    tmp, users = site
    c = client(users["admin"])
    bad = _book(tmp / "bad.xlsx", [[COUNTY_A, "", "县（市、区）长", "新人", "2026-06-01", "2020-01-01"]])
    with bad.open("rb") as fh:
        body = c.post(reverse("planning_terms"), {"file": fh}).content.decode()
    assert 'data-outcome="refused"' in body and "E_TERM_ORDER" in body and "县级领导任期" in body
    assert Term.objects.count() == 1 and not Term.objects.filter(person="新人").exists()
    good = _book(tmp / "good.xlsx", [[COUNTY_A, "", "县（市、区）长", "新人", "2026-06-01", "2031-05-31"]])
    with good.open("rb") as fh:
        body = c.post(reverse("planning_terms"), {"file": fh}).content.decode()
    assert 'data-outcome="accepted"' in body
    assert list(Term.objects.values_list("person", flat=True)) == ["新人"]  # the file replaces county A's heads


def test_terms_form_adds_one_term_and_refuses_overlap(site):
    _tmp, users = site
    c = client(users["county"])
    data = {"county": COUNTY_A, "post": "party_secretary", "person": "书记甲", "start": "2022-01-01", "end": "2026-12-31"}
    r = c.post(reverse("planning_terms"), data)
    assert r.status_code == 302 and Term.objects.filter(person="书记甲").exists()
    r = c.post(reverse("planning_terms"), {**data, "person": "书记乙", "start": "2026-01-01"}, follow=True)
    assert "E_TERM_CLASH" not in r.content.decode() and "重叠" in r.content.decode()
    assert not Term.objects.filter(person="书记乙").exists()
    r = c.post(reverse("planning_terms"), {**data, "post": "principal"}, follow=True)
    assert "校长须选择学校" in r.content.decode()
    body = c.get(reverse("planning_terms")).content.decode()
    assert NAME in body and "书记甲" in body and "朝阳县" not in body


def test_no_names_for_roles_without_terms_or_on_public_pages(site):
    _tmp, users = site
    insp = client(users["insp"])
    assert insp.get(reverse("planning_terms")).status_code == 403
    assert insp.get(reverse("planning_terms_template")).status_code == 403
    for url in (reverse("planning_targets", args=[COUNTY_A]), reverse("planning_schedule", args=[COUNTY_A])):
        assert NAME not in insp.get(url).content.decode()
    public = Client()
    for url in ("/public/", "/standards/", reverse("planning_targets", args=[COUNTY_A])):
        r = public.get(url)
        assert NAME not in r.content.decode()
    assert public.get(reverse("planning_schedule", args=[COUNTY_A])).status_code == 302  # login first
