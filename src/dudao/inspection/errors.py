"""Error codes of inspection and quality evaluation."""

from dudao.errors import CodedError, CodedMessage


class InspectionMessage(CodedMessage):
    CREATE_ROLE = ("E_INSP_CREATE_ROLE", "{kind}须由{roles}创建", "a {kind_en} evaluation is created by {roles_en}")
    SCOPE = ("E_INSP_SCOPE", "评价对象不在您的管辖范围内", "the evaluated county or school is outside your area")
    TARGET = ("E_INSP_TARGET", "{year} 学年没有学校 {code} 的数据", "no data for school {code} in {year}")
    LEVEL = ("E_INSP_LEVEL", "框架“{framework}”没有“{level}”层面，或该层面不适用于此评价对象",
             "the framework '{framework}' has no level '{level}', or it does not fit this target")
    KIND = ("E_INSP_KIND", "{framework}不能用于“{kind}”", "{framework} cannot be used for a '{kind_en}' evaluation")
    LEAD = ("E_INSP_LEAD", "只有本次评价的组长（{lead}）可以{what}", "only the lead inspector ({lead}) can {what_en}")
    ASSIGNEE = ("E_INSP_ASSIGNEE", "{user} 不能承担此评价的评分（角色或范围不符）",
                "{user} cannot score this evaluation (role or area)")
    POINT = ("E_INSP_POINT", "考查要点“{point}”不在本框架中，或需平台数据、不由人工评分",
             "point '{point}' is not in the framework or is answered by platform data, not scored by hand")
    SLOTS = ("E_INSP_SLOTS", "每个考查要点最多两名督学独立评分", "at most two inspectors score a point independently")
    SAME = ("E_INSP_SAME", "同一考查要点的两名评分人须为不同的人", "the two scorers of a point must be different people")
    NOT_ASSIGNED = ("E_INSP_NOT_ASSIGNED", "您未被分配评分考查要点“{point}”", "you are not assigned to point '{point}'")
    LOCKED = ("E_INSP_LOCKED", "评分表已提交锁定，不能修改", "the form was submitted and is locked")
    VALUE = ("E_INSP_VALUE", "考查要点“{point}”的分值 {value} 不符合评分标准“{rubric}”",
             "score {value} does not fit the rubric '{rubric}' of point '{point}'")
    INCOMPLETE = ("E_INSP_INCOMPLETE", "还有 {n} 个已分配的考查要点未评分：{points}",
                  "{n} assigned point(s) are not scored yet: {points}")
    NOTHING = ("E_INSP_NOTHING", "您在此评价中没有评分任务", "you have nothing to score in this evaluation")
    NO_FLAG = ("E_INSP_NO_FLAG", "考查要点“{point}”没有待协调的分歧", "point '{point}' has no disagreement to reconcile")
    RECONCILED = ("E_INSP_RECONCILED", "考查要点“{point}”已协调，协调结果不能更改",
                  "point '{point}' is already reconciled; the result cannot change")
    REASON = ("E_INSP_REASON", "协调须填写理由", "a reconciliation needs a reason")
    UPLOAD_ROLE = ("E_INSP_UPLOAD_ROLE", "评价框架须由省级管理员上传", "frameworks are uploaded by a province administrator")
    FRAMEWORK = ("E_INSP_FRAMEWORK", "没有评价框架“{framework}”", "there is no framework '{framework}'")
    EVIDENCE = ("E_INSP_EVIDENCE", "佐证文件“{name}”超过 {mb} MB", "evidence file '{name}' is larger than {mb} MB")
    RAISED = ("E_INSP_RAISED", "考查要点“{point}”已下达过整改任务", "a rectification task was already raised for point '{point}'")
    NOT_FINDING = ("E_INSP_NOT_FINDING", "考查要点“{point}”不是核查发现（汇总得分不低于 {below}，或尚无得分）",
                   "point '{point}' is not a finding (its score is not below {below}, or it has none)")
    DEADLINE = ("E_INSP_DEADLINE", "请填写整改期限（YYYY-MM-DD）", "give the deadline as YYYY-MM-DD")
    CASE = ("E_INSP_CASE", "该案件尚未抽取实地核查学校", "no schools have been sampled for this case yet")


class InspectionError(CodedError):
    """A refused inspection action; carries both messages."""
