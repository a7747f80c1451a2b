"""A small synthetic province with its teachers, imported once per test module (rolled back at its end)."""

from __future__ import annotations

import pytest

YEAR = 2024


@pytest.fixture(scope="session")
def synth_data():
    from dudao.synth.province import generate_province
    from dudao.synth.teachers import generate_teachers

    data = generate_province(1, counties=2, years=(YEAR,), schools_per_county=4)
    return data, generate_teachers(data, YEAR)


@pytest.fixture(scope="module")
def roster(django_db_setup, django_db_blocker, synth_data, tmp_path_factory):
    """Schools and teachers of two counties imported; returns (data, teacher data, county codes)."""
    from django.db import transaction

    from dudao.orgunits.services import load_divisions
    from dudao.schools.services import import_file
    from dudao.schools.workbook import write_xlsx
    from dudao.standards.model import load_dictionary
    from dudao.synth.teachers import write_teachers
    from dudao.teachers.services import import_file as import_teachers

    tmp = tmp_path_factory.mktemp("roster")
    data, td = synth_data
    yd = data[YEAR]
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_divisions("21")
            load_divisions("13")
            assert import_file(write_xlsx(tmp / "s.xlsx", load_dictionary(), YEAR, yd.schools, yd.sections), YEAR,
                               "t").accepted
            report = import_teachers(write_teachers(td, tmp / "t.xlsx"), YEAR, "t")
            assert report.accepted, report.errors[:3]
            yield data, td, sorted(data.counties)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
