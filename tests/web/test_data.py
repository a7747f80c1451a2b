"""The data, standards, assessment, report and audit pages: permissions, located errors, scope,
hand corrections with their change records, public standards, downloads and the audit trail."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from dudao.accounts.services import create_user
from dudao.audit.models import AuditEvent
from dudao.orgunits.models import OrgUnit
from dudao.orgunits.services import province_codes
from dudao.schools.models import ChangeRecord, ImportBatch, SchoolYear, SectionYear
from dudao.schools.services import import_file
from dudao.schools.validate import read_file
from dudao.schools.workbook import write_xlsx
from tests.factories import COUNTY_A, COUNTY_B, dataset

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
HTMX = {"HTTP_HX_REQUEST": "true"}


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def users(liaoning):
    return {
        "county": create_user("county_a", "county_bureau", PASSWORD, COUNTY_A),
        "county_b": create_user("county_b", "county_bureau", PASSWORD, COUNTY_B),
        "clerk": create_user("clerk1", "school_clerk", PASSWORD, COUNTY_A, "2121000001"),
        "admin": create_user("prov_admin", "province_admin", PASSWORD, "210000"),
        "inspector": create_user("prov_insp", "province_inspector", PASSWORD, "210000"),
        "expert": create_user("duxue1", "expert_inspector", PASSWORD, COUNTY_A),
    }


@pytest.fixture
def loaded(tmp_path, liaoning, dictionary):
    report = import_file(write_xlsx(tmp_path / "seed.xlsx", dictionary, 2024, *dataset()), 2024, "seed")
    assert report.accepted, [e.message_zh for e in report.errors]


def county_a_only():
    schools, sections = dataset()
    keep = {s["school_code"] for s in schools if s["county_code"] == COUNTY_A}
    return [s for s in schools if s["school_code"] in keep], [s for s in sections if s["school_code"] in keep]


def upload(client, path: Path, year: int = 2024, htmx: bool = True):
    with path.open("rb") as fh:
        return client.post(reverse("upload"), {"year": str(year), "file": fh}, **(HTMX if htmx else {}))


def error_rows(body: str) -> set[tuple[str, int, str, str, str]]:
    """(sheet, row, column, header, code) of every row of the error table of an import result."""
    table = re.search(r'<table class="data" id="import-errors">(.*?)</table>', body, re.S)
    assert table, "no error table in the page"
    rows = set()
    for tr in re.findall(r"<tr title=[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        rows.add((cells[1], int(cells[2]) if cells[2] else 0, cells[3], cells[4], cells[6]))
    return rows


def snapshot():
    return sorted((sy.school.code, sy.year, sy.county.code, sorted(sy.values.items()))
                  for sy in SchoolYear.objects.select_related("school", "county"))


# ---------------------------------------------------------------- data page, template, upload


def test_data_page_needs_login_and_import_right(client, users, loaded):
    response = client.get(reverse("data"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(users["expert"])
    assert client.get(reverse("data")).status_code == 403
    client.force_login(users["county"])
    body = client.get(reverse("data")).content.decode()
    assert "hx-post" in body and 'hx-encoding="multipart/form-data"' in body and "htmx-indicator" in body
    assert "2121000001" in body and "3421000008" not in body  # only the county's own schools


def test_template_download_is_recorded(client, users):
    client.force_login(users["county"])
    for fmt, kind in (("xlsx", "spreadsheetml"), ("csv", "text/csv")):
        response = client.get(reverse("template_download", args=[fmt]) + "?year=2024")
        assert response.status_code == 200 and kind in response["Content-Type"]
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert response.content
    assert AuditEvent.objects.filter(action="export", object_type="schools.template", actor="county_a").count() == 2
    assert client.get(reverse("template_download", args=["exe"])).status_code == 404


def test_upload_accepted_shows_counts_and_is_audited(client, users, tmp_path, dictionary):
    client.force_login(users["county"])
    path = write_xlsx(tmp_path / "本溪县.xlsx", dictionary, 2024, *county_a_only())
    response = upload(client, path)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body  # a fragment for HTMX
    assert 'data-outcome="accepted"' in body and "本溪县.xlsx" in body
    assert SchoolYear.objects.filter(year=2024, county__code=COUNTY_A).count() == 7
    batch = ImportBatch.objects.get(status="accepted")
    assert batch.actor == "county_a" and batch.counts["schools"] == 7
    event = AuditEvent.objects.get(action="import")
    assert event.actor == "county_a" and event.detail["accepted"] is True and event.detail["counts"]["schools"] == 7
    assert event.object_id == str(batch.pk)
    page = client.get(reverse("data")).content.decode()
    assert "本溪县.xlsx" in page  # the batch is listed


def test_upload_refused_lists_every_error_located(client, users, tmp_path, dictionary):
    client.force_login(users["county"])
    schools, sections = county_a_only()
    schools[1]["kind"] = "大学"
    schools[4]["floor_area_teaching"] = -5.0
    sections[0]["students"] = "三百"
    sections[1]["teachers_pe"] = 30
    sections[3]["classes"] = None
    path = write_xlsx(tmp_path / "bad.xlsx", dictionary, 2024, schools, sections)
    checked = read_file(path, dictionary, 2024, dict(OrgUnit.objects.values_list("code", "level")), province_codes())
    expected = {(e.sheet, e.row or 0, e.column, e.header, e.code) for e in checked.errors}
    assert len(expected) >= 5
    response = upload(client, path)
    body = response.content.decode()
    assert 'data-outcome="refused"' in body
    assert error_rows(body) == expected
    for e in checked.errors:
        assert html.escape(e.message_zh) in body and html.escape(e.message_en) in body
        assert html.escape(e.location_zh()) in body  # the full location, file included, on each row
    assert SchoolYear.objects.count() == 0
    assert AuditEvent.objects.get(action="import").detail["errors"] == len(checked.errors)


def test_upload_without_htmx_renders_the_whole_page(client, users, tmp_path, dictionary):
    client.force_login(users["county"])
    schools, sections = county_a_only()
    sections[0]["students"] = "三百"
    response = upload(client, write_xlsx(tmp_path / "bad.xlsx", dictionary, 2024, schools, sections), htmx=False)
    body = response.content.decode()
    assert "<html" in body and 'data-outcome="refused"' in body and "E_NUMBER" in body


def test_out_of_scope_rows_are_refused_and_nothing_is_stored(client, users, tmp_path, dictionary):
    client.force_login(users["county"])
    path = write_xlsx(tmp_path / "all.xlsx", dictionary, 2024, *dataset())  # includes county B's two schools
    body = upload(client, path).content.decode()
    rows = error_rows(body)
    scope_rows = {r for r in rows if r[4] == "E_SCOPE"}
    # 2 school rows + 3 section rows of county B's schools, each at its school-code column
    assert {(r[0], r[1]) for r in scope_rows} == {("学校", 10), ("学校", 11), ("学段", 11), ("学段", 12), ("学段", 13)}
    assert all(r[2] == "A" for r in scope_rows)
    assert "朝阳县" in body and "3421000008" in body
    assert SchoolYear.objects.count() == 0 and SectionYear.objects.count() == 0
    assert ImportBatch.objects.get().status == "refused"
    assert AuditEvent.objects.get(action="import").detail["out_of_scope_rows"] == 5


def test_moving_another_countys_school_is_refused(client, users, loaded, tmp_path, dictionary):
    before = snapshot()
    schools, sections = dataset()
    for s in schools:
        s["county_code"] = COUNTY_A  # claims county B's schools
    client.force_login(users["county"])
    body = upload(client, write_xlsx(tmp_path / "grab.xlsx", dictionary, 2024, schools, sections)).content.decode()
    assert 'data-outcome="refused"' in body and "E_SCOPE" in body and "已由您管辖范围以外的单位登记" in body and "朝阳县" not in body
    assert snapshot() == before


def test_clerk_may_import_only_its_school(client, users, tmp_path, dictionary):
    schools, sections = county_a_only()
    client.force_login(users["clerk"])
    body = upload(client, write_xlsx(tmp_path / "x.xlsx", dictionary, 2024, schools, sections)).content.decode()
    assert "E_SCOPE" in body and SchoolYear.objects.count() == 0
    mine = ([s for s in schools if s["school_code"] == "2121000001"], [s for s in sections if s["school_code"] == "2121000001"])
    body = upload(client, write_xlsx(tmp_path / "mine.xlsx", dictionary, 2024, *mine)).content.decode()
    assert 'data-outcome="accepted"' in body
    assert list(SchoolYear.objects.values_list("school__code", flat=True)) == ["2121000001"]


# ---------------------------------------------------------------- the edit form


def _form_data(client, url):
    """The current values of the form, as a browser would send them back."""
    body = client.get(url).content.decode()
    data = dict(re.findall(r'<input type="text" name="([^"]+)" id="[^"]+" value="([^"]*)"', body))
    data["fingerprint"] = re.search(r'name="fingerprint" value="([^"]+)"', body).group(1)
    return data


def test_edit_form_is_driven_by_the_dictionary(client, users, loaded, dictionary):
    client.force_login(users["county"])
    body = client.get(reverse("school_edit", args=["3121000007", 2024])).content.decode()
    for el in dictionary.elements:
        if el.storage != "value":
            continue
        assert el.header in body
        if el.level == "school":
            assert f'name="school__{el.code}"' in body
        else:
            assert f'name="primary__{el.code}"' in body and f'name="junior__{el.code}"' in body


def test_edit_saves_only_changed_values_with_change_records(client, users, loaded):
    client.force_login(users["county"])
    url = reverse("school_edit", args=["3121000007", 2024])
    data = _form_data(client, url)
    assert data["school__sports_area"] == "4000" and data["junior__students"] == "280"
    before_records = ChangeRecord.objects.count()
    data["school__sports_area"] = "4321.5"
    data["junior__students"] = "281"
    response = client.post(url, data)
    assert response.status_code == 302
    changes = ChangeRecord.objects.filter(via="form")
    got = {(c.school_code, c.section, c.field, c.old_value, c.new_value, c.actor, c.year) for c in changes}
    assert got == {("3121000007", "", "sports_area", 4000.0, 4321.5, "county_a", 2024),
                   ("3121000007", "junior", "students", 280, 281, "county_a", 2024)}
    assert ChangeRecord.objects.count() == before_records + 2
    sy = SchoolYear.objects.get(school__code="3121000007", year=2024)
    assert sy.values["sports_area"] == 4321.5 and sy.sections.get(section="junior").values["students"] == 281
    assert sy.sections.get(section="primary").values["students"] == 350
    assert AuditEvent.objects.filter(action="update", object_type="schools.SectionYear").exists()
    page = client.get(url).content.decode()
    assert "已保存 2 项修改" in page and "网页修改" in page  # message and the history
    # sending the same values again changes nothing
    client.post(url, _form_data(client, url))
    assert ChangeRecord.objects.filter(via="form").count() == 2


def test_edit_errors_are_shown_next_to_fields_and_nothing_is_saved(client, users, loaded):
    client.force_login(users["county"])
    url = reverse("school_edit", args=["2121000001", 2024])
    data = _form_data(client, url)
    before = snapshot()
    data["primary__students"] = "三百"                       # not a number
    data["school__computers"] = "12.5"                      # not an integer
    data["school__books"] = "-3"                            # out of range
    data["primary__teachers_above_degree"] = "999"          # rule X01: more than the full-time teachers
    data["primary__classes"] = ""                           # required
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422
    for name, text in (("primary__students", "“三百”不是数字"), ("school__computers", "“12.5”不是整数"),
                       ("school__books", "超出有效范围"), ("primary__teachers_above_degree", "规则 X01"),
                       ("primary__classes", "必填项")):
        block = re.search(rf'<div class="field-error" id="err_{name}">(.*?)</div>', body, re.S)
        assert block and text in html.unescape(block.group(1)), name
    assert 'value="三百"' in body  # what was typed is shown back
    assert snapshot() == before and not ChangeRecord.objects.filter(via="form").exists()


def test_edit_refused_when_changed_meanwhile(client, users, loaded):
    client.force_login(users["county"])
    url = reverse("school_edit", args=["2121000001", 2024])
    data = _form_data(client, url)
    sy = SchoolYear.objects.get(school__code="2121000001", year=2024)
    sy.values = {**sy.values, "books": 12345}
    sy.save()
    data["school__sports_area"] = "4100"
    response = client.post(url, data)
    assert response.status_code == 409 and "已被他人修改" in response.content.decode()
    assert not ChangeRecord.objects.filter(via="form").exists()


def test_edit_permission_follows_scope(client, users, loaded):
    url = reverse("school_edit", args=["2121000001", 2024])
    client.force_login(users["county_b"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"school__books": "1"}).status_code == 403
    client.force_login(users["clerk"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("school_edit", args=["2121000002", 2024])).status_code == 403
    client.force_login(users["inspector"])  # may view, may not change data
    assert client.get(url).status_code == 403
    assert client.get(reverse("school_edit", args=["2121000001", 2019])).status_code == 404
    assert AuditEvent.objects.filter(action="denied").count() >= 3


def test_edit_service_ignores_unchanged_values(loaded):
    from dudao.schools.edit import save_values

    changes = save_values("2121000002", 2024, {"": {"books": 12000, "computers": 61}, "primary": {"students": 340}}, "x")
    assert [(c.field, c.old_value, c.new_value, c.via) for c in changes] == [("computers", 60, 61, "form")]


# ---------------------------------------------------------------- standards (public)


def test_standards_pages_are_public_and_show_sources(client, liaoning):
    body = client.get(reverse("standards")).content.decode()
    assert "县域义务教育优质均衡发展督导评估办法" in body and "教督〔2017〕6号" in body
    body = client.get(reverse("standard_detail", args=["youzhi2017"])).content.decode()
    for text in ("teachers_above_degree * 100 / students", "教督〔2017〕6号 第六条", "C 已确认", "S 二手来源",
                 "U 未确认", "特殊教育学校不参与校际差异系数计算", "九年一贯制学校", "一票否决", "0.50"):
        assert text in body, text
    assert 'id="indicator-R1"' in body and 'id="exclusion-special"' in body
    body = client.get(reverse("standard_detail", args=["elements"])).content.decode()
    assert "X01" in body and "teachers_above_degree &lt;= teachers_fulltime" in body and "在校生数（人）" in body
    body = client.get(reverse("standard_detail", args=["jiben2012"])).content.decode()
    assert "教督〔2012〕3号" in body
    public = client.get(reverse("public_index")).content.decode()
    assert "督导评估结果由教育督导部门审核后统一公布" in public
    assert client.get(reverse("standard_detail", args=["nonsense"])).status_code == 404


def test_standards_overlay_view_marks_changed_items(client):
    body = client.get(reverse("standard_detail", args=["youzhi2017"]) + "?province=13").content.decode()
    assert "在校生不足50人的教学点不参与计算" in body and "河北省实施细则" in body
    row = re.search(r'<tr id="exclusion-teaching_point">(.*?)</tr>', body, re.S).group(1)
    assert "省级覆盖" in row
    row = re.search(r'<tr id="exclusion-special">(.*?)</tr>', body, re.S).group(1)
    assert "省级覆盖" not in row
    assert client.get(reverse("standard_detail", args=["youzhi2017"]) + "?province=99").status_code == 404


# ---------------------------------------------------------------- assessment and reports


def test_assess_page_limits_scope_and_runs(client, users, loaded):
    client.force_login(users["clerk"])
    assert client.get(reverse("assess")).status_code == 403
    client.force_login(users["county"])
    body = client.get(reverse("assess")).content.decode()
    assert f'value="{COUNTY_A}"' in body and f'value="{COUNTY_B}"' not in body
    refused = client.post(reverse("assess"), {"standard": "youzhi2017", "year": "2024", "scope": COUNTY_B})
    assert refused.status_code == 403
    response = client.post(reverse("assess"), {"standard": "youzhi2017", "year": "2024", "scope": COUNTY_A})
    assert response.status_code == 302
    from dudao.assessment.models import AssessmentRun

    run = AssessmentRun.objects.get()
    assert run.scope == COUNTY_A and run.actor == "county_a"
    try:
        target = reverse("region", kwargs={"code": COUNTY_A})
    except NoReverseMatch:  # the region page (another area's) not routed yet: the fallback is this page
        target = reverse("assess")
    assert response["Location"] == target
    body = client.get(reverse("assess")).content.decode()
    assert f"#{run.pk}" in body and run.inputs_hash[:12] in body and run.code_version in body
    assert reverse("report_download", args=[run.pk, COUNTY_A, "pdf"]) in body
    htmx = client.post(reverse("assess"), {"standard": "youzhi2017", "year": "2024", "scope": COUNTY_A}, **HTMX)
    assert htmx.status_code == 200 and htmx["HX-Redirect"]
    # a refusal comes back as the form with its message (htmx swaps only 2xx answers)
    bad = client.post(reverse("assess"), {"standard": "youzhi2017", "year": "1999", "scope": COUNTY_A}, **HTMX)
    body = bad.content.decode()
    assert bad.status_code == 200 and body.lstrip().startswith("<form") and "评估未能完成" in body
    assert AssessmentRun.objects.count() == 2


@pytest.fixture
def run_a(loaded):
    from dudao.assessment.services import run_assessment

    return run_assessment("youzhi2017", 2024, "210000", actor="seed").run


def test_report_download_pdf_and_excel(client, users, run_a):
    client.force_login(users["county"])
    response = client.get(reverse("report_download", args=[run_a.pk, COUNTY_A, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E6%9C%AC%E6%BA%AA" in disposition  # 本溪, percent-encoded UTF-8
    event = AuditEvent.objects.get(action="export", object_type="assessment.AssessmentRun")
    assert event.actor == "county_a" and event.detail["county"] == COUNTY_A and event.detail["format"] == "pdf"
    response = client.get(reverse("report_download", args=[run_a.pk, COUNTY_A, "xlsx"]))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert response.content.startswith(b"PK")


def test_report_download_refusals(client, users, run_a):
    client.force_login(users["county"])
    assert client.get(reverse("report_download", args=[run_a.pk, COUNTY_B, "pdf"])).status_code == 403
    assert client.get(reverse("report_download", args=[run_a.pk + 99, COUNTY_A, "pdf"])).status_code == 404
    assert client.get(reverse("report_download", args=[run_a.pk, COUNTY_A, "doc"])).status_code == 404
    client.force_login(users["admin"])
    assert client.get(reverse("report_download", args=[run_a.pk, "210102", "pdf"])).status_code == 404  # not in the run
    client.force_login(users["clerk"])
    assert client.get(reverse("report_download", args=[run_a.pk, COUNTY_A, "pdf"])).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


# ---------------------------------------------------------------- audit trail


def test_audit_page_only_for_province_admins(client, users, loaded):
    for name in ("county", "inspector", "clerk", "expert"):
        client.force_login(users[name])
        assert client.get(reverse("audit")).status_code == 403, name
    client.force_login(users["admin"])
    body = client.get(reverse("audit")).content.decode()
    assert 'id="audit-events"' in body and "越权拒绝" in body
    body = client.get(reverse("audit") + "?action=denied&actor=county").content.decode()
    rows = re.findall(r'<tr class="act-([a-z_]+)">', body)
    assert rows and set(rows) == {"denied"}


def test_audit_page_filters_by_date_type_and_shows_changes(client, users, loaded):
    client.force_login(users["county"])
    url = reverse("school_edit", args=["2121000001", 2024])
    data = _form_data(client, url)
    data["school__books"] = "12001"
    client.post(url, data)
    client.force_login(users["admin"])
    body = client.get(reverse("audit") + "?object_type=schools.SchoolYear&action=update").content.decode()
    assert '<td><code>values.books</code></td><td class="old">12000</td><td class="new">12001</td>' in body
    assert "county_a" in body
    body = client.get(reverse("audit") + "?start=2000-01-01&end=2000-01-02").content.decode()
    assert "没有符合条件的记录" in body


def test_audit_page_pages_newest_first(client, users):
    from dudao.audit.services import record

    for i in range(120):
        record("export", "test.Thing", i)
    client.force_login(users["admin"])
    first = client.get(reverse("audit") + "?object_type=test.Thing").content.decode()
    ids = [int(x) for x in re.findall(r"test\.Thing <code>(\d+)</code>", first)]
    assert ids == list(range(119, 69, -1))
    last = client.get(reverse("audit") + "?object_type=test.Thing&page=3").content.decode()
    assert [int(x) for x in re.findall(r"test\.Thing <code>(\d+)</code>", last)] == list(range(19, -1, -1))


def test_no_view_offers_editing_audit_events(client, users):
    client.force_login(users["admin"])
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(reverse("audit")).status_code == 405
    body = client.get(reverse("audit")).content.decode()
    forms = re.findall(r"<form[^>]*>", body)
    posting = [f for f in forms if 'method="post"' in f]
    assert all("logout" in f or "i18n" in f or "setlang" in f for f in posting), posting

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    audit_routes = [r for r in walk(get_resolver().url_patterns) if "audit" in r and not r.startswith("api/")]
    assert audit_routes == ["audit/"]
    count = AuditEvent.objects.count()
    assert count > 0
    client.post(reverse("audit"), {"action": "delete"})
    assert AuditEvent.objects.count() >= count  # nothing removed (a refusal may be added)


def test_import_batches_are_listed_within_scope(client, users, tmp_path, dictionary):
    """The data page lists batches of users in scope, and not another county's."""
    client.force_login(users["county_b"])
    schools, sections = dataset()
    keep = {s["school_code"] for s in schools if s["county_code"] == COUNTY_B}
    path = write_xlsx(tmp_path / "朝阳.xlsx", dictionary, 2024, [s for s in schools if s["school_code"] in keep],
                      [s for s in sections if s["school_code"] in keep])
    assert 'data-outcome="accepted"' in upload(client, path).content.decode()
    client.force_login(users["county"])
    assert "朝阳.xlsx" not in client.get(reverse("data")).content.decode()
    client.force_login(users["admin"])
    assert "朝阳.xlsx" in client.get(reverse("data")).content.decode()
