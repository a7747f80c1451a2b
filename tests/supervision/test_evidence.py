"""The county's self-evaluation: the narrative and evidence files, their limits, the lock on submission,
files on steps, the submitted files on the timeline, audit; task evidence; reminders from the command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core import mail
from typer.testing import CliRunner

from dudao.assessment.services import run_assessment
from dudao.audit.models import AuditEvent
from dudao.supervision import evidence
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Evidence, Task
from dudao.supervision.rectification import raise_task
from dudao.supervision.services import act
from tests.factories import COUNTY_A
from tests.supervision import test_workflow

pytestmark = pytest.mark.django_db
world = test_workflow.world
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "root", lambda: tmp_path / "evidence")
    return tmp_path / "evidence"


def code_of(info) -> str:
    return info.value.error.code


def test_county_writes_narrative_and_uploads_evidence(world, store):
    u, case = world["users"], world["case"]
    evidence.save_narrative(case, u["county"], "本县自评：资源配置已基本达标。\r\n")
    case.refresh_from_db()
    assert case.narrative == "本县自评：资源配置已基本达标。"
    files = evidence.add_evidence(case, u["county"], [("自评报告.pdf", PDF), ("照片.png", PNG), ("台账.docx", docx())])
    assert [f.name for f in files] == ["自评报告.pdf", "照片.png", "台账.docx"]
    first = files[0]
    assert (store / first.path).read_bytes() == PDF and first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.county == COUNTY_A and first.uploaded_by == "county" and first.content_type == "application/pdf"
    uploads = AuditEvent.objects.filter(action="create", object_type="supervision.Evidence", actor="county")
    assert uploads.count() == 3 and uploads.first().detail["sha256"]
    assert AuditEvent.objects.filter(object_type="supervision.Case", action="update", actor="county").exists()


@pytest.mark.parametrize("name,data,code", [
    ("报告.exe", b"MZ\0\0", "E_EVIDENCE_TYPE"),
    ("报告", PDF, "E_EVIDENCE_TYPE"),
    ("报告.pdf", b"", "E_EVIDENCE_EMPTY"),
    ("报告.pdf", b"<html>not a pdf</html>", "E_EVIDENCE_CONTENT"),
    ("台账.docx", PDF, "E_EVIDENCE_CONTENT"),
    ("台账.xlsx", None, "E_EVIDENCE_CONTENT"),  # a Word file named .xlsx
])
def test_bad_files_are_refused_and_nothing_is_stored(world, store, name, data, code):
    u, case = world["users"], world["case"]
    with pytest.raises(WorkflowError) as info:
        evidence.add_evidence(case, u["county"], [("好的.pdf", PDF), (name, docx() if data is None else data)])
    assert code_of(info) == code and name in info.value.message_zh
    assert not Evidence.objects.exists() and not (store.exists() and any(store.rglob("*.*")))


def test_size_and_count_limits_come_from_the_workflow_data(world, monkeypatch):
    u, case = world["users"], world["case"]
    rules = evidence.rules()
    monkeypatch.setattr(evidence, "rules", lambda: rules.model_copy(update={"max_mb": 0.00001, "max_files": 2}))
    with pytest.raises(WorkflowError) as info:
        evidence.add_evidence(case, u["county"], [("大.pdf", PDF)])
    assert code_of(info) == "E_EVIDENCE_SIZE"
    monkeypatch.setattr(evidence, "rules", lambda: rules.model_copy(update={"max_files": 2}))
    evidence.add_evidence(case, u["county"], [("a.pdf", PDF), ("b.pdf", PDF)])
    with pytest.raises(WorkflowError) as info:
        evidence.add_evidence(case, u["county"], [("c.pdf", PDF)])
    assert code_of(info) == "E_EVIDENCE_COUNT"


@pytest.mark.parametrize("who", ["other_county", "pref", "prov", "admin", "clerk"])
def test_only_the_county_bureau_edits_its_self_evaluation(world, who):
    case = world["case"]
    with pytest.raises(WorkflowError) as info:
        evidence.save_narrative(case, world["users"][who], "x")
    assert code_of(info) == "E_SELF_OWNER"
    with pytest.raises(WorkflowError):
        evidence.add_evidence(case, world["users"][who], [("a.pdf", PDF)])
    assert AuditEvent.objects.filter(action="denied", object_type="supervision.Case").count() == 2


def test_submission_locks_and_lists_the_files_send_back_unlocks(world):
    u, case = world["users"], world["case"]
    kept, dropped = evidence.add_evidence(case, u["county"], [("自评报告.pdf", PDF), ("旧照片.png", PNG)])
    evidence.remove_evidence(case, u["county"], dropped.pk)
    assert [f.pk for f in evidence.active_evidence(case)] == [kept.pk]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    event = act(case, u["county"], "submit")
    assert [a["name"] for a in event.attachments] == ["自评报告.pdf"] and event.attachments[0]["id"] == kept.pk
    for attempt in (lambda: evidence.save_narrative(case, u["county"], "改"),
                    lambda: evidence.add_evidence(case, u["county"], [("新.pdf", PDF)]),
                    lambda: evidence.remove_evidence(case, u["county"], kept.pk)):
        with pytest.raises(WorkflowError) as info:
            attempt()
        assert code_of(info) == "E_SELF_LOCKED" and "已提交市级复核" in info.value.message_zh
    act(case, u["pref"], "return_to_county", "请补充佐证材料")
    evidence.add_evidence(case, u["county"], [("补充.pdf", PDF)])
    evidence.save_narrative(case, u["county"], "已补充")
    again = act(case, u["county"], "submit")
    assert [a["name"] for a in again.attachments] == ["自评报告.pdf", "补充.pdf"]
    assert Evidence.objects.get(pk=dropped.pk).removed_by == "county"  # the row stays


def test_a_step_with_files_and_a_refused_step_stores_nothing(world, store):
    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    with pytest.raises(WorkflowError) as info:  # the prefecture cannot pass up a case not yet submitted
        evidence.act_with_files(case, u["pref"], "pass_up", "", [("复核意见.pdf", PDF)])
    assert code_of(info) == "E_FLOW_STATE" and not Evidence.objects.exists()
    act(case, u["county"], "submit")
    event = evidence.act_with_files(case, u["pref"], "return_to_county", "见附件", [("复核意见.pdf", PDF)])
    stored = Evidence.objects.get(event=event)
    assert stored.kind == "step" and stored.case == case and event.attachments == evidence.summary([stored])


def test_task_notes_carry_evidence(world):
    u = world["users"]
    task = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "V1", "实验室安全制度不健全", dt.date(2025, 9, 1))
    note = evidence.note_with_files(task, u["county"], "已制定制度", 60, [("制度.pdf", PDF)])
    assert note.attachments[0]["name"] == "制度.pdf" and Evidence.objects.get(note=note).task == task
    with pytest.raises(WorkflowError) as info:
        evidence.note_with_files(task, u["pref"], "x", 10, [("制度.pdf", PDF)])
    assert code_of(info) == "E_RECT_OWNER" and Evidence.objects.count() == 1


def test_remind_command_escalates_and_mails(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    u = world["users"]
    for user, address in ((u["county"], "xian@example.cn"), (u["pref"], "shi@example.cn")):
        user.email = address
        user.save()
    late = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "V1", "围墙破损未修复", dt.date(2025, 1, 10))
    soon = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "V2", "消防通道堵塞", dt.date(2025, 1, 20))
    raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "V3", "食堂证照过期", dt.date(2025, 6, 1))
    from dudao.cli import app

    result = CliRunner().invoke(app, ["supervision", "remind", "--today", "2025-01-15", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "围墙破损未修复" in result.output and "消防通道堵塞" in result.output and "食堂证照过期" not in result.output
    late.refresh_from_db()
    assert late.escalated_to == "210500" and Task.objects.get(pk=soon.pk).escalated_to == ""
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2 and "逾期" in subjects[1] and "到期" in subjects[0]
    assert set(mail.outbox[1].to) | set(mail.outbox[0].to) == {"xian@example.cn", "shi@example.cn"}
    again = CliRunner().invoke(app, ["supervision", "remind", "--today", "2025-01-15", "--days", "0"])
    assert again.exit_code == 0 and "新报上级 0 项" in again.output  # escalation happens once
    bad = CliRunner().invoke(app, ["supervision", "remind", "--today", "15.1.2025"])
    assert bad.exit_code == 2
