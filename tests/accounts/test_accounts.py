"""Accounts: password policy, Argon2, lock-out, scopes; the audit trail is append-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError

from dudao.accounts.errors import AccountError
from dudao.accounts.models import ApiToken, Role, User
from dudao.accounts.permissions import ASSESS, AUDIT, IMPORT, VIEW, can, check, scope_of
from dudao.accounts.services import create_user
from dudao.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db
PW = "Secret-pass-123"


def test_passwords_are_argon2_and_policy_applies(liaoning):
    user = create_user("a1", Role.COUNTY_BUREAU, PW, "210521")
    assert user.password.startswith("argon2")
    for bad in ("short1", "onlyletterslongenough", "12345678901234", "password123"):
        with pytest.raises(ValidationError):
            create_user(f"u{bad}", Role.COUNTY_BUREAU, bad, "210521")


def test_roles_need_the_right_level(liaoning):
    with pytest.raises(AccountError, match="county"):
        create_user("x", Role.COUNTY_BUREAU, PW, "210500")
    with pytest.raises(AccountError, match="学校标识码"):
        create_user("y", Role.SCHOOL_CLERK, PW, "210521")
    with pytest.raises(AccountError, match="未知角色"):
        create_user("z", "king", PW, "210000")


def test_lockout_after_five_failures(liaoning):
    create_user("lock", Role.COUNTY_BUREAU, PW, "210521")
    for _ in range(5):
        assert authenticate(username="lock", password="wrong-pass-1") is None
    assert authenticate(username="lock", password=PW) is None  # locked even with the right password
    assert User.objects.get(username="lock").locked_until is not None
    assert AuditEvent.objects.filter(action="locked").count() == 1
    assert AuditEvent.objects.filter(action="login_failed").count() >= 5


def test_success_resets_failures(liaoning):
    create_user("ok", Role.COUNTY_BUREAU, PW, "210521")
    authenticate(username="ok", password="nope-nope-1")
    assert authenticate(username="ok", password=PW) is not None
    assert User.objects.get(username="ok").failed_logins == 0


@pytest.mark.parametrize("role,unit,school,inside,outside", [
    (Role.PROVINCE_ADMIN, "210000", "", "211321", "130102"),
    (Role.PREFECTURE_INSPECTOR, "210500", "", "210521", "211321"),
    (Role.COUNTY_BUREAU, "210521", "", "210521", "210502"),
])
def test_scopes(liaoning, role, unit, school, inside, outside):
    user = create_user("s", role, PW, unit, school)
    scope = scope_of(user)
    assert scope.covers_region(inside) and not scope.covers_region(outside)
    check(user, VIEW, region=inside)
    with pytest.raises(PermissionDenied):
        check(user, VIEW, region=outside)
    assert AuditEvent.objects.filter(action="denied").count() == 1


def test_school_clerk_sees_only_its_school(liaoning):
    user = create_user("clerk", Role.SCHOOL_CLERK, PW, "210521", "2121000001")
    scope = scope_of(user)
    assert scope.covers_school("2121000001", "210521") and not scope.covers_school("2121000002", "210521")
    assert not scope.covers_region("210521")
    assert can(user, IMPORT) and not can(user, ASSESS) and not can(user, AUDIT)


def test_api_token_stored_hashed(liaoning):
    user = create_user("t", Role.COUNTY_BUREAU, PW, "210521")
    token, raw = ApiToken.issue(user, "x")
    assert raw.startswith("dd_") and token.digest == ApiToken.hash(raw) and raw not in token.digest


def test_audit_is_append_only(liaoning):
    create_user("aud", Role.COUNTY_BUREAU, PW, "210521")
    event = AuditEvent.objects.filter(action="create", object_type="accounts.User").first()
    assert event is not None and "password" not in event.detail["after"]
    event.actor = "someone"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor="x")


def test_model_changes_are_audited_with_before_and_after(liaoning):
    user = create_user("chg", Role.COUNTY_BUREAU, PW, "210521")
    user.first_name = "张三"
    user.save()
    event = AuditEvent.objects.filter(action="update", object_type="accounts.User").latest("pk")
    assert event.detail["changes"]["first_name"] == {"old": "", "new": "张三"}


def test_session_expiry_slides_at_most_once_a_minute(liaoning, client, settings, monkeypatch):
    import time as _time

    settings.ALLOWED_HOSTS = ["testserver"]
    user = create_user("idle", Role.COUNTY_BUREAU, PW, "210521")
    client.force_login(user)
    client.get("/standards/")
    first = client.session.get("_touched")
    assert first
    client.get("/standards/")
    assert client.session.get("_touched") == first  # no write within the minute
    monkeypatch.setattr(_time, "time", lambda: first + 61)
    client.get("/standards/")
    assert client.session.get("_touched") == first + 61
