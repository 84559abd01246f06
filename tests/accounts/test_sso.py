"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit) in a second process:
authorization code + PKCE, RS256 ID tokens checked against the provider's JWKS, groups mapped to roles."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from dure.accounts.models import Membership, SsoIdentity, User
from dure.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://testserver/sso/callback/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    env = {
        **os.environ,
        "OIDC_PROVIDER_DB": str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY": key.decode(),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.oidc_provider.serve", str(port), REDIRECT_URI],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/o/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    process.stderr.read().decode() if process.stderr else "provider did not start"
                )
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso(provider: str, org, settings) -> str:
    discovery = requests.get(f"{provider}/o/.well-known/openid-configuration", timeout=5).json()
    settings.OIDC_RP_CLIENT_ID = "dure-client"
    settings.OIDC_RP_CLIENT_SECRET = "dure-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "dure.accounts.sso.DureOIDCBackend",
    ]
    settings.DURE_OIDC_ORGANIZATION = org.slug
    settings.DURE_OIDC_GROUP_ROLES = {
        "dure-managers": "manager",
        "labelers": "worker",
        "dure-owners": "owner",
    }
    return provider


def _sign_in(provider: str, username: str, password: str = "provider-pass-1") -> tuple[Client, object]:
    """A browser: Dure → the provider's sign-in form → back to Dure's callback with a code."""
    dure = Client()
    start = dure.get("/sso/start/")
    assert start.status_code == 302, start.content
    browser = requests.Session()
    authorize = browser.get(start["Location"], allow_redirects=False)
    login_url = provider + authorize.headers["Location"]
    form = browser.get(login_url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', form.text).group(1).replace("&amp;", "&")
    signed_in = browser.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf, "next": next_url},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    back = browser.get(provider + signed_in.headers["Location"], allow_redirects=False)
    callback = urlsplit(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT_URI
    return dure, dure.get(f"{callback.path}?{callback.query}")


def test_sign_in_creates_the_person_with_the_role_of_their_group(sso, org, db):
    dure, response = _sign_in(sso, "alice")
    assert response.status_code == 302 and "failed" not in response["Location"], response["Location"]
    user = User.objects.get(sso_identities__subject__isnull=False, email="alice@corp.example")
    assert Membership.objects.get(organization=org, user=user).role == "manager"
    assert not user.has_usable_password(), "SSO people have no local password"
    assert dure.get("/api/v1/me", headers={"Accept-Language": "en"}).json()["username"] == user.username
    assert AuditEvent.objects.filter(action="sign_in", actor_id=user.pk).exists()
    # Signing in again finds the same person by issuer and subject.
    _sign_in(sso, "alice")
    assert SsoIdentity.objects.filter(user=user).count() == 1
    assert User.objects.filter(email="alice@corp.example").count() == 1


def test_no_mapped_group_no_role_and_a_local_account_is_not_taken_over(sso, org, db):
    from tests.conftest import make_user

    local = make_user("carol")  # same name as the provider's carol, but a different person
    _dure, response = _sign_in(sso, "carol")
    assert response.status_code == 302
    sso_carol = User.objects.get(sso_identities__isnull=False, email="carol@corp.example")
    assert sso_carol.pk != local.pk and sso_carol.username != "carol"
    assert Membership.objects.get(organization=org, user=sso_carol).role == "worker"
    _dure, response = _sign_in(sso, "bob")
    bob = User.objects.get(email="bob@corp.example")
    assert not Membership.objects.filter(organization=org, user=bob).exists()


def test_deactivated_people_cannot_sign_in_through_sso(sso, org, db):
    _sign_in(sso, "alice")
    alice = User.objects.get(email="alice@corp.example")
    User.objects.filter(pk=alice.pk).update(is_active=False)
    dure, response = _sign_in(sso, "alice")
    assert "failed" in response["Location"]
    assert dure.get("/api/v1/me").status_code == 401
    assert User.objects.filter(email="alice@corp.example").count() == 1


def test_a_forged_callback_is_refused(sso, db):
    dure = Client()
    dure.get("/sso/start/")
    response = dure.get("/sso/callback/?code=made-up&state=made-up")
    assert response.status_code in {302, 400}
    assert dure.get("/api/v1/me").status_code == 401


def test_sso_is_off_unless_configured(db):
    assert Client().get("/sso/start/").status_code == 404
