"""Project-wide pytest setup."""

import os

import pytest


def services_required() -> bool:
    return os.environ.get("POLKU_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _english_free_defaults(settings):
    """Tests run with the project's defaults (Finnish UI); nothing to change here yet."""
    yield
