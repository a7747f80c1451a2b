"""Number formats of the aid pages: counts with thousands separators, money with two decimals."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


@register.filter
def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):,.2f}"
