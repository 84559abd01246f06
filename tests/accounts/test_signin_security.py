"""Sign-in protection: lockout, per-address rate limits, TOTP two-factor, against the real endpoints."""

from __future__ import annotations

import time

import pyotp
import pytest

from dure.accounts.models import TotpDevice
from dure.audit.models import AuditEvent
from tests.conftest import PASSWORD


def _token(api, username, password=PASSWORD, **extra):
    return api("anonymous").post("/auth/token", {"username": username, "password": password, **extra})


def test_lockout_after_repeated_failures_refuses_even_the_right_password(people, api, settings):
    for _ in range(settings.DURE_SECURITY["LOCKOUT_FAILURES"]):
        assert _token(api, "worker", "wrong-password").json()["code"] == "invalid_credentials"
    locked = _token(api, "worker")
    assert locked.status_code == 429
    assert locked.json() == {
        "code": "too_many_attempts",
        "message": "Too many attempts; wait a while and try again.",
        "details": {"retry_after": settings.DURE_SECURITY["LOCKOUT_SECONDS"]},
    }
    # The web sign-in is locked as well (it goes through the same backend).
    assert not api("anonymous").client.login(username="worker", password=PASSWORD)
    assert _token(api, "viewer").status_code == 201, "other accounts are not affected"
    assert AuditEvent.objects.filter(action="locked_out").count() == 1
    assert AuditEvent.objects.filter(action="sign_in_failed", target_id=str(people["worker"].pk)).exists()


def test_per_address_rate_limit(people, api, settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "SIGNIN_PER_MINUTE_PER_IP": 3}
    codes = [_token(api, name).status_code for name in ["worker", "viewer", "reviewer", "manager"]]
    assert codes == [201, 201, 201, 429]


def test_successful_sign_in_is_audited(people, api):
    assert _token(api, "viewer").status_code == 201
    event = AuditEvent.objects.get(action="sign_in", actor_id=people["viewer"].pk)
    assert event.details["via"] == "token" and event.ip == "127.0.0.1"


def _code(secret, offset=0):
    return pyotp.TOTP(secret).at(int(time.time()) + offset)


def test_totp_enrol_confirm_require_and_refuse_replay(people, api):
    manager = api("manager")
    setup = manager.post("/auth/mfa/setup")
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_url"].startswith("otpauth://totp/Dure:manager")
    assert manager.post("/auth/mfa/confirm", {"code": "000000"}).json()["code"] == "mfa_invalid"
    used = _code(secret)  # one fixed code: the test may cross a 30 s step boundary on a loaded machine
    assert manager.post("/auth/mfa/confirm", {"code": used}).status_code == 204
    assert _token(api, "manager").json()["code"] == "mfa_required"
    # The code that confirmed the device cannot be used again (replay within its 30 s window).
    assert _token(api, "manager", otp=used).json()["code"] == "mfa_invalid"
    TotpDevice.objects.filter(user=people["manager"]).update(last_step=0)
    assert _token(api, "manager", otp=_code(secret)).status_code == 201
    assert manager.post("/auth/mfa/setup").status_code == 409


def test_mfa_enforced_for_owners_and_managers(people, api, settings):
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "MFA_REQUIRED_FOR_MANAGERS": True}
    assert _token(api, "worker").status_code == 201, "workers are not asked"
    refused = _token(api, "owner")
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_enrollment_required"
    enrol = api("anonymous").post("/auth/mfa/enroll", {"username": "owner", "password": PASSWORD})
    secret = enrol.json()["secret"]
    assert _token(api, "owner", otp=_code(secret)).status_code == 201, "the first good code confirms"
    assert TotpDevice.objects.get(user=people["owner"]).confirmed_at is not None
    assert (
        api("anonymous").post("/auth/mfa/enroll", {"username": "owner", "password": "nope-nope"}).status_code
        == 401
    )


@pytest.mark.parametrize("path", ["/auth/token", "/auth/mfa/enroll"])
def test_wrong_passwords_on_every_password_endpoint_count(people, api, path, settings):
    for _ in range(settings.DURE_SECURITY["LOCKOUT_FAILURES"]):
        api("anonymous").post(path, {"username": "reviewer", "password": "wrong-password"})
    assert api("anonymous").post(path, {"username": "reviewer", "password": PASSWORD}).status_code == 429
