"""Validation of 6-digit administrative division codes and 10-digit school codes."""

from __future__ import annotations

import re
from functools import cache

from dudao.orgunits.errors import CodeError, OrgError
from dudao.standards.model import load_code_rules


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    rules = load_code_rules()
    return re.compile(rules.region_pattern), re.compile(rules.school_pattern)


def normalise(raw: object) -> str:
    """Turns a cell value (int, float, text) into a code string without spaces."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip().replace(" ", "")


def region_level(code: str) -> str:
    """Returns province, prefecture or county for a well-formed region code."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def check_region_code(raw: object) -> str:
    """Returns the code if it is a well-formed 6-digit region code, else raises CodeError."""
    code = normalise(raw)
    if not _patterns()[0].match(code):
        raise CodeError(OrgError.REGION_CODE_FORMAT, code=code)
    return code


def check_school_code(raw: object, province_codes: set[str] | frozenset[str] | None = None) -> str:
    """Returns the code if it is a valid 10-digit school code, else raises CodeError."""
    code = normalise(raw)
    if not _patterns()[1].match(code):
        raise CodeError(OrgError.SCHOOL_CODE_FORMAT, code=code)
    if code[:2] not in load_code_rules().school_categories:
        raise CodeError(OrgError.SCHOOL_CODE_CATEGORY, code=code, part=code[:2])
    if province_codes is not None and code[2:4] not in province_codes:
        raise CodeError(OrgError.SCHOOL_CODE_PROVINCE, code=code, part=code[2:4])
    return code
