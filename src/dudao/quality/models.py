"""Stored value-added runs (frozen, like assessment results) and each school's result in a run."""

from __future__ import annotations

from django.db import models


class FrozenError(Exception):
    """A stored value-added run cannot be changed or deleted."""


class _Frozen(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise FrozenError("增值评价结果已冻结，不能修改 / a stored value-added run cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise FrozenError("增值评价结果已冻结，不能删除 / a stored value-added run cannot be deleted")


class ValueAddedRun(_Frozen):
    """One estimate: what went in (file, hash), the model fitted, its parameters and the code version."""

    year = models.PositiveSmallIntegerField(help_text="school year of the post-test (2024 = 2024–2025)")
    subject = models.CharField(max_length=32, blank=True, default="", help_text="e.g. 数学; blank: a composite")
    label = models.CharField(max_length=100, blank=True, default="", help_text="e.g. 2022 级七年级→九年级")
    model_id = models.CharField(max_length=32)
    model = models.JSONField(help_text="the fitted model: regressors, β, σ², τ², counts")
    params = models.JSONField(help_text="min_students, confidence_level, low_match_share")
    counts = models.JSONField(help_text="schools per band")
    inputs = models.CharField(max_length=255, blank=True, default="")
    inputs_hash = models.CharField(max_length=64)
    code_version = models.CharField(max_length=64)
    engine = models.CharField(max_length=16)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["year", "subject"])]

    def __str__(self) -> str:
        return f"增值评价 #{self.pk} {self.year} {self.subject}"


class SchoolValueAdded(_Frozen):
    """A school's part of a run: its band, or the reason it was refused, with the figures behind it."""

    run = models.ForeignKey(ValueAddedRun, on_delete=models.PROTECT, related_name="schools")
    school_code = models.CharField(max_length=10)
    county_code = models.CharField(max_length=6, blank=True, default="")
    school_name = models.CharField(max_length=100, blank=True, default="")
    band = models.CharField(max_length=16)
    students = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    missing_pre = models.PositiveIntegerField()
    missing_post = models.PositiveIntegerField()
    missing_covariates = models.PositiveIntegerField()
    pre_mean = models.FloatField(null=True)
    post_mean = models.FloatField(null=True)
    expected_post_mean = models.FloatField(null=True)
    raw = models.FloatField(null=True)
    shrinkage = models.FloatField(null=True)
    estimate = models.FloatField(null=True)
    se = models.FloatField(null=True)
    lower = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    low_match = models.BooleanField(default=False)
    reason_zh = models.TextField(blank=True, default="")
    reason_en = models.TextField(blank=True, default="")
    note_zh = models.TextField(blank=True, default="")
    note_en = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "school_code"], name="va_run_school_unique")]
        indexes = [models.Index(fields=["school_code", "run"]), models.Index(fields=["county_code", "run"])]
