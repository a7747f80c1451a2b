"""Account services: creating users and the demo accounts, issuing API tokens."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from dudao.accounts.errors import AccountError
from dudao.accounts.models import ApiToken, Role, User
from dudao.orgunits.models import OrgUnit
from dudao.settings import load_settings

DEMO_PASSWORD = "Dudao-demo-2024"


def create_user(username: str, role: str, password: str, org_unit: str = "", school_code: str = "",
                full_name: str = "") -> User:
    """Creates a user after checking role, org unit and the password policy."""
    if role not in Role.values:
        raise AccountError(f"未知角色“{role}”（可选：{'、'.join(Role.values)}）/ unknown role")
    unit = OrgUnit.objects.filter(code=org_unit).first() if org_unit else None
    if org_unit and unit is None:
        raise AccountError(f"行政区划代码“{org_unit}”不存在 / unknown org unit")
    if role == Role.SCHOOL_CLERK and not school_code:
        raise AccountError("学校填报员必须指定学校标识码 / a school clerk needs a school code")
    needed = {Role.PROVINCE_ADMIN: "province", Role.PROVINCE_INSPECTOR: "province",
              Role.PREFECTURE_INSPECTOR: "prefecture", Role.COUNTY_BUREAU: "county", Role.EXPERT_INSPECTOR: None}
    level = needed.get(Role(role))
    if level and (unit is None or unit.level != level):
        raise AccountError(f"角色“{Role(role).label}”须属于{level}级单位 / the role needs a {level}-level org unit")
    user = User(username=username, role=role, org_unit=unit, school_code=school_code, first_name=full_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    where: str


@transaction.atomic
def create_demo_users(province: str = "21") -> list[DemoAccount]:
    """One account per role, for demos only (refused in production)."""
    if load_settings().environment == "production":
        raise AccountError("生产环境不能创建演示账户 / demo accounts are refused in production")
    from dudao.schools.models import SchoolYear

    prov = OrgUnit.objects.get(code=f"{province}0000")
    county_year = SchoolYear.objects.filter(county__code__startswith=province, ownership="public") \
        .select_related("county", "school").order_by("county__code", "school__code").first()
    county = county_year.county if county_year else OrgUnit.objects.filter(level="county", code__startswith=province).first()
    assert county is not None
    pref = county.parent if county.parent and county.parent.level == "prefecture" else prov
    school = county_year.school.code if county_year else ""
    plan = [
        ("sheng_admin", Role.PROVINCE_ADMIN, prov.code, "", "省级管理员"),
        ("sheng_dudao", Role.PROVINCE_INSPECTOR, prov.code, "", "省督导室"),
        ("shi_dudao", Role.PREFECTURE_INSPECTOR, pref.code, "", "市督导室"),
        ("xian_jyj", Role.COUNTY_BUREAU, county.code, "", "县教育局"),
        ("duxue", Role.EXPERT_INSPECTOR, county.code, "", "责任督学"),
        ("xuexiao", Role.SCHOOL_CLERK, county.code, school, "学校填报员"),
    ]
    out = []
    for username, role, unit, school_code, name in plan:
        if role == Role.SCHOOL_CLERK and not school_code:
            continue  # no school imported yet
        User.objects.filter(username=username).delete()
        create_user(username, role, DEMO_PASSWORD, unit, school_code, name)
        where = OrgUnit.objects.get(code=unit).name + (f" 学校 {school_code}" if school_code else "")
        out.append(DemoAccount(username, str(Role(role).label), where))
    return out


def issue_token(username: str, name: str = "cli") -> str:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise AccountError(f"用户“{username}”不存在 / no such user")
    return ApiToken.issue(user, name)[1]
