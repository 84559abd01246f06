from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied


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
