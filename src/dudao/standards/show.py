"""Renders a standard (or the element dictionary) as readable tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dudao.standards.model import CONFIDENCE_ZH, CountyItem, Standard, load_dictionary, load_standard

SECTION_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}


def _conf(tag: str) -> str:
    return f"{tag} {CONFIDENCE_ZH[tag]}"


def render(console: Console, standard_id: str, province: str = "") -> None:
    """Prints every rule of a standard with its source and confidence."""
    if standard_id == "elements":
        _render_elements(console)
        return
    std = load_standard(standard_id, province)
    head = f"{std.name_zh}（{std.source}，版本 {std.version}）"
    if std.overlay:
        head += f"  已叠加省级覆盖 {std.overlay}"
    console.print(f"[bold]{head}[/]\n{std.name_en}")
    _indicators(console, std)
    _rules(console, std)
    _scope(console, std)
    for title, items in (("政府保障程度 / government guarantee", std.guarantee),
                         ("教育质量 / education quality", std.quality),
                         ("社会认可度 / social recognition", std.recognition)):
        if items:
            _items(console, title, items)
    if std.vetoes:
        table = Table(title="一票否决 / vetoes")
        for col in ("编号", "内容", "English", "来源", "可信度"):
            table.add_column(col, overflow="fold")
        for v in std.vetoes:
            table.add_row(v.id, v.zh, v.en, v.source, _conf(v.confidence))
        console.print(table)


def _indicators(console: Console, std: Standard) -> None:
    sections = std.sections
    table = Table(title="资源配置指标 / indicators")
    table.add_column("编号")
    table.add_column("指标 / indicator", overflow="fold", ratio=3)
    for s in sections:
        table.add_column(f"{SECTION_ZH[s]}标准", justify="right")
    if any(ind.cv_limit for ind in std.indicators):
        table.add_column("差异系数≤\n" + "/".join(SECTION_ZH[s] for s in sections), justify="right")
    table.add_column("可信度")
    for ind in std.indicators:
        limits = ["/".join(f"{ind.cv_limit[s]:.2f}" for s in sections if s in ind.cv_limit)] if ind.cv_limit else []
        table.add_row(
            ind.id, f"{ind.zh}（{ind.unit}）" if ind.unit else ind.zh,
            *[f"{ind.thresholds[s]:g}" if s in ind.thresholds else "—" for s in sections],
            *limits, _conf(ind.confidence),
        )
    console.print(table)
    formulas = Table(title="指标公式与来源 / formulas and sources")
    for col in ("编号", "公式 / formula", "来源 / source"):
        formulas.add_column(col, overflow="fold")
    for ind in std.indicators:
        formulas.add_row(ind.id, ind.formula, ind.source)
    console.print(formulas)


def _rules(console: Console, std: Standard) -> None:
    table = Table(title="判定规则 / rules")
    for col in ("编号", "规则", "参数", "来源", "可信度"):
        table.add_column(col, overflow="fold")
    for r in std.rules:
        params = [f"k={r.k}" if r.k else "", f"余项≥{r.floor_ratio:.0%}" if r.floor_ratio else "",
                  "；".join(f"{SECTION_ZH[s]}≤{v:g}" for s, v in r.limits.items()),
                  f"阈值 {r.threshold:g}" if r.threshold is not None else ""]
        table.add_row(r.id, f"{r.zh}\n{r.en}", " ".join(p for p in params if p), r.source, _conf(r.confidence))
    table.add_row("cv", std.cv.zh, f"保留 {std.cv.decimals} 位小数", std.cv.source, _conf(std.cv.confidence))
    weights = "；".join(f"{k}: " + ":".join(f"{v:g}" for v in w.values()) for k, w in std.split.weights.items())
    table.add_row("split", std.split.zh, weights, std.split.source, _conf(std.split.confidence))
    console.print(table)


def _scope(console: Console, std: Standard) -> None:
    table = Table(title="计算范围 / scope")
    for col in ("编号", "条件", "说明", "来源", "可信度"):
        table.add_column(col, overflow="fold")
    table.add_row("include", std.scope.include, std.scope.include_zh, std.scope.source, _conf(std.scope.confidence))
    for e in std.scope.exclusions:
        table.add_row(f"排除 {e.id}", e.when, f"{e.zh}\n{e.en}", e.source, _conf(e.confidence))
    console.print(table)


def _items(console: Console, title: str, items: list[CountyItem]) -> None:
    table = Table(title=title)
    for col in ("编号", "内容", "方式", "条件/阈值", "来源", "可信度"):
        table.add_column(col, overflow="fold")
    for it in items:
        how = "数据计算" if it.kind == "computed" else "记录+佐证"
        cond = it.check or (f"{it.threshold:g}" if it.threshold is not None else "")
        table.add_row(it.id, f"{it.zh}\n{it.en}", how, cond, it.source, _conf(it.confidence))
    console.print(table)


def _render_elements(console: Console) -> None:
    d = load_dictionary()
    console.print(f"[bold]{d.name_zh}[/]（版本 {d.version}）\n{d.name_en}")
    table = Table(title="数据元素 / elements")
    for col in ("代码", "名称", "English", "单位", "类型", "层级", "必填", "范围", "来源 / 可信度"):
        table.add_column(col, overflow="fold")
    for e in d.elements:
        rng = f"{e.min:g}–{e.max:g}" if e.min is not None and e.max is not None else ""
        table.add_row(e.code, e.zh, e.en, e.unit, e.enum or e.type, "学校" if e.level == "school" else "学段",
                      "是" if e.required else "", rng, f"{e.source} {_conf(e.confidence)}")
    console.print(table)
    rules = Table(title="逻辑校验规则 / cross-field rules")
    for col in ("编号", "规则", "说明", "来源 / 可信度"):
        rules.add_column(col, overflow="fold")
    for r in d.rules:
        rules.add_row(r.id, r.check, f"{r.zh}\n{r.en}", f"{r.source} {_conf(r.confidence)}")
    console.print(rules)
