"""The supervision pages: rounds, a round's cases, a case with its steps, refusals and the site-visit sample."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dudao.assessment.services import run_assessment
from dudao.supervision.models import Case, Round
from dudao.supervision.services import act
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision.test_workflow import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
PW = "Secret-pass-123"
DUE = (dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 1))


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def case_url(case) -> str:
    return reverse("case_detail", kwargs={"pk": case.pk})


def test_pages_render_for_allowed_users(world):
    rnd, case = world["round"], world["case"]
    for who in ("county", "pref", "prov", "admin"):
        c = client_for(world["users"][who])
        body = c.get(reverse("rounds")).content.decode()
        assert rnd.title in body and "督导评估" in body
        body = c.get(reverse("round_detail", kwargs={"pk": rnd.pk})).content.decode()
        assert "本溪满族自治县" in body and "县级自评" in body
        r = c.get(case_url(case))
        assert r.status_code == 200 and "县级自评" in r.content.decode()
    pref_round = client_for(world["users"]["pref"]).get(reverse("round_detail", kwargs={"pk": rnd.pk})).content.decode()
    assert "朝阳县" not in pref_round  # county B is in another prefecture


def test_only_the_admin_opens_rounds(world):
    admin = client_for(world["users"]["admin"])
    assert 'id="open-round"' in admin.get(reverse("rounds")).content.decode()
    assert 'id="open-round"' not in client_for(world["users"]["prov"]).get(reverse("rounds")).content.decode()
    data = {"title": "第二轮", "standard": "youzhi2017", "year": "2024", "due_self": "2025-03-01",
            "due_prefecture": "2025-04-01", "due_province": "2025-06-01", "counties": [COUNTY_A]}
    r = admin.post(reverse("rounds"), data)
    new = Round.objects.get(title="第二轮")
    assert r.status_code == 302 and r["Location"] == reverse("round_detail", kwargs={"pk": new.pk})
    assert list(new.cases.values_list("county__code", flat=True)) == [COUNTY_A]
    assert client_for(world["users"]["prov"]).post(reverse("rounds"), {**data, "title": "x"}).status_code == 403
    r = admin.post(reverse("rounds"), {**data, "due_self": "soon"}, follow=True)
    assert "三个截止日期" in r.content.decode()


def test_outside_the_scope_is_refused(world):
    case_b = Case.objects.get(round=world["round"], county__code=COUNTY_B)
    assert client_for(world["users"]["county"]).get(case_url(case_b)).status_code == 403
    assert client_for(world["users"]["pref"]).get(case_url(case_b)).status_code == 403
    clerk = client_for(world["users"]["clerk"])
    assert clerk.get(reverse("rounds")).status_code == 403
    assert clerk.get(case_url(world["case"])).status_code == 403
    r = client_for(world["users"]["county"]).post(case_url(case_b), {"action": "submit", "comment": "x"})
    assert r.status_code == 403
    assert Case.objects.get(pk=case_b.pk).state == "self_evaluation"


def test_submit_and_send_back_through_the_pages(world):
    case = world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    county = client_for(world["users"]["county"])
    page = county.get(case_url(case)).content.decode()
    assert 'value="submit"' in page and "提交自评" in page
    r = county.post(case_url(case), {"action": "submit", "comment": "自评报告已上传"}, follow=True)
    body = r.content.decode()
    assert r.status_code == 200 and "已完成“提交自评”" in body and "已提交市级复核" in body
    case.refresh_from_db()
    assert case.state == "submitted" and case.assessment is not None
    assert reverse("region", kwargs={"code": COUNTY_A}) in body  # the attached assessment links to the county page
    pref = client_for(world["users"]["pref"])
    page = pref.get(case_url(case)).content.decode()
    assert 'value="return_to_county"' in page and 'value="pass_up"' in page
    r = pref.post(case_url(case), {"action": "return_to_county", "comment": "生均图书数据有误，请核实"}, follow=True)
    body = r.content.decode()
    case.refresh_from_db()
    assert case.state == "self_evaluation"
    assert "生均图书数据有误，请核实" in body and "退回修改" in body and "pref" in body and "市级督导人员" in body


def test_a_refused_step_shows_the_chinese_reason(world):
    case = world["case"]
    county = client_for(world["users"]["county"])
    r = county.post(case_url(case), {"action": "submit"}, follow=True)  # no assessment yet
    assert r.status_code == 200 and "提交前须先对本县 2024 学年运行评估" in r.content.decode()
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, world["users"]["county"], "submit", "ok")
    r = client_for(world["users"]["pref"]).post(case_url(case), {"action": "return_to_county", "comment": " "},
                                                follow=True)
    assert r.status_code == 200 and "“退回修改”须填写意见" in r.content.decode()
    r = county.post(case_url(case), {"action": "submit", "comment": "again"}, follow=True)
    assert r.status_code == 200 and "当前状态“已提交市级复核”下不能“提交自评”" in r.content.decode()
    r = county.post(case_url(case), {"action": "pass_up"}, follow=True)
    assert r.status_code == 200 and "“复核通过，报省级评估”须由市级督导人员操作" in r.content.decode()
    case.refresh_from_db()
    assert case.state == "submitted"


def test_the_sample_is_drawn_and_shown(world):
    case, u = world["case"], world["users"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    prov = client_for(u["prov"])
    assert "抽取实地核查学校" not in prov.get(case_url(case)).content.decode()  # not yet in provincial evaluation
    act(case, u["county"], "submit", "ok")
    act(case, u["pref"], "pass_up")
    assert "抽取实地核查学校" not in client_for(u["pref"]).get(case_url(case)).content.decode()
    r = client_for(u["pref"]).post(case_url(case), {"action": "draw_sample"}, follow=True)
    assert "只有省级督导人员" in r.content.decode() and not case.sample.exists()
    assert "抽取实地核查学校" in prov.get(case_url(case)).content.decode()
    body = prov.post(case_url(case), {"action": "draw_sample"}, follow=True).content.decode()
    case.refresh_from_db()
    assert case.sample_seed is not None and case.sample.exists()
    assert f"随机种子：{case.sample_seed}" in body and 'id="sample"' in body
    first = case.sample.first()
    names = {"primary": "小学", "junior": "初中", "urban": "城区", "town": "镇区", "rural": "乡村"}
    label = " · ".join(names[p] for p in first.stratum.split("/"))
    assert first.school_code in body and label in body and first.stratum not in body  # named, not coded
