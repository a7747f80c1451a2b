"""Public pages of the standards: every rule, indicator, threshold and exclusion with its source and
confidence tag, the element dictionary and its cross-field rules, and a province's overlay."""

from __future__ import annotations

from typing import Any

import yaml
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from dudao.standards.model import (
    CONFIDENCE_ZH,
    DATA_DIR,
    CountyItem,
    Standard,
    StandardsError,
    available_standards,
    load_dictionary,
    load_overlay,
    load_standard,
)
from dudao.standards.show import SECTION_ZH
from dudao.web.views import labels

ELEMENTS = "elements"
TYPE_ZH = {"int": gettext_lazy("整数"), "decimal": gettext_lazy("数值"), "text": gettext_lazy("文字"),
           "bool": gettext_lazy("是/否"), "enum": gettext_lazy("选项"), "school_code": gettext_lazy("学校标识码"),
           "county_code": gettext_lazy("行政区划代码")}
KIND_ZH = {"k_of_n": gettext_lazy("n 项中至少 k 项达标"), "cv_each": gettext_lazy("各项差异系数分别达标"),
           "cv_composite": gettext_lazy("综合差异系数达标"),
           "provincial_standard": gettext_lazy("学校办学基本标准（记录）"), "score": gettext_lazy("县级政府工作评估（记录）"),
           "survey": gettext_lazy("公众满意度（记录）")}
SPLIT_ZH = {"weighted": gettext_lazy("按折算权重"), "enrolment": gettext_lazy("按在校生数")}
COMPARE_ZH = {"ge": "≥", "le": "≤", "lt": "<", "gt": ">"}


def conf(tag: str) -> dict[str, str]:
    return labels.confidence(tag)


def overlays() -> dict[str, str]:
    """Province code → name of every province overlay file."""
    out: dict[str, str] = {}
    for path in sorted((DATA_DIR / "overlays").glob("*.yaml")):
        try:
            with path.open(encoding="utf-8") as fh:
                data = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError):
            continue
        out[path.stem] = str(data.get("name_zh") or path.stem)
    return out


def _standards() -> list[Standard]:
    out = []
    for sid in available_standards():
        try:
            out.append(load_standard(sid))
        except StandardsError:
            continue
    return out


def _index_context() -> dict[str, Any]:
    d = load_dictionary()
    return {"standards": [{"std": s, "conf": conf(s.confidence), "indicators": len(s.indicators), "rules": len(s.rules)}
                          for s in _standards()],
            "dictionary": d, "dictionary_conf": conf(d.confidence), "overlays": overlays(), "legend": CONFIDENCE_ZH}


@require_GET
def standards_index(request: Any) -> Any:
    return render(request, "web/standards/index.html", {**_index_context(), "public": False})


@require_GET
def public_index(request: Any) -> Any:
    return render(request, "web/standards/index.html", {**_index_context(), "public": True})


def _dump(x: Any) -> Any:
    return x.model_dump() if hasattr(x, "model_dump") else x


def _changed(base: Any, over: Any) -> bool:
    return bool(_dump(base) != _dump(over))


def _overlaid(base: Standard, std: Standard) -> set[str]:
    """Keys of the items an overlay changed or added: 'indicator:R1', 'scope:include', ..."""
    if not std.overlay:
        return set()
    keys: set[str] = set()
    for kind, a, b in (("indicator", base.indicators, std.indicators), ("rule", base.rules, std.rules),
                       ("exclusion", base.scope.exclusions, std.scope.exclusions),
                       ("item", [*base.guarantee, *base.quality, *base.recognition],
                        [*std.guarantee, *std.quality, *std.recognition]),
                       ("veto", base.vetoes, std.vetoes)):
        before = {x.id: x for x in a}
        keys |= {f"{kind}:{x.id}" for x in b if x.id not in before or _changed(before[x.id], x)}
    if base.scope.include != std.scope.include:
        keys.add("scope:include")
    if _changed(base.split, std.split):
        keys.add("split")
    if _changed(base.cv, std.cv):
        keys.add("cv")
    return keys


def _rule_params(r: Any) -> str:
    sep = pgettext("参数分隔符", "；")
    parts = [f"k = {r.k}" if r.k else "",
             _("其余各项不低于标准的 %(p)s") % {"p": f"{r.floor_ratio:.0%}"} if r.floor_ratio else "",
             sep.join(f"{labels.label(SECTION_ZH.get(s, s))} ≤ {v:g}" for s, v in r.limits.items()),
             _("阈值 %(v)s") % {"v": f"{r.threshold:g}"} if r.threshold is not None else ""]
    return sep.join(p for p in parts if p)


def _items(items: list[CountyItem], changed: set[str]) -> list[dict[str, Any]]:
    rows = []
    for it in items:
        if it.check:
            cond = it.check
        elif it.threshold is not None:
            unit = f" {labels.unit(it.unit)}" if it.unit and labels.english() else it.unit
            cond = f"{COMPARE_ZH[it.compare]} {it.threshold:g}{unit}"
        else:
            cond = ""
        rows.append({"item": it, "how": _("数据计算") if it.kind == "computed" else _("县级记录 + 佐证材料"), "cond": cond,
                     "conf": conf(it.confidence), "overlaid": f"item:{it.id}" in changed})
    return rows


