"""A small synthetic province (two counties, three school years) loaded with its places data."""

from __future__ import annotations

import pytest


@pytest.fixture
def province(db, liaoning, tmp_path):
    from dudao.places.demo import load_demo
    from dudao.schools.services import import_file
    from dudao.schools.workbook import write_xlsx
    from dudao.standards.model import load_dictionary
    from dudao.synth.province import generate_province

    d = load_dictionary()
    data = generate_province(3, counties=["210521", "211321"], schools_per_county=12)
    for year, yd in data.years.items():
        path = write_xlsx(tmp_path / f"p{year}.xlsx", d, year, yd.schools, yd.sections)
        assert import_file(path, year, "setup").accepted
    load_demo(seed=3)
    return data
