"""Writes for matching: a person's talent profile, invitations and joining an open project."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dure.accounts.models import Membership, User
from dure.core.errors import InvalidInput
from dure.matching import selectors
from dure.matching.datatypes import device_of_agent
from dure.matching.errors import (
    AlreadyInvited,
    AlreadyMember,
    InvitationClosed,
    InvitationNotFound,
    NoQualificationTest,
    TalentNotFound,
)
from dure.matching.models import (
    Device,
    InvitationKind,
    InvitationState,
    ProjectInvitation,
    TalentProfile,
    WorkerFeatures,
    WorkerSkill,
)
from dure.matching.ranking import LANGUAGES
from dure.projects.errors import ProjectNotFound
from dure.projects.models import Project, ProjectMember, ProjectRole
from dure.projects.services import set_project_member


def set_talent_profile(
    *,
    user: User,
    opted_in: bool | None = None,
    headline: str | None = None,
    languages: list[str] | None = None,
    devices: list[str] | None = None,
) -> TalentProfile:
    """Change what the person says about themselves; search sees an opt-out at once, not after a refresh."""
    if languages is not None and not set(languages) <= set(LANGUAGES):
        raise InvalidInput(field="languages", allowed=LANGUAGES)
    if devices is not None and not set(devices) <= set(Device.values):
        raise InvalidInput(field="devices", allowed=list(Device.values))
    with transaction.atomic():
        profile, _ = TalentProfile.objects.select_for_update().get_or_create(user=user)
        if opted_in is not None:
            profile.opted_in = opted_in
        if headline is not None:
            profile.headline = headline.strip()[:200]
        if languages is not None:
            profile.languages = sorted(set(languages))
        if devices is not None:
            profile.devices = sorted(set(devices))
        profile.save()
        effective_languages = sorted({user.locale, *profile.languages})
        effective_devices = sorted(set(profile.devices or profile.seen_devices))
        updated = WorkerFeatures.objects.filter(user=user).update(
            opted_in=profile.opted_in, languages=effective_languages, devices=effective_devices
        )
        if not updated:
            WorkerFeatures.objects.create(
                user=user,
                opted_in=profile.opted_in,
                languages=effective_languages,
                devices=effective_devices,
                refreshed_at=timezone.now(),
            )
        WorkerSkill.objects.filter(user=user).update(opted_in=profile.opted_in)
    return profile


def note_device(*, user: User, user_agent: str) -> None:
    """Remember that this person signs in from a phone or a computer (device needs of collection work)."""
    device = device_of_agent(user_agent)
    if device is None:
        return
    with transaction.atomic():
        profile, _ = TalentProfile.objects.select_for_update().get_or_create(user=user)
        if device in profile.seen_devices:
            return
        profile.seen_devices = sorted({*profile.seen_devices, device})
        profile.save(update_fields=["seen_devices", "updated_at"])
        if not profile.devices:
            WorkerFeatures.objects.filter(user=user).update(devices=profile.seen_devices)


def _invitable(*, project: Project, username_or_id: str | int) -> User:
    """Someone who opted in to talent search, or already belongs to the project's organization.

    Anyone else is "not found", so a manager cannot probe which accounts exist.
    """
    lookup = (
        {"username": username_or_id}
        if isinstance(username_or_id, str) and not username_or_id.isdigit()
        else {"pk": int(username_or_id)}
    )
    user = User.objects.filter(is_active=True, **lookup).first()
    if user is None:
        raise TalentNotFound()
    opted_in = TalentProfile.objects.filter(user=user, opted_in=True).exists()
    in_organization = Membership.objects.filter(user=user, organization_id=project.organization_id).exists()
    if not (opted_in or in_organization):
        raise TalentNotFound()
    return user


def invite(
    *, actor: User, project: Project, user: str | int, kind: str = InvitationKind.PROJECT, message: str = ""
) -> ProjectInvitation:
    """Invite one person (the caller checked ``can_manage``); they are told by a notification job."""
    invitee = _invitable(project=project, username_or_id=user)
    if kind == InvitationKind.QUALIFICATION:
        from dure.academy.selectors import requirement_of

        requirement = requirement_of(project_id=project.pk)
        if requirement is None or requirement.qualification_exam_id is None:
            raise NoQualificationTest()
    with transaction.atomic():
        if ProjectMember.objects.filter(project=project, user=invitee).exists():
            raise AlreadyMember()
        if ProjectInvitation.objects.filter(
            project=project, user=invitee, state=InvitationState.PENDING
        ).exists():
            raise AlreadyInvited()
        invitation = ProjectInvitation.objects.create(
            project=project, user=invitee, invited_by=actor, kind=kind, message=message.strip()[:500]
        )
        from dure.matching.jobs import notify_invitation

        transaction.on_commit(lambda: notify_invitation.enqueue(invitation.pk))
    return invitation


def _pending_for_update(*, user: User, invitation_id: int) -> ProjectInvitation:
    invitation = (
        ProjectInvitation.objects.select_for_update()
        .select_related("project")
        .filter(pk=invitation_id, user=user)
        .first()
    )
    if invitation is None:
        raise InvitationNotFound()
    if invitation.state != InvitationState.PENDING:
        raise InvitationClosed(state=invitation.state)
    return invitation


def accept_invitation(*, user: User, invitation_id: int) -> ProjectInvitation:
    """Accepting makes the person a worker on the project (a higher project role they hold stays)."""
    with transaction.atomic():
        invitation = _pending_for_update(user=user, invitation_id=invitation_id)
        invitation.state = InvitationState.ACCEPTED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_at"])
        if not ProjectMember.objects.filter(project=invitation.project, user=user).exists():
            set_project_member(project=invitation.project, user=user, role=ProjectRole.WORKER)
    return invitation


def decline_invitation(*, user: User, invitation_id: int) -> ProjectInvitation:
    with transaction.atomic():
        invitation = _pending_for_update(user=user, invitation_id=invitation_id)
        invitation.state = InvitationState.DECLINED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_at"])
    return invitation


def revoke_invitation(*, project: Project, invitation_id: int) -> ProjectInvitation:
    with transaction.atomic():
        invitation = (
            ProjectInvitation.objects.select_for_update().filter(pk=invitation_id, project=project).first()
        )
        if invitation is None:
            raise InvitationNotFound()
        if invitation.state != InvitationState.PENDING:
            raise InvitationClosed(state=invitation.state)
        invitation.state = InvitationState.REVOKED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_at"])
    return invitation


def join_project(*, user: User, project_id: int) -> Project:
    """Join an open project one may discover: public ones directly, private ones by the invitation."""
    with transaction.atomic():
        project = Project.objects.filter(pk=project_id).first()
        if project is None or not selectors.may_discover(user=user, project=project):
            raise ProjectNotFound()
        pending = ProjectInvitation.objects.filter(
            project=project, user=user, state=InvitationState.PENDING
        ).first()
        if pending is not None:
            accept_invitation(user=user, invitation_id=pending.pk)
        elif not ProjectMember.objects.filter(project=project, user=user).exists():
            set_project_member(project=project, user=user, role=ProjectRole.WORKER)
    return project
