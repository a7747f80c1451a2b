"""Schools and their annual statistics, by school year (2024 = the 2024–25 school year).

A school's attributes (county, kind, flags) live on its year record, so a school that closes,
merges or moves to another county keeps its past years under the county it belonged to then.
Statistics are stored as a map of element code → value, the codes and their types being those of
the element dictionary in ``dudao/standards/data/elements.yaml``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.orgunits.models import OrgUnit


class School(models.Model):
    """A school, identified for life by its 10-digit school code."""

    code = models.CharField("学校标识码", max_length=10, unique=True)
    name = models.CharField("学校名称（最新）", max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class SchoolYear(models.Model):
    """A school's record for one school year: where it was, what it was, its shared resources."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("学年（起始年份）")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="school_years")
    name = models.CharField("学校名称", max_length=100)
    kind = models.CharField("学校类型", max_length=32)
    location = models.CharField("城乡分类", max_length=16)
    ownership = models.CharField("办学性质", max_length=16)
    affiliation = models.CharField("隶属关系", max_length=16)
    boarding = models.BooleanField("寄宿制")
    rural_school = models.BooleanField("乡村学校")
    weak_school = models.BooleanField("薄弱学校")
    status = models.CharField("办学状态", max_length=16)
    merged_into = models.CharField("并入学校", max_length=10, blank=True, default="")
    values = models.JSONField("学校级数据", default=dict)

    ATTRIBUTES = (
        "school_name", "county_code", "kind", "location", "ownership", "affiliation",
        "boarding", "rural_school", "weak_school", "status", "merged_into",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="school_year_unique")]
        indexes = [models.Index(fields=["year", "county"])]

    def attribute(self, code: str) -> object:
        """Returns an attribute by its element code."""
        if code == "school_name":
            return self.name
        if code == "county_code":
            return self.county.code
        if code == "merged_into":
            return self.merged_into or None
        return getattr(self, code)


class SectionYear(models.Model):
    """One section (学段) of a school in one school year, with its statistics."""

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="sections")
    section = models.CharField("学段", max_length=16)
    values = models.JSONField("学段数据", default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school_year", "section"], name="section_year_unique")]


class ImportBatch(models.Model):
    """One attempt to import a file: accepted or refused, with its counts."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已导入")
        REFUSED = "refused", _("已拒绝")

    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    actor = models.CharField(max_length=150)
    started_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)


class ChangeRecord(models.Model):
    """One changed value: who, when, old and new. Never edited or deleted by the application."""

    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    school_code = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=16, blank=True, default="")
    field = models.CharField(max_length=64)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=16, default="import")

    CREATED = "__created__"

    class Meta:
        indexes = [models.Index(fields=["school_code", "year"])]
