"""The demo step stores an aid check for a county of the demo province, over that county's real schools."""

from __future__ import annotations

import pytest

from dudao.aid.demo import load_demo
from dudao.aid.models import AidPerson, AidRun
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.standards.model import load_dictionary
from tests.factories import COUNTY_A, dataset

pytestmark = pytest.mark.django_db


def test_demo_step(liaoning, tmp_path):
    assert import_file(write_xlsx(tmp_path / "s.xlsx", load_dictionary(), 2024, *dataset()), 2024, "setup").accepted
    out = load_demo(2024, "demo", tmp_path, counties=(COUNTY_A, "210000"))
    assert out["counties"] == 1 and out["findings"] > 0
    run = AidRun.objects.get(county__code=COUNTY_A, term="2024-autumn")
    names = set(AidPerson.objects.filter(run=run).values_list("school_name", flat=True))
    assert names and all(n.startswith("测试学校") or n == "" for n in names)
