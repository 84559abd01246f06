"""schemathesis against the served OpenAPI document: generated requests for every operation, signed in as an
organization owner, must never answer 500 and never break the documented response schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from dure.accounts.services import issue_token
from dure.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Password hashing is not under test here; the default hasher would dominate this module's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner_token(people) -> Iterator[str]:
    _token, raw = issue_token(user=people["owner"], name="fuzz")
    # Like Django's test client: the WSGI handler must not close the test's connection after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield raw
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_no_schema_violation(case, owner_token, project):
    response = case.call(headers={"Authorization": f"Bearer {owner_token}", "Accept-Language": "en"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
