"""A stored value-added run over the test schools of counties A and B (synthetic scores)."""

from __future__ import annotations

import pytest

from dudao.quality.scores_io import check_frame, value_added
from dudao.quality.services import save_run
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.synth.scores import School, generate_scores
from tests.factories import dataset

YEAR = 2024


def va_scores(seed: int = 1):
    schools, _sections = dataset()
    listed = [School(s["school_code"], s["county_code"], s["school_name"]) for s in schools]
    sizes = [120, 150, 90, 200, 12, 300, 180, 250, 110]  # 2121000005 has too few students
    return generate_scores(listed, seed=seed, cohort_sizes=sizes, small_share=0.0)


@pytest.fixture
def registered(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    assert import_file(write_xlsx(tmp_path / "d.xlsx", dictionary, YEAR, schools, sections), YEAR, "clerk").accepted


@pytest.fixture
def stored_run(registered):
    scores = va_scores()
    result = value_added(check_frame(scores.students, "scores.parquet", 1))
    return save_run(result, YEAR, "tester", subject="数学", label="测试"), scores


def matrix_run(school_counties: dict[str, str], names: dict[str, str], year: int = YEAR) -> int:
    """A stored run over the access matrix's schools (its world builder calls this)."""
    listed = [School(code, county, names.get(code, "")) for code, county in sorted(school_counties.items())]
    scores = generate_scores(listed, seed=5, small_share=0.0)
    return save_run(value_added(check_frame(scores.students, "matrix.csv", 1)), year, "setup", subject="数学").pk
