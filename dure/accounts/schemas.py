from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=512)
    name: str = Field(default="api", max_length=100)


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
