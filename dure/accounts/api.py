from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from dure.accounts import provisioning, security, selectors, services
from dure.accounts.errors import AccountNotFound, SignupClosed
from dure.accounts.models import Membership, User
from dure.accounts.schemas import (
    AcceptIn,
    CodeIn,
    InvitationIn,
    InvitationOut,
    MemberIn,
    MeOut,
    MfaSetupOut,
    OrganizationIn,
    OrganizationOut,
    OrgMemberOut,
    PasswordIn,
    SignupIn,
    TokenIn,
    TokenInfo,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)
from dure.audit.services import client_ip
from dure.core.errors import InvalidInput, PermissionDenied
from dure.core.http import user_of
from dure.core.pagination import CursorPagination

router = Router(tags=["accounts"])


@router.post("/auth/token", response={201: TokenOut}, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> Status:
    token, raw = security.sign_in_for_token(
        username=body.username, password=body.password, otp=body.otp, name=body.name, ip=client_ip(request)
    )
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


# --- two-factor authentication ------------------------------------------------------------------------


@router.post("/auth/mfa/enroll", response=MfaSetupOut, auth=None)
def mfa_enroll_with_password(request: HttpRequest, body: PasswordIn) -> dict:
    """For owners and managers who must set up 2FA before they can get a token at all."""
    user = security.authenticate_password(
        username=body.username, password=body.password, ip=client_ip(request)
    )
    secret, uri = security.start_enrollment(user=user)
    return {"secret": secret, "otpauth_url": uri}


@router.post("/auth/mfa/setup", response=MfaSetupOut)
def mfa_setup(request: HttpRequest) -> dict:
    secret, uri = security.start_enrollment(user=user_of(request))
    return {"secret": secret, "otpauth_url": uri}


@router.post("/auth/mfa/confirm", response={204: None})
def mfa_confirm(request: HttpRequest, body: CodeIn) -> Status:
    security.confirm_enrollment(user=user_of(request), code=body.code)
    return Status(204, None)


@router.post("/auth/mfa/disable", response={204: None})
def mfa_disable(request: HttpRequest, body: CodeIn) -> Status:
    security.disable(user=user_of(request), code=body.code)
    return Status(204, None)


# --- provisioning: the platform operator and organization owners ------------------------------------------


def _operator(request: HttpRequest) -> User:
    user = user_of(request)
    if not user.is_staff:
        raise PermissionDenied()
    return user


@router.post("/users", response={201: UserCreated})
def create_user(request: HttpRequest, body: UserIn) -> Status:
    actor = user_of(request)
    organization = None
    if body.organization_id is not None:
        organization = provisioning.owned_organization(actor=actor, organization_id=body.organization_id)
    elif not actor.is_staff:
        # An owner creates people into an organization they own, never loose accounts.
        raise InvalidInput(field="organization_id", reason="required unless you are the platform operator")
    result = provisioning.provision_user(
        actor=actor,
        username=body.username,
        email=body.email,
        display_name=body.name,
        password=body.password,
        locale=body.locale,
        organization=organization,
        role=body.role,
    )
    key = result.invitation_key
    return Status(
        201,
        {
            "id": result.user.pk,
            "username": result.user.username,
            "invitation_url": provisioning.invitation_url(key) if key else None,
        },
    )


@router.get("/users", response=list[UserOut])
@paginate(CursorPagination)
def list_users(request: HttpRequest, query: str = "") -> object:
    return provisioning.visible_users(actor=user_of(request), query=query[:150])


@router.post("/users/{user_id}/deactivate", response=UserOut)
def deactivate_user(request: HttpRequest, user_id: int) -> User:
    actor = _operator(request)
    return provisioning.deactivate_user(
        actor=actor, user=provisioning.user_for_admin(actor=actor, user_id=user_id)
    )


@router.delete("/users/{user_id}", response={204: None})
def delete_user(request: HttpRequest, user_id: int) -> Status:
    """Deletion on request (operator only): personal data goes, pay history stays under a pseudonym."""
    actor = _operator(request)
    provisioning.delete_account(actor=actor, user=provisioning.user_for_admin(actor=actor, user_id=user_id))
    return Status(204, None)


@router.post("/organizations", response={201: OrganizationOut})
def create_organization(request: HttpRequest, body: OrganizationIn) -> Status:
    actor = _operator(request)
    owner = provisioning.user_for_admin(actor=actor, user_id=body.owner_id) if body.owner_id else None
    organization = provisioning.create_organization_for(
        actor=actor, name=body.name, slug=body.slug, owner=owner
    )
    return Status(201, organization)


@router.get("/organizations/{organization_id}/members", response=list[OrgMemberOut])
def list_members(request: HttpRequest, organization_id: int) -> list[dict]:
    organization = provisioning.owned_organization(actor=user_of(request), organization_id=organization_id)
    return [
        {"user_id": m.user_id, "username": m.user.username, "role": m.role}
        for m in organization.memberships.select_related("user").order_by("user__username")
    ]


@router.post("/organizations/{organization_id}/members", response={201: OrgMemberOut})
def add_member(request: HttpRequest, organization_id: int, body: MemberIn) -> Status:
    organization = provisioning.owned_organization(actor=user_of(request), organization_id=organization_id)
    user = User.objects.filter(pk=body.user_id, is_active=True).first()
    if user is None:
        raise AccountNotFound()
    membership = provisioning.add_member(organization=organization, user=user, role=body.role)
    return Status(201, {"user_id": user.pk, "username": user.username, "role": membership.role})


@router.delete("/organizations/{organization_id}/members/{user_id}", response={204: None})
def remove_member(request: HttpRequest, organization_id: int, user_id: int) -> Status:
    organization = provisioning.owned_organization(actor=user_of(request), organization_id=organization_id)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise AccountNotFound()
    provisioning.remove_member(organization=organization, user=user)
    return Status(204, None)


@router.post("/organizations/{organization_id}/invitations", response={201: InvitationOut})
def invite(request: HttpRequest, organization_id: int, body: InvitationIn) -> Status:
    actor = user_of(request)
    organization = provisioning.owned_organization(actor=actor, organization_id=organization_id)
    invitation, key = provisioning.invite(
        actor=actor, organization=organization, email=body.email, role=body.role, days=body.days
    )
    return Status(
        201,
        {"id": invitation.pk, "url": provisioning.invitation_url(key), "expires_at": invitation.expires_at},
    )


@router.post("/invitations/{key}/accept", response={201: MeOut}, auth=None)
def accept_invitation(request: HttpRequest, key: str, body: AcceptIn) -> Status:
    user = provisioning.accept_invitation(
        key=key[:100],
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        locale=body.locale,
    )
    return Status(201, _me(user))
