"""Chinese labels made elsewhere (the engine, the reports, the standard files), translated for the page.

The reports and the standard files speak Chinese: section names (``SECTION_ZH``, the dictionary's
``section`` options), the parts of a county result (``PART_ZH``), confidence tags (``CONFIDENCE_ZH``),
money in 元/万元/亿元 (``fmt_money``), school years ("2024–2025 学年", ``year_label``). The web pages
pass them through here: in Chinese the text is exactly what those modules produce; in English the
labels this module knows come from the message catalogue. Anything else (place, school, indicator
and standard names, rule texts of the standard files) is data and is shown as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.utils.translation import get_language, gettext, gettext_noop, pgettext
from django.utils.translation import gettext as translated  # of a label known above (the catalogue has it)

from dudao.reports.common import fmt_money, unit_word
from dudao.standards.model import CONFIDENCE_ZH

# Every Chinese label the web layer translates, as the other modules write it.
KNOWN = frozenset({
    # sections (dudao.standards.show.SECTION_ZH, elements.yaml)
    gettext_noop("小学"), gettext_noop("初中"), gettext_noop("高中"),
    # parts of a county result (dudao.reports.common.PART_ZH, RULE_KIND_ZH)
    gettext_noop("资源配置"), gettext_noop("政府保障程度"), gettext_noop("教育质量"), gettext_noop("社会认可度"),
    gettext_noop("否决项"), gettext_noop("前提条件"), gettext_noop("学校办学基本标准"),
    gettext_noop("县级政府工作评估"), gettext_noop("公众满意度"),
    # confidence (dudao.standards.model.CONFIDENCE_ZH)
    gettext_noop("已确认"), gettext_noop("二手来源"), gettext_noop("未确认"),
    # the split of an enrolment-split run (dudao.reports.common.Context.split_zh)
    gettext_noop("一贯制学校共用资源按各学段在校生人数比例分摊"),
})

# Units of the element dictionary and the standards, after ``unit_word`` ("m²" → "平方米").
UNITS = frozenset({
    gettext_noop("平方米"), gettext_noop("人"), gettext_noop("间"), gettext_noop("台"), gettext_noop("册"),
    gettext_noop("个"), gettext_noop("元"),
})


def english() -> bool:
    return (get_language() or "").startswith("en")


def label(text: str) -> str:
    """A known Chinese label in the page's language; any other text unchanged."""
    return translated(text) if text in KNOWN else text


def unit(text: str) -> str:
    """A unit word (人, 间, 平方米, ...) in the page's language; "m²" stays "m²" in both."""
    return translated(text) if text in UNITS else text


def money(yuan: float | None) -> str:
    """``fmt_money`` in Chinese (元, 万元, 亿元); yuan, or millions of yuan, in English."""
    if not english() or yuan is None or not math.isfinite(yuan):
        return fmt_money(yuan)
    if abs(yuan) >= 1e9:
        return gettext("%(n)s 十亿元") % {"n": f"{yuan / 1e9:,.2f}"}
    if abs(yuan) >= 1e6:
        return gettext("%(n)s 百万元") % {"n": f"{yuan / 1e6:,.2f}"}
    return gettext("%(n)s 元") % {"n": f"{yuan:,.0f}"}


def qty(value: float | None, unit_code: str, integer: bool) -> str:
    """``fmt_qty`` (an amount of a gap element) with the unit and the money in the page's language."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit_code == "元":
        return money(value)
    shown = f"{value:,.0f}" if integer or abs(value) >= 100 else f"{value:,.1f}"
    return f"{shown} {unit(unit_word(unit_code))}".strip()


def per_unit(unit_code: str) -> str:
    """The "/间" after a unit cost ("" for yuan and for no unit): one room, one person, in English."""
    if not unit_code or unit_code == "元":
        return ""
    word = unit_word(unit_code)
    one = {"人": pgettext("单价的单位", "人"), "间": pgettext("单价的单位", "间"), "台": pgettext("单价的单位", "台"),
           "册": pgettext("单价的单位", "册"), "个": pgettext("单价的单位", "个")}
    return f"/{one.get(word) or unit(word)}"


def year(start: int) -> str:
    """``year_label``: "2024–2025 学年" in Chinese, "2024–2025" in English."""
    return gettext("%(start)s–%(end)s 学年") % {"start": start, "end": start + 1}


def join(items: Iterable[Any]) -> str:
    """Items joined with the list separator of the page's language ("、" or ", ")."""
    return pgettext("列表分隔符", "、").join(str(i) for i in items)


def confidence(tag: str) -> dict[str, str]:
    """A confidence tag and its word, for ``web/standards/_conf.html``."""
    return {"tag": tag, "zh": label(CONFIDENCE_ZH[tag])}


def enum_label(dictionary: Any, enum: str, code: str) -> str:
    """An option of the element dictionary (a school kind, a section) in the page's language."""
    opt = next((o for o in dictionary.enums.get(enum, []) if o.code == code), None)
    if opt is None:
        return code
    return str(opt.en if english() else opt.zh)
