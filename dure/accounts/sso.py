"""OpenID Connect single sign-on (mozilla-django-oidc) with the provider's groups mapped to roles.

People are matched by (issuer, subject), never by email: an identity provider that lets users set any email
must not be able to take over a local account. The ID token's issuer and audience are checked, and the
userinfo must describe the same subject as the ID token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import slugify
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from dure.accounts.models import Membership, Organization, Role, SsoIdentity, User
from dure.accounts.services import create_user, set_membership

#: Highest first: a person in several mapped groups gets the strongest of their roles.
ROLE_RANK = [Role.OWNER, Role.MANAGER, Role.REVIEWER, Role.WORKER, Role.VIEWER]


def _issuer() -> str:
    return settings.OIDC_OP_ISSUER or settings.OIDC_OP_TOKEN_ENDPOINT


def role_for_groups(groups: Any) -> str | None:
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return None
    mapped = {settings.DURE_OIDC_GROUP_ROLES.get(str(g)) for g in groups} - {None}
    for role in ROLE_RANK:
        if role in mapped:
            return str(role)
    return None


def apply_groups(user: User, claims: dict[str, Any]) -> None:
    """The identity provider is the authority on roles in the SSO organization: no mapped group, no role."""
    slug = settings.DURE_OIDC_ORGANIZATION
    organization = Organization.objects.filter(slug=slug).first() if slug else None
    if organization is None:
        return
    role = role_for_groups(claims.get("groups"))
    current = Membership.objects.filter(organization=organization, user=user).first()
    if role is None:
        if current is not None:
            current.delete()
    elif current is None or current.role != role:
        set_membership(organization=organization, user=user, role=role)


class DureOIDCBackend(OIDCAuthenticationBackend):
    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        checking_id_token = "nonce" in kwargs
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        if checking_id_token:
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if settings.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ID token audience is not this client")
            if settings.OIDC_OP_ISSUER and payload.get("iss") != settings.OIDC_OP_ISSUER:
                raise SuspiciousOperation("ID token issuer does not match")
            self._id_subject = payload.get("sub")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo describes another subject than the ID token")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        # Inactive people are found too, so the callback refuses them instead of creating a second account.
        return User.objects.filter(
            sso_identities__issuer=_issuer(), sso_identities__subject=str(claims["sub"])
        ).distinct()

    def _free_username(self, claims: dict[str, Any]) -> str:
        base = str(claims.get("preferred_username") or str(claims.get("email", "")).split("@")[0] or "sso")
        base = slugify(base, allow_unicode=True)[:140] or "sso"
        candidate, n = base, 1
        while User.objects.filter(username__iexact=candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def create_user(self, claims: dict[str, Any]) -> User:
        with transaction.atomic():
            user = create_user(
                username=self._free_username(claims),
                password=None,
                email=str(claims.get("email", ""))[:254],
                display_name=str(claims.get("name", ""))[:150],
            )
            SsoIdentity.objects.create(user=user, issuer=_issuer(), subject=str(claims["sub"]))
            apply_groups(user, claims)
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        with transaction.atomic():
            changed = False
            for field, claim, limit in [("email", "email", 254), ("display_name", "name", 150)]:
                value = str(claims.get(claim, ""))[:limit]
                if value and getattr(user, field) != value:
                    setattr(user, field, value)
                    changed = True
            if changed:
                user.save(update_fields=["email", "display_name"])
            if user.is_active:
                apply_groups(user, claims)
        return user


def _configured() -> None:
    if not settings.OIDC_RP_CLIENT_ID:
        raise Http404


def sso_start(request: HttpRequest) -> HttpResponse:
    _configured()
    return OIDCAuthenticationRequestView.as_view()(request)


def sso_callback(request: HttpRequest) -> HttpResponse:
    _configured()
    return OIDCAuthenticationCallbackView.as_view()(request)
