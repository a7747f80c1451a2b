"""Framework files: the shipped ones load with the confirmed structure; bad files are refused with located errors."""

from __future__ import annotations

import pytest
import yaml

from dudao.standards.checklists import (
    CHECKLIST_DIR,
    ChecklistError,
    available_frameworks,
    load_framework,
    parse_framework,
)


def _quality() -> dict:
    return yaml.safe_load((CHECKLIST_DIR / "quality2021.yaml").read_text(encoding="utf-8"))


def _issues(data: dict, name: str = "edited.yaml") -> list:
    with pytest.raises(ChecklistError) as caught:
        parse_framework(yaml.safe_dump(data, allow_unicode=True), name)
    return caught.value.issues


def test_shipped_frameworks_load_with_the_confirmed_structure():
    assert available_frameworks() == ["quality2021", "sitevisit2017"]
    fw = load_framework("quality2021").framework
    areas = {lv.id: [a.zh for a in lv.areas] for lv in fw.levels}
    assert areas == {  # standards.md §4 [C]
        "county": ["价值导向", "组织领导", "教学条件", "教师队伍", "均衡发展"],
        "school": ["办学方向", "课程教学", "教师发展", "学校管理", "学生发展"],
        "student": ["品德发展", "学业发展", "身心发展", "审美素养", "劳动与社会实践"],
    }
    for lv in fw.levels:
        indicators = [i for a in lv.areas for i in a.indicators]
        assert len(indicators) == 12
        assert all(i.provisional and i.confidence == "U" for i in indicators)  # names unconfirmed
        assert all(a.confidence == "C" and not a.provisional for a in lv.areas)
    points = [p for lv in fw.levels for p in fw.points(lv.id)]
    assert all(p.source and p.confidence in "CSU" for p in points)
    assert any(p.data == ["academic_scores"] for p in fw.points("student"))


def test_site_visit_checklist_covers_the_2017_checks():
    fw = load_framework("sitevisit2017").framework
    assert fw.kind == "sitevisit" and [lv.id for lv in fw.levels] == ["school"]
    areas = [a.zh for a in fw.level("school").areas]
    assert areas == ["数据核实", "办学条件", "规模与班额", "教师配备", "设备使用", "教育教学管理"]
    elements = {p.element for p in fw.points("school") if p.element}
    assert {"students", "teachers_above_degree", "floor_area_teaching", "equipment_value",
            "multimedia_classrooms", "max_class_size"} <= elements
    for p in fw.points("school"):
        rubric = fw.rubric_of(p)
        assert fw.gap_of(p) >= 0 and rubric.high > rubric.low


def test_a_broken_file_lists_every_problem_with_its_location():
    data = _quality()
    county = data["levels"][0]
    county["areas"][1]["weight"] = -1                                    # schema: weight > 0
    county["areas"][0]["indicators"][0]["points"][0]["rubric"] = "stars"  # unknown rubric
    county["areas"][4]["indicators"].pop()                                # 11 key indicators instead of 12
    data["levels"][1]["areas"][0]["indicators"][0]["id"] = "C1.1"         # id used twice
    issues = _issues(data)
    found = {(i.path, i.rule.split(":")[0]) for i in issues}
    assert ("levels[county].areas[C2].weight", "E_CHECKLIST_SCHEMA") in found
    assert all(i.file == "edited.yaml" for i in issues)
    data["levels"][0]["areas"][1]["weight"] = 20
    issues = _issues(data)
    found = {(i.path, i.rule) for i in issues}
    assert found == {
        ("levels[county].areas[C1].indicators[C1.1].points[C1.1.1].rubric", "E_CHECKLIST_RUBRIC"),
        ("levels[county]", "E_CHECKLIST_STRUCTURE"),
        ("levels[school].areas[S1].indicators[C1.1]", "E_CHECKLIST_DUPLICATE"),
    }
    structure = next(i for i in issues if i.rule == "E_CHECKLIST_STRUCTURE")
    assert "应有 12 个关键指标，实有 11 个" in structure.message_zh


def test_rubric_rules_and_yaml_errors_are_located():
    data = _quality()
    data["rubrics"]["percent"]["max"] = 0  # min == max
    data["rubrics"]["levels4"]["levels"][1]["points"] = 10  # two levels with the same points
    issues = _issues(data)
    assert {(i.path, i.rule) for i in issues} == {("rubrics.percent", "E_CHECKLIST_SCALE"),
                                                  ("rubrics.levels4", "E_CHECKLIST_LEVELS")}
    with pytest.raises(ChecklistError) as caught:
        parse_framework("id: x\nlevels: [\n", "bad.yaml")
    (issue,) = caught.value.issues
    assert issue.rule == "E_CHECKLIST_YAML" and issue.path.startswith("line ")
    with pytest.raises(ChecklistError) as caught:
        parse_framework("- 1\n", "list.yaml")
    assert caught.value.issues[0].rule == "E_CHECKLIST_TOP"


def test_rubric_scales_normalise_and_validate():
    fw = load_framework("quality2021").framework
    levels, yesno, pct = fw.rubrics["levels4"], fw.rubrics["yesno"], fw.rubrics["percent"]
    assert [levels.normalise(v) for v in (10, 8, 6, 0)] == [1.0, 0.8, 0.6, 0.0]
    assert levels.valid(8) and not levels.valid(7)
    assert yesno.valid(1) and not yesno.valid(0.5)
    assert pct.valid(55) and not pct.valid(55.5) and not pct.valid(101)


def test_every_inspection_error_code_is_documented():
    from pathlib import Path

    from dudao.inspection.errors import InspectionMessage
    from dudao.standards.checklists import ChecklistMessage

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    assert [m.code for m in [*ChecklistMessage, *InspectionMessage] if f"`{m.code}`" not in doc] == []
