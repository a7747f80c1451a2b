"""Standards as data: the typed loader, overlays and the refusal of malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dudao.standards.model import (
    DATA_DIR,
    StandardsError,
    available_standards,
    load_dictionary,
    load_standard,
    merge_overlay,
)


def test_every_item_has_source_and_confidence():
    for sid in available_standards():
        std = load_standard(sid)
        items = [*std.indicators, *std.rules, *std.scope.exclusions, *std.guarantee, *std.quality, *std.recognition,
                 *std.vetoes, std.scope, std.split, std.cv]
        for item in items:
            assert item.source and item.confidence in "CSU", item
    for el in load_dictionary().elements:
        assert el.source and el.confidence in "CSU"


def test_2017_figures_as_specified():
    std = load_standard("youzhi2017")
    got = {i.id: (i.thresholds["primary"], i.thresholds["junior"]) for i in std.indicators}
    assert got == {"R1": (4.2, 5.3), "R2": (1.0, 1.0), "R3": (0.9, 0.9), "R4": (4.5, 5.8), "R5": (7.5, 10.2),
                   "R6": (2000, 2500), "R7": (2.3, 2.4)}
    assert all(i.cv_limit == {"primary": 0.5, "junior": 0.45} for i in std.indicators)
    k_of_n = next(r for r in std.rules if r.kind == "k_of_n")
    assert (k_of_n.k, k_of_n.floor_ratio) == (6, 0.85)
    assert len(std.guarantee) == 15 and len(std.quality) == 9
    assert std.split.weights["twelve_year"] == {"primary": 1.0, "junior": 1.1, "senior": 1.32}


def test_2012_composite_limits():
    std = load_standard("jiben2012")
    assert len(std.indicators) == 8
    comp = next(r for r in std.rules if r.kind == "cv_composite")
    assert comp.limits == {"primary": 0.65, "junior": 0.55}


def test_province_overlay_changes_only_its_items():
    national = load_standard("youzhi2017")
    hebei = load_standard("youzhi2017", "13")
    assert hebei.overlay == "13"
    tp = next(e for e in hebei.scope.exclusions if e.id == "teaching_point")
    assert "students < 50" in tp.when and tp.source == "河北省实施细则"
    assert [e.id for e in hebei.scope.exclusions] == [e.id for e in national.scope.exclusions]
    assert hebei.indicators == national.indicators
    assert "students < 50" not in next(e for e in national.scope.exclusions if e.id == "teaching_point").when


def test_merge_overlay_by_id():
    base = {"items": [{"id": "a", "x": 1, "y": 2}, {"id": "b", "x": 3}], "n": 1}
    out = merge_overlay(base, {"items": [{"id": "a", "x": 9}, {"id": "c", "x": 0}], "n": 2})
    assert out == {"items": [{"id": "a", "x": 9, "y": 2}, {"id": "b", "x": 3}, {"id": "c", "x": 0}], "n": 2}
    assert base["items"][0]["x"] == 1


def _broken(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((DATA_DIR / "youzhi2017.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "youzhi2017.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate,fragment", [
    (lambda d: d["indicators"][2].pop("source"), "indicators.[R3].source"),
    (lambda d: d["indicators"][0].update(confidence="X"), "indicators.[R1].confidence"),
    (lambda d: d["indicators"][1].update(formula="teachers_key * 100 / studnets"), "studnets"),
    (lambda d: d["indicators"][1].update(formula="teachers_key * / students"), "指标 R2"),
    (lambda d: d["indicators"][0]["thresholds"].update(primary="high"), "thresholds.primary"),
    (lambda d: d.update(surprise=1), "surprise"),
])
def test_malformed_standard_is_refused_with_location(tmp_path, mutate, fragment):
    path = _broken(tmp_path, mutate)
    with pytest.raises(StandardsError) as info:
        load_standard.__wrapped__("youzhi2017", "", path)
    assert fragment in str(info.value) and str(path.name) in str(info.value)


def test_malformed_yaml_and_unknown_standard(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(StandardsError, match="YAML"):
        load_standard.__wrapped__("x", "", bad)
    with pytest.raises(StandardsError, match="youzhi2017"):
        load_standard("nonexistent")


def test_dictionary_rules_compile_against_elements(tmp_path):
    d = load_dictionary()
    assert set(d.formulas) == {r.id for r in d.rules}
    data = yaml.safe_load((DATA_DIR / "elements.yaml").read_text(encoding="utf-8"))
    data["rules"][0]["check"] = "teachers_above_degree <= teachers_total"
    path = tmp_path / "elements.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(StandardsError, match="teachers_total"):
        load_dictionary.__wrapped__(path)


def test_no_policy_figure_in_python():
    """Thresholds, limits and weights of the standards must not appear as numbers in Python code."""
    import ast

    src = Path(__file__).resolve().parents[2] / "src" / "dudao"
    figures = {4.2, 5.3, 7.5, 10.2, 2.3, 2.4, 0.45, 0.65, 0.55, 0.85, 1.1, 1.2, 1.32, 1250, 1500, 2000, 2500, 6000}
    presentation = {"fontsize", "labelsize", "size", "lw", "linewidth", "pad", "width", "height", "alpha", "dpi",
                    "batch_size", "chunk_size"}  # and database batching
    for path in src.rglob("*.py"):
        if "migrations" in path.parts or "synth" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        styling = {id(k.value) for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg in presentation}
        styling |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.Dict)
                    for k, v in zip(n.keys, n.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value in presentation}
        for node in ast.walk(tree):
            if id(node) in styling:
                continue
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                assert node.value not in figures, f"{node.value} hard-coded in {path}:{node.lineno}"
