"""Error codes of teacher data, the planner and the teacher pages (Chinese and English)."""

from dudao.errors import CodedError, CodedMessage


class TeacherDataError(CodedMessage):
    ID_NUMBER = ("E_T_ID", "身份证号“{value}”无效（应为 18 位，末位校验码正确）", "ID number '{value}' is not valid (18 characters, correct check digit)")
    DUP_TEACHER = ("E_T_DUP", "身份证号重复（第 {first} 行已出现）", "ID number repeated (first on row {first})")
    UNKNOWN_TEACHER = ("E_T_NO_TEACHER", "身份证号未在“教师”表中出现", "this ID number is not on the teachers sheet")
    SCHOOL_UNKNOWN = ("E_T_SCHOOL", "学校 {value} 在 {year} 学年的学校数据中不存在（请先导入学校数据）",
                      "school {value} has no data for school year {year} (import the school data first)")
    SECTION_ABSENT = ("E_T_SECTION", "学校 {code} 在 {year} 学年没有{section}学段", "school {code} has no {section} section in {year}")
    DATE = ("E_T_DATE", "“{value}”不是日期（如 2018-09-01）", "'{value}' is not a date (e.g. 2018-09-01)")
    END_BEFORE_START = ("E_T_PERIOD", "结束日期早于开始日期", "the end date is before the start date")
    OVERLAP = ("E_T_OVERLAP", "与第 {other} 行的任职时间重叠", "overlaps the period on row {other}")
    CURRENT_SCHOOL = ("E_T_CURRENT", "最近一段任职（{found}）与“教师”表中的学校 {school} 不一致",
                      "the latest service period ({found}) is not the school on the teachers sheet ({school})")
    BIRTH_YEAR = ("E_T_BIRTH", "出生年份 {value} 使该教师在 {year} 学年的年龄不在 18–70 岁之间",
                  "birth year {value} makes the teacher's age in {year} fall outside 18-70")
    SCOPE = ("E_T_SCOPE", "学校 {value} 不在您的管辖范围内", "school {value} is outside your area")
    NO_SHEET = ("E_T_SHEET", "文件中没有“教师”工作表（CSV 文件应为教师表的各列）", "no teachers sheet (a CSV file must have the teachers sheet's columns)")


class TeacherWarning(CodedMessage):
    COUNT_MISMATCH = ("W_T_COUNT", "{school} {section}：教师名册得出{what} {derived} 人，学校统计为 {reported} 人",
                      "{school} {section}: the roster gives {derived} for {what}, the school statistics {reported}")


class PlanError(CodedMessage):
    NO_TEACHERS = ("E_ROT_EMPTY", "{county} {year} 学年没有教师名册，无法编制方案", "no teacher roster for {county} in {year}")
    PIN_UNKNOWN = ("E_ROT_PIN", "指定的教师或学校 {value} 不在本县的可交流名单或学校中", "pinned teacher or school {value} is not in the county's pool")


class TeacherFailure(CodedError):
    """Raised with a TeacherDataError or PlanError member."""
