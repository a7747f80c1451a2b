"""Display names of programmes, categories, sections and findings in the user's language."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dudao.aid.rules import SECTION_NAMES, load_aid_rules


def english() -> bool:
    return (get_language() or "").startswith("en")


def programme_label(pid: str) -> str:
    p = next((p for p in load_aid_rules().programmes if p.id == pid), None)
    return pid if p is None else (p.en if english() else p.zh)


def category_label(code: str) -> str:
    c = next((c for c in load_aid_rules().categories if c.code == code), None)
    return code if c is None else (c.en if english() else c.zh)


def section_label(code: str) -> str:
    names = SECTION_NAMES.get(code)
    return code if names is None else names[1 if english() else 0]


def finding_label(code: str) -> str:
    return {"ok": _("正常"), "unpaid": _("应助未助"), "not_eligible": _("不符合条件但已发放"), "twice": _("重复发放"),
            "amount": _("发放金额不符")}.get(code, code)
