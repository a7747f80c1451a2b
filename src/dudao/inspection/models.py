"""Evaluation forms scored by inspectors: framework versions, evaluations, assignments, scores, evidence,
submissions (the lock) and reconciliations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dudao.orgunits.models import OrgUnit
from dudao.supervision.models import Case, SampledSchool


def section_label(code: str) -> str:
    """The Chinese name of a section code, from the element dictionary's enumeration."""
    from dudao.standards.model import load_dictionary

    return load_dictionary().enum_label("section", code) if code else ""


class FrameworkVersion(models.Model):
    """One version of a framework file: the shipped one (province "") or a province's edited upload."""

    framework_id = models.CharField(max_length=32)
    province = models.CharField(max_length=6, blank=True, default="")  # "" = shipped with the product
    number = models.PositiveIntegerField()  # 1, 2, … per framework and province
    label = models.CharField(max_length=64)  # the file's own `version`
    sha256 = models.CharField(max_length=64)
    text = models.TextField()
    filename = models.CharField(max_length=200)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["framework_id", "province", "-number"]
        constraints = [models.UniqueConstraint(fields=["framework_id", "province", "number"], name="fwversion_unique")]

    def __str__(self) -> str:
        return f"{self.framework_id} v{self.number}{' ' + self.province if self.province else ''}"


class Evaluation(models.Model):
    """An evaluation of a county or a school for a year, on one pinned framework version."""

    class Kind(models.TextChoices):
        SELF = "self", "自评"
        EXTERNAL = "external", "外部评价"
        SITE_VISIT = "site_visit", "实地核查"

    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="evaluations")
    level = models.CharField(max_length=16)  # county | school | student: which level of the framework
    kind = models.CharField(max_length=16, choices=Kind.choices)
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="evaluations")
    school_code = models.CharField(max_length=10, blank=True, default="")  # "" for a county evaluation
    school_name = models.CharField(max_length=100, blank=True, default="")
    section = models.CharField(max_length=16, blank=True, default="")
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations")
    sampled_school = models.ForeignKey(SampledSchool, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="evaluations")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_evaluations")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "county__code", "school_code", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def target(self) -> str:
        return self.school_code or self.county.code

    @property
    def section_label(self) -> str:
        return section_label(self.section)


class Assignment(models.Model):
    """One inspector on one inspection point (slot 1 or 2: two independent scores at most)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="assignments")
    point_id = models.CharField(max_length=32)
    slot = models.PositiveSmallIntegerField()
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["point_id", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "point_id", "slot"], name="assignment_slot_unique"),
            models.UniqueConstraint(fields=["evaluation", "point_id", "inspector"], name="assignment_inspector_unique"),
        ]


class FormLocked(Exception):
    """A submitted form's scores and evidence cannot change (the services refuse first; this guards the rest)."""


def _locked(assignment: Assignment) -> bool:
    return Submission.objects.filter(evaluation_id=assignment.evaluation_id, inspector_id=assignment.inspector_id).exists()


class Score(models.Model):
    """An inspector's score on an assigned point, with a comment; frozen once the inspector submits."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="score")
    value = models.FloatField()
    comment = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if _locked(self.assignment):
            raise FormLocked("评分表已提交锁定 / the form is submitted and locked")
        super().save(*args, **kwargs)


class Evidence(models.Model):
    """A file attached to a score (photos, ledgers, minutes); kept in the database with its hash."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True, default="")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if _locked(self.score.assignment):
            raise FormLocked("评分表已提交锁定 / the form is submitted and locked")
        super().save(*args, **kwargs)


class Submission(models.Model):
    """An inspector's submitted form for an evaluation: from then on their scores and evidence are locked."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="submissions")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evaluation", "inspector"], name="submission_unique")]


class Reconciliation(models.Model):
    """The lead inspector's agreed score on a point where two scores disagreed, with the reason."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reconciliations")
    point_id = models.CharField(max_length=32)
    value = models.FloatField()
    reason = models.TextField()
    by = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evaluation", "point_id"], name="reconciliation_unique")]
