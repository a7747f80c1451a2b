"""Shared fixtures. Database tests run on SQLite by default and on PostgreSQL when
DUDAO_DATABASE_URL points at one (``make test`` does both)."""

from __future__ import annotations

import pytest


@pytest.fixture
def liaoning(db):
    """The org units of Liaoning (province 21) and Hebei (13), loaded from the national list."""
    from dudao.orgunits.services import load_divisions

    load_divisions("21")
    load_divisions("13")


@pytest.fixture
def dictionary():
    from dudao.standards.model import load_dictionary

    return load_dictionary()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rendered pages are cached by result id; ids repeat across rolled-back tests, so start each test empty."""
    from django.core.cache import cache

    cache.clear()
    yield
