"""The typed settings refuse insecure values outside development."""

from __future__ import annotations

import pytest

from dudao.settings import DEV_SECRET_KEY, DudaoSettings, InsecureSettingsError

GOOD_KEY = "k" * 60


def test_development_defaults_are_allowed():
    s = DudaoSettings(environment="development")
    assert s.resolved_database_url().startswith("sqlite:///")


@pytest.mark.parametrize("kwargs,fragment", [
    ({"debug": True, "secret_key": GOOD_KEY, "secure_cookies": True}, "DEBUG"),
    ({"secret_key": DEV_SECRET_KEY, "secure_cookies": True}, "SECRET_KEY"),
    ({"secret_key": "short", "secure_cookies": True}, "SECRET_KEY"),
    ({"secret_key": GOOD_KEY, "secure_cookies": False}, "COOKIES"),
])
def test_production_refuses_insecure(kwargs, fragment):
    with pytest.raises(InsecureSettingsError, match=fragment):
        DudaoSettings(environment="production", **kwargs)


def test_production_accepts_secure(monkeypatch):
    monkeypatch.setenv("DUDAO_ENVIRONMENT", "production")
    monkeypatch.setenv("DUDAO_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DUDAO_SECURE_COOKIES", "true")
    monkeypatch.setenv("DUDAO_DATABASE_URL", "postgres://u@h:5432/d")
    s = DudaoSettings()
    assert s.environment == "production" and s.resolved_database_url() == "postgres://u@h:5432/d"


def test_every_setting_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in DudaoSettings.model_fields:
        assert f"DUDAO_{name.upper()}" in doc, name


def test_every_error_code_is_documented():
    from pathlib import Path

    from dudao.assessment.errors import FactError
    from dudao.orgunits.errors import OrgError
    from dudao.schools.errors import DataError, DataWarning
    from dudao.supervision.errors import FlowError

    doc = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    for enum in (DataError, DataWarning, OrgError, FactError, FlowError):
        for member in enum:
            assert f"`{member.code}`" in doc, member


@pytest.mark.parametrize("env,ok", [
    ({"DUDAO_ENVIRONMENT": "production", "DUDAO_DEBUG": "true", "DUDAO_SECRET_KEY": GOOD_KEY,
      "DUDAO_SECURE_COOKIES": "true"}, False),
    ({"DUDAO_ENVIRONMENT": "production", "DUDAO_SECURE_COOKIES": "true"}, False),
    ({"DUDAO_ENVIRONMENT": "production", "DUDAO_SECRET_KEY": GOOD_KEY}, False),
    ({"DUDAO_ENVIRONMENT": "production", "DUDAO_SECRET_KEY": GOOD_KEY, "DUDAO_SECURE_COOKIES": "true"}, True),
])
def test_django_settings_refuse_to_load_insecure_production(tmp_path, env, ok):
    import os
    import subprocess
    import sys

    code = "import dudao.web.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("DUDAO_")}, "DUDAO_DATA_DIR": str(tmp_path), **env}
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=False)
    assert (out.returncode == 0) is ok, out.stderr[-500:]
    if ok:
        assert out.stdout.split() == ["False", "True", "True"]
    else:
        assert "InsecureSettingsError" in out.stderr
