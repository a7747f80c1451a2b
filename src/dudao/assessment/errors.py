"""Error codes of the assessment domain (county facts import, runs)."""

from dudao.errors import CodedError, CodedMessage


class FactError(CodedMessage):
    UNKNOWN_ITEM = ("E_FACT_ITEM", "项目编号“{value}”不是该标准需要记录的项目", "'{value}' is not a recorded item of the standard")
    NO_VALUE = ("E_FACT_EMPTY", "“数值”和“是否达标”至少填写一项", "give a value or a yes/no")
    NOT_COUNTY = ("E_FACT_COUNTY", "“{value}”不是已载入的县级行政区划代码", "'{value}' is not a known county code")
    DUPLICATE = ("E_FACT_DUP", "县 {county} 的项目 {item} 重复（第 {first} 行已出现）", "county {county} item {item} repeated (row {first})")
    NO_DATA = ("E_ASSESS_NO_DATA", "{year} 学年没有所选范围的学校数据", "no school data for school year {year} in the chosen scope")
    SCOPE = ("E_ASSESS_SCOPE", "“{value}”不是地市或县级代码", "'{value}' is not a prefecture or county code")


class AssessmentError(CodedError):
    """An assessment that cannot run; carries both messages."""
