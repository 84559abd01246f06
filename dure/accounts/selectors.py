"""Reads for accounts. Role lookups are the base of all tenant scoping."""

from __future__ import annotations

from dure.accounts.models import ApiToken, Membership, Organization, User


def role_in(*, user: User, organization_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )


def organizations_of(*, user: User) -> list[Organization]:
    return list(Organization.objects.filter(memberships__user=user).order_by("name"))


def active_tokens(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"))
