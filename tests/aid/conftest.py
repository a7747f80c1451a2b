"""Shared fixtures of the aid tests: a small synthetic county's files, the engine's result computed once, and
that result stored for each database test."""

from __future__ import annotations

import pytest

from dudao.aid import crypto, services
from dudao.aid.pipeline import run
from dudao.synth.students import generate_students, write_students

COUNTY = "210521"
TERM = "2024-spring"


def check(files, **kw):
    _data, p = files
    return services.check_county(COUNTY, TERM, [p["roster"]], [p[f"list_{k}"] for k in ("civil", "rural", "disability")],
                                 [p["payments"]], actor="tester", **kw)


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    data = generate_students(COUNTY, TERM, students=600, schools=4, seed=11,
                             plants={"unpaid": 2, "not_eligible": 2, "twice_school": 1, "twice_group": 2, "amount": 1,
                                     "proposals": 2, "moved": 1, "two_categories": 1})
    return data, write_students(data, tmp_path_factory.mktemp("aid"), "csv")


@pytest.fixture(scope="session")
def computed(files):
    """The engine's result for the files, computed once (storing it is what these tests are about)."""
    _data, p = files
    return run([p["roster"]], [p[f"list_{k}"] for k in ("civil", "rural", "disability")], [p["payments"]], TERM,
               hash_key=crypto.hash_key(), county=COUNTY)


@pytest.fixture
def stored(liaoning, files, computed, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(services, "run", lambda *a, **kw: computed)
        return check(files)[0]


