"""The roll-up workbook: its formulas, evaluated here, give the system's figures, which are also the cached values."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from dudao.inspection import services as svc
from dudao.inspection.export import FIRST
from tests.inspection.test_services import _score_all, external, small

pytestmark = pytest.mark.django_db


def _evaluate(ws, cell: str, memo: dict) -> float | str | None:
    """Evaluates the restricted formulas the export writes (cell refs, + - * /, IF, ISNUMBER)."""
    if cell in memo:
        return memo[cell]
    raw = ws[cell].value
    if not (isinstance(raw, str) and raw.startswith("=")):
        memo[cell] = raw
        return raw
    expr = raw[1:]
    expr = re.sub(r"ISNUMBER\(([A-Z]+\d+)\)", r"isnum('\1')", expr)
    expr = re.sub(r"\b([A-Z]+\d+)\b(?!')", r"val('\1')", expr)
    expr = expr.replace("<>", "!=").replace(")=0", ")==0")

    def if_(cond, a, b):
        return a if cond else b

    def val(ref):
        v = _evaluate(ws, ref, memo)
        return 0 if v in (None, "") else v

    def isnum(ref):
        return isinstance(_evaluate(ws, ref, memo), int | float)

    # IF(c, a, b) is written lazily so that a division by zero in the branch not taken is not evaluated
    expr = expr.replace("IF(", "if_(")
    try:
        result = eval(expr, {"if_": if_, "val": val, "isnum": isnum})
    except ZeroDivisionError:
        result = ""
    memo[cell] = result
    return result


def test_workbook_formulas_reproduce_the_rollup(iworld, client):
    u = iworld["users"]
    small(u)
    ev = external(u)
    _score_all(ev, u)
    svc.submit(ev, u["expert1"])
    svc.submit(ev, u["pref"])
    roll = svc.rollup(ev)
    client.force_login(u["prov"])
    r = client.get(f"/inspection/{ev.pk}/rollup/?format=xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    formulas = openpyxl.load_workbook(io.BytesIO(r.content))["汇总"]
    cached = openpyxl.load_workbook(io.BytesIO(r.content), data_only=True)["汇总"]
    memo: dict = {}
    rows = {formulas.cell(row=i, column=1).value: i for i in range(FIRST + 2, formulas.max_row + 1)}
    for node in roll.nodes():
        i = rows[node.id]
        for col, expected in (("E", node.share), ("F", node.value), ("G", node.coverage)):
            got = _evaluate(formulas, f"{col}{i}", memo)
            if expected is None:
                assert got in (None, ""), (node.id, col, got)
                continue
            assert got == pytest.approx(expected), (node.id, col)
            assert cached[f"{col}{i}"].value == pytest.approx(expected), (node.id, col, "cached")
    assert formulas[f"F{rows['school']}"].value.startswith("=IF(")  # the total is a formula, not a number
    assert "expert1：优秀（10）" in formulas[f"L{rows['P1']}"].value
    assert formulas[f"K{rows['P2']}"].value == "分歧待协调"
