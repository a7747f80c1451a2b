"""A small framework whose roll-up is easy to compute by hand, and inspectors for the supervision test world."""

from __future__ import annotations

import pytest

from dudao.accounts.services import create_user
from tests.factories import COUNTY_A, COUNTY_B
from tests.supervision.test_workflow import PW
from tests.supervision.test_workflow import world as supervision_world  # noqa: F401 - the shared fixture

SMALL = """
id: quality2021
version: "test.1"
kind: quality
name_zh: 测试框架
source: 测试
confidence: U
rubrics:
  levels4: {kind: levels, zh: 四级, gap: 2, source: 测试, confidence: U,
            levels: [{code: A, zh: 优秀, points: 10}, {code: B, zh: 良好, points: 8},
                     {code: C, zh: 合格, points: 6}, {code: D, zh: 不合格, points: 0}]}
  yesno: {kind: yesno, zh: 是否, gap: 0, source: 测试, confidence: U}
  scale10: {kind: scale, zh: 十分制, min: 0, max: 10, step: 0.5, gap: 2, source: 测试, confidence: U}
data_sources:
  academic_scores: {zh: 学业成绩, provider: dudao.quality}
levels:
  - id: school
    zh: 学校
    source: 测试
    confidence: U
    areas:
      - id: A1
        zh: 领域一
        weight: 3
        source: 测试
        confidence: U
        indicators:
          - id: I1
            zh: 指标一
            weight: 1
            source: 测试
            confidence: U
            points:
              - {id: P1, zh: 要点一, weight: 1, rubric: levels4, source: 测试, confidence: U}
              - {id: P2, zh: 要点二, weight: 3, rubric: yesno, source: 测试, confidence: U}
          - id: I2
            zh: 指标二
            weight: 1
            source: 测试
            confidence: U
            points:
              - {id: P3, zh: 要点三, weight: 1, rubric: scale10, source: 测试, confidence: U}
      - id: A2
        zh: 领域二
        weight: 1
        source: 测试
        confidence: U
        indicators:
          - id: I3
            zh: 指标三
            weight: 1
            source: 测试
            confidence: U
            points:
              - {id: P4, zh: 学业增值, weight: 1, rubric: levels4, data: [academic_scores], source: 测试, confidence: U}
              - {id: P5, zh: 要点五, weight: 1, rubric: levels4, source: 测试, confidence: U}
  - id: county
    zh: 县域
    source: 测试
    confidence: U
    areas:
      - id: CA
        zh: 县域领域
        weight: 1
        source: 测试
        confidence: U
        indicators:
          - id: CI
            zh: 县域指标
            weight: 1
            source: 测试
            confidence: U
            points:
              - {id: CP, zh: 县域要点, weight: 1, rubric: yesno, source: 测试, confidence: U}
"""


@pytest.fixture
def iworld(supervision_world):
    u = supervision_world["users"]
    u["expert1"] = create_user("expert1", "expert_inspector", PW, COUNTY_A)
    u["expert2"] = create_user("expert2", "expert_inspector", PW, COUNTY_A)
    u["expert_b"] = create_user("expert_b", "expert_inspector", PW, COUNTY_B)
    return supervision_world
