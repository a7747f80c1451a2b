"""Region pages (province, prefecture, county), the county map's GeoJSON, and school pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.web import maps
from tests.factories import COUNTY_A, COUNTY_B, dataset

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
WEAK = "2121000001"  # a primary school of county A with far too little sports ground: a failing R5 cell
PREF_A = "210500"  # 本溪市, the prefecture of county A (本溪满族自治县)
EMPTY_COUNTY = "210502"  # 本溪市平山区: no schools, no result


@pytest.fixture
def maps_dir(tmp_path, monkeypatch):
    folder = tmp_path / "maps"
    monkeypatch.setattr(maps, "cache_dir", lambda: folder)
    return folder


@pytest.fixture
def assessed(tmp_path, liaoning, dictionary, maps_dir):
    schools, sections = dataset()
    for s in schools:
        if s["school_code"] == WEAK:
            s["sports_area"] = 300.0
    path = write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, schools, sections)
    assert import_file(path, 2024, "clerk").accepted
    # the year before, the same schools (so the pages have a history of two years)
    path = write_xlsx(tmp_path / "d23.xlsx", dictionary, 2023, schools, sections)
    assert import_file(path, 2023, "clerk").accepted
    run_assessment("youzhi2017", 2023)
    return run_assessment("youzhi2017", 2024)


def _user(client, username, role, unit="", school=""):
    user = create_user(username, role, PASSWORD, unit, school)
    client.force_login(user)
    return user


@pytest.fixture
def province(client, assessed):
    _user(client, "sheng", "province_inspector", "210000")
    return client


def _entry(outcome, county):
    return next(c for c in outcome.document["counties"] if c["code"] == county)


def _text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- pages render for an allowed user


def test_province_dashboard(province, assessed):
    r = province.get(reverse("region", kwargs={"code": "210000"}))
    assert r.status_code == 200
    html = _text(r)
    assert "辽宁省" in html and "本溪市" in html and "朝阳市" in html
    assert "未达标" in html and "未评估" in html
    # the targets come from the overlay file: 50% by 2025, all by 2030
    assert "2025" in html and "2030" in html and "50%" in html
    # the map: every county of the province, coloured by verdict, the boundaries from our own URL
    fig = r.context["map_fig"]
    trace = fig["data"][0]
    assert trace["type"] == "choropleth" and trace["geojson"] == reverse("region_map", kwargs={"code": "210000"})
    assert fig["layout"]["geo"]["fitbounds"] == "locations"
    assert len(trace["locations"]) == 100 and COUNTY_A in trace["locations"]
    verdict_a = _entry(assessed, COUNTY_A)["verdict"]
    assert trace["z"][trace["locations"].index(COUNTY_A)] == ["pass", "fail", "incomplete", "none"].index(verdict_a)
    assert "本溪满族自治县" in trace["text"][trace["locations"].index(COUNTY_A)]
    assert trace["customdata"][trace["locations"].index(COUNTY_A)] == reverse("region", kwargs={"code": COUNTY_A})
    assert "vendor/plotly/plotly.min.js" in html and "cdn" not in html.lower()
    counts = r.context["counts"]
    assert counts["none"] == 98 and sum(counts.values()) == 100


def test_prefecture_page(province, assessed):
    r = province.get(reverse("region", kwargs={"code": PREF_A}))
    assert r.status_code == 200
    html = _text(r)
    assert "本溪市" in html and "本溪满族自治县" in html and "平山区" in html
    entry = _entry(assessed, COUNTY_A)
    worst = max(v for v in next(s for s in entry["sections"] if s["section"] == "primary")["cv"].values() if v is not None)
    assert f"{worst:.3f}" in html
    assert reverse("region", kwargs={"code": COUNTY_A}) in html


def test_county_page(province, assessed):
    r = province.get(reverse("region", kwargs={"code": COUNTY_A}))
    assert r.status_code == 200
    html = _text(r)
    entry = _entry(assessed, COUNTY_A)
    assert entry["verdict"] == "fail"
    assert "本溪满族自治县" in html and "未达标" in html and "资源配置" in html
    primary = next(s for s in entry["sections"] if s["section"] == "primary")
    assert f'{primary["cv"]["R5"]:.3f}' in html  # CVs to three decimals
    weak = next(s for s in primary["schools"] if s["code"] == WEAK)
    assert weak["passed"]["R5"] is False and weak["school_pass"] is False
    assert f'<td class="num no">{weak["values"]["R5"]:.2f}</td>' in html  # the failing cell, shaded
    assert reverse("school", kwargs={"code": WEAK}) in html
    run = assessed.run.pk
    for fmt in ("pdf", "xlsx"):
        assert reverse("report_download", kwargs={"run": run, "county": COUNTY_A, "fmt": fmt}) in html
    # the gap of the weak school and its cost, in 万元
    assert "体育运动场馆面积" in html and "万元" in html
    # the history of both years
    assert [h["year"] for h in r.context["history"]["rows"]] == [2023, 2024]
    assert "2023–2024 学年" in html and "2024–2025 学年" in html
    assert len(r.context["history_figs"]) == 2
    # one CV chart per section
    assert "cv-fig-primary" in html and "cv-fig-junior" in html


def test_county_without_result_says_so(province):
    r = province.get(reverse("region", kwargs={"code": EMPTY_COUNTY}))
    assert r.status_code == 200
    html = _text(r)
    assert "还没有优质均衡评估结果" in html and reverse("assess") in html


def test_school_page(province, assessed):
    r = province.get(reverse("school", kwargs={"code": WEAK}))
    assert r.status_code == 200
    html = _text(r)
    assert "测试学校0001" in html and WEAK in html and "本溪满族自治县" in html
    assert "未达标" in html and '<td class="num no">' in html
    # what it lacks: its gap rows
    assert r.context["gap_rows"] and r.context["gap_rows"][0]["id"] == "R5"
    # its raw statistics with Chinese names and units from the element dictionary
    assert "体育运动场馆面积" in html and "m²" in html and "在校生数" in html and "300.00" in html
    # its indicators over the years
    assert [row["year"] for row in r.context["over_years"]] == ["2023–2024 学年", "2024–2025 学年"]


def test_english_pages_render(province, assessed):
    for url in (reverse("region", kwargs={"code": "210000"}), reverse("region", kwargs={"code": COUNTY_A}),
                reverse("school", kwargs={"code": WEAK})):
        assert province.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200


# ---------------------------------------------------------------- refusals and unknown codes


def test_other_county_user_is_refused(client, assessed):
    _user(client, "xian_b", "county_bureau", COUNTY_B)
    assert client.get(reverse("region", kwargs={"code": COUNTY_B})).status_code == 200
    for url in (reverse("region", kwargs={"code": COUNTY_A}), reverse("region", kwargs={"code": "210000"}),
                reverse("region", kwargs={"code": PREF_A}), reverse("school", kwargs={"code": WEAK}),
                reverse("region_map", kwargs={"code": "210000"})):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "无权访问" in _text(r)


def test_school_clerk_sees_only_its_school(client, assessed):
    _user(client, "clerk", "school_clerk", school=WEAK)
    assert client.get(reverse("school", kwargs={"code": WEAK})).status_code == 200
    assert client.get(reverse("school", kwargs={"code": "2121000002"})).status_code == 403
    assert client.get(reverse("school", kwargs={"code": "2121999999"})).status_code == 403  # not even a 404
    assert client.get(reverse("region", kwargs={"code": COUNTY_A})).status_code == 403


def test_unknown_codes_are_404(province):
    for url in (reverse("region", kwargs={"code": "219999"}), reverse("school", kwargs={"code": "2121999999"}),
                reverse("region_map", kwargs={"code": "219900"}), reverse("region_map", kwargs={"code": COUNTY_A})):
        r = province.get(url)
        assert r.status_code == 404, url
    assert "219999" in _text(province.get(reverse("region", kwargs={"code": "219999"})))


def test_login_required(client, assessed):
    r = client.get(reverse("region", kwargs={"code": "210000"}))
    assert r.status_code == 302 and reverse("login") in r["Location"]


# ---------------------------------------------------------------- the map's GeoJSON


def test_map_geojson_is_the_provinces_counties_and_small(province, maps_dir):
    url = reverse("region_map", kwargs={"code": "210000"})
    r = province.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/geo+json")
    assert "max-age" in r["Cache-Control"] and r["ETag"]
    body = r.content
    assert len(body) < 300_000
    data = json.loads(body)
    codes = [f["id"] for f in data["features"]]
    assert len(codes) == 100 and all(c.startswith("21") and len(c) == 6 for c in codes)
    assert COUNTY_A in codes and all(f["properties"]["code"] == f["id"] for f in data["features"])
    assert next(f for f in data["features"] if f["id"] == COUNTY_A)["properties"]["name"] == "本溪满族自治县"
    # generated once, into the data folder, then served from the file
    cached = list(maps_dir.glob("21-v*.geojson"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    again = province.get(url, HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304
    assert province.get(url).content == body and cached[0].stat().st_mtime_ns == mtime
    # a prefecture's map holds only its counties
    pref = json.loads(province.get(reverse("region_map", kwargs={"code": PREF_A})).content)
    assert pref["features"] and all(f["id"].startswith("2105") for f in pref["features"])


def test_map_rings_are_clockwise_for_plotly(maps_dir):
    import shapely
    from shapely.geometry import shape

    data = json.loads(maps.province_map_path("21").read_bytes())
    for f in data["features"][:20]:
        geom = shape(f["geometry"])
        polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
        assert all(not p.exterior.is_ccw for p in polys)
        assert shapely.is_valid(geom) or geom.area > 0
