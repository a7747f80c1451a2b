"""Property-based test of the JSON API from its own OpenAPI schema (schemathesis, in-process WSGI, no network).

Every operation is called with generated valid and invalid inputs, authenticated as a province admin, over
loaded data; no answer may be a server error. The number of examples is bounded to keep the test short.

The schema is taken from the API object at import time (``test_served_schema_is_the_one_tested`` checks it is
what ``/api/openapi.json`` serves) rather than through ``schemathesis.pytest.from_fixture``: the lazy loader of
schemathesis 4.32 relies on a pytest-internal attribute (``Function._nodeid``) that pytest 9 no longer has.
"""

from __future__ import annotations

import importlib
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from dudao.accounts.models import ApiToken
from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from tests.factories import COUNTY_B, dataset

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15


def _root_urlconf_loads() -> bool:
    try:
        importlib.import_module("dudao.web.urls")
    except Exception:
        return False
    return True


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes old DB connections at each request's end; inside a test transaction on
    PostgreSQL that would close the test's own connection. Django's test client disconnects the same signal."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(settings, liaoning, dictionary, tmp_path) -> str:
    """Loaded data, two frozen runs and a province admin's token."""
    if not _root_urlconf_loads():  # TEMPORARY: the page/data URL modules are still missing
        settings.ROOT_URLCONF = "tests.web.urls_api_only"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
    schools, sections = dataset()
    assert import_file(write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, schools, sections), 2024, "setup").accepted
    run_assessment("youzhi2017", 2024, "all", actor="setup")
    run_assessment("youzhi2017", 2024, COUNTY_B, actor="setup")
    user = create_user("sheng_api", "province_admin", "Secret-pass-123", "210000")
    return ApiToken.issue(user, "schemathesis")[1]


def _load_schema():
    """The API's OpenAPI document (what /api/openapi.json serves), bound to the Django WSGI app in-process."""
    from django.core.handlers.wsgi import WSGIHandler

    from dudao.web.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
    loaded.app = WSGIHandler()  # calls go straight into Django, no network and no server
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, database="none")
    return loaded


schema = _load_schema()


def test_served_schema_is_the_one_tested(api_token):
    from django.test import Client

    from dudao.web.api import api

    served = Client().get("/api/openapi.json").json()
    assert served == json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_a_server_error(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=[not_a_server_error])
