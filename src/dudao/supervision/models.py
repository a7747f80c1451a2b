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
