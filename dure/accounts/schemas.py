from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=512)
    name: str = Field(default="api", max_length=100)
    otp: str | None = Field(default=None, max_length=12, description="the authenticator code, when 2FA is on")


class TokenOut(Schema):
    id: int
    token: str
    prefix: str


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class SignupIn(Schema):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1, max_length=512)
    email: str = Field(default="", max_length=254)
    display_name: str = Field(default="", max_length=150)
    locale: str = Field(default="ko", pattern="^(ko|en)$")


class MembershipOut(Schema):
    organization_id: int
    organization: str
    role: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    locale: str
    memberships: list[MembershipOut]


class UserIn(Schema):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    email: str = Field(default="", max_length=254)
    name: str = Field(default="", max_length=150)
    password: str | None = Field(default=None, min_length=1, max_length=512)
    locale: str = Field(default="ko", pattern="^(ko|en)$")
    organization_id: int | None = Field(default=None, description="add the person to this organization")
    role: str = Field(default="worker", pattern="^(owner|manager|reviewer|worker|viewer)$")


class UserCreated(Schema):
    id: int
    username: str
    invitation_url: str | None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    is_active: bool


class OrganizationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(default="", max_length=80)
    owner_id: int | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str


class MemberIn(Schema):
    user_id: int
    role: str = Field(pattern="^(owner|manager|reviewer|worker|viewer)$")


class OrgMemberOut(Schema):
    user_id: int
    username: str
    role: str


class InvitationIn(Schema):
    email: str = Field(default="", max_length=254)
    role: str = Field(default="worker", pattern="^(owner|manager|reviewer|worker|viewer)$")
    days: int = Field(default=7, ge=1, le=90)


class InvitationOut(Schema):
    id: int
    url: str
    expires_at: datetime


class AcceptIn(Schema):
    username: str | None = Field(default=None, min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1, max_length=512)
    display_name: str = Field(default="", max_length=150)
    locale: str = Field(default="ko", pattern="^(ko|en)$")


class PasswordIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=512)


class MfaSetupOut(Schema):
    secret: str
    otpauth_url: str


class CodeIn(Schema):
    code: str = Field(min_length=1, max_length=12)
