"""One county's whole supervision journey in a real browser (Playwright driving Debian's chromium, like
tests/web/test_browser.py), against a live server:

the county bureau writes its self-evaluation report, uploads evidence, runs its assessment and submits; the
prefecture sends it back with a comment; the county corrects a value in its workbook, re-assesses and
resubmits; the prefecture sees what changed and passes it up; the province draws the site-visit sample and
passes the county; the province raises rectification tasks from the failing items; the county reports
progress with evidence and asks for verification; the province verifies and the task closes; the province
administrator publishes the results; an anonymous visitor reads the public announcement.

Screenshots of every page go to ``test-artifacts/browser/supervision-*.png``. Never run ``playwright
install``: the test uses /usr/bin/chromium and is skipped (with the reason shown) without it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.factories import COUNTY_A, dataset
from tests.supervision.test_evidence import PDF

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "Secret-pass-123"
FIXED_SCHOOL = "3121000007"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _workbook(tmp_path: Path, name: str, sports_area: float | None = None) -> Path:
    """County A's schools as a workbook; optionally with one school's sports ground enlarged."""
    from dudao.schools.workbook import write_xlsx
    from dudao.standards.model import load_dictionary

    schools, sections = copy.deepcopy(dataset())
    keep = {s["school_code"] for s in schools if s["county_code"] == COUNTY_A}
    schools = [s for s in schools if s["school_code"] in keep]
    for s in schools:
        if s["school_code"] == FIXED_SCHOOL and sports_area is not None:
            s["sports_area"] = sports_area
    sections = [s for s in sections if s["school_code"] in keep]
    return write_xlsx(tmp_path / name, load_dictionary(), 2024, schools, sections)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (CI installs the Debian package)")
def test_one_countys_supervision_journey(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls while Playwright's loop runs
    import datetime as dt

    from playwright.sync_api import expect, sync_playwright

    from dudao.accounts.services import create_user
    from dudao.assessment.models import CountyFact
    from dudao.orgunits.models import OrgUnit
    from dudao.orgunits.services import load_divisions
    from dudao.schools.services import import_file
    from dudao.supervision import evidence
    from dudao.supervision.models import Announcement, Case, Task
    from dudao.supervision.services import open_round

    monkeypatch.setattr(evidence, "root", lambda: tmp_path / "evidence")
    load_divisions("21")
    assert import_file(_workbook(tmp_path, "seed.xlsx"), 2024, "setup").accepted
    # a recorded county item that fails (teacher training), so that one task is closed on the verifier's word
    CountyFact.objects.create(county=OrgUnit.objects.get(code=COUNTY_A), year=2024, item="G09", value=0.8,
                              passed=False, evidence="培训台账", actor="setup")
    for username, role, unit in (("xian", "county_bureau", COUNTY_A), ("shi", "prefecture_inspector", "210500"),
                                 ("sheng_dudao", "province_inspector", "210000"), ("sheng", "province_admin", "210000")):
        create_user(username, role, PASSWORD, unit)
    due = (dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 1))
    rnd = open_round("210000", "2024年县域义务教育优质均衡省级评估", "youzhi2017", 2024, due, [COUNTY_A], "sheng")
    case = Case.objects.get(round=rnd)
    report = tmp_path / "本溪县自评报告.pdf"
    report.write_bytes(PDF)
    fixed = _workbook(tmp_path, "本溪县_2024学年_更正.xlsx", sports_area=10000.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    case_url = f"{base}/supervision/cases/{case.pk}/"

    def shot(page, name):
        page.evaluate("window.scrollTo(0, 0)")  # sticky table headers would otherwise cover rows in the full page
        page.screenshot(path=ARTIFACTS / f"supervision-{name}.png", full_page=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            def login(username):
                context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
                context.set_default_timeout(120_000)
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                assert "/login/" not in page.url, f"login of {username} failed"
                return page

            def step(page, action, comment=""):
                page.goto(case_url)
                if comment:
                    page.fill("#id_comment", comment)
                with page.expect_navigation():
                    page.click(f"#case-actions button[value={action}]")

            def assess(page):
                page.goto(f"{base}/assess/")
                with page.expect_navigation():
                    page.click("#assess-form button[type=submit]")

            # 1. the county writes its report, uploads evidence, assesses and submits
            county = login("xian")
            county.goto(case_url)
            county.fill("#id_narrative", "本县2024学年义务教育优质均衡发展自评报告：资源配置七项指标基本达标。")
            with county.expect_navigation():
                county.click("#narrative-form button[value=save_narrative]")
            county.set_input_files("#id_files", str(report))
            with county.expect_navigation():
                county.click("#evidence-form button[value=upload_evidence]")
            expect(county.locator("#evidence")).to_contain_text("本溪县自评报告.pdf")
            shot(county, "01-county-self-evaluation")
            assess(county)
            step(county, "submit", "自评材料已齐全，请市级复核")
            expect(county.locator("#case-state")).to_have_text("已提交市级复核")
            expect(county.locator("#self-locked")).to_be_visible()
            expect(county.locator("#timeline")).to_contain_text("本溪县自评报告.pdf")
            shot(county, "02-county-submitted")

            # 2. the prefecture sends it back with a comment
            pref = login("shi")
            step(pref, "return_to_county", "测试学校0007 体育运动场馆面积与实际不符，请核实后重新提交")
            expect(pref.locator("#case-state")).to_have_text("县级自评")
            shot(pref, "03-prefecture-sent-back")

            # 3. the county corrects its workbook, re-assesses and resubmits
            county.goto(f"{base}/data/")
            county.select_option("#id_year", "2024")
            county.set_input_files("#id_file", str(fixed))
            county.click("#upload-form button[type=submit]")
            county.wait_for_selector("#import-outcome[data-outcome=accepted]")
            assess(county)
            county.goto(case_url)
            expect(county.locator("#timeline")).to_contain_text("请核实后重新提交")
            step(county, "submit", "已更正体育运动场馆面积")
            expect(county.locator("#case-state")).to_have_text("已提交市级复核")

            # 4. the prefecture sees the difference and passes the case up
            pref.goto(case_url)
            expect(pref.locator("#diff")).to_contain_text(FIXED_SCHOOL)
            shot(pref, "04-prefecture-sees-diff")
            step(pref, "pass_up")
            expect(pref.locator("#case-state")).to_have_text("省级评估")

            # 5. the province draws the sample, passes the county and raises tasks from the failing items
            prov = login("sheng_dudao")
            prov.goto(case_url)
            with prov.expect_navigation():
                prov.click("#draw-sample button")
            expect(prov.locator("#sample tbody tr").first).to_be_visible()
            step(prov, "recognise", "实地核查抽样学校情况与自评一致，评估通过")
            expect(prov.locator("#case-state")).to_have_text("省级评估通过（报请国家认定）")
            prov.goto(case_url)
            prov.fill("#id_deadline", "2099-06-30")
            with prov.expect_navigation():
                prov.click("#raise-tasks button")
            expect(prov.locator(".messages")).to_contain_text("整改任务")
            shot(prov, "05-province-raised-tasks")
            task = Task.objects.get(case=case, item="G09")
            prov.goto(f"{base}/supervision/tasks/?case={case.pk}")
            expect(prov.locator("#tasks")).to_contain_text("2099-06-30")
            shot(prov, "06-task-list")

            # 6. the county reports progress with evidence and asks for verification
            task_url = f"{base}/supervision/tasks/{task.pk}/"
            county.goto(task_url)
            county.fill("#id_text", "已组织全员培训，补齐学时")
            county.fill("#id_progress", "90")
            county.set_input_files("#note-form #id_files", str(report))
            with county.expect_navigation():
                county.click("#note-form button[value=note]")
            expect(county.locator("#notes")).to_contain_text("本溪县自评报告.pdf")
            with county.expect_navigation():
                county.click("#request-form button[value=request_verification]")
            expect(county.locator("#task-state")).to_have_text("待复核")
            shot(county, "07-county-task-progress")

            # 7. the province verifies: the task closes
            prov.goto(task_url)
            prov.fill("#verify-form #id_comment", "培训记录已核实")
            with prov.expect_navigation():
                prov.click("#verify-form button[value=verify]")
            expect(prov.locator("#task-state")).to_have_text("已销号")
            shot(prov, "08-province-verified")

            # 8. the province administrator publishes the results
            admin = login("sheng")
            admin.goto(f"{base}/supervision/rounds/{rnd.pk}/")
            shot(admin, "09-round-publish-form")
            with admin.expect_navigation():
                admin.click("#publish-form button[type=submit]")
            ann = Announcement.objects.get(round=rnd)
            assert admin.url == f"{base}/public/announcement/{ann.pk}/"

            # 9. an anonymous visitor reads it
            visitor = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN").new_page()
            visitor.goto(f"{base}/public/announcements/21/")
            shot(visitor, "10-public-list")
            with visitor.expect_navigation():
                visitor.click(f"a[href='/public/announcement/{ann.pk}/']")
            expect(visitor.locator("#counties")).to_contain_text("本溪满族自治县")
            expect(visitor.locator("#counties")).to_contain_text("省级评估通过")
            expect(visitor.locator("#rectification")).to_contain_text("2099-06-30")
            text = visitor.locator("main").inner_text()
            for private in ("xian", "shi", "sheng", "资源配置七项指标基本达标", "培训记录已核实"):
                assert private not in text, private
            shot(visitor, "11-public-announcement")

            # 10. a year later the remaining tasks are overdue: the nightly reminder escalates them
            from dudao.supervision.rectification import escalate

            Task.objects.filter(case=case).exclude(state="closed").update(deadline=dt.date(2025, 6, 30))
            late = escalate(dt.date.today())
            prov.goto(f"{base}/supervision/overdue/")
            expect(prov.locator("#n-overdue")).to_have_text(str(len(late)))
            expect(prov.locator("#by-county")).to_contain_text("本溪满族自治县")
            shot(prov, "12-overdue-dashboard")
            county.goto(f"{base}/supervision/tasks/?overdue=1")
            expect(county.locator("#tasks")).to_contain_text("已报上级督办")
            shot(county, "13-county-overdue-tasks")
        finally:
            browser.close()

    case.refresh_from_db()
    assert case.state == "recognised" and case.events.count() == 5
    assert Task.objects.get(pk=task.pk).state == "closed"
