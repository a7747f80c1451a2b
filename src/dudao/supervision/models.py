"""Evaluation rounds and each county's case in them, with its timeline and the data lock."""

from __future__ import annotations

from django.db import models

from dudao.assessment.models import AssessmentRun
from dudao.orgunits.models import OrgUnit


class Round(models.Model):
    """A province's evaluation round: a standard, a school year, counties in scope, deadlines per stage."""

    province = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(max_length=200)
    standard_id = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    self_evaluation_due = models.DateField()
    prefecture_review_due = models.DateField()
    provincial_evaluation_due = models.DateField()
    opened_by = models.CharField(max_length=150)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class Case(models.Model):
    """One county in one round: its state, the frozen assessment attached, the sample seed."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="cases")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField(max_length=32, default="self_evaluation")
    narrative = models.TextField(blank=True, default="")
    assessment = models.ForeignKey(AssessmentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    sample_seed = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "county"], name="case_unique")]


class CaseEvent(models.Model):
    """One step on a case's timeline: who, when, what, the comment and attachments."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    comment = models.TextField(blank=True, default="")
    assessment = models.ForeignKey(AssessmentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class SampledSchool(models.Model):
    """A school section drawn for the site visit of a case, with why and from which seed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sample")
    school_code = models.CharField(max_length=10)
    school_name = models.CharField(max_length=100)
    section = models.CharField(max_length=16)
    stratum = models.CharField(max_length=64)
    reason = models.CharField(max_length=16)  # failing | random
    seed = models.BigIntegerField()

    class Meta:
        ordering = ["stratum", "school_code", "section"]


class Task(models.Model):
    """A rectification task (限期整改): one failing item of a county, with an owner, a deadline and a state."""

    class Source(models.TextChoices):
        SCHOOL_THRESHOLD = "school_threshold", "学校（学段）资源配置指标"
        CV = "cv", "差异系数"
        COMPUTED_ITEM = "computed_item", "计算项目"
        RECORDED_ITEM = "recorded_item", "记录项目"
        VETO = "veto", "一票否决"
        SITE_VISIT = "site_visit", "实地核查"

    class State(models.TextChoices):
        OPEN = "open", "整改中"
        AWAITING_VERIFICATION = "awaiting_verification", "待复核"
        CLOSED = "closed", "已销号"

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="rectification_tasks")
    year = models.PositiveSmallIntegerField()
    standard_id = models.CharField(max_length=32, default="youzhi2017")
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    source = models.CharField(max_length=32, choices=Source.choices)
    item = models.CharField(max_length=32)
    section = models.CharField(max_length=16, blank=True, default="")
    school_code = models.CharField(max_length=10, blank=True, default="")
    description = models.TextField()
    raised_by = models.CharField(max_length=150)
    raised_unit = models.CharField(max_length=6)
    owner_unit = models.CharField(max_length=6)
    deadline = models.DateField()
    state = models.CharField(max_length=32, choices=State.choices, default=State.OPEN)
    escalated_to = models.CharField(max_length=6, blank=True, default="")
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "source", "item", "section", "school_code"],
                                               name="task_unique_per_case")]

    def __str__(self) -> str:
        return f"{self.county.code} {self.item} {self.school_code}".strip()


class Note(models.Model):
    """A step on a rectification task: progress reported, a verification result, a comment."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    text = models.TextField()
    progress = models.PositiveSmallIntegerField(default=0)
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class AnnouncementFrozen(Exception):
    """A published announcement cannot be changed or deleted; a correction is a new announcement."""


class Announcement(models.Model):
    """A published result of a round (督导检查结果公告): verdicts and open tasks, no personal data; immutable."""

    province = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="announcements")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="announcements")
    title = models.CharField(max_length=200)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.CharField(max_length=150)
    body = models.JSONField()
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise AnnouncementFrozen("公告已发布，不能修改 / a published announcement cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AnnouncementFrozen("公告已发布，不能删除 / a published announcement cannot be deleted")


class Evidence(models.Model):
    """An evidence file: of a county's self-evaluation, attached to a step, or to a rectification task's note.

    The file is stored under the data directory (``evidence/``); the row keeps the original name, size and
    SHA-256. A removed file keeps its row (``removed_at``) so that the timeline of earlier steps still names it.
    """

    class Kind(models.TextChoices):
        SELF_EVALUATION = "self_evaluation", "自评佐证材料"
        STEP = "step", "办理附件"
        TASK = "task", "整改佐证材料"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    county = models.CharField(max_length=6)
    name = models.CharField(max_length=255)
    path = models.CharField(max_length=255)  # relative to the data directory
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name
