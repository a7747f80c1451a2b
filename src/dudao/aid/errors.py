"""Error codes of student aid files and actions, each with a Chinese and an English message."""

from dudao.errors import CodedError, CodedMessage


class AidMessage(CodedMessage):
    FILE_UNREADABLE = ("E_AID_FILE", "无法读取文件：{detail}", "cannot read the file: {detail}")
    FILE_TYPE = ("E_AID_FILE_TYPE", "不支持的文件类型“{suffix}”，请使用 .xlsx、.csv 或 .parquet",
                 "unsupported file type '{suffix}'; use .xlsx, .csv or .parquet")
    EMPTY = ("E_AID_EMPTY", "文件中没有数据行", "the file has no data rows")
    HEADER_MISSING = ("E_AID_HEADER", "缺少必填列“{header}”", "required column '{header}' is missing")
    HEADER_UNKNOWN = ("E_AID_HEADER_UNKNOWN", "无法识别的列名“{header}”", "unknown column '{header}'")
    REQUIRED = ("E_AID_REQUIRED", "必填项“{header}”为空", "required value '{header}' is empty")
    ID_FORMAT = ("E_ID_FORMAT", "身份证号“{value}”应为 17 位数字加 1 位数字或 X（共 18 位）",
                 "ID number '{value}' must be 17 digits and a digit or X (18 characters)")
    ID_REGION = ("E_ID_REGION", "身份证号“{value}”的前 6 位不是已知的行政区划代码",
                 "ID number '{value}': the first 6 digits are not a known division code")
    ID_DATE = ("E_ID_DATE", "身份证号“{value}”中的出生日期无效", "ID number '{value}' holds an invalid birth date")
    ID_CHECK = ("E_ID_CHECK", "身份证号“{value}”的校验码错误（GB 11643 / ISO 7064 MOD 11-2）",
                "ID number '{value}' has a wrong check character (GB 11643 / ISO 7064 MOD 11-2)")
    ID_DUPLICATE = ("E_ID_DUP", "身份证号在本文件中重复（学校 {school} 已有此人）",
                    "ID number repeated in this file (already at school {school})")
    ENUM = ("E_AID_ENUM", "“{value}”不是有效选项（可选：{options}）", "'{value}' is not a valid option ({options})")
    BOOL = ("E_AID_BOOL", "“{value}”应填“是”或“否”", "'{value}' must be 是 (yes) or 否 (no)")
    INT = ("E_AID_INT", "“{value}”不是整数", "'{value}' is not a whole number")
    NUMBER = ("E_AID_NUMBER", "“{value}”不是非负数", "'{value}' is not a non-negative number")
    DATE = ("E_AID_DATE", "“{value}”不是有效日期（YYYY-MM-DD）", "'{value}' is not a valid date (YYYY-MM-DD)")
    REGION = ("E_AID_REGION", "“{value}”不是已知的县级行政区划代码", "'{value}' is not a known county-level division code")
    SCHOOL = ("E_AID_SCHOOL", "“{value}”不是 10 位学校标识码", "'{value}' is not a 10-digit school code")
    NO_ID_NO_BIRTH = ("E_AID_NO_ID", "身份证号为空时必须填写出生日期", "a row without ID number needs a birth date")
    OUT_OF_SCOPE = ("E_AID_SCOPE", "区县 {county} 不是本次核查的区县 {expected}",
                    "county {county} is not the county being checked ({expected})")
    TERM = ("E_AID_TERM", "学期“{term}”无效，应写作 2024-spring 或 2024-autumn", "invalid term '{term}'; write 2024-spring or 2024-autumn")
    COUNTY_UNKNOWN = ("E_AID_COUNTY", "区县代码 {county} 未载入系统", "county {county} is not loaded")
    PROPOSAL_DONE = ("E_AID_PROPOSAL", "该建议匹配已处理（{status}）", "this proposed match was already decided ({status})")
    NOTICE_DATES = ("E_AID_NOTICE", "公示期应不少于 {days} 天，且结束日期不早于开始日期",
                    "a notice period must last at least {days} days and end after it starts")


class AidError(CodedError):
    """A refused aid file or action; ``issues`` holds every located problem of a file."""

    def __init__(self, error: AidMessage, issues: list | None = None, **kw: object):  # type: ignore[type-arg]
        super().__init__(error, **kw)
        self.issues = issues or []
