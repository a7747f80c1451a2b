"""The county's self-evaluation content (the narrative, 自评报告, and evidence files) and files on steps and tasks.

Files are checked against ``workflow.yaml``'s ``evidence`` rules (extension, content matching the extension,
size, count), stored under ``<data dir>/evidence/`` with their SHA-256, and every upload and removal is audited.
The county edits its self-evaluation only while its case is in self-evaluation; a submission locks it and
records on the timeline which files were submitted; a send-back unlocks it.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from dudao.accounts.models import Role
from dudao.audit.services import actor_of, record
from dudao.standards.model import EvidenceRules, load_workflow
from dudao.supervision.errors import FlowError, WorkflowError
from dudao.supervision.models import Case, CaseEvent, Evidence, Note, Task
from dudao.supervision.refusals import atomic, deny

NARRATIVE_MAX = 50_000
OFFICE_PART = {"docx": "word/", "xlsx": "xl/"}


def rules() -> EvidenceRules:
    return load_workflow().evidence


def root() -> Path:
    return Path(settings.CONFIG.data_dir) / "evidence"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _content_matches(ext: str, data: bytes) -> bool:
    if ext == "pdf":
        return data.startswith(b"%PDF-")
    if ext == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if ext in OFFICE_PART:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return False
        return "[Content_Types].xml" in names and any(n.startswith(OFFICE_PART[ext]) for n in names)
    return False


def check_file(name: str, data: bytes) -> str:
    """The file's content type, or WorkflowError naming the file and the rule it breaks."""
    r = rules()
    ext = _extension(name)
    if ext not in r.types:
        raise WorkflowError(FlowError.EVIDENCE_TYPE, name=name, allowed="、".join(sorted(r.types)))
    if not data:
        raise WorkflowError(FlowError.EVIDENCE_EMPTY, name=name)
    if len(data) > r.max_mb * 1024 * 1024:
        raise WorkflowError(FlowError.EVIDENCE_SIZE, name=name, mb=len(data) / 1024 / 1024, limit=r.max_mb)
    if not _content_matches(ext, data):
        raise WorkflowError(FlowError.EVIDENCE_CONTENT, name=name, ext=ext)
    return r.types[ext]


def read_upload(upload: Any) -> tuple[str, bytes]:
    """Name and bytes of a Django upload, refusing an oversized one before reading it."""
    name = Path(str(upload.name)).name[:200] or "file"
    limit = rules().max_mb * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise WorkflowError(FlowError.EVIDENCE_SIZE, name=name, mb=upload.size / 1024 / 1024, limit=rules().max_mb)
    return name, upload.read()


def _store(files: list[tuple[str, bytes]], user: Any, county: str, **links: Any) -> list[Evidence]:
    """Checks every file first (nothing is stored when one is refused), then writes them and their rows."""
    types = [check_file(name, data) for name, data in files]
    out, written = [], []
    try:
        for (name, data), ctype in zip(files, types, strict=True):
            digest = hashlib.sha256(data).hexdigest()
            rel = Path(county) / f"{uuid.uuid4().hex}.{_extension(name)}"
            target = root() / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
            ev = Evidence.objects.create(county=county, name=name, path=str(rel), size=len(data), sha256=digest,
                                         content_type=ctype, uploaded_by=user.get_username(), **links)
            record("create", "supervision.Evidence", ev.pk,
                   {"kind": ev.kind, "name": name, "size": len(data), "sha256": digest,
                    "case": ev.case_id, "task": ev.task_id}, actor=actor_of(user), object_unit=county)
            out.append(ev)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return out


