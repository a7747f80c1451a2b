"""The English catalogue: complete, compiled, extracted as Django extracts, and used by the pages."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils.translation import gettext, ngettext, npgettext, override, pgettext
from django.utils.translation.template import templatize

from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.orgunits.models import OrgUnit
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.standards.model import load_dictionary, load_overlay, load_standard
from tests.factories import COUNTY_A, COUNTY_B, dataset
from tests.factories import school as factory_school
from tests.factories import section as factory_section

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _load_messages():
    spec = importlib.util.spec_from_file_location("dudao_messages_script", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


messages = _load_messages()


# ---------------------------------------------------------------------------------- the catalogue


def test_catalogue_is_complete_and_compiled():
    found = messages.problems()
    assert not found, "\n".join(str(p) for p in found)


def test_no_extraction_warnings():
    _, warnings = messages.collect()
    assert not warnings


# Calls in the output of Django's templatize() (what makemessages hands to xgettext).
_CALL = re.compile(r"""\b(gettext|pgettext|ngettext|npgettext|_)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*,?)+)""")
_STR = re.compile(r"""u?('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _django_extracts(src: str) -> list[tuple[str | None, str, str]]:
    found = []
    for m in _CALL.finditer(templatize(src)):
        args = [ast.literal_eval(s) for s in _STR.findall(m[2])]
        ctx = args.pop(0) if m[1] in ("pgettext", "npgettext") else None
        found.append((ctx, args[0], args[1] if m[1] in ("ngettext", "npgettext") else ""))
    return found


def test_template_extraction_matches_django():
    templates = [p for p in messages.source_files() if p.suffix != ".py"]
    assert len(templates) > 10
    for path in templates:
        src = path.read_text(encoding="utf-8")
        ours = [(m.msgctxt, m.msgid, m.msgid_plural) for m in messages.template_messages(src, str(path))]
        assert ours == _django_extracts(src), path


@pytest.mark.parametrize("src", [
    '{% load i18n %}{% blocktranslate trimmed with n=3 %}\n  共 {{ n }} 所，\n  均达标 100%。\n{% endblocktranslate %}',
    '{% load i18n %}{% blocktranslate count n=k|length %}{{ n }} 条{% plural %}{{ n }} 条{% endblocktranslate %}',
    '{% load i18n %}{% translate "达标 50%" context "比例" %}{% blocktranslate context "x" %}a {{ b }}{% endblocktranslate %}',
    '{% load i18n %}{# Translators: 说明 #}\n{% translate \'单引号\' %}{% comment %}{% translate "注释里" %}{% endcomment %}',
    '{% load i18n %}{{ _("常量") }}{{ x|default:_("默认") }}{% blocktranslate with a=_("参数") %}{{ a }}{% endblocktranslate %}',
])
def test_tricky_templates_match_django(src):
    ours = [(m.msgctxt, m.msgid, m.msgid_plural) for m in messages.template_messages(src)]
    assert ours == _django_extracts(src)
    assert ours


def test_python_extraction():
    src = ("from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
           "a = _('甲')\nb = ngettext('%(n)s 所', '%(n)s 所', 2)\nc = pgettext_lazy('ctx', '乙')\n"
           "d = _(f'{a}')\ne = import_('不是')\n")
    found, warnings = messages.python_messages(src, "x.py")
    assert [(m.msgctxt, m.msgid, m.msgid_plural) for m in found] == [
        (None, "甲", ""), (None, "%(n)s 所", "%(n)s 所"), ("ctx", "乙", "")]
    assert len(warnings) == 1 and "x.py:5" in warnings[0]


def test_merge_keeps_translations_and_marks_obsolete():
    old = messages.new_catalogue()
    for msgid, msgstr in (("保留", "kept"), ("删去的", "gone"), ("评估结果一览表", "Results table")):
        old.append(messages.polib.POEntry(msgid=msgid, msgstr=msgstr))
    result = messages.merge(old, [messages.Message("保留"), messages.Message("评估结果一览"),
                                  messages.Message("新的")])
    by_id = {e.msgid: e for e in result.po}
    assert by_id["保留"].msgstr == "kept" and not by_id["保留"].flags
    assert by_id["新的"].msgstr == "" and result.new == ["新的"]
    assert by_id["评估结果一览"].msgstr == "Results table" and "fuzzy" in by_id["评估结果一览"].flags
    assert by_id["删去的"].obsolete and "删去的" in result.obsolete
    dropped = messages.merge(old, [messages.Message("保留")], keep_obsolete=False)
    assert [e.msgid for e in dropped.po] == ["保留"]


def test_format_problems_are_caught():
    assert messages._format_problem("共 %(n)s 所", "%(n)s schools") == ""
    assert "missing" in messages._format_problem("共 %(n)s 所", "schools")
    assert "unknown" in messages._format_problem("共 %(n)s 所", "%(m)s schools")
    assert messages._format_problem("共 %(n)s 所", "one school", plural_index=0) == ""
    assert "format" in messages._format_problem("%(n)s 所", "%(n)s 100% schools")


def test_every_entry_is_found_at_run_time():
    po = messages.load()
    with override("en"):
        for e in po:
            if e.obsolete:
                continue
            if e.msgid_plural and e.msgctxt is not None:
                assert npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1) == e.msgstr_plural[0]
                assert npgettext(e.msgctxt, e.msgid, e.msgid_plural, 3) == e.msgstr_plural[1]
            elif e.msgid_plural:
                assert ngettext(e.msgid, e.msgid_plural, 1) == e.msgstr_plural[0]
                assert ngettext(e.msgid, e.msgid_plural, 3) == e.msgstr_plural[1]
            elif e.msgctxt is not None:
                assert pgettext(e.msgctxt, e.msgid) == e.msgstr, (e.msgctxt, e.msgid)
            else:
                assert gettext(e.msgid) == e.msgstr, e.msgid


