"""The health check a load balancer asks."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_signing_in() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert Client().head("/healthz").status_code == 200


def test_healthz_takes_no_writes() -> None:
    response = Client().post("/healthz")
    assert response.status_code == 405
