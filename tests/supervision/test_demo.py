"""The supervision step of ``dudao demo``: one open round over every county, opened once."""

import pytest

from dudao.orgunits.models import OrgUnit
from dudao.supervision.demo import open_demo_round
from dudao.supervision.models import Round

pytestmark = pytest.mark.django_db


def test_demo_round_covers_every_county_once(liaoning):
    rnd = open_demo_round(2024, "demo")
    counties = OrgUnit.objects.filter(level="county", code__startswith="21").count()
    assert counties > 50 and rnd.cases.count() == counties
    assert set(rnd.cases.values_list("state", flat=True)) == {"self_evaluation"}
    assert open_demo_round(2024, "demo").pk == rnd.pk and Round.objects.count() == 1
