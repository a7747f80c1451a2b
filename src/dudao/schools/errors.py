"""Error and warning codes of school data, each with a Chinese and an English message."""

from dudao.errors import CodedMessage


class DataError(CodedMessage):
    FILE_UNREADABLE = ("E_FILE", "无法读取文件：{detail}", "cannot read the file: {detail}")
    FILE_TYPE = ("E_FILE_TYPE", "不支持的文件类型“{suffix}”，请使用 .xlsx 或 .csv", "unsupported file type '{suffix}'; use .xlsx or .csv")
    SHEET_MISSING = ("E_SHEET", "缺少工作表“{sheet}”", "sheet '{sheet}' is missing")
    HEADER_MISSING = ("E_HEADER_MISSING", "缺少必填列“{header}”", "required column '{header}' is missing")
    HEADER_UNKNOWN = ("E_HEADER_UNKNOWN", "无法识别的列名“{header}”", "unknown column '{header}'")
    HEADER_DUPLICATE = ("E_HEADER_DUP", "列“{header}”重复出现", "column '{header}' appears twice")
    YEAR_MISMATCH = ("E_YEAR", "文件中的学年为 {found}，与导入指定的学年 {year} 不一致", "the file is for school year {found}, not {year}")
    REQUIRED = ("E_REQUIRED", "必填项“{header}”为空", "required value '{header}' is empty")
    NOT_INTEGER = ("E_INT", "“{value}”不是整数", "'{value}' is not a whole number")
    NOT_NUMBER = ("E_NUMBER", "“{value}”不是数字", "'{value}' is not a number")
    OUT_OF_RANGE = ("E_RANGE", "{value} 超出有效范围 {low}–{high}", "{value} is outside the valid range {low}-{high}")
    ENUM = ("E_ENUM", "“{value}”不是有效选项（可选：{options}）", "'{value}' is not a valid option ({options})")
    BOOL = ("E_BOOL", "“{value}”应填“是”或“否”", "'{value}' must be 是 (yes) or 否 (no)")
    TOO_LONG = ("E_LENGTH", "文字超过 {max} 个字符", "text longer than {max} characters")
    CODE = ("E_CODE", "{detail}", "{detail_en}")
    DUPLICATE_SCHOOL = ("E_DUP_SCHOOL", "学校标识码 {code} 重复（第 {first} 行已出现）", "school code {code} repeated (first on row {first})")
    DUPLICATE_SECTION = ("E_DUP_SECTION", "学校 {code} 的{section}数据重复（第 {first} 行已出现）",
                         "school {code}: section {section} repeated (first on row {first})")
    SECTION_NOT_ALLOWED = ("E_SECTION_KIND", "{kind}不设{section}学段", "a school of kind {kind} has no {section} section")
    SECTION_NO_SCHOOL = ("E_SECTION_SCHOOL", "学校 {code} 未在“学校”表中出现", "school {code} is not on the schools sheet")
    SCHOOL_NO_SECTION = ("E_SCHOOL_SECTIONS", "学校 {code} 没有任何学段数据", "school {code} has no section rows")
    INCONSISTENT = ("E_INCONSISTENT", "同一学校各行的“{header}”不一致：{a} 与 {b}", "rows of one school disagree on '{header}': {a} vs {b}")
    MERGED_INTO = ("E_MERGED", "办学状态为“撤并”时必须填写并入学校标识码", "a merged school must name the school it merged into")
    RULE = ("E_RULE", "{zh}（规则 {rule}：{check}）", "{en} (rule {rule}: {check})")


class DataWarning(CodedMessage):
    CHANGED = ("W_CHANGE", "与上一学年（{old}）相比变化 {pct}，超过 {limit}，请核实",
               "changed by {pct} since last year ({old}), more than {limit}; please check")
    OUTLIER = ("W_OUTLIER", "生均值 {ratio} 在本县同学段学校中异常（修正 z 分数 {z}）",
               "per-student value {ratio} is an outlier in its county (modified z-score {z})")

