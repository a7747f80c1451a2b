"""The dudao formula language: a small, safe expression language for standards files.

Formulas are parsed with Python's ``ast`` parser (never ``eval``) and only a whitelist of nodes is
accepted: names, numbers, strings, lists of constants, arithmetic (+ - * /), comparisons
(== != < <= > >= in, not in), ``and``/``or``/``not`` and the functions ``implies(a, b)``,
``where(cond, a, b)``, ``min(...)``, ``max(...)`` and ``abs(x)``.
A parsed formula can be evaluated on one record (a mapping) or compiled to an Ibis expression.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

FUNCTIONS = {"implies": 2, "where": 3, "min": -1, "max": -1, "abs": 1}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class FormulaError(ValueError):
    """A formula that cannot be parsed or names something unknown; says where."""

    def __init__(self, context: str, text: str, position: int, message_zh: str, message_en: str):
        self.context, self.text, self.position = context, text, position
        self.message_zh, self.message_en = message_zh, message_en
        pointer = f"{text}\n{' ' * position}^"
        super().__init__(f"{context}: 第 {position + 1} 个字符处{message_zh} / at character {position + 1}: {message_en}\n{pointer}")


@dataclass(frozen=True)
class Formula:
    """A parsed, checked formula."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, record: Mapping[str, Any]) -> Any:
        """Evaluates on one record; None when a name is missing or a division is by zero."""
        if any(record.get(name) is None for name in self.names):
            return None
        try:
            return _eval(self.tree.body, record)
        except ZeroDivisionError:
            return None

    def to_ibis(self, table: Any, overrides: Mapping[str, Any] | None = None) -> Any:
        """Compiles to an Ibis expression over the columns of ``table`` (or the given ``overrides``)."""
        return _ibis(self.tree.body, _Columns(table, overrides or {}))


class _Columns:
    """Resolves a name to an override expression or the table's column."""

    def __init__(self, table: Any, overrides: Mapping[str, Any]):
        self.table, self.overrides = table, overrides

    def __getitem__(self, name: str) -> Any:
        return self.overrides[name] if name in self.overrides else self.table[name]


def parse(text: str, *, context: str, known_names: Collection[str] | None = None) -> Formula:
    """Parses and checks a formula; raises FormulaError with the position of the fault."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        pos = max((exc.offset or 1) - 1, 0)
        raise FormulaError(context, text, pos, "语法错误", f"syntax error ({exc.msg})") from None
    names: set[str] = set()
    _check(tree.body, text, context, known_names, names)
    return Formula(text=text, tree=tree, names=frozenset(names))


def _check(node: ast.AST, text: str, context: str, known: Collection[str] | None, names: set[str]) -> None:
    def fail(zh: str, en: str) -> FormulaError:
        return FormulaError(context, text, getattr(node, "col_offset", 0), zh, en)

    match node:
        case ast.Name(id=name):
            if known is not None and name not in known:
                raise fail(f"未知的数据元素“{name}”", f"unknown element name '{name}'")
            names.add(name)
            return
        case ast.Constant(value=value):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise fail("不支持的常量", "unsupported constant")
            return
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            for elt in elts:
                if not isinstance(elt, ast.Constant):
                    raise fail("列表中只能是常量", "lists may hold constants only")
                _check(elt, text, context, known, names)
            return
        case ast.BinOp(left=left, op=arith, right=right):
            if type(arith) not in _ARITH:
                raise fail("不支持的运算符", "unsupported operator")
            children: list[ast.AST] = [left, right]
        case ast.UnaryOp(op=unary, operand=operand):
            if not isinstance(unary, ast.USub | ast.Not):
                raise fail("不支持的运算符", "unsupported operator")
            children = [operand]
        case ast.BoolOp(values=values):
            children = list(values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            for cmp in ops:
                if type(cmp) not in _COMPARE and not isinstance(cmp, ast.In | ast.NotIn):
                    raise fail("不支持的比较运算", "unsupported comparison")
            children = [left, *comparators]
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=[]):
            if fname not in FUNCTIONS:
                raise fail(f"未知的函数“{fname}”", f"unknown function '{fname}'")
            arity = FUNCTIONS[fname]
            if (arity >= 0 and len(args) != arity) or (arity < 0 and len(args) < 1):
                raise fail(f"函数“{fname}”的参数个数不对", f"wrong number of arguments to '{fname}'")
            children = list(args)
        case _:
            raise fail("不允许的表达式", f"expression not allowed ({type(node).__name__})")
    for child in children:
        _check(child, text, context, known, names)


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    match node:
        case ast.Name(id=name):
            return env[name]
        case ast.Constant(value=value):
            return value
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [_eval(e, env) for e in elts]
        case ast.BinOp(left=left, op=arith, right=right):
            return _ARITH[type(arith)](_eval(left, env), _eval(right, env))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_eval(operand, env)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, env)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_eval(v, env) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_eval(v, env) for v in values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _eval(left, env)
            for op, comp in zip(ops, comparators, strict=True):
                other = _eval(comp, env)
                if isinstance(op, ast.In):
                    ok = current in other
                elif isinstance(op, ast.NotIn):
                    ok = current not in other
                else:
                    ok = _COMPARE[type(op)](current, other)
                if not ok:
                    return False
                current = other
            return True
        case ast.Call(func=ast.Name(id=fname), args=args):
            vals = [_eval(a, env) for a in args]
            return _call(fname, vals)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


def _call(fname: str, vals: list[Any]) -> Any:
    if fname == "implies":
        return (not vals[0]) or bool(vals[1])
    if fname == "where":
        return vals[1] if vals[0] else vals[2]
    if fname == "min":
        return min(vals)
    if fname == "max":
        return max(vals)
    return abs(vals[0])


def _ibis(node: ast.AST, t: Any) -> Any:
    import ibis

    match node:
        case ast.Name(id=name):
            return t[name]
        case ast.Constant(value=value):
            return ibis.literal(value)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [e.value for e in elts if isinstance(e, ast.Constant)]
        case ast.BinOp(left=left, op=arith, right=right):
            return _ARITH[type(arith)](_ibis(left, t), _ibis(right, t))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_ibis(operand, t)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return ~_ibis(operand, t)
        case ast.BoolOp(op=ast.And(), values=values):
            out = _ibis(values[0], t)
            for v in values[1:]:
                out = out & _ibis(v, t)
            return out
        case ast.BoolOp(op=ast.Or(), values=values):
            out = _ibis(values[0], t)
            for v in values[1:]:
                out = out | _ibis(v, t)
            return out
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            lhs, parts = _ibis(left, t), []
            for op, comp in zip(ops, comparators, strict=True):
                rhs = _ibis(comp, t)
                if isinstance(op, ast.In):
                    parts.append(lhs.isin(rhs))
                elif isinstance(op, ast.NotIn):
                    parts.append(~lhs.isin(rhs))
                else:
                    parts.append(_COMPARE[type(op)](lhs, rhs))
                lhs = rhs
            out = parts[0]
            for p in parts[1:]:
                out = out & p
            return out
        case ast.Call(func=ast.Name(id=fname), args=args):
            vals = [_ibis(a, t) for a in args]
            if fname == "implies":
                return ~vals[0] | vals[1]
            if fname == "where":
                return ibis.ifelse(vals[0], vals[1], vals[2])
            if fname == "min":
                return ibis.least(*vals)
            if fname == "max":
                return ibis.greatest(*vals)
            return vals[0].abs()
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover
