"""Error codes of school-places data and projections, each with a Chinese and an English message."""

from dudao.errors import CodedError, CodedMessage


class PlacesMessage(CodedMessage):
    FILE = ("E_PL_FILE", "无法读取文件：{detail}", "cannot read the file: {detail}")
    NO_SHEET = ("E_PL_NO_SHEET", "文件中没有任何可识别的工作表（应为：{sheets}）", "no known sheet in the file (expected: {sheets})")
    HEADER = ("E_PL_HEADER", "缺少列“{header}”", "column '{header}' is missing")
    REQUIRED = ("E_PL_REQUIRED", "“{header}”不能为空", "'{header}' must not be empty")
    INTEGER = ("E_PL_INT", "“{value}”不是非负整数", "'{value}' is not a whole number ≥ 0")
    NUMBER = ("E_PL_NUMBER", "“{value}”不是数字", "'{value}' is not a number")
    RANGE = ("E_PL_RANGE", "{value} 超出有效范围 {low}–{high}", "{value} is outside the valid range {low}-{high}")
    OPTION = ("E_PL_OPTION", "“{value}”不是有效选项（可选：{options}）", "'{value}' is not a valid option ({options})")
    COUNTY = ("E_PL_COUNTY", "县级区划代码 {value} 不存在", "county code {value} is unknown")
    SCHOOL = ("E_PL_SCHOOL", "学校标识码 {value} 未在学校数据中出现，请先导入学校数据",
              "school {value} is not in the school data; import the school data first")
    ZONE = ("E_PL_ZONE", "学区代码 {value} 既不在本文件“学区”表中，也未导入过", "zone {value} is neither on the zones sheet nor stored")
    ZONE_COUNTY = ("E_PL_ZONE_COUNTY", "学区代码 {value} 须以所属县的 6 位代码开头", "zone code {value} must start with its county's code")
    DUPLICATE = ("E_PL_DUP", "与第 {first} 行重复（{key}）", "repeats row {first} ({key})")
    GRADE_SECTION = ("E_PL_GRADE_SECTION", "该校没有{section}学段（{low}–{high} 年级）；学校数据中的学段：{sections}",
                     "the school has no {section} section (grades {low}-{high}); its sections in the school data: {sections}")
    CLASSES = ("E_PL_CLASSES", "有学生（{students} 人）却没有班级", "{students} students but no class")
    NO_DATA = ("E_PL_NO_DATA", "{county} 没有分年级在校生数据（{years}），无法预测", "{county} has no enrolment by grade ({years}); nothing to project")
    NO_BIRTHS = ("E_PL_NO_BIRTHS", "{county} 没有出生人口数据，无法推算一年级入学", "{county} has no births; grade-1 intake cannot be projected")
    HORIZON = ("E_PL_HORIZON", "预测年数须在 1–{max} 之间", "the horizon must be 1-{max} years")
    SCENARIO = ("E_PL_SCENARIO", "未知的情景“{value}”（low、medium、high）", "unknown scenario '{value}' (low, medium, high)")
    SCOPE = ("E_PL_SCOPE", "{what} 不在您的管辖范围内", "{what} is outside your area")


class PlacesError(CodedError):
    """A refused places operation (projection without data, bad parameters, out of scope)."""
