"""Inputs of school-places planning and the projections made from them.

Births are county-level series (户籍 registered and 常住 resident); enrolment and classes by grade are
per school and school year (the annual statistics keep only section totals, see ``dudao.schools``);
classrooms per school section and year give the capacity; each school may have a site (coordinates)
and a catchment zone; migrant-children applications are counted per zone, year and grade.
"""

from django.db import models

from dudao.orgunits.models import OrgUnit
from dudao.schools.models import School


class Births(models.Model):
    SERIES = (("huji", "户籍"), ("changzhu", "常住"))

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="births")
    year = models.PositiveSmallIntegerField("出生年份")
    series = models.CharField("口径", max_length=16, choices=SERIES)
    births = models.PositiveIntegerField("出生人数")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year", "series"], name="births_unique")]


class CatchmentZone(models.Model):
    """A 学区 (catchment zone) of a county: the schools that serve one area."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField("学区代码", max_length=16, unique=True)
    name = models.CharField("学区名称", max_length=60)

    class Meta:
        ordering = ["code"]


class SchoolSite(models.Model):
    """Where a school is and which catchment zone it serves."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="site")
    longitude = models.FloatField("经度", null=True)
    latitude = models.FloatField("纬度", null=True)
    zone = models.ForeignKey(CatchmentZone, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites")


class GradeEnrolment(models.Model):
    """Students and classes of one grade of a school in one school year."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="grade_enrolment")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="grade_enrolment")
    year = models.PositiveSmallIntegerField("学年")
    grade = models.PositiveSmallIntegerField("年级")
    students = models.PositiveIntegerField("在校生数")
    classes = models.PositiveIntegerField("班级数", null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "year", "grade"], name="grade_enrolment_unique")]
        indexes = [models.Index(fields=["county", "year"])]


class Classrooms(models.Model):
    """Ordinary classrooms of a school section in a school year (capacity = classrooms × class size)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classrooms")
    year = models.PositiveSmallIntegerField("学年")
    section = models.CharField("学段", max_length=16)
    classrooms = models.PositiveIntegerField("普通教室数")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "year", "section"], name="classrooms_unique")]


class MigrantApplications(models.Model):
    """Applications of migrant workers' children for places, by zone, school year and entry grade."""

    zone = models.ForeignKey(CatchmentZone, on_delete=models.CASCADE, related_name="applications")
    year = models.PositiveSmallIntegerField("学年")
    grade = models.PositiveSmallIntegerField("年级")
    applications = models.PositiveIntegerField("申请人数")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "year", "grade"], name="applications_unique")]


class PlacesImport(models.Model):
    """One attempt to import a places workbook: accepted or refused, with its counts."""

    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    accepted = models.BooleanField()
    errors = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)


class ProjectionRun(models.Model):
    """A projection of one county as made and saved (parameters, fitted values, results, backtest)."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="projection_runs")
    made_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    base_year = models.PositiveSmallIntegerField()
    horizon = models.PositiveSmallIntegerField()
    document = models.JSONField()

    class Meta:
        ordering = ["-made_at"]
