"""Onboarding and offboarding people in bulk: accounts, organizations, members, invitations, deletion.

Who may do what: the platform operator (``is_staff``) everything; an organization's owner everything
inside that organization. Deactivating keeps a person's history and pay; deleting on request keeps the
pay history under a pseudonym (the account row stays, its personal data goes).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dure.accounts.errors import (
    AccountNotFound,
    InvitationInvalid,
    LastOwner,
    OrganizationNotFound,
    UsernameTaken,
    WeakPassword,
)
from dure.accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Role,
    SsoIdentity,
    TotpDevice,
    User,
)
from dure.accounts.services import create_user, forget_cached_tokens, set_membership
from dure.audit.models import Action
from dure.audit.services import record
from dure.core.errors import PermissionDenied

INVITATION_DAYS = 7


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def owned_organization(*, actor: User, organization_id: int) -> Organization:
    """The organization if the actor may administer it: 404 for strangers, 403 for members below owner."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise OrganizationNotFound()
    if actor.is_staff:
        return organization
    role = (
        Membership.objects.filter(organization=organization, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise OrganizationNotFound()
    if role != Role.OWNER:
        raise PermissionDenied()
    return organization


def visible_users(*, actor: User, query: str = "") -> QuerySet[User]:
    """The operator sees everyone; an owner sees the members of the organizations they own."""
    users = User.objects.all()
    if not actor.is_staff:
        owned = Membership.objects.filter(user=actor, role=Role.OWNER).values("organization_id")
        users = users.filter(memberships__organization_id__in=owned).distinct()
    if query:
        users = users.filter(
            Q(username__icontains=query) | Q(email__icontains=query) | Q(display_name__icontains=query)
        )
    return users


def user_for_admin(*, actor: User, user_id: int) -> User:
    user = visible_users(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise AccountNotFound()
    return user


@dataclass
class Provisioned:
    user: User
    invitation_key: str | None


def invitation_url(key: str) -> str:
    base = cast(str, settings.DURE_SECURITY["PUBLIC_URL"])
    return f"{base.rstrip('/')}/invitations/{key}/"


def provision_user(
    *,
    actor: User | None,
    username: str,
    email: str = "",
    display_name: str = "",
    password: str | None = None,
    locale: str = "ko",
    organization: Organization | None = None,
    role: str = Role.WORKER,
) -> Provisioned:
    """Creates one account (and membership); without a password, an invitation to set one."""
    with transaction.atomic():
        user = create_user(
            username=username, password=password, email=email, display_name=display_name, locale=locale
        )
        record(Action.USER_CREATED, actor=actor, organization=organization, target=user)
        if organization is not None:
            set_membership(organization=organization, user=user, role=role)
        key = None
        if password is None:
            key = _invite(actor=actor, organization=None, role=role, email=email, user=user)
    return Provisioned(user=user, invitation_key=key)


def _invite(
    *, actor: User | None, organization: Organization | None, role: str, email: str, user: User | None
) -> str:
    key = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        key_hash=_hash(key),
        organization=organization,
        role=role,
        email=email,
        user=user,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    record(Action.INVITATION_CREATED, actor=actor, organization=organization, target=invitation, email=email)
    return key


def invite(
    *, actor: User, organization: Organization, email: str, role: str, days: int = INVITATION_DAYS
) -> tuple[Invitation, str]:
    key = _invite(actor=actor, organization=organization, role=role, email=email, user=None)
    invitation = Invitation.objects.get(key_hash=_hash(key))
    if days != INVITATION_DAYS:
        invitation.expires_at = invitation.created_at + timedelta(days=days)
        invitation.save(update_fields=["expires_at"])
    return invitation, key


def accept_invitation(
    *, key: str, username: str | None, password: str, display_name: str = "", locale: str = "ko"
) -> User:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(key_hash=_hash(key), accepted_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if invitation is None:
            raise InvitationInvalid()
        if invitation.user is not None:
            user = invitation.user
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise WeakPassword(password=list(error.messages)) from None
            user.set_password(password)
            if display_name:
                user.display_name = display_name
            user.save()
        else:
            if not username:
                raise UsernameTaken(username="")
            user = create_user(
                username=username,
                password=password,
                email=invitation.email,
                display_name=display_name,
                locale=locale,
            )
        if invitation.organization is not None:
            set_membership(organization=invitation.organization, user=user, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record(
            Action.INVITATION_ACCEPTED, actor=user, organization=invitation.organization, target=invitation
        )
    return user


def invitation_for_key(key: str) -> Invitation | None:
    return Invitation.objects.select_related("organization").filter(key_hash=_hash(key)).first()


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why a link cannot be used: ``unknown``, ``used`` or ``expired``; None when it can."""
    if invitation is None:
        return "unknown"
    if invitation.accepted_at is not None:
        return "used"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return None


def accept_invitation_as(*, key: str, user: User) -> User:
    """A person already signed in (with a password or SSO) takes the invitation's role for themselves."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(key_hash=_hash(key), accepted_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        # An invitation made for one existing account is that account's alone.
        if invitation is None or (invitation.user_id is not None and invitation.user_id != user.pk):
            raise InvitationInvalid()
        if invitation.organization is not None:
            current = Membership.objects.filter(organization=invitation.organization, user=user).first()
            # Joining never lowers a role the person already has there (an owner following a worker link).
            if current is None or _rank(invitation.role) < _rank(current.role):
                set_membership(organization=invitation.organization, user=user, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record(
            Action.INVITATION_ACCEPTED, actor=user, organization=invitation.organization, target=invitation
        )
    return user


def _rank(role: str) -> int:
    order = [Role.OWNER, Role.MANAGER, Role.REVIEWER, Role.WORKER, Role.VIEWER]
    return order.index(Role(role))


def add_member(*, organization: Organization, user: User, role: str) -> Membership:
    with transaction.atomic():
        current = Membership.objects.select_for_update().filter(organization=organization, user=user).first()
        if current is not None and current.role == Role.OWNER and role != Role.OWNER:
            _keep_an_owner(organization, leaving=user)
        return set_membership(organization=organization, user=user, role=role)


def _keep_an_owner(organization: Organization, *, leaving: User) -> None:
    others = Membership.objects.filter(organization=organization, role=Role.OWNER).exclude(user=leaving)
    if not others.exists():
        raise LastOwner()


def remove_member(*, organization: Organization, user: User) -> None:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(organization=organization, user=user).first()
        )
        if membership is None:
            raise AccountNotFound()
        if membership.role == Role.OWNER:
            _keep_an_owner(organization, leaving=user)
        membership.delete()  # the audit signal records the removal


def deactivate_user(*, actor: User | None, user: User) -> User:
    """Signs the person out everywhere and keeps everything they did (work, reviews, pay)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        _end_sessions(user)
        record(Action.USER_DEACTIVATED, actor=actor, target=user)
    forget_cached_tokens()
    user.refresh_from_db()
    return user


def _end_sessions(user: User) -> None:
    from django.contrib.sessions.models import Session

    # Sessions are signed blobs without a user column; fine at the scale of one person's deactivation.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()


def delete_account(*, actor: User | None, user: User) -> User:
    """Deletion on request: personal data goes, pay and work history stay under ``deleted-<id>``."""
    with transaction.atomic():
        pseudonym = f"deleted-{user.pk}"
        user.username = pseudonym
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.display_name = pseudonym
        user.is_active = False
        user.set_unusable_password()
        user.save()
        ApiToken.objects.filter(user=user).delete()
        TotpDevice.objects.filter(user=user).delete()
        SsoIdentity.objects.filter(user=user).delete()
        Invitation.objects.filter(user=user).delete()
        _end_sessions(user)
        _scrub_bank_accounts(user)
        record(Action.USER_DELETED, actor=actor, target=user)
    forget_cached_tokens()
    return user


def _scrub_bank_accounts(user: User) -> None:
    from django.apps import apps

    try:
        bank_account = apps.get_model("payments", "BankAccount")
    except LookupError:
        return
    bank_account.objects.filter(user=user).delete()


def create_organization_for(
    *, actor: User | None, name: str, slug: str = "", owner: User | None = None
) -> Organization:
    from dure.accounts.services import create_organization

    organization = create_organization(name=name, slug=slug, owner=owner)
    record(Action.ORG_CREATED, actor=actor, organization=organization, target=organization)
    return organization


def username_free(username: str) -> bool:
    return not User.objects.filter(username__iexact=username).exists()
