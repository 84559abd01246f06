from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = _("There is no such invitation.")


class InvitationClosed(Conflict):
    code = "invitation_closed"
    default_message = _("This invitation was already answered or withdrawn.")


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = _("This person already works on the project.")


class AlreadyInvited(Conflict):
    code = "already_invited"
    default_message = _("This person has an invitation to the project waiting already.")


class TalentNotFound(NotFound):
    code = "talent_not_found"
    default_message = _("Nobody by that name shows in talent search.")


class NotOpenForJoining(Conflict):
    code = "project_not_open"
    default_message = _("The project is not open for work.")


class TalentSearchDenied(PermissionDenied):
    code = "talent_search_denied"
    default_message = _("Only the managers of an organization may search for talent.")


class NoQualificationTest(InvalidInput):
    code = "no_qualification_test"
    default_message = _("The project has no qualification test to invite to.")


class UnknownDataType(InvalidInput):
    code = "unknown_data_type"
    default_message = _("There is no such data type.")
