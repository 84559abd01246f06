from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from dure.accounts import selectors, services
from dure.accounts.errors import SignupClosed
from dure.accounts.models import Membership, User
from dure.accounts.schemas import MeOut, SignupIn, TokenIn, TokenInfo, TokenOut
from dure.core.http import user_of

router = Router(tags=["accounts"])


@router.post("/auth/token", response={201: TokenOut}, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> Status:
    token, raw = services.login_for_token(username=body.username, password=body.password, name=body.name)
    return Status(201, {"id": token.pk, "token": raw, "prefix": token.prefix})


@router.post("/auth/signup", response={201: MeOut}, auth=None)
def signup(request: HttpRequest, body: SignupIn) -> Status:
    if not settings.DURE_SIGNUP_OPEN:
        raise SignupClosed()
    user = services.create_user(
        username=body.username,
        password=body.password,
        email=body.email,
        display_name=body.display_name,
        locale=body.locale,
    )
    return Status(201, _me(user))


@router.get("/auth/tokens", response=list[TokenInfo])
def list_tokens(request: HttpRequest) -> list:
    return selectors.active_tokens(user=user_of(request))


@router.delete("/auth/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    services.revoke_token(user=user_of(request), token_id=token_id)
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict:
    return _me(user_of(request))


def _me(user: User) -> dict:
    memberships = (
        Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
    )
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "locale": user.locale,
        "memberships": [
            {"organization_id": m.organization_id, "organization": m.organization.name, "role": m.role}
            for m in memberships
        ],
    }
