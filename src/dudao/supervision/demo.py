"""Demo data of the supervision workflow (``dudao demo``): an open evaluation round for the latest school year."""

from __future__ import annotations

import datetime as dt

from dudao.supervision.models import Round
from dudao.supervision.services import open_round


def open_demo_round(year: int, actor: str, province: str = "21") -> Round:
    """Opens (once) a round over every county of the province, each case in self-evaluation."""
    title = f"{year} 学年县域义务教育优质均衡发展省级评估（演示）"
    found = Round.objects.filter(province__code=f"{province}0000", title=title).first()
    if found is not None:
        return found
    today = dt.date.today()
    due = (today + dt.timedelta(days=30), today + dt.timedelta(days=60), today + dt.timedelta(days=90))
    return open_round(f"{province}0000", title, "youzhi2017", year, due, None, actor)