def summary(files: Iterable[Evidence]) -> list[dict[str, Any]]:
    """What a timeline step or a note keeps about its files."""
    return [{"id": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in files]


# ---------------------------------------------------------------- the self-evaluation


def self_evaluation_state() -> str:
    return load_workflow().states[0].code


def editable(case: Case) -> bool:
    return case.state == self_evaluation_state() and case.round.closed_at is None


def may_edit(case: Case, user: Any) -> bool:
    unit = getattr(user, "org_unit", None)
    return (getattr(user, "role", "") == Role.COUNTY_BUREAU and unit is not None and unit.code == case.county.code
            and editable(case))


def _check_editor(case: Case, user: Any) -> None:
    unit = getattr(user, "org_unit", None)
    if getattr(user, "role", "") != Role.COUNTY_BUREAU or unit is None or unit.code != case.county.code:
        deny("supervision.Case", case.pk, {"action": "self_evaluation"}, actor=actor_of(user),
               object_unit=case.county.code)
        raise WorkflowError(FlowError.SELF_OWNER, county=case.county.name)
    if not editable(case):
        if case.round.closed_at is not None:
            raise WorkflowError(FlowError.CLOSED)
        raise WorkflowError(FlowError.SELF_LOCKED, state=load_workflow().state(case.state).zh)


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("round", "county").get(pk=case.pk)


@atomic
def save_narrative(case: Case, user: Any, text: str) -> Case:
    """The county saves its self-evaluation report (自评报告)."""
    case = _locked_case(case)
    _check_editor(case, user)
    text = text.replace("\r\n", "\n").strip()
    if len(text) > NARRATIVE_MAX:
        raise WorkflowError(FlowError.NARRATIVE_LONG, limit=NARRATIVE_MAX)
    if text != case.narrative:
        case.narrative = text
        case.save(update_fields=["narrative", "updated_at"])
        record("update", "supervision.Case", case.pk, {"narrative": len(text),
                                                        "sha256": hashlib.sha256(text.encode()).hexdigest()},
               actor=actor_of(user), object_unit=case.county.code)
    return case


def active_evidence(case: Case) -> list[Evidence]:
    return list(case.evidence.filter(kind=Evidence.Kind.SELF_EVALUATION, removed_at=None))


@atomic
def add_evidence(case: Case, user: Any, files: list[tuple[str, bytes]]) -> list[Evidence]:
    """The county uploads evidence files to its self-evaluation."""
    case = _locked_case(case)
    _check_editor(case, user)
    limit = rules().max_files
    if len(active_evidence(case)) + len(files) > limit:
        raise WorkflowError(FlowError.EVIDENCE_COUNT, limit=limit)
    return _store(files, user, case.county.code, kind=Evidence.Kind.SELF_EVALUATION, case=case)


@atomic
def remove_evidence(case: Case, user: Any, evidence_id: int) -> Evidence:
    """The county withdraws an evidence file; the row stays (earlier submissions still name it)."""
    case = _locked_case(case)
    _check_editor(case, user)
    ev = Evidence.objects.get(pk=evidence_id, case=case, kind=Evidence.Kind.SELF_EVALUATION, removed_at=None)
    ev.removed_at, ev.removed_by = timezone.now(), user.get_username()
    ev.save(update_fields=["removed_at", "removed_by"])
    record("delete", "supervision.Evidence", ev.pk, {"name": ev.name, "case": case.pk}, actor=actor_of(user),
           object_unit=case.county.code)
    return ev


# ---------------------------------------------------------------- files on a step and on a task's note


@atomic
def act_with_files(case: Case, user: Any, action: str, comment: str = "",
                   files: list[tuple[str, bytes]] | None = None) -> CaseEvent:
    """Takes a step (``services.act``) with files attached to it; nothing is stored if either is refused."""
    from dudao.supervision.services import act

    for name, data in files or []:
        check_file(name, data)
    event = act(case, user, action, comment)
    if files:
        stored = _store(files, user, case.county.code, kind=Evidence.Kind.STEP, case_id=case.pk, event=event)
        event.attachments = [*event.attachments, *summary(stored)]
        event.save(update_fields=["attachments"])
    return event


@atomic
def note_with_files(task: Task, user: Any, text: str, progress: int,
                    files: list[tuple[str, bytes]] | None = None) -> Note:
    """The owner county reports progress on a task with evidence files."""
    from dudao.supervision.rectification import add_note

    for name, data in files or []:
        check_file(name, data)
    note = add_note(task, user, text, progress)
    if files:
        limit = rules().max_files
        if task.evidence.count() + len(files) > limit:
            raise WorkflowError(FlowError.EVIDENCE_COUNT, limit=limit)
        stored = _store(files, user, task.owner_unit, kind=Evidence.Kind.TASK, task=task, note=note)
        note.attachments = summary(stored)
        note.save(update_fields=["attachments"])
    return note


def file_path(ev: Evidence) -> Path:
    return root() / ev.path
