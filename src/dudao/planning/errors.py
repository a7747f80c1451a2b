"""Error codes of the terms workbook and of planning requests."""

from dudao.errors import CodedError, CodedMessage


class PlanningError(CodedMessage):
    SHEET = ("E_TERM_SHEET", "缺少工作表“{name}”", "sheet '{name}' is missing")
    HEADER = ("E_TERM_HEADER", "缺少列“{header}”", "column '{header}' is missing")
    REQUIRED = ("E_TERM_REQUIRED", "“{header}”不能为空", "'{header}' must not be empty")
    COUNTY = ("E_TERM_COUNTY", "“{value}”不是已载入的县级行政区划代码", "'{value}' is not a known county code")
    SCHOOL = ("E_TERM_SCHOOL", "学校标识码“{value}”不在系统中", "school code '{value}' is not in the system")
    SCOPE = ("E_TERM_SCOPE", "“{value}”不在您的管辖范围内", "'{value}' is outside your area")
    POST = ("E_TERM_POST", "“{value}”不是可选职务（可选：{options}）", "'{value}' is not a post ({options})")
    DATE = ("E_TERM_DATE", "“{value}”不是日期（格式 YYYY-MM-DD）", "'{value}' is not a date (YYYY-MM-DD)")
    ORDER = ("E_TERM_ORDER", "任期结束日期 {end} 早于开始日期 {start}", "the term ends ({end}) before it starts ({start})")
    OVERLAP = ("E_TERM_OVERLAP", "与第 {first} 行同一职务的任期重叠", "overlaps the term of the same post on row {first}")
    NAME = ("E_TERM_NAME", "姓名超过 {max} 个字符", "name longer than {max} characters")
    RESULT = ("E_TERM_RESULT", "“{value}”应为“通过”或“未通过”", "'{value}' must be 通过 (passed) or 未通过 (not passed)")
    CLASH = ("E_TERM_CLASH", "与已记录的同一职务任期（{start} 至 {end}）重叠", "overlaps a stored term of the same post ({start} to {end})")
    DUPLICATE = ("E_TERM_DUP", "与第 {first} 行重复", "repeats row {first}")
    FILE = ("E_TERM_FILE", "无法读取文件：{detail}", "cannot read the file: {detail}")
    YEAR = ("E_PLAN_YEAR", "年份 {value} 不在 1990–2100 之间", "year {value} is outside 1990-2100")
    REGION = ("E_PLAN_REGION", "“{value}”不是省、地市或县级代码", "'{value}' is not a province, prefecture or county code")


class PlanningFailure(CodedError):
    """A planning request that cannot be answered; carries both messages."""
