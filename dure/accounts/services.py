"""Writes for users, organizations, memberships and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from dure.accounts.errors import (
    InvalidCredentials,
    InvalidToken,
    TokenNotFound,
    UsernameTaken,
    WeakPassword,
)
from dure.accounts.models import ApiToken, Membership, Organization, Role, User

TOKEN_PREFIX = "dure_"
# Writing last_used_at on every request would turn every read into a write; once a minute is enough.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(
    *, username: str, password: str | None, email: str = "", display_name: str = "", locale: str = "ko"
) -> User:
    if password is not None:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            raise WeakPassword(password=list(error.messages)) from None
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=username).exists():
                raise UsernameTaken(username=username)
            user = User(username=username, email=email, display_name=display_name, locale=locale)
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
    except IntegrityError:
        raise UsernameTaken(username=username) from None
    return user


def create_organization(*, name: str, owner: User | None = None, slug: str = "") -> Organization:
    with transaction.atomic():
        base = slug or slugify(name, allow_unicode=True) or "org"
        candidate, n = base, 1
        while Organization.objects.filter(slug=candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        organization = Organization.objects.create(name=name, slug=candidate)
        if owner is not None:
            Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def set_membership(*, organization: Organization, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def login_for_token(*, username: str, password: str, name: str = "api") -> tuple[ApiToken, str]:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    assert isinstance(user, User)
    return issue_token(user=user, name=name)


def issue_token(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:12], key_hash=hash_token(raw))
    return token, raw


def revoke_token(*, user: User, token_id: int) -> None:
    """Revokes one of the user's own tokens; revoking it twice is harmless, anyone else's token is 404."""
    own = ApiToken.objects.filter(user=user, id=token_id)
    if not own.exists():
        raise TokenNotFound()
    own.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    forget_cached_tokens()


#: Resolved tokens are remembered this long per process, so the API does not look the token up on every
#: request. A revocation in this process takes effect at once; in other processes within this many seconds.
TOKEN_CACHE_SECONDS = 2.0
_token_cache: dict[str, tuple[float, User]] = {}


def forget_cached_tokens() -> None:
    _token_cache.clear()


def user_for_token(raw: str) -> User:
    digest = hash_token(raw)
    cached = _token_cache.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return _copy(cached[1])
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        _token_cache.pop(digest, None)
        raise InvalidToken()
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, token.user)
    return _copy(token.user)


def _copy(user: User) -> User:
    """A copy per request: the cached instance is shared between threads and must stay untouched. Django's
    own copy of a model's fields and state (what pickling takes), without copy.copy's generic machinery."""
    clone = User.__new__(User)
    clone.__dict__.update(user.__getstate__())
    return clone