def _detail_context(std: Standard, changed: set[str]) -> dict[str, Any]:
    d = load_dictionary()
    sections = [{"code": s, "zh": labels.label(SECTION_ZH.get(s, s))} for s in std.sections]
    indicators = [{
        "ind": i, "conf": conf(i.confidence), "overlaid": f"indicator:{i.id}" in changed, "unit": labels.unit(i.unit),
        "thresholds": [i.thresholds.get(s["code"]) for s in sections],
        "cv_limits": [i.cv_limit.get(s["code"]) for s in sections],
        "gap_element": d.element(i.gap.element).header if i.gap else "",
        "gap_conf": conf(i.gap.confidence) if i.gap else None,
    } for i in std.indicators]
    rules = [{"rule": r, "kind": KIND_ZH.get(r.kind, r.kind), "params": _rule_params(r), "conf": conf(r.confidence),
              "overlaid": f"rule:{r.id}" in changed} for r in std.rules]
    weight_sections = [s for s in SECTION_ZH if any(s in w for w in std.split.weights.values())]
    weights = [{"kind": labels.enum_label(d, "kind", k), "weights": [w.get(s) for s in weight_sections]}
               for k, w in std.split.weights.items()]
    exclusions = [{"exc": e, "conf": conf(e.confidence), "overlaid": f"exclusion:{e.id}" in changed}
                  for e in std.scope.exclusions]
    parts = [(title, _items(items, changed)) for title, items in (
        (labels.label("政府保障程度"), std.guarantee), (labels.label("教育质量"), std.quality),
        (labels.label("社会认可度"), std.recognition)) if items]
    vetoes = [{"veto": v, "conf": conf(v.confidence), "overlaid": f"veto:{v.id}" in changed} for v in std.vetoes]
    return {
        "std": std, "std_conf": conf(std.confidence), "sections": sections, "indicators": indicators, "rules": rules,
        "section_names": labels.join(s["zh"] for s in sections),
        "split_default": SPLIT_ZH["weighted" if std.split.default_rule == "weighted" else "enrolment"],
        "split_alternative": SPLIT_ZH["weighted" if std.split.alternative == "weighted" else "enrolment"],
        "has_cv": any(i.cv_limit for i in std.indicators), "cv_conf": conf(std.cv.confidence),
        "split_conf": conf(std.split.confidence), "weights": weights,
        "weight_sections": [labels.label(SECTION_ZH[s]) for s in weight_sections],
        "scope_conf": conf(std.scope.confidence), "exclusions": exclusions, "parts": parts, "vetoes": vetoes,
        "prerequisite_conf": conf(std.prerequisite.confidence) if std.prerequisite else None,
        "changed": changed, "split_changed": "split" in changed, "include_changed": "scope:include" in changed,
        "cv_changed": "cv" in changed, "legend": CONFIDENCE_ZH,
    }


@require_GET
def standard_detail(request: Any, sid: str) -> Any:
    province = request.GET.get("province", "").strip()
    known = overlays()
    if province and province not in known:
        raise Http404("没有该省的覆盖文件 / no overlay for that province")
    if sid == ELEMENTS:
        return _elements(request)
    if sid not in available_standards():
        raise Http404("没有这个标准 / no such standard")
    try:
        std = load_standard(sid, province)
        base = load_standard(sid) if province else std
    except StandardsError as exc:
        raise Http404(str(exc)) from None
    context = _detail_context(std, _overlaid(base, std))
    context.update({"province": province, "overlays": known, "province_name": known.get(province, ""),
                    "targets": _targets(province) if province else []})
    return render(request, "web/standards/detail.html", context)


def _targets(province: str) -> list[dict[str, Any]]:
    """The province's own targets recorded in its overlay file (shown with their sources)."""
    try:
        raw = load_overlay(province).get("targets") or []
    except StandardsError:
        return []
    return [{**t, "conf": conf(t["confidence"])} for t in raw
            if isinstance(t, dict) and t.get("zh") and t.get("confidence") in CONFIDENCE_ZH]


def _elements(request: Any) -> Any:
    d = load_dictionary()
    rows = []
    for el in d.elements:
        if el.type == "enum" and el.enum:
            kind = _("选项：%(options)s") % {"options": labels.join(labels.enum_label(d, el.enum, o.code)
                                                                 for o in d.enums[el.enum])}
        else:
            kind = str(TYPE_ZH.get(el.type, el.type))
        rng = f"{el.min:g} – {el.max:g}" if el.min is not None and el.max is not None else ""
        rows.append({"el": el, "type": kind, "range": rng, "conf": conf(el.confidence),
                     "level": pgettext("层级", "学校") if el.level == "school" else pgettext("层级", "学段")})
    rules = [{"rule": r, "conf": conf(r.confidence),
              "level": pgettext("层级", "学校") if r.level == "school" else pgettext("层级", "学段"),
              "names": labels.join(d.element(n).zh for n in sorted(d.formulas[r.id].names, key=r.check.find))}
             for r in d.rules]
    params = [{"name": k, "param": p, "conf": conf(p.confidence)} for k, p in d.validation.items()]
    return render(request, "web/standards/elements.html", {
        "d": d, "d_conf": conf(d.confidence), "rows": rows, "rules": rules, "params": params, "legend": CONFIDENCE_ZH,
    })
