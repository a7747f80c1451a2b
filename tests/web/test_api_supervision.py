"""The supervision API: rounds, a round's cases, a case's timeline, steps under the web's rules, tasks; the schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from dudao.accounts.models import ApiToken
from dudao.assessment.services import run_assessment
from dudao.audit.models import AuditEvent
from dudao.supervision.models import Case
from dudao.supervision.rectification import raise_task
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision.test_workflow import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


class Caller:
    def __init__(self, user):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {ApiToken.issue(user, 'test')[1]}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def step(self, case, action, comment=""):
        return self.client.post(f"/api/supervision/cases/{case.pk}/steps", json.dumps({"action": action, "comment": comment}),
                                content_type="application/json", headers=self.headers)


@pytest.fixture
def api(world):
    return {k: Caller(u) for k, u in world["users"].items()}


def test_rounds_cases_and_scope(world, api):
    rnd, case = world["round"], world["case"]
    rounds = api["pref"].get("/api/supervision/rounds").json()
    assert [r["id"] for r in rounds] == [rnd.pk] and rounds[0]["states"] == {"self_evaluation": 1}
    assert api["admin"].get("/api/supervision/rounds").json()[0]["states"] == {"self_evaluation": 2}
    assert api["clerk"].get("/api/supervision/rounds").json() == []
    detail = api["pref"].get(f"/api/supervision/rounds/{rnd.pk}").json()
    assert [c["county"] for c in detail["cases"]] == [COUNTY_A] and detail["cases"][0]["state_zh"] == "县级自评"
    assert api["clerk"].get(f"/api/supervision/rounds/{rnd.pk}").status_code == 404
    assert api["county"].get("/api/supervision/rounds/999999").status_code == 404
    case_b = Case.objects.get(round=rnd, county__code=COUNTY_B)
    r = api["county"].get(f"/api/supervision/cases/{case_b.pk}")
    assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"
    assert AuditEvent.objects.filter(action="denied", actor="county").exists()
    mine = api["county"].get(f"/api/supervision/cases/{case.pk}").json()
    assert mine["allowed_actions"] == ["submit"] and mine["timeline"] == []
    assert Client().get("/api/supervision/rounds").status_code == 401


def test_steps_follow_the_same_rules_as_the_web(world, api):
    case = world["case"]
    r = api["county"].step(case, "submit")
    assert r.status_code == 409 and r.json()["code"] == "E_FLOW_ASSESSMENT"
    run_assessment("youzhi2017", 2024, COUNTY_A)
    r = api["pref"].step(case, "submit")
    assert r.status_code == 403 and r.json()["code"] == "E_FLOW_ROLE" and "县教育局" in r.json()["message"]
    r = api["county"].step(case, "submit", "自评完成")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "submitted" and body["assessment"] and body["timeline"][0]["actor"] == "county"
    r = api["pref"].step(case, "return_to_county")
    assert r.status_code == 409 and r.json()["code"] == "E_FLOW_COMMENT"
    assert api["pref"].step(case, "pass_up").json()["state"] == "provincial_evaluation"
    r = api["other_pref"].step(case, "return_to_county", "x")
    assert r.status_code == 404  # outside the area: like a missing case
    r = api["prov"].step(case, "nope")
    assert r.status_code == 409 and r.json()["code"] == "E_FLOW_ACTION"
    timeline = api["prov"].get(f"/api/supervision/cases/{case.pk}").json()["timeline"]
    assert [e["action"] for e in timeline] == ["submit", "pass_up"]


def test_tasks_in_scope_with_filters(world, api):
    u = world["users"]
    raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "SV1", "功能教室挪作他用", dt.date(2020, 1, 1))
    raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "SV2", "围墙破损", dt.date(2099, 1, 1))
    raise_task(COUNTY_B, 2024, u["admin"], "site_visit", "SV3", "消防通道", dt.date(2099, 1, 1))
    assert len(api["pref"].get("/api/supervision/tasks").json()) == 2
    assert len(api["admin"].get("/api/supervision/tasks").json()) == 3
    late = api["admin"].get("/api/supervision/tasks?overdue=true").json()
    assert [t["item"] for t in late] == ["SV1"] and late[0]["overdue"] is True
    assert api["county"].get(f"/api/supervision/tasks?county={COUNTY_B}").json() == []
    assert api["clerk"].get("/api/supervision/tasks").json() == []
    assert api["admin"].get("/api/supervision/tasks?state=closed").json() == []


def test_the_schema_documents_the_supervision_operations(world):
    paths = Client().get("/api/openapi.json").json()["paths"]
    for path in ("/api/supervision/rounds", "/api/supervision/rounds/{round_id}", "/api/supervision/cases/{case_id}",
                 "/api/supervision/cases/{case_id}/steps", "/api/supervision/tasks"):
        assert path in paths, path
    assert "post" in paths["/api/supervision/cases/{case_id}/steps"]
