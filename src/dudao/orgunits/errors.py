"""Error codes of the org-unit domain, each with a Chinese and an English message."""

from dudao.errors import CodedError, CodedMessage


class OrgError(CodedMessage):
    REGION_CODE_FORMAT = ("E_REGION_CODE", "行政区划代码“{code}”格式错误：应为 6 位数字，首位 1–8",
                          "region code '{code}' is malformed: 6 digits, the first 1-8")
    REGION_CODE_UNKNOWN = ("E_REGION_UNKNOWN", "行政区划代码“{code}”不存在（请先运行 dudao init 载入区划）",
                           "region code '{code}' is not a known division (run dudao init)")
    NOT_A_COUNTY = ("E_NOT_COUNTY", "代码“{code}”（{name}）不是县级行政区划",
                    "code '{code}' ({name}) is not a county-level division")
    SCHOOL_CODE_FORMAT = ("E_SCHOOL_CODE", "学校标识码“{code}”格式错误：应为 10 位数字",
                          "school code '{code}' is malformed: 10 digits expected")
    SCHOOL_CODE_CATEGORY = ("E_SCHOOL_CATEGORY", "学校标识码“{code}”的前两位类别码“{part}”不存在",
                            "school code '{code}': unknown school category '{part}'")
    SCHOOL_CODE_PROVINCE = ("E_SCHOOL_PROVINCE", "学校标识码“{code}”的第 3–4 位省级代码“{part}”不存在",
                            "school code '{code}': unknown province part '{part}'")


class CodeError(CodedError, ValueError):
    """A malformed or unknown code; carries the error code and both messages."""
