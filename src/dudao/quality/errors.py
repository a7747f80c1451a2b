"""Codes of the value-added computation: bad scores files, impossible models, refused schools.

Django-free: the engine (``dudao.engine.valueadded``) and the file reader use them too.
"""

from dudao.errors import CodedError, CodedMessage


class VAMessage(CodedMessage):
    FILE = ("E_VA_FILE", "无法读取成绩文件 {file}：{detail}", "cannot read the scores file {file}: {detail}")
    FILE_TYPE = ("E_VA_FILE_TYPE", "成绩文件“{file}”的类型不支持，请使用 .csv、.parquet 或 .xlsx",
                 "the scores file '{file}' is of an unsupported type; use .csv, .parquet or .xlsx")
    OUT_TYPE = ("E_VA_OUT_TYPE", "输出文件“{file}”须以 .xlsx、.csv 或 .json 结尾", "the output file '{file}' must end in .xlsx, .csv or .json")
    HEADER = ("E_VA_HEADER", "{file}：缺少列“{column}”（可用列名：{names}）", "{file}: column '{column}' is missing (accepted names: {names})")
    COVARIATE = ("E_VA_COVARIATE", "{file}：没有背景变量列“{column}”", "{file}: there is no covariate column '{column}'")
    NUMBER = ("E_VA_NUMBER", "{file} 第 {row} 行“{column}”列：“{value}”不是数字（另有 {more} 处）",
              "{file} row {row}, column '{column}': '{value}' is not a number ({more} more)")
    EMPTY = ("E_VA_EMPTY", "{file} 第 {row} 行：“{column}”为空（另有 {more} 行）", "{file} row {row}: '{column}' is empty ({more} more rows)")
    SCHOOL_CODE = ("E_VA_SCHOOL_CODE", "{file} 第 {row} 行：学校标识码“{value}”格式错误（应为 10 位数字）（另有 {more} 行）",
                   "{file} row {row}: school code '{value}' is malformed (10 digits) ({more} more rows)")
    DUP_STUDENT = ("E_VA_DUP_STUDENT", "{file}：学生“{value}”出现在第 {rows} 行（规则：每名学生一行）（另有 {more} 名学生重复）",
                   "{file}: student '{value}' appears on rows {rows} (rule: one row per student) ({more} more students repeated)")
    NO_DATA = ("E_VA_NO_DATA", "没有前后测成绩都有的学生，无法估计增值", "no student has both scores: nothing to estimate")
    SCHOOLS = ("E_VA_SCHOOLS", "只有 {n} 所学校的匹配学生达到 {min} 人，至少需要 {need} 所才能估计校间差异",
               "only {n} schools have at least {min} matched students; at least {need} are needed to estimate the between-school variance")
    COLLINEAR = ("E_VA_COLLINEAR", "前测成绩与背景变量（{columns}）在校内线性相关或没有变化，无法估计回归系数",
                 "the pre-test score and covariates ({columns}) are collinear or constant within schools: the slopes cannot be estimated")
    MIN_STUDENTS = ("E_VA_MIN_STUDENTS", "最少匹配学生数须为不小于 2 的整数，而不是 {value}", "the minimum of matched students must be a whole number ≥ 2, not {value}")
    ENGINE = ("E_VA_ENGINE", "未知的计算引擎“{engine}”（duckdb 或 spark）", "unknown engine '{engine}' (duckdb or spark)")
    REFUSED_FEW = ("R_VA_FEW", "匹配学生 {n} 人（前后测成绩都有），少于最少 {min} 人，不发布增值结果",
                   "{n} matched students (both scores present), fewer than the minimum of {min}: no value-added published")
    LOW_MATCH = ("W_VA_MATCH", "匹配率 {share}（{n}/{total}），低于 {limit}，解读需谨慎",
                 "matched share {share} ({n}/{total}) is below {limit}: read with care")


class ValueAddedError(CodedError):
    """A scores file or model the value-added computation cannot use; nothing is stored."""
