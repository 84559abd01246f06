"""The browser sign-in with its second step, the authenticator set-up page, and the invitation page."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from dure.accounts import provisioning
from dure.accounts.models import Membership, TotpDevice, User
from dure.audit.models import AuditEvent
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}


def _with_authenticator(user: User) -> str:
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return secret


def _password(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    return client.post("/login/", {"username": username, "password": password, "next": next_url}, headers=EN)


def _signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_password_only_people_are_signed_in_at_once(people):
    client = Client()
    response = _password(client, "worker", next_url="/notifications/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert _signed_in_as(client) == people["worker"].pk


def test_a_foreign_next_url_is_not_followed(people):
    client = Client()
    response = _password(client, "worker", next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_wrong_password_is_said_plainly(people):
    client = Client()
    response = _password(client, "worker", "nope")
    assert response.status_code == 200 and b"The username or password is wrong." in response.content
    assert _signed_in_as(client) is None


def test_an_authenticator_adds_a_second_step(people):
    secret = _with_authenticator(people["manager"])
    client = Client()
    response = _password(client, "manager", next_url="/profile/")
    assert response.status_code == 302 and response["Location"] == "/login/two-factor/"
    assert _signed_in_as(client) is None, "the password alone signs nobody in"
    assert client.get("/profile/")["Location"].startswith("/login/")
    page = client.get("/login/two-factor/", headers=EN)
    assert b"Enter the six-digit code" in page.content and b"<svg" not in page.content
    wrong = client.post("/login/two-factor/", {"code": "000000"}, headers=EN)
    assert wrong.status_code == 400 and b"The authenticator code is wrong" in wrong.content
    code = pyotp.TOTP(secret).now()
    done = client.post("/login/two-factor/", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/profile/"
    assert _signed_in_as(client) == people["manager"].pk
    assert AuditEvent.objects.filter(action="sign_in", actor_id=people["manager"].pk).exists()
    # The same code cannot be used again, in another browser, within its 30 seconds.
    other = Client()
    _password(other, "manager")
    assert other.post("/login/two-factor/", {"code": code}).status_code == 400


def test_wrong_codes_lock_the_account_like_wrong_passwords(people, settings):
    _with_authenticator(people["owner"])
    client = Client()
    _password(client, "owner")
    for _ in range(settings.DURE_SECURITY["LOCKOUT_FAILURES"]):
        assert client.post("/login/two-factor/", {"code": "000000"}).status_code == 400
    locked = client.post("/login/two-factor/", {"code": "000000"}, headers=EN)
    assert locked.status_code == 302 and locked["Location"] == "/login/"
    assert client.get("/login/two-factor/")["Location"] == "/login/", "the half sign-in is forgotten"
    again = _password(Client(), "owner")
    assert again.status_code == 429 and b"Too many attempts" in again.content
    assert AuditEvent.objects.filter(action="locked_out").count() == 1


def test_the_second_step_expires(people, monkeypatch):
    secret = _with_authenticator(people["manager"])
    client = Client()
    _password(client, "manager")
    later = time.time() + 301
    monkeypatch.setattr("dure.accounts.views.time.time", lambda: later)
    response = client.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert _signed_in_as(client) is None


def test_the_second_step_without_a_password_goes_back_to_sign_in(db):
    assert Client().get("/login/two-factor/")["Location"] == "/login/"


def test_managers_who_must_have_one_set_it_up_while_signing_in(people, settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "MFA_REQUIRED_FOR_MANAGERS": True}
    client = Client()
    assert _password(client, "manager")["Location"] == "/login/two-factor/"
    page = client.get("/login/two-factor/", headers=EN)
    assert b"<svg" in page.content and b"Owners and managers need an authenticator app" in page.content
    secret = TotpDevice.objects.get(user=people["manager"]).secret
    assert secret.encode() in page.content
    assert client.get("/login/two-factor/").content.count(secret.encode()) == 1, "a reload keeps the key"
    assert client.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert _signed_in_as(client) == people["manager"].pk
    assert TotpDevice.objects.get(user=people["manager"]).confirmed_at is not None
    # Workers are not asked.
    assert _password(Client(), "worker")["Location"] == "/"


def test_set_up_confirm_and_turn_off_from_the_profile(people):
    client = Client()
    client.force_login(people["reviewer"])
    profile = client.get("/profile/", headers=EN)
    assert b"Set up an authenticator app" in profile.content
    assert client.post("/settings/two-factor/", {"action": "start"})["Location"] == "/settings/two-factor/"
    page = client.get("/settings/two-factor/", headers=EN)
    secret = TotpDevice.objects.get(user=people["reviewer"]).secret
    assert b"<svg" in page.content and secret.encode() in page.content
    assert b"<script" not in page.content.split(b"<main>")[1], "no script, no image service: drawn here"
    bad = client.post("/settings/two-factor/", {"action": "confirm", "code": "123"}, headers=EN)
    assert bad.status_code == 400 and b"The authenticator code is wrong" in bad.content
    code = pyotp.TOTP(secret).now()
    client.post("/settings/two-factor/", {"action": "confirm", "code": code})
    assert TotpDevice.objects.get(user=people["reviewer"]).confirmed_at is not None
    on = client.get("/settings/two-factor/", headers=EN)
    assert b"two-factor-state" in on.content and secret.encode() not in on.content, (
        "the key is not shown again"
    )
    assert AuditEvent.objects.filter(action="mfa_enabled", actor_id=people["reviewer"].pk).exists()
    # Turning it off needs a fresh code (the one used to turn it on is spent).
    spent = client.post("/settings/two-factor/", {"action": "disable", "code": code})
    assert spent.status_code == 400
    TotpDevice.objects.filter(user=people["reviewer"]).update(last_step=0)
    client.post("/settings/two-factor/", {"action": "disable", "code": pyotp.TOTP(secret).now()})
    assert not TotpDevice.objects.filter(user=people["reviewer"]).exists()


@pytest.mark.parametrize("role", ["owner", "manager", "reviewer", "worker", "viewer", "outsider"])
def test_every_role_manages_only_their_own_authenticator(people, role):
    client = Client()
    client.force_login(people[role])
    client.post("/settings/two-factor/", {"action": "start"})
    assert list(TotpDevice.objects.values_list("user__username", flat=True)) == [role]
    assert Client().get("/settings/two-factor/")["Location"].startswith("/login/")


# --- invitations ------------------------------------------------------------------------------------------


def _invite(org, people, role="reviewer", days=7):
    _invitation, key = provisioning.invite(
        actor=people["owner"], organization=org, email="new@example.com", role=role, days=days
    )
    return key


def test_an_invitation_page_makes_the_account_and_signs_in(org, people):
    key = _invite(org, people)
    client = Client()
    page = client.get(f"/invitations/{key}/", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and b'lang="ko"' in page.content and org.name.encode() in page.content
    response = client.post(
        f"/invitations/{key}/",
        {"username": "newbie", "display_name": "새 사람", "password": "a-long-pass-phrase-7",
         "password_again": "a-long-pass-phrase-7"},
        headers={"Accept-Language": "ko"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/"
    newbie = User.objects.get(username="newbie")
    assert newbie.locale == "ko" and newbie.email == "new@example.com" and newbie.display_name == "새 사람"
    assert Membership.objects.get(organization=org, user=newbie).role == "reviewer"
    assert _signed_in_as(client) == newbie.pk
    used = Client().get(f"/invitations/{key}/", headers=EN)
    assert used.status_code == 410 and b"This invitation was used already" in used.content


def test_invitation_form_errors_keep_the_link_usable(org, people):
    key = _invite(org, people)
    client = Client()
    differ = client.post(
        f"/invitations/{key}/",
        {"username": "x1", "password": "a-long-pass-phrase-7", "password_again": "other"},
        headers=EN,
    )
    assert differ.status_code == 400 and b"The two passwords differ." in differ.content
    weak = client.post(
        f"/invitations/{key}/",
        {"username": "x1", "password": "123", "password_again": "123"},
        headers=EN,
    )
    assert weak.status_code == 400 and b"error" in weak.content
    taken = client.post(
        f"/invitations/{key}/",
        {"username": "worker", "password": "a-long-pass-phrase-7", "password_again": "a-long-pass-phrase-7"},
        headers=EN,
    )
    assert taken.status_code == 400 and b"This username is already taken." in taken.content
    assert provisioning.invitation_problem(provisioning.invitation_for_key(key)) is None


def test_expired_and_unknown_links_say_so(org, people):
    key = _invite(org, people)
    provisioning.invitation_for_key(key).__class__.objects.update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    expired = Client().get(f"/invitations/{key}/", headers=EN)
    assert expired.status_code == 410 and b"This invitation has expired" in expired.content
    posted = Client().post(
        f"/invitations/{key}/",
        {"username": "late", "password": "a-long-pass-phrase-7", "password_again": "a-long-pass-phrase-7"},
    )
    assert posted.status_code == 410 and not User.objects.filter(username="late").exists()
    unknown = Client().get("/invitations/nothing-like-it/", headers=EN)
    assert unknown.status_code == 404 and b"This invitation link is not valid" in unknown.content


def test_a_signed_in_person_joins_with_one_click(org, people):
    """Where SSO brings a person back to the link, and for anyone who has an account already."""
    key = _invite(org, people, role="worker")
    client = Client()
    client.force_login(people["outsider"])
    page = client.get(f"/invitations/{key}/", headers=EN)
    assert b"Join as" in page.content
    assert client.post(f"/invitations/{key}/", {"action": "join"})["Location"] == "/"
    assert Membership.objects.get(organization=org, user=people["outsider"]).role == "worker"
    # An owner following a worker link keeps being an owner.
    key = _invite(org, people, role="worker")
    owner = Client()
    owner.force_login(people["owner"])
    owner.post(f"/invitations/{key}/", {"action": "join"})
    assert Membership.objects.get(organization=org, user=people["owner"]).role == "owner"


def test_a_link_made_for_one_account_is_not_anyone_elses(org, people):
    made = provisioning.provision_user(actor=None, username="preset", email="p@example.com")
    client = Client()
    client.force_login(people["worker"])
    response = client.post(f"/invitations/{made.invitation_key}/", {"action": "join"}, headers=EN)
    assert response.status_code == 410
    page = Client().get(f"/invitations/{made.invitation_key}/", headers=EN)
    assert b"preset" in page.content and b"Choose a password" in page.content
    Client().post(
        f"/invitations/{made.invitation_key}/",
        {"password": "a-long-pass-phrase-7", "password_again": "a-long-pass-phrase-7"},
    )
    assert User.objects.get(username="preset").check_password("a-long-pass-phrase-7")


def test_sso_is_offered_on_the_invitation_when_configured(org, people, settings):
    key = _invite(org, people)
    assert b"company account" not in Client().get(f"/invitations/{key}/", headers=EN).content
    settings.OIDC_RP_CLIENT_ID = "dure"
    page = Client().get(f"/invitations/{key}/", headers=EN).content
    assert f"/sso/start/?next=/invitations/{key}/".encode() in page


def test_a_manager_invited_under_enforced_mfa_sets_it_up_before_entering(org, people, settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "MFA_REQUIRED_FOR_MANAGERS": True}
    key = _invite(org, people, role="manager")
    client = Client()
    response = client.post(
        f"/invitations/{key}/",
        {"username": "boss", "password": "a-long-pass-phrase-7", "password_again": "a-long-pass-phrase-7"},
    )
    assert response["Location"] == "/login/two-factor/" and _signed_in_as(client) is None


def test_the_admin_signs_in_through_the_page_with_the_second_factor(people):
    people["owner"].is_staff = True
    people["owner"].save(update_fields=["is_staff"])
    secret = _with_authenticator(people["owner"])
    client = Client()
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/login/?next=/admin/"
    skipped = client.post("/admin/login/", {"username": "owner", "password": PASSWORD})
    assert skipped.status_code == 302 and _signed_in_as(client) is None
    assert _password(client, "owner", next_url="/admin/")["Location"] == "/login/two-factor/"
    assert client.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
