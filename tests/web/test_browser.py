"""End to end in a real browser (Playwright driving Debian's chromium) against a live server.

A county bureau logs in, uploads a workbook with an error, reads the located error on the page,
fixes that very cell, uploads again and sees success, runs an assessment, opens its county page and
downloads the county's PDF report. Screenshots of each step go to ``test-artifacts/browser/``.
Never run ``playwright install``: the test uses /usr/bin/chromium and is skipped without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import COUNTY_A, dataset

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "Secret-pass-123"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _county_a_files(tmp_path: Path) -> Path:
    """County A's schools as a workbook with one wrong cell (a student count written in words)."""
    from dudao.schools.workbook import write_xlsx
    from dudao.standards.model import load_dictionary

    schools, sections = dataset()
    keep = {s["school_code"] for s in schools if s["county_code"] == COUNTY_A}
    schools = [s for s in schools if s["school_code"] in keep]
    sections = [s for s in sections if s["school_code"] in keep]
    sections[2]["students"] = "三百六"
    return write_xlsx(tmp_path / "本溪县_2024学年.xlsx", load_dictionary(), 2024, schools, sections)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (CI installs the Debian package)")
def test_county_bureau_round_trip(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls while Playwright's loop runs
    import openpyxl
    from django.urls import NoReverseMatch, reverse
    from playwright.sync_api import sync_playwright

    from dudao.accounts.services import create_user
    from dudao.orgunits.services import load_divisions

    load_divisions("21")
    create_user("xian_test", "county_bureau", PASSWORD, COUNTY_A)
    bad = _county_a_files(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    skipped: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN", accept_downloads=True)
            context.set_default_timeout(120_000)
            page = context.new_page()

            # 1. log in
            page.goto(f"{base}/login/")
            page.fill("#id_username", "xian_test")
            page.fill("#id_password", PASSWORD)
            page.screenshot(path=ARTIFACTS / "01-login.png")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert "/login/" not in page.url, "login failed"

            # 2. the data page
            page.goto(f"{base}/data/")
            assert page.locator("h1").inner_text().strip() == "数据填报"
            page.screenshot(path=ARTIFACTS / "02-data-page.png", full_page=True)

            # 3. upload a workbook with an error and read where it is
            page.select_option("#id_year", "2024")
            page.set_input_files("#id_file", str(bad))
            page.click("#upload-form button[type=submit]")
            page.wait_for_selector("#import-outcome[data-outcome=refused]")
            rows = page.locator("#import-errors tbody tr")
            assert rows.count() == 1
            cells = [c.strip() for c in rows.first.locator("td").all_inner_texts()]
            sheet, row, column, header, value, code, message = cells[1:8]
            assert (sheet, row, column, header, value, code) == ("学段", "5", "D", "在校生数（人）", "三百六", "E_NUMBER")
            assert "“三百六”不是数字" in message and "is not a number" in message
            assert "本溪县_2024学年.xlsx" in page.locator("#import-outcome").inner_text()
            page.screenshot(path=ARTIFACTS / "03-upload-refused.png", full_page=True)

            # 4. fix exactly that cell in Excel's file and upload again
            wb = openpyxl.load_workbook(bad)
            wb[sheet][f"{column}{row}"] = 360
            fixed = tmp_path / "本溪县_2024学年_已改.xlsx"
            wb.save(fixed)
            page.set_input_files("#id_file", str(fixed))
            page.click("#upload-form button[type=submit]")
            page.wait_for_selector("#import-outcome[data-outcome=accepted]")
            outcome = page.locator("#import-outcome").inner_text()
            assert "已导入" in outcome and re.search(r"学校\s*7\s*所", outcome), outcome
            assert "本溪县_2024学年_已改.xlsx" in page.locator("#batches").inner_text()  # the list was refreshed
            page.screenshot(path=ARTIFACTS / "04-upload-accepted.png", full_page=True)

            # 5. run an assessment of the county
            page.goto(f"{base}/assess/")
            assert page.locator("#id_scope").input_value() == COUNTY_A
            page.screenshot(path=ARTIFACTS / "05-assess-form.png", full_page=True)
            with page.expect_navigation():
                page.click("#assess-form button[type=submit]")
            page.wait_for_load_state()
            try:
                region = reverse("region", kwargs={"code": COUNTY_A})
            except NoReverseMatch:
                region = None

            # 6. the county page (another area's page)
            if region is None:
                assert page.url == f"{base}{reverse('assess')}", page.url
                skipped.append("县级页面（URL 名 region）尚未实现，已确认评估后回到评估页 / the county page "
                               f"region/{COUNTY_A}/ does not exist yet: the redirect target was checked, the page was not")
            else:
                assert page.url == f"{base}{region}", page.url
                response = page.goto(page.url)
                assert response is not None and response.status == 200
                assert "本溪满族自治县" in page.content()
                page.screenshot(path=ARTIFACTS / "06-county-page.png", full_page=True)

            # 7. download the county's PDF report from the list of runs
            page.goto(f"{base}/assess/")
            page.screenshot(path=ARTIFACTS / "07-runs.png", full_page=True)
            link = page.locator(f"#runs a[href$='/{COUNTY_A}.pdf']").first
            with page.expect_download() as info:
                link.click()
            download = info.value
            assert download.suggested_filename.endswith(".pdf") and "本溪满族自治县" in download.suggested_filename
            target = ARTIFACTS / "08-county-report.pdf"
            download.save_as(target)
            assert target.read_bytes().startswith(b"%PDF")
        finally:
            browser.close()

    from dudao.assessment.models import AssessmentRun
    from dudao.audit.models import AuditEvent

    assert AssessmentRun.objects.filter(scope=COUNTY_A, actor="xian_test").count() == 1
    assert AuditEvent.objects.filter(action="export", actor="xian_test", object_type="assessment.AssessmentRun").exists()
    if skipped:
        pytest.skip("; ".join(skipped))
