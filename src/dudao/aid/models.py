"""Stored results of aid checks. Only the students a check concerns are stored (due, paid or proposed), never
the whole roster; names and ID numbers are encrypted (``crypto``), with masks for display and a keyed hash
(HMAC) of the ID number for exact look-ups."""

from __future__ import annotations

from django.db import models

from dudao.orgunits.models import OrgUnit


class AidRun(models.Model):
    """One check of a county and term: the files' fingerprints, totals per programme. A new check of the same
    county and term replaces the current one (the old one is kept, ``current`` false)."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="aid_runs")
    term = models.CharField(max_length=16, db_index=True)  # 2024-spring
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, blank=True, default="")
    current = models.BooleanField(default=True)
    rules_version = models.CharField(max_length=32)
    inputs = models.JSONField(default=list)  # [{file, kind, rows, sha256}]
    totals = models.JSONField(default=list)  # per programme
    students = models.IntegerField(default=0)  # students on the roster (current rows)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["county", "term", "current"])]


class AidPerson(models.Model):
    """A student the check concerns, with encrypted name and ID number."""

    run = models.ForeignKey(AidRun, on_delete=models.CASCADE, related_name="people")
    id_hash = models.CharField(max_length=64, db_index=True)
    id_enc = models.TextField()
    name_enc = models.TextField()
    id_mask = models.CharField(max_length=24)
    name_mask = models.CharField(max_length=32)
    school_code = models.CharField(max_length=10, db_index=True)
    school_name = models.CharField(max_length=100, blank=True, default="")
    section = models.CharField(max_length=16, blank=True, default="")
    grade = models.IntegerField(null=True, blank=True)
    boarding = models.BooleanField(null=True)
    on_roster = models.BooleanField(default=True)  # false: paid but not on the roster

    class Meta:
        ordering = ["school_code", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "id_hash"], name="aid_person_once_per_run")]


class AidLine(models.Model):
    """One (student, programme) due or paid in the term, with its finding."""

    class Finding(models.TextChoices):
        OK = "ok", "正常"
        UNPAID = "unpaid", "应助未助"
        NOT_ELIGIBLE = "not_eligible", "不符合条件但已发放"
        TWICE = "twice", "重复发放"
        AMOUNT = "amount", "发放金额不符"

    run = models.ForeignKey(AidRun, on_delete=models.CASCADE, related_name="lines")
    person = models.ForeignKey(AidPerson, on_delete=models.CASCADE, related_name="lines")
    programme = models.CharField(max_length=32, db_index=True)
    school_code = models.CharField(max_length=10, db_index=True)
    categories = models.CharField(max_length=200, blank=True, default="")  # hardship categories: never published
    tier = models.IntegerField(null=True, blank=True)
    eligible = models.BooleanField()
    due = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    paid = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    payments = models.IntegerField(default=0)
    paid_schools = models.IntegerField(default=0)
    finding = models.CharField(max_length=16, choices=Finding.choices, db_index=True)
    confirmed_match = models.BooleanField(default=False)  # due because a person confirmed a proposed match

    class Meta:
        ordering = ["school_code", "person_id", "programme"]


class AidProposal(models.Model):
    """A match proposed by the fallback (same name and birth date in the same county); applied only when a
    person confirms it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REJECTED = "rejected", "已否决"

    run = models.ForeignKey(AidRun, on_delete=models.CASCADE, related_name="proposals")
    person = models.ForeignKey(AidPerson, on_delete=models.CASCADE, related_name="proposals")
    category = models.CharField(max_length=32)
    list_file = models.CharField(max_length=200)
    list_row = models.IntegerField()
    list_id_mask = models.CharField(max_length=24, blank=True, default="")  # blank: the list row had no ID number
    county_code = models.CharField(max_length=6)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["status", "pk"]


class AidNotice(models.Model):
    """A school's public notice (公示) of the students to be aided in a term: the period it is posted."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="aid_notices")
    school_code = models.CharField(max_length=10, db_index=True)
    term = models.CharField(max_length=16)
    starts = models.DateField()
    ends = models.DateField()
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
