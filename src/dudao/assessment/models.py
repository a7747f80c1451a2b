"""Recorded county facts (with evidence) and frozen assessment results."""

from django.db import models

from dudao.orgunits.models import OrgUnit


class CountyFact(models.Model):
    """A county item that is recorded rather than computed: a value and/or yes/no, with evidence."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="facts")
    year = models.PositiveSmallIntegerField()
    item = models.CharField(max_length=32)
    value = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    evidence = models.TextField(blank=True, default="")
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year", "item"], name="county_fact_unique")]


class FrozenError(Exception):
    """A frozen result cannot be changed or deleted."""


class AssessmentRun(models.Model):
    """One computed assessment, frozen: its inputs' hash, the standard's version, the code version."""

    standard_id = models.CharField(max_length=32)
    standard_version = models.CharField(max_length=32)
    overlay = models.CharField(max_length=8, blank=True, default="")
    year = models.PositiveSmallIntegerField()
    split_rule = models.CharField(max_length=16)
    scope = models.CharField(max_length=64, help_text="all, or a prefecture or county code")
    inputs_hash = models.CharField(max_length=64)
    code_version = models.CharField(max_length=64)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    document = models.JSONField(help_text="the document's header (standard, year, meta); counties in AssessmentCounty")
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_runs")

    class Meta:
        indexes = [models.Index(fields=["standard_id", "year", "scope"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise FrozenError("评估结果已冻结，不能修改 / a frozen result cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise FrozenError("评估结果已冻结，不能删除 / a frozen result cannot be deleted")

    def full_document(self, counties: list[str] | None = None) -> dict[str, object]:
        """The whole document (optionally only some counties), as ``build_document`` made it."""
        qs = self.counties.order_by("county_code")
        if counties is not None:
            qs = qs.filter(county_code__in=counties)
        return {**self.document, "run": self.pk, "counties": [c.entry for c in qs]}


class AssessmentCounty(models.Model):
    """One county's part of a frozen result: its verdict and its entry of the document."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="counties")
    county_code = models.CharField(max_length=6)
    verdict = models.CharField(max_length=16)
    entry = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "county_code"], name="run_county_unique")]
        indexes = [models.Index(fields=["county_code", "run"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise FrozenError("评估结果已冻结，不能修改 / a frozen result cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise FrozenError("评估结果已冻结，不能删除 / a frozen result cannot be deleted")
