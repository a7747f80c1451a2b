"""Value-added pages: a county's bands with intervals (school-code order), a school's page, the PDFs."""

from __future__ import annotations

import re

import pytest

from dudao.accounts.services import create_user
from tests.factories import COUNTY_A, COUNTY_B

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-pass-123"


def _login(client, username, role, unit="", school=""):
    client.force_login(create_user(username, role, PASSWORD, unit, school))


def test_county_page_shows_bands_in_school_code_order(client, stored_run):
    run, _ = stored_run
    _login(client, "ca", "county_bureau", COUNTY_A)
    body = client.get(f"/quality/value-added/{COUNTY_A}/").content.decode()
    codes = re.findall(r"<tr><td>(\d{10})</td>", body)
    assert codes == sorted(codes) and len(codes) == 7  # county A's seven schools, none of county B's
    assert "3421000008" not in body and "测试学校0008" not in body
    assert "高于预期" in body and "不发布" in body and "少于最少 20 人" in body
    assert f'id="va-fig-{run.pk}"' in body and '"error_x"' in body  # the interval chart
    assert run.inputs_hash[:16] in body and run.code_version in body


def test_county_pdf_and_quality_report(client, stored_run):
    _login(client, "pa", "province_admin", "210000")
    r = client.get(f"/quality/value-added/{COUNTY_A}.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and len(r.content) > 5000
    page = client.get(f"/quality/report/{COUNTY_A}/")
    assert page.status_code == 200 and "学校增值评价" in page.content.decode()
    r = client.get("/quality/report/3121000006.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_school_page_and_refused_school(client, stored_run):
    _login(client, "clerk", "school_clerk", COUNTY_A, "2121000005")
    body = client.get("/quality/value-added/school/2121000005/").content.decode()
    assert "不发布" in body and "少于最少 20 人" in body
    assert client.get("/quality/value-added/school/3121000006/").status_code == 403
    assert client.get(f"/quality/value-added/{COUNTY_A}/").status_code == 403


def test_other_county_is_refused_and_empty_county_says_so(client, stored_run):
    _login(client, "cb", "county_bureau", COUNTY_B)
    assert client.get(f"/quality/value-added/{COUNTY_A}/").status_code == 403
    assert client.get(f"/quality/value-added/{COUNTY_A}.pdf").status_code == 403
    _login(client, "pa2", "province_admin", "210000")
    body = client.get("/quality/value-added/210502/").content.decode()  # no run holds its schools
    assert "还没有增值评价结果" in body
    assert client.get("/quality/value-added/210502.pdf").status_code == 404


def test_quality_report_combines_value_added_with_the_evaluation_rollup(client, stored_run):
    svc = pytest.importorskip("dudao.inspection.services")
    insp = create_user("insp", "province_inspector", PASSWORD, "210000")
    expert = create_user("expert", "expert_inspector", PASSWORD, COUNTY_A)
    ev = svc.create_evaluation(insp, framework_id="quality2021", level="county", kind="external", year=2024,
                               county=COUNTY_A)
    svc.assign(ev, insp, "C1.1.1", [expert])
    svc.save_score(ev, expert, "C1.1.1", 10, "好")
    svc.submit(ev, expert)
    roll = svc.rollup(ev)
    client.force_login(insp)
    body = client.get(f"/quality/report/{COUNTY_A}/").content.decode()
    assert ev.title in body and f"{roll.total.value:.1f}" in body and "学校增值评价" in body
    assert all(a.zh in body for a in roll.total.children)
    pdf = client.get(f"/quality/report/{COUNTY_A}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the roll-up shows the school's value-added band (from school_bands) on its academic points
    from dudao.quality.services import school_bands

    school_ev = svc.create_evaluation(insp, framework_id="quality2021", level="school", kind="external", year=2024,
                                      school_code="3121000006")
    bands = {n.band for n in svc.rollup(school_ev).nodes() if n.band}
    [entry] = school_bands("3121000006", 2024)
    assert bands and all(entry["band_zh"] in b and "数学" in b for b in bands)
