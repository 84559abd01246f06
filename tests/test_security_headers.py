"""Headers on pages and API answers, uploaded media never served as a page, and the deploy checks."""

from __future__ import annotations

from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client


def test_pages_carry_a_strict_csp_and_security_headers(db):
    response = Client().get("/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_api_answers_are_not_cached(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


def test_uploaded_html_is_never_a_page_of_the_site(project, people):
    path = f"projects/{project.pk}/evil.html"
    default_storage.save(path, ContentFile(b"<script>alert(1)</script>"))
    try:
        client = Client()
        client.force_login(people["manager"])
        response = client.get(f"/media/{path}")
        assert response.status_code == 200
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert response["X-Content-Type-Options"] == "nosniff"
        for attack in ["../../etc/passwd", f"projects/{project.pk}/../../x", "/etc/passwd", "projects/%00"]:
            assert client.get(f"/media/{attack}").status_code == 404
    finally:
        default_storage.delete(path)


def test_deploy_checks_warn_about_unsafe_settings(settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "WEBHOOK_ALLOW_PRIVATE": True}
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert {"dure.W001", "dure.W003", "dure.W004", "dure.W005", "dure.W006"} <= ids
    settings.DURE_HTTPS = True
    settings.DURE_SECURITY = {
        **settings.DURE_SECURITY,
        "WEBHOOK_ALLOW_PRIVATE": False,
        "MFA_REQUIRED_FOR_MANAGERS": True,
    }
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert not {"dure.W003", "dure.W005", "dure.W006"} & ids
