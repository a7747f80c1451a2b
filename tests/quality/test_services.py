"""Stored runs: frozen, with provenance; a school's bands for the inspection report."""

from __future__ import annotations

import pytest

from dudao.audit.models import AuditEvent
from dudao.quality.models import FrozenError, SchoolValueAdded, ValueAddedRun
from dudao.quality.services import county_results, school_bands
from tests.factories import COUNTY_A, COUNTY_B

pytestmark = pytest.mark.django_db


def test_run_is_stored_frozen_with_provenance(stored_run):
    run, _scores = stored_run
    assert run.inputs_hash and len(run.inputs_hash) == 64 and run.code_version.startswith("0.")
    assert run.model["id"] == "eb_random_intercept" and run.params["min_students"] == 20
    assert run.engine == "duckdb" and run.subject == "数学"
    assert sum(run.counts.values()) == run.schools.count() == 9
    assert AuditEvent.objects.filter(action="value_added", object_id=str(run.pk)).exists()
    with pytest.raises(FrozenError):
        run.save()
    with pytest.raises(FrozenError):
        run.schools.first().delete()


def test_counties_and_names_come_from_the_registry(stored_run):
    run, _scores = stored_run
    rows = {r.school_code: r for r in run.schools.all()}
    assert rows["3421000008"].county_code == COUNTY_B and rows["2121000001"].county_code == COUNTY_A
    assert rows["2121000001"].school_name == "测试学校0001"


def test_school_bands(stored_run):
    run, _scores = stored_run
    [entry] = school_bands("3121000006", 2024)
    assert entry["band"] in ("above", "expected", "below") and entry["run"] == run.pk
    assert entry["lower"] < entry["estimate"] < entry["upper"] and entry["subject"] == "数学"
    assert entry["band_zh"] in ("高于预期", "符合预期", "低于预期")
    [small] = school_bands("2121000005")  # the latest year when none is given
    assert small["band"] == "refused" and small["estimate"] is None and "少于最少 20 人" in small["reason"]
    assert school_bands("3121000006", 2019) == [] and school_bands("2121009999") == []


def test_a_newer_run_of_the_subject_replaces_the_older_one(stored_run, registered):
    from dudao.quality.scores_io import check_frame, value_added
    from dudao.quality.services import save_run
    from tests.quality.conftest import va_scores

    run, _ = stored_run
    newer = save_run(value_added(check_frame(va_scores(seed=7).students, "again.csv")), 2024, "t", subject="数学")
    other = save_run(value_added(check_frame(va_scores(seed=8).students, "chinese.csv")), 2024, "t", subject="语文")
    bands = school_bands("3121000006", 2024)
    assert [(b["subject"], b["run"]) for b in bands] == [("数学", newer.pk), ("语文", other.pk)]
    result = county_results(COUNTY_A, 2024)
    assert {r["run"].pk for r in result["runs"]} == {newer.pk, other.pk}
    assert all(s.county_code == COUNTY_A for r in result["runs"] for s in r["schools"])
    assert ValueAddedRun.objects.count() == 3 and SchoolValueAdded.objects.filter(run=run).count() == 9


def test_demo_runs_cover_every_junior_section(registered):
    from dudao.quality.services import demo_runs

    runs = demo_runs(2024, "demo")
    assert [r.subject for r in runs] == ["语文", "数学"]
    codes = set(runs[0].schools.values_list("school_code", flat=True))
    assert codes == {"3121000006", "3121000007", "3421000008"}  # the schools with a junior section
    matched = dict(runs[0].schools.values_list("school_code", "students"))
    assert matched["3421000008"] == 300  # a third of the 900 registered junior students: one grade
    assert runs[0].inputs_hash != runs[1].inputs_hash
