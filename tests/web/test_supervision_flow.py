"""The supervision pages beyond the steps: the county's self-evaluation (narrative, evidence upload, list,
download, lock), files on a step, rectification tasks (list, filters, detail, notes with evidence, verification),
the overdue dashboard, publishing and the public announcements (no login, no personal data, frozen)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dudao.assessment.services import run_assessment
from dudao.audit.models import AuditEvent
from dudao.orgunits.models import OrgUnit
from dudao.supervision import evidence
from dudao.supervision.models import Announcement, Case, Evidence, Task
from dudao.supervision.rectification import escalate, tasks_from_case
from dudao.supervision.services import act
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision.test_evidence import PDF
from tests.supervision.test_workflow import world  # noqa: F401 - the shared fixture
from tests.web.test_supervision_pages import case_url, client_for

pytestmark = pytest.mark.django_db
DEADLINE = dt.date(2025, 7, 1)


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "root", lambda: tmp_path / "evidence")


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_county_edits_its_self_evaluation_on_the_case_page(world):
    case, u = world["case"], world["users"]
    county = client_for(u["county"])
    page = county.get(case_url(case)).content.decode()
    assert 'id="narrative-form"' in page and 'id="evidence-form"' in page and "20 MB" in page
    r = county.post(case_url(case), {"action": "save_narrative", "narrative": "本县义务教育优质均衡自评报告"})
    assert r.status_code == 302 and r["Location"].endswith("#self-evaluation")
    r = county.post(case_url(case), {"action": "upload_evidence", "files": [pdf("自评报告.pdf"), pdf("台账.pdf")]},
                    follow=True)
    body = r.content.decode()
    assert "已上传 2 个文件" in body and "自评报告.pdf" in body
    bad = county.post(case_url(case), {"action": "upload_evidence",
                                       "files": [SimpleUploadedFile("x.exe", b"MZ")]}, follow=True)
    assert "文件“x.exe”的类型不允许" in bad.content.decode() and Evidence.objects.count() == 2
    ev = Evidence.objects.get(name="自评报告.pdf")
    download = county.get(reverse("evidence_download", kwargs={"pk": ev.pk}))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export", object_type="supervision.Evidence").count() == 1
    # others see the narrative and the files but cannot edit; another county cannot even download
    pref_page = client_for(u["pref"]).get(case_url(case)).content.decode()
    assert "本县义务教育优质均衡自评报告" in pref_page and 'id="narrative-form"' not in pref_page
    assert client_for(u["pref"]).post(case_url(case), {"action": "save_narrative", "narrative": "x"},
                                      follow=True).content.decode().count("只能由本县") == 1
    assert client_for(u["other_county"]).get(reverse("evidence_download", kwargs={"pk": ev.pk})).status_code == 403
    # withdrawn
    county.post(case_url(case), {"action": "remove_evidence", "evidence": str(ev.pk)})
    page = county.get(case_url(case)).content.decode()
    assert 'id="evidence"' in page and "自评报告.pdf" not in page[page.index('id="evidence"'):]


def test_submission_locks_the_page_and_the_timeline_lists_the_files(world):
    case, u = world["case"], world["users"]
    county = client_for(u["county"])
    county.post(case_url(case), {"action": "upload_evidence", "files": [pdf("自评报告.pdf")]})
    run_assessment("youzhi2017", 2024, COUNTY_A)
    county.post(case_url(case), {"action": "submit", "comment": "请复核"})
    page = county.get(case_url(case)).content.decode()
    assert 'id="self-locked"' in page and 'id="evidence-form"' not in page
    timeline = page[page.index('id="timeline"'):]
    assert "自评报告.pdf" in timeline[:timeline.index("</table>")]
    r = client_for(u["pref"]).post(case_url(case), {"action": "return_to_county", "comment": "见复核意见",
                                                    "step_files": [pdf("复核意见.pdf")]}, follow=True)
    assert "复核意见.pdf" in r.content.decode()
    assert Evidence.objects.get(name="复核意见.pdf").event.action == "return_to_county"
    assert 'id="evidence-form"' in county.get(case_url(case)).content.decode()  # unlocked again


def rejected_with_tasks(world) -> Case:
    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "reject", "省级评估意见：材料不全")
    return case


def test_raise_tasks_button_and_task_pages(world):
    u = world["users"]
    case = rejected_with_tasks(world)
    assert 'id="raise-tasks"' not in client_for(u["county"]).get(case_url(case)).content.decode()
    prov = client_for(u["prov"])
    assert 'id="raise-tasks"' in prov.get(case_url(case)).content.decode()
    r = prov.post(case_url(case), {"action": "raise_tasks", "deadline": "2020-07-01"}, follow=True)
    assert "整改期限须晚于今天" in r.content.decode() and not Task.objects.exists()
    r = prov.post(case_url(case), {"action": "raise_tasks", "deadline": "2099-07-01"}, follow=True)
    assert "已由未达标项生成 16 项整改任务" in r.content.decode()
    r = client_for(u["county"]).post(case_url(case), {"action": "raise_tasks", "deadline": "2099-07-01"}, follow=True)
    assert "整改任务须由" in r.content.decode() and Task.objects.count() == 16
    listing = client_for(u["county"]).get(reverse("tasks") + f"?case={case.pk}").content.decode()
    assert listing.count("/supervision/tasks/") >= 16 and "共 16 项" in listing
    assert "共 0 项" in client_for(u["county"]).get(reverse("tasks") + "?state=closed").content.decode()
    assert client_for(u["other_county"]).get(reverse("tasks") + f"?county={COUNTY_A}").status_code == 403
    assert "共 0 项" in client_for(u["other_county"]).get(reverse("tasks")).content.decode()

    r = client_for(u["pref"]).post(case_url(case), {"action": "raise_one", "description": "功能教室挪作他用",
                                                    "deadline": "2099-07-01"}, follow=True)
    assert "已下达整改任务" in r.content.decode()
    task = Task.objects.get(source="site_visit", case=case)
    assert (task.item, task.raised_unit, task.owner_unit) == ("SV1", "210500", COUNTY_A)
    url = reverse("task_detail", kwargs={"pk": task.pk})
    county = client_for(u["county"])
    page = county.get(url).content.decode()
    assert 'id="note-form"' in page and 'id="verify-form"' not in page
    r = county.post(url, {"action": "note", "text": "已腾退功能教室", "progress": "80", "files": [pdf("照片.pdf")]},
                    follow=True)
    assert "已填报整改进展" in r.content.decode() and "照片.pdf" in r.content.decode()
    county.post(url, {"action": "request_verification", "text": "已完成"})
    task.refresh_from_db()
    assert task.state == "awaiting_verification"
    pref = client_for(u["pref"])
    assert 'id="verify-form"' in pref.get(url).content.decode()
    assert 'id="verify-form"' not in client_for(u["county"]).get(url).content.decode()
    r = pref.post(url, {"action": "reject", "comment": "仍有杂物"}, follow=True)
    assert "已退回县级继续整改" in r.content.decode()
    county.post(url, {"action": "request_verification"})
    r = pref.post(url, {"action": "verify", "comment": "现场复查已腾退"}, follow=True)
    task.refresh_from_db()
    assert task.state == "closed" and "已销号" in r.content.decode()
    assert client_for(u["other_county"]).get(url).status_code == 403


def test_overdue_dashboard(world):
    u = world["users"]
    case = rejected_with_tasks(world)
    tasks = tasks_from_case(case, dt.date(2020, 1, 1), u["prov"])
    escalate(dt.date.today())
    pref = client_for(u["pref"]).get(reverse("overdue_dashboard"))
    body = pref.content.decode()
    assert pref.status_code == 200 and f'id="n-overdue">{len(tasks)}<' in body
    assert f'id="n-escalated">{len(tasks)}<' in body and "本溪满族自治县" in body
    other = client_for(u["other_pref"]).get(reverse("overdue_dashboard")).content.decode()
    assert 'id="n-overdue">0<' in other and "本溪满族自治县" not in other
    assert client_for(u["county"]).get(reverse("overdue_dashboard")).status_code == 403
    assert client_for(u["clerk"]).get(reverse("overdue_dashboard")).status_code == 403
    late = client_for(u["county"]).get(reverse("tasks") + "?overdue=1").content.decode()
    assert f"共 {len(tasks)} 项" in late and "已报上级督办" in late
    assert reverse("overdue_dashboard") not in late  # no link the county could not open
    assert reverse("overdue_dashboard") in client_for(u["pref"]).get(reverse("tasks")).content.decode()


def public_page(url: str) -> str:
    """The page an anonymous visitor gets, without the per-request CSRF token."""
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", Client().get(url).content.decode())


def _publish(world, title="2024 年省级评估结果公告"):
    u = world["users"]
    admin = client_for(u["admin"])
    rnd = world["round"]
    page = admin.get(reverse("round_detail", kwargs={"pk": rnd.pk})).content.decode()
    assert 'id="publish-form"' in page
    r = admin.post(reverse("round_publish", kwargs={"pk": rnd.pk}), {"title": title})
    ann = Announcement.objects.get(round=rnd, corrects=None)
    assert r.status_code == 302 and r["Location"] == reverse("public_announcement", kwargs={"pk": ann.pk})
    return ann


def test_publish_and_public_pages_without_login_or_personal_data(world):
    u, rnd = world["users"], world["round"]
    case = rejected_with_tasks(world)
    u["county"].email = "county-secret@example.cn"
    u["county"].save()
    evidence.save_narrative(Case.objects.get(round=rnd, county__code=COUNTY_B), u["other_county"], "朝阳县自评秘密叙述")
    tasks_from_case(case, DEADLINE, u["prov"])
    assert client_for(u["prov"]).post(reverse("round_publish", kwargs={"pk": rnd.pk}),
                                      {"title": "x"}).status_code == 403
    ann = _publish(world)
    anon = Client()
    listing = anon.get(reverse("public_announcements", kwargs={"province": "21"}))
    assert listing.status_code == 200 and ann.title in listing.content.decode()
    page = anon.get(reverse("public_announcement", kwargs={"pk": ann.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "本溪满族自治县" in body and "朝阳县" in body and "省级评估未通过" in body
    assert "2025-07-01" in body and "测试学校0007" in body  # the rectification list with deadlines
    for secret in ("county", "pref", "prov", "admin", "county-secret@example.cn", "朝阳县自评秘密叙述",
                   "省级评估意见：材料不全"):
        assert not re.search(rf"(?<![\w/-]){re.escape(secret)}(?![\w-])", body), secret
    assert anon.get(reverse("public_announcements", kwargs={"province": "99"})).status_code == 404
    assert anon.get(reverse("public_announcements", kwargs={"province": "13"})).status_code == 200
    # the round is closed: no more steps
    assert client_for(u["admin"]).get(reverse("round_detail", kwargs={"pk": rnd.pk})).status_code == 200
    assert 'id="case-actions"' not in client_for(u["prov"]).get(case_url(case)).content.decode()


def test_a_published_page_never_changes_and_a_correction_links_both_ways(world):
    u, rnd = world["users"], world["round"]
    case = rejected_with_tasks(world)
    tasks_from_case(case, DEADLINE, u["prov"])
    ann = _publish(world)
    url = reverse("public_announcement", kwargs={"pk": ann.pk})
    before = public_page(url)
    # the data change afterwards: a task closes, a deadline moves, the county is renamed, the case state changes
    Task.objects.filter(case=case).update(deadline=dt.date(2030, 1, 1), state="closed")
    case.county.name = "改名后的县"
    case.county.save()
    OrgUnit.objects.filter(code="210000").update(name="改名后的省")
    Case.objects.filter(pk=case.pk).update(state="self_evaluation")
    assert public_page(url) == before
    # a correction: a new, dated announcement, linked both ways
    r = client_for(u["admin"]).post(reverse("round_publish", kwargs={"pk": rnd.pk}),
                                    {"title": "更正：2024 年省级评估结果公告", "corrects": str(ann.pk), "note": "整改期限有误"})
    new = Announcement.objects.get(corrects=ann)
    assert r["Location"] == reverse("public_announcement", kwargs={"pk": new.pk})
    corrected = public_page(url)
    assert "本公告已被更正" in corrected and reverse("public_announcement", kwargs={"pk": new.pk}) in corrected
    assert corrected.replace(corrected[corrected.index('<div class="card" id="corrected-by">'):
                                       corrected.index("</div>", corrected.index('id="corrected-by"')) + 6], "") \
        .replace("\n", "") == before.replace("\n", "")  # apart from the notice, unchanged
    newer = Client().get(reverse("public_announcement", kwargs={"pk": new.pk})).content.decode()
    assert "更正公告" in newer and "整改期限有误" in newer and url in newer and "改名后的县" in newer
    listing = Client().get(reverse("public_announcements", kwargs={"province": "21"})).content.decode()
    assert "本公告已被更正" in listing and new.title in listing