def test_blocktranslate_renders_in_english():
    plural = Template("{% load i18n %}{% blocktranslate count n=k %}共 {{ n }} 条记录{% plural %}"
                      "共 {{ n }} 条记录{% endblocktranslate %}")
    needed = Template("{% load i18n %}{% blocktranslate with need=3 left=2 %}需 {{ need }} 个县达标，还差 "
                      '<strong class="fail">{{ left }}</strong> 个{% endblocktranslate %}')
    with override("en"):
        assert plural.render(Context({"k": 1})) == "1 record"
        assert plural.render(Context({"k": 7})) == "7 records"
        assert needed.render(Context()) == '3 counties needed, <strong class="fail">2</strong> still to go'
    with override("zh-hans"):
        assert plural.render(Context({"k": 7})) == "共 7 条记录"


# ---------------------------------------------------------------------------------- the pages


def _english(client, next_url="/login/"):
    r = client.post("/i18n/setlang/", {"language": "en", "next": next_url})
    assert r.status_code == 302


def _texts(html: str, tags: str = "h1|h2|h3|label|button|th|summary|nav") -> list[str]:
    """The visible text of the given elements (tags inside them removed)."""
    found = re.findall(rf"<({tags})\b[^>]*>(.*?)</\1>", html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", inner).strip() for _, inner in found]


def _chinese(texts: list[str]) -> list[str]:
    return [t for t in texts if CJK.search(t) and t != "中文"]


def test_login_page_in_english(client):
    _english(client)
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    for text in ("Log in", "Username", "Password", "Public supervision information", "Log in · dudao"):
        assert text in html
    assert not _chinese(_texts(html)), _chinese(_texts(html))
    assert "用户名" not in html and "登录" not in html
    assert ">中文</button>" in html  # the switch back names its language in that language


def test_standards_page_in_english(client):
    _english(client, reverse("standards"))
    html = client.get(reverse("standards")).content.decode()
    for text in ("<h1>Assessment standards</h1>", "Element dictionary", "Every item shows its source and confidence",
                 "resource allocation indicators", "Confirmed"):
        assert text in html
    # headings are ours; the standard names inside the cards come from the YAML files and stay Chinese
    assert not _chinese(_texts(html, "h1|h2|label|button|nav")), _chinese(_texts(html, "h1|h2"))
    assert "评估标准" not in html.split("</title>")[0]


@pytest.fixture
def county_client(client, tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    path = write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, schools, sections)
    assert import_file(path, 2024, "clerk").accepted
    run_assessment("youzhi2017", 2024)
    client.force_login(create_user("u", "county_bureau", "Secret-pass-123", COUNTY_A))
    return client


def test_county_page_in_english_and_back(county_client):
    url = reverse("region", kwargs={"code": COUNTY_A})
    _english(county_client, url)
    html = county_client.get(url).content.decode()
    for text in ("Verdict", "Basis of the verdict", "Resource allocation indicators by school",
                 "Download report (PDF)", "Overview", "Log out", "Assessments by year"):
        assert text in html, text
    for text in ("结论依据", "评估结论", "各校资源配置指标", "退出", "总览"):
        assert text not in html, text
    # data stay Chinese: the county's name, and the section names the view passes (SECTION_ZH) before "："
    data = re.compile(r"本溪满族自治县|小学|初中|高中|：")
    headings = [data.sub("", t) for t in _texts(html, "h1|h2|nav|button|summary")]
    assert not _chinese(headings), _chinese(headings)

    r = county_client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    assert r.status_code == 302 and r["Location"] == url
    html = county_client.get(url).content.decode()
    assert '<html lang="zh-CN">' in html
    assert "结论依据" in html and "Basis of the verdict" not in html


# ------------------------------------------------- labels made by the engine and the reports, in English

DATA_COUNTY = "本溪满族自治县"


@pytest.fixture
def uneven(tmp_path, liaoning, dictionary):
    """County A's schools two years running, two of them far below the others (so that difference
    coefficients go over their limits and the county page shows the lifts), and a teaching point
    (left out of the calculation); county B as in the factories."""
    schools, sections = dataset()
    for s in schools:
        if s["school_code"] in ("2121000002", "2121000003"):
            s.update(floor_area_teaching=150.0, sports_area=300.0, equipment_value=20000.0, computers=3, books=500)
    schools.append(factory_school("2121000010", COUNTY_A, "teaching_point"))
    sections.append(factory_section("2121000010", "primary", 200))
    for year in (2023, 2024):
        path = write_xlsx(tmp_path / f"d{year}.xlsx", dictionary, year, schools, sections)
        assert import_file(path, year, "clerk").accepted
        run_assessment("youzhi2017", year)
    return schools


def _data_strings(schools) -> list[str]:
    """Chinese text that is data: place, school, standard, indicator and element names, rule texts."""
    std = load_standard("youzhi2017")
    d = load_dictionary()
    found = {*OrgUnit.objects.values_list("name", flat=True), *(s["school_name"] for s in schools),
             f"《{std.name_zh}》（{std.source}）", std.split.zh, "学校", "学段",  # the last two: the workbook's sheets
             *(t["source"] for t in load_overlay("21").get("targets") or [])}
    for ind in std.indicators:
        found |= {ind.zh, ind.zh.removeprefix("每百名学生拥有").removesuffix("数")}
    for el in d.elements:
        found |= {el.zh, el.header}
    return sorted(found, key=len, reverse=True)


def _ui_chinese(texts: list[str], data: list[str]) -> list[str]:
    """The texts that still hold Chinese once the data in them are taken out."""
    out = []
    for t in texts:
        for d in data:
            t = t.replace(d, "")
        if CJK.search(t) and t != "中文":
            out.append(t)
    return out


def _labels(html: str) -> list[str]:
    """Headings, table heads, form labels, buttons, the stat-card labels and the term list of a page."""
    found = _texts(html, "h1|h2|h3|h4|label|button|th|summary|nav|dt|option|li|strong")
    found += [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<div class="l">(.*?)</div>', html, re.S)]
    found += re.findall(r'<p class="pg-sub">(.*?)</p>', html, re.S)
    return found


def test_county_page_labels_from_the_reports_in_english(client, uneven):
    client.force_login(create_user("sheng", "province_inspector", "Secret-pass-123", "210000"))
    url = reverse("region", kwargs={"code": COUNTY_A})
    _english(client, url)
    r = client.get(url)
    html = r.content.decode()
    for text in ("<h3>Resource allocation</h3>", "<h3>Government guarantee</h3>", "Primary CV", "Junior secondary CV",
                 "<h2>Primary: Resource allocation indicators by school</h2>", "High-quality balance · 2024–2025 ·",
                 ": CV <span", "Schools contributing most to the disparity: ", "of the disparity)", "(the result is frozen",
                 "teaching points are excluded", " yuan", "≥ 4.2 people", "(per 100 students)", "Every school section meets"):
        assert text in html, text
    visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for text in ("学年", "万元", "限值", "所学校", "差异系数", "各校资源配置指标", "对差异贡献最大", "占差异", "结果已冻结",
                 "教学点不单独参与计算", "每百名学生）", "人</small>", "政府保障程度", "否决项"):
        assert text not in visible, text
    data = _data_strings(uneven)
    assert not _ui_chinese(_labels(html), data), _ui_chinese(_labels(html), data)
    # the charts: titles, trace names and the years on the axis
    figs = [f["fig"] for f in r.context["cv_figs"] + r.context["history_figs"]]
    assert [f["layout"]["title"]["text"] for f in figs[:2]] == [
        "Primary · Difference coefficients between schools by indicator",
        "Junior secondary · Difference coefficients between schools by indicator"]
    assert figs[2]["data"][0]["x"] == ["2023–2024", "2024–2025"]
    assert not CJK.search(" ".join(t["name"] for f in figs for t in f["data"]))


def test_province_page_labels_in_english(client, uneven):
    client.force_login(create_user("sheng", "province_inspector", "Secret-pass-123", "210000"))
    url = reverse("region", kwargs={"code": "210000"})
    _english(client, url)
    r = client.get(url)
    html = r.content.decode()
    for text in ("from the latest assessment result of each county (2024–2025). ", "Met (", "<strong>Target for 2025</strong>: ",
                 "Source: ", "million yuan"):
        assert text in html, text
    visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for text in ("学年", "万元", "年目标", "来源：", "达标（", "距目标年份", "目标年份已过"):
        assert text not in visible, text
    assert not _ui_chinese(_labels(html), _data_strings(uneven)), _ui_chinese(_labels(html), _data_strings(uneven))
    # the map's hover text: county names are data, the rest English
    hover = [t.replace("<br>", " ") for t in r.context["map_fig"]["data"][0]["text"]]
    mine = next(t for t in hover if DATA_COUNTY in t)
    assert "Verdict: Not met" in mine and "Primary: largest CV" in mine and "(limit 0.50)" in mine
    assert not _ui_chinese(hover, _data_strings(uneven))


def test_data_page_and_import_result_in_english(client, uneven, tmp_path, dictionary):
    client.force_login(create_user("county_a", "county_bureau", "Secret-pass-123", COUNTY_A))
    url = reverse("data") + "?year=2024"
    _english(client, url)
    html = client.get(url).content.decode()
    for text in (f"Your area: <strong>{DATA_COUNTY}</strong>", "School year: <strong>2024–2025</strong>",
                 "Download Excel template (.xlsx)", "File (.xlsx / .csv, max. 50 MB)", ">2024–2025</option>",
                 "<td>primary school</td>", "<td>teaching point</td>", "(status code {status})"):
        assert text in html, text
    for text in ("管辖范围", "学年", "不超过", "（.xlsx）", "<td>小学</td>", "状态码"):
        assert text not in html, text
    assert not _ui_chinese(_labels(html), _data_strings(uneven)), _ui_chinese(_labels(html), _data_strings(uneven))

    mine = [s for s in uneven if s["county_code"] == COUNTY_A]
    codes = {s["school_code"] for s in mine}
    path = write_xlsx(tmp_path / "a.xlsx", dictionary, 2024, mine, [s for s in dataset()[1] if s["school_code"] in codes]
                      + [factory_section("2121000010", "primary", 200)])
    with path.open("rb") as fh:
        body = client.post(reverse("upload"), {"year": "2024", "file": fh}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-outcome="accepted"' in body
    for text in ("Imported: a.xlsx (school year 2024–2025)", "<strong>8</strong> schools", "<strong>9</strong> section records",
                 "<strong>0</strong> new schools", "changed values", "unchanged records", "Import batch #"):
        assert text in body, text
    for text in ("所</li>", "条</li>", "个</li>", "已导入", "导入批次"):
        assert text not in body, text
    with path.open("rb") as fh:  # the same file for the other county: refused
        client.force_login(create_user("county_b", "county_bureau", "Secret-pass-123", COUNTY_B))
        body = client.post(reverse("upload"), {"year": "2024", "file": fh}, HTTP_HX_REQUEST="true").content.decode()
    assert "Not imported: a.xlsx has " in body and "(rejected)" in body and "未导入" not in body


def test_chinese_pages_keep_their_wording(client, uneven):
    client.force_login(create_user("sheng", "province_inspector", "Secret-pass-123", "210000"))
    html = client.get(reverse("region", kwargs={"code": COUNTY_A})).content.decode()
    for text in ("<h3>资源配置</h3>", "小学差异系数<small>", "<h2>小学：各校资源配置指标</h2>", "优质均衡 · 2024–2025 学年 ·",
                 "：差异系数 <span class=\"fail\">", "对差异贡献最大的学校：", "（结果已冻结，不能修改）", "≥ 4.2 人", "万元"):
        assert text in html, text
    html = client.get(reverse("region", kwargs={"code": "210000"})).content.decode()
    assert "按各县最新一次评估结果统计（2024–2025 学年）。系统评估结果" in html and "<strong>2025 年目标</strong>：" in html
    client.force_login(create_user("county_a", "county_bureau", "Secret-pass-123", COUNTY_A))
    html = client.get(reverse("data") + "?year=2024").content.decode()
    assert f"管辖范围：<strong>{DATA_COUNTY}</strong>" in html and "学年：<strong>2024–2025</strong>" in html
    assert "2024–2025 学年</option>" in html and "文件（.xlsx / .csv，不超过 50 MB）" in html
