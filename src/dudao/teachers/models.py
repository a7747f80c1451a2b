"""Teacher records by school year: who teaches where and what, their service history and rotations.

A roster is imported per school year (like the schools' statistics). The ID number is stored encrypted
and found again by a keyed digest; pages show it masked.
"""

from django.db import models

from dudao.orgunits.models import OrgUnit
from dudao.schools.models import School


class Teacher(models.Model):
    year = models.PositiveSmallIntegerField("学年（起始年份）")
    id_digest = models.CharField(max_length=64)
    id_encrypted = models.TextField()
    id_masked = models.CharField("身份证号（脱敏）", max_length=24)
    name = models.CharField("姓名", max_length=50)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="teachers")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="teachers")
    section = models.CharField("学段", max_length=16)
    subject = models.CharField("主教学科", max_length=24)
    qualification = models.CharField("最高学历", max_length=24)
    title = models.CharField("职称", max_length=24)
    key_level = models.CharField("骨干教师级别", max_length=16)
    certified = models.BooleanField("持有教师资格证")
    birth_year = models.PositiveSmallIntegerField("出生年份")
    sex = models.CharField("性别", max_length=1)  # M / F
    post = models.CharField("岗位", max_length=24)
    full_time = models.BooleanField("专任教师", default=True)
    mental_health_part_time = models.BooleanField("兼任心理健康教育", default=False)
    exemption = models.CharField("不参加交流的情形", max_length=24, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "id_digest"], name="teacher_year_unique")]
        indexes = [models.Index(fields=["year", "county"]), models.Index(fields=["year", "school"])]


class ServicePeriod(models.Model):
    """A period at one school; ``end`` empty = still there. The school's status at the time as recorded."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="service")
    school_code = models.CharField(max_length=10)
    school_name = models.CharField(max_length=100, blank=True, default="")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    rural = models.BooleanField(null=True)
    weak = models.BooleanField(null=True)
    post = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        ordering = ["start"]


class Rotation(models.Model):
    """One rotation (交流轮岗): its kind, whether the personnel relationship moves, its dates."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="rotations")
    kind = models.CharField(max_length=16)
    relation_moves = models.BooleanField()
    from_school = models.CharField(max_length=10)
    to_school = models.CharField(max_length=10)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["start"]


class SchoolPlace(models.Model):
    """A school's coordinates (WGS84), for distances in the rotation planner."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="place")
    lat = models.FloatField()
    lon = models.FloatField()


class RotationPlan(models.Model):
    """A proposed rotation plan for one county and year, as solved; kept for the bureau's decision."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="rotation_plans")
    year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
