"""Error codes of the supervision workflow."""

from enum import Enum


class FlowError(Enum):
    ACTION = ("E_FLOW_ACTION", "没有“{action}”这一步骤", "there is no step '{action}'")
    STATE = ("E_FLOW_STATE", "当前状态“{state}”下不能“{step}”", "'{step}' is not possible in state '{state}'")
    ROLE = ("E_FLOW_ROLE", "“{step}”须由{roles}操作", "'{step}' must be done by {roles}")
    SCOPE = ("E_FLOW_SCOPE", "该县不在您的管辖范围内", "the county is outside your area")
    COMMENT = ("E_FLOW_COMMENT", "“{step}”须填写意见", "'{step}' needs a comment")
    ASSESSMENT = ("E_FLOW_ASSESSMENT", "提交前须先对本县 {year} 学年运行评估", "run the assessment of the county for {year} before submitting")
    CLOSED = ("E_FLOW_CLOSED", "评估轮次已结束", "the round is closed")
    LOCKED = ("E_LOCKED", "{county} {year} 学年的数据已随自评提交而锁定，须退回后才能修改",
              "the data of {county} for {year} are locked by a submitted case; they can change only after a send-back")
    COUNTIES = ("E_FLOW_COUNTIES", "轮次中的县不属于该省：{codes}", "counties outside the province: {codes}")

    def __init__(self, code: str, zh: str, en: str):
        self.code, self.zh, self.en = code, zh, en


class WorkflowError(Exception):
    """A refused step; carries both messages."""

    def __init__(self, error: FlowError, **kw: object):
        self.error = error
        self.message_zh, self.message_en = error.zh.format(**kw), error.en.format(**kw)
        super().__init__(f"{self.message_zh} / {self.message_en}")
