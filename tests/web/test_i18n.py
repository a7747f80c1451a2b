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
from django.utils.translation import gettext, ngettext, override
from django.utils.translation.template import templatize

from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from tests.factories import COUNTY_A, dataset

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
            if e.msgid_plural:
                assert ngettext(e.msgid, e.msgid_plural, 1) == e.msgstr_plural[0]
                assert ngettext(e.msgid, e.msgid_plural, 3) == e.msgstr_plural[1]
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
