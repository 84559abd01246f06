from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, DureError, InvalidInput, NotAuthenticated, NotFound, PermissionDenied


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = _("The username or password is wrong.")


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    default_message = _("The API token is unknown or revoked.")


class UsernameTaken(Conflict):
    code = "username_taken"
    default_message = _("This username is already taken.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    default_message = _("The password is too weak.")


class TokenNotFound(NotFound):
    code = "token_not_found"
    default_message = _("API token not found.")


class SignupClosed(PermissionDenied):
    code = "signup_closed"
    default_message = _("Sign-up is closed here; ask an administrator for an account.")


class TooManyAttempts(DureError):
    status = 429
    code = "too_many_attempts"
    default_message = _("Too many attempts; wait a while and try again.")


class MfaRequired(NotAuthenticated):
    code = "mfa_required"
    default_message = _("Enter the six-digit code from your authenticator app.")


class MfaInvalid(NotAuthenticated):
    code = "mfa_invalid"
    default_message = _("The authenticator code is wrong or was used already.")


class MfaEnrollmentRequired(PermissionDenied):
    code = "mfa_enrollment_required"
    default_message = _("Owners and managers must set up an authenticator app before signing in.")


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    default_message = _("Organization not found.")


class AccountNotFound(NotFound):
    code = "user_not_found"
    default_message = _("User not found.")


class InvitationInvalid(NotFound):
    code = "invitation_invalid"
    default_message = _("This invitation link is unknown, used or expired.")


class LastOwner(Conflict):
    code = "last_owner"
    default_message = _("An organization needs at least one owner.")
