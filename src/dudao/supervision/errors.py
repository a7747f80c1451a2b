"""Error codes of the supervision workflow."""

from dudao.errors import CodedError, CodedMessage


class FlowError(CodedMessage):
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
    RECT_NO_ASSESSMENT = ("E_RECT_NO_ASSESSMENT", "该县的案件尚未附评估结果，无法生成整改任务",
                          "the case has no assessment attached; no rectification tasks can be made from it")
    RECT_RAISE = ("E_RECT_RAISE", "整改任务须由市级或省级督导人员下达", "rectification tasks are raised by prefecture or province inspectors")
    RECT_OWNER = ("E_RECT_OWNER", "只有责任单位（{unit}）的县教育局用户可以填报整改进展",
                  "only county-bureau users of the owner unit ({unit}) can report on the task")
    RECT_LEVEL = ("E_RECT_LEVEL", "整改复核须由下达单位（{unit}）或其上级督导人员进行",
                  "the task is verified by inspectors of the raising unit ({unit}) or above")
    RECT_STATE = ("E_RECT_STATE", "整改任务当前状态“{state}”下不能“{step}”", "'{step}' is not possible while the task is '{state}'")
    RECT_PROGRESS = ("E_RECT_PROGRESS", "整改进度须在 0–100 之间", "progress must be between 0 and 100")
    RECT_COMMENT = ("E_RECT_COMMENT", "“{step}”须填写说明", "'{step}' needs a comment")
    ANN_ROLE = ("E_ANN_ROLE", "结果公告须由本省省级管理员发布", "results are published by an administrator of the province")
    ANN_EXISTS = ("E_ANN_EXISTS", "该轮次已发布公告，如需更改请发布更正公告",
                  "the round already has an announcement; publish a correction instead")
    ANN_TITLE = ("E_ANN_TITLE", "公告须有标题", "an announcement needs a title")
    EVIDENCE_TYPE = ("E_EVIDENCE_TYPE", "文件“{name}”的类型不允许（允许：{allowed}）",
                     "the file '{name}' is not of an allowed type ({allowed})")
    EVIDENCE_CONTENT = ("E_EVIDENCE_CONTENT", "文件“{name}”的内容与扩展名“{ext}”不符",
                        "the content of '{name}' does not match its extension '{ext}'")
    EVIDENCE_SIZE = ("E_EVIDENCE_SIZE", "文件“{name}”为 {mb:.1f} MB，超过 {limit:g} MB 的上限",
                     "the file '{name}' is {mb:.1f} MB, over the {limit:g} MB limit")
    EVIDENCE_EMPTY = ("E_EVIDENCE_EMPTY", "文件“{name}”是空文件", "the file '{name}' is empty")
    EVIDENCE_COUNT = ("E_EVIDENCE_COUNT", "佐证材料至多 {limit} 个文件", "at most {limit} evidence files")
    SELF_LOCKED = ("E_SELF_LOCKED", "案卷已提交（当前状态“{state}”），自评报告和佐证材料已锁定，须退回后才能修改",
                   "the case is submitted (state '{state}'): the narrative and evidence are locked until a send-back")
    SELF_OWNER = ("E_SELF_OWNER", "自评报告和佐证材料只能由本县（{county}）教育局用户填写",
                  "only county-bureau users of {county} edit the self-evaluation")
    NARRATIVE_LONG = ("E_NARRATIVE_LONG", "自评报告不能超过 {limit} 字", "the narrative is limited to {limit} characters")


class WorkflowError(CodedError):
    """A refused step; carries both messages."""
