"""Administrative and school codes."""

from __future__ import annotations

import pytest

from dudao.orgunits.codes import check_region_code, check_school_code, region_level
from dudao.orgunits.errors import CodeError
from dudao.orgunits.models import OrgUnit
from dudao.orgunits.services import get_county, load_divisions, subtree_codes


@pytest.mark.parametrize("code", ["210521", 210521, 210521.0, " 210521 "])
def test_region_code_accepts_cell_forms(code):
    assert check_region_code(code) == "210521"


@pytest.mark.parametrize("code", ["21052", "2105211", "A10521", "010521", "", "21-521"])
def test_region_code_refuses_malformed(code):
    with pytest.raises(CodeError) as info:
        check_region_code(code)
    assert info.value.error.code == "E_REGION_CODE" and "6 位数字" in info.value.message_zh


def test_region_levels():
    assert [region_level(c) for c in ("210000", "210500", "210521")] == ["province", "prefecture", "county"]


@pytest.mark.parametrize("code,error", [
    ("212100000", "E_SCHOOL_CODE"), ("21210000011", "E_SCHOOL_CODE"), ("2121x00001", "E_SCHOOL_CODE"),
    ("9921000001", "E_SCHOOL_CATEGORY"), ("2199000001", "E_SCHOOL_PROVINCE"),
])
def test_school_code_refuses(code, error):
    with pytest.raises(CodeError) as info:
        check_school_code(code, frozenset({"21", "13"}))
    assert info.value.error.code == error


def test_school_code_accepts():
    assert check_school_code(2121000001.0, frozenset({"21"})) == "2121000001"


@pytest.mark.django_db
def test_liaoning_divisions_and_subtrees():
    load_divisions("21")
    assert OrgUnit.objects.filter(level="prefecture").count() == 14
    assert OrgUnit.objects.filter(level="county").count() == 100
    benxi = OrgUnit.objects.get(code="210500")
    assert benxi.name == "本溪市" and benxi.parent.code == "210000"
    assert get_county("210521").parent == benxi
    assert set(subtree_codes(benxi)) >= {"210500", "210521"} and "211321" not in subtree_codes(benxi)
    with pytest.raises(CodeError) as info:
        get_county("210500")
    assert info.value.error.code == "E_NOT_COUNTY"
    with pytest.raises(CodeError):
        get_county("219999")
    assert load_divisions("21") == 0  # loading twice creates nothing
