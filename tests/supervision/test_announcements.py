"""Results announcements: only the province administrator publishes, immutable, corrections link, no people."""

from __future__ import annotations

import datetime as dt

import pytest

from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.supervision.announcements import correct, public_list, publish
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Announcement, AnnouncementFrozen
from dudao.supervision.rectification import tasks_from_case
from dudao.supervision.services import act
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision import test_workflow

pytestmark = pytest.mark.django_db
world = test_workflow.world


def leaves(value, keys=False):
    """Every string value (or, with keys, every key) of a JSON body."""
    if isinstance(value, dict):
        for k, v in value.items():
            if keys:
                yield str(k)
            yield from leaves(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v, keys)
    elif isinstance(value, str) and not keys:
        yield value


def prepared(world):
    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "reject", "资源配置未达标")
    tasks_from_case(case, dt.date(2025, 9, 1), u["prov"])
    return u


def test_only_the_province_admin_publishes_and_the_round_closes(world):
    u = prepared(world)
    create_user("hebei", "province_admin", test_workflow.PW, "130000")
    from dudao.accounts.models import User

    for who in (u["prov"], u["pref"], u["county"], User.objects.get(username="hebei")):
        with pytest.raises(WorkflowError) as info:
            publish(world["round"], who, "结果公告")
        assert info.value.error.code == "E_ANN_ROLE"
    ann = publish(world["round"], u["admin"], "2024 年优质均衡省级评估结果公告")
    world["round"].refresh_from_db()
    assert world["round"].closed_at is not None
    with pytest.raises(WorkflowError) as info:
        act(world["case"], u["admin"], "reopen", "x")
    assert info.value.error.code == "E_FLOW_CLOSED"
    with pytest.raises(WorkflowError) as info:
        publish(world["round"], u["admin"], "再次公告")
    assert info.value.error.code == "E_ANN_EXISTS"
    body = ann.body
    verdicts = {c["code"]: (c["verdict"], c["state"]) for c in body["counties"]}
    assert verdicts == {COUNTY_A: ("fail", "not_recognised"), COUNTY_B: (None, "self_evaluation")}
    assert body["open_tasks"] and all(t["deadline"] == "2025-09-01" for t in body["open_tasks"])


def test_no_personal_data_in_the_body(world):
    u = prepared(world)
    ann = publish(world["round"], u["admin"], "结果公告")
    names = {user.get_username() for user in u.values()}
    assert not set(leaves(ann.body)) & names
    assert not any(name in text for text in leaves(ann.body) for name in ("prov", "opref", "clerk"))
    assert not {"actor", "raised_by", "closed_by", "published_by", "opened_by", "email"} & set(leaves(ann.body, True))


def test_people_named_in_task_descriptions_are_left_out(world):
    """A site-visit finding's description may name the inspectors who scored it; the public body does not."""
    from dudao.supervision.rectification import raise_task

    u = prepared(world)
    u["prov"].first_name, u["prov"].last_name = "三", "张"
    u["prov"].save()
    raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "C1.1.1",
               "实地核查发现：测试学校0007 C1.1.1 —— pref：0 分，张三：1 分（评价 #3）", dt.date(2025, 9, 1),
               case=world["case"])
    ann = publish(world["round"], u["admin"], "结果公告")
    text = next(t["description"] for t in ann.body["open_tasks"] if t["item"] == "C1.1.1")
    assert text == "实地核查发现：测试学校0007 C1.1.1 —— （略）：0 分，（略）：1 分（评价 #3）"


def test_announcements_are_immutable_and_corrections_link_back(world):
    u = prepared(world)
    old = publish(world["round"], u["admin"], "结果公告")
    old.title = "改过的标题"
    with pytest.raises(AnnouncementFrozen):
        old.save()
    with pytest.raises(AnnouncementFrozen):
        old.delete()
    old.refresh_from_db()
    assert old.title == "结果公告"
    with pytest.raises(WorkflowError):
        correct(old, u["prov"], "更正", "数据有误")
    new = correct(old, u["admin"], "结果公告（更正）", "朝阳县结论更正")
    assert new.corrects == old and new.pk != old.pk
    assert new.body["correction"] == {"corrects": old.pk, "note": "朝阳县结论更正"}
    assert list(old.corrections.all()) == [new]
    assert public_list("210000") == [new, old] and public_list("130000") == []
    assert Announcement.objects.count() == 2
