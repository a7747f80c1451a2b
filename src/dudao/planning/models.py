"""Terms of office (county leaders, principals) and evaluations recorded outside the workflow."""

from __future__ import annotations

from django.db import models

from dudao.orgunits.models import OrgUnit


class Term(models.Model):
    """One person's term in a post: a county's head or Party secretary, or a school's principal.

    The person's name is personal data: it is shown only to users with the ``terms`` capability and never on
    schedules, exports of the schedule or public pages.
    """

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="terms")
    school_code = models.CharField(max_length=10, blank=True, default="")  # empty for a county post
    post = models.CharField(max_length=32)  # a post code of standards/data/planning.yaml
    person = models.CharField(max_length=50)
    start = models.DateField()
    end = models.DateField(help_text="the term's end (planned, or actual when it ended early)")
    actor = models.CharField(max_length=150)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["county__code", "school_code", "post", "start"]
        constraints = [models.UniqueConstraint(fields=["county", "school_code", "post", "start"], name="term_unique")]
        indexes = [models.Index(fields=["end"])]

    def __str__(self) -> str:
        return f"{self.school_code or self.county.code} {self.post} {self.start}–{self.end}"


class RecordedEvaluation(models.Model):
    """A county's evaluation decided outside the workflow in this system (e.g. before it was used), with the
    document that records it; supervision cases decided in the system are read from ``dudao.supervision``."""

    class Result(models.TextChoices):
        RECOGNISED = "recognised", "通过省级评估"
        NOT_RECOGNISED = "not_recognised", "未通过省级评估"

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="recorded_evaluations")
    date = models.DateField()
    result = models.CharField(max_length=16, choices=Result.choices)
    document = models.CharField(max_length=200, help_text="文号或文件名称 / the document recording the decision")
    actor = models.CharField(max_length=150)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["county__code", "date"]
        constraints = [models.UniqueConstraint(fields=["county", "date"], name="recorded_evaluation_unique")]
