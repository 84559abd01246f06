from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class DepositIn(Schema):
    amount: int = Field(gt=0, le=100_000_000_000, description="won")
    reference: str = Field(default="", max_length=200, description="e.g. the bank transfer or invoice number")
    idempotency_key: str | None = Field(default=None, max_length=64)


class EntryOut(Schema):
    id: int
    kind: str
    created_at: datetime
    memo: str


class BankAccountIn(Schema):
    bank: str = Field(min_length=1, max_length=60)
    number: str = Field(min_length=6, max_length=40)
    holder: str = Field(min_length=1, max_length=100)


class BankAccountOut(Schema):
    bank: str
    number: str
    holder: str


class PayoutIn(Schema):
    amount: int | None = Field(default=None, gt=0, description="won; the whole balance when absent")
    idempotency_key: str | None = Field(default=None, max_length=64)


class PayoutOut(Schema):
    id: int
    state: str
    gross: int
    income_tax: int
    local_tax: int
    net: int
    bank: str
    number: str
    holder: str
    batch_id: int | None
    requested_at: datetime
    settled_at: datetime | None
    failure_reason: str


class FailIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class BatchOut(Schema):
    id: int
    created_at: datetime
    payouts: list[PayoutOut]
    total_net: int


class SettlementIn(Schema):
    start: date | None = None
    end: date | None = None


class SettlementOut(Schema):
    id: int
    start: date
    end: date
    people: int
    topped_up: int
    top_up_total: int
