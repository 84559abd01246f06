"""The API documentation pages load nothing from the internet (on-premise installs have none)."""

from __future__ import annotations

from django.test import Client


def test_api_docs_are_served_from_dure_itself(db):
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert Client().get("/api/v1/openapi.json").status_code == 200
