"""The rectification task list and the overdue dashboard at scale: a constant number of queries however many
tasks there are (the latest progress note is one subquery, not one query per task), and pages that keep the
filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dudao.orgunits.models import OrgUnit
from dudao.supervision.models import Note, Task
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision.test_workflow import world  # noqa: F401 - the shared fixture
from tests.web.test_supervision_pages import client_for

pytestmark = pytest.mark.django_db
PAST = dt.date(2020, 7, 1)


def make_tasks(n: int, county: str = COUNTY_A, deadline: dt.date = PAST, start: int = 0) -> list[Task]:
    """n open tasks of a county, item k due k days after the deadline, each with two notes (20 %, then k %)."""
    unit = OrgUnit.objects.get(code=county)
    tasks = Task.objects.bulk_create([
        Task(county=unit, year=2024, source=Task.Source.RECORDED_ITEM, item=f"R{start + k:04d}",
             description=f"整改事项 {start + k:04d}", raised_by="prov", raised_unit="210000", owner_unit=county,
             deadline=deadline + dt.timedelta(days=start + k),
             escalated_to="210500" if k % 2 else "", escalated_at=None)
        for k in range(n)])
    Note.objects.bulk_create([Note(task=t, actor="county", text="开始整改", progress=20) for t in tasks]
                             + [Note(task=t, actor="county", text="继续整改", progress=(start + k) % 100)
                                for k, t in enumerate(tasks)])
    return tasks


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries), r.content.decode()


@pytest.mark.parametrize("url", ["tasks", "overdue_dashboard"])
def test_queries_do_not_grow_with_the_number_of_tasks(world, url):
    prov = client_for(world["users"]["prov"])
    prov.get(reverse(url))  # the first request of a session costs a few queries more
    make_tasks(5)
    few, body = queries(prov, reverse(url))
    assert "整改事项 0004" in body
    make_tasks(45, start=5)
    many, body = queries(prov, reverse(url))
    assert "整改事项 0049" in body and "49%" in body  # the latest note's progress, not the first one's
    assert many == few, (few, many)


def next_link(body: str) -> str:
    found = re.search(r'<a href="([^"]*)" rel="next">', body)
    assert found, "no link to the next page"
    return found.group(1).replace("&amp;", "&")


def test_the_task_list_pages_and_keeps_the_filters(world):
    prov = client_for(world["users"]["prov"])
    make_tasks(130)
    make_tasks(3, county=COUNTY_B, start=1000)
    Task.objects.filter(item="R0005").update(state=Task.State.CLOSED)  # filtered out by overdue=1
    first = prov.get(reverse("tasks") + f"?county={COUNTY_A}&overdue=1").content.decode()
    assert "共 129 项" in first and "第 1/2 页" in first
    assert "整改事项 0000" in first and "整改事项 0100" in first and "整改事项 0101" not in first
    assert "整改事项 0005" not in first and "整改事项 1000" not in first
    link = next_link(first)
    assert f"county={COUNTY_A}" in link and "overdue=1" in link and "page=2" in link
    second = prov.get(reverse("tasks") + link).content.decode()
    assert "共 129 项" in second and "第 2/2 页" in second and 'rel="prev"' in second and 'rel="next"' not in second
    shown = re.findall(r"整改事项 (\d{4})", second)
    assert shown == [f"{k:04d}" for k in range(101, 130)]  # the next tasks, in deadline order, filters kept
    assert "29%" in second  # task 0129's latest note


def test_the_dashboard_pages_its_overdue_list(world):
    pref = client_for(world["users"]["pref"])
    make_tasks(120)
    first = pref.get(reverse("overdue_dashboard")).content.decode()
    assert 'id="n-overdue">120<' in first and 'id="n-escalated">60<' in first  # counts over all pages
    assert ">120</td><td class=\"num no\">120</td><td class=\"num\">60</td><td>2020-07-01<" in first
    assert len(re.findall(r"整改事项 \d{4}", first)) == 100
    second = pref.get(reverse("overdue_dashboard") + next_link(first)).content.decode()
    assert re.findall(r"整改事项 (\d{4})", second) == [f"{k:04d}" for k in range(100, 120)]
    assert 'id="n-overdue">120<' in second
