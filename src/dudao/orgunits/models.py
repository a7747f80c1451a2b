"""Org units: province → prefecture → county, by 6-digit administrative code."""

from django.db import models

from dudao.orgunits.codes import check_region_code


def _validate_code(value: str) -> None:
    from django.core.exceptions import ValidationError

    from dudao.orgunits.errors import CodeError

    try:
        check_region_code(value)
    except CodeError as exc:
        raise ValidationError(str(exc)) from None


class OrgUnit(models.Model):
    """A province, prefecture or county-level division."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        PREFECTURE = "prefecture", "地市级"
        COUNTY = "county", "县级"

    code = models.CharField("行政区划代码", max_length=6, unique=True, validators=[_validate_code])
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
