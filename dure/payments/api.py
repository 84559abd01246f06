from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from dure.core.errors import InvalidInput
from dure.core.http import csv_response, operator_of, user_of
from dure.payments import selectors, services
from dure.payments.models import BankAccount, Payout, PayoutBatch
from dure.payments.schemas import (
    BankAccountIn,
    BankAccountOut,
    BatchOut,
    DepositIn,
    EntryOut,
    FailIn,
    PayoutIn,
    PayoutOut,
    SettlementIn,
    SettlementOut,
)
from dure.projects.selectors import project_access

router = Router(tags=["payments"])


def _month(month: str | None) -> str:
    from django.utils import timezone

    if month is None:
        return timezone.localdate().strftime("%Y-%m")
    try:
        year, number = (int(part) for part in month.split("-"))
        if not (2000 <= year <= 2999 and 1 <= number <= 12):
            raise ValueError
    except ValueError:
        raise InvalidInput(_("Give the month as YYYY-MM."), field="month") from None
    return f"{year:04d}-{number:02d}"


# --- a client's project budget ---------------------------------------------------------------------------


@router.get("/projects/{project_id}/budget")
def project_budget(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    return selectors.budget(project=access.project)


@router.post("/projects/{project_id}/budget/deposits", response={201: EntryOut})
def deposit(request: HttpRequest, project_id: int, body: DepositIn) -> Status:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    entry = services.deposit(
        project=access.project,
        amount=body.amount,
        actor=user_of(request),
        reference=body.reference,
        key=body.idempotency_key,
    )
    return Status(201, entry)


@router.get("/projects/{project_id}/price-advice")
def price_advice(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return selectors.price_advice(project=access.project)


@router.get("/projects/{project_id}/fair-pay")
def project_fair_pay(request: HttpRequest, project_id: int) -> dict[str, Any]:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    return selectors.fair_pay_report(project=access.project)


@router.get("/projects/{project_id}/statement", response={200: dict[str, Any]})
def statement(request: HttpRequest, project_id: int, month: str | None = None, format: str = "json") -> Any:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    result = selectors.statement(project=access.project, month=_month(month))
    if format == "csv":
        rows = [{"item": key, "value": value} for key, value in result.items() if key != "project"]
        return csv_response(rows, f"dure-statement-{project_id}-{result['month']}.csv")
    if format != "json":
        raise InvalidInput(_("Unknown format."), field="format", allowed=["json", "csv"])
    return result


# --- a person's earnings and payouts ----------------------------------------------------------------------


@router.get("/me/earnings")
def my_earnings(request: HttpRequest) -> dict[str, Any]:
    return selectors.earnings(user=user_of(request))


@router.get("/me/earnings/statement.csv")
def my_statement(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return csv_response(selectors.statement_lines(user=user), f"dure-earnings-{user.username}.csv")


@router.get("/me/bank-account", response={200: BankAccountOut, 204: None})
def my_bank_account(request: HttpRequest) -> Status:
    found = BankAccount.objects.filter(user=user_of(request)).first()
    return Status(200, found) if found else Status(204, None)


@router.put("/me/bank-account", response=BankAccountOut)
def set_bank_account(request: HttpRequest, body: BankAccountIn) -> Any:
    return services.set_bank_account(
        user=user_of(request), bank=body.bank, number=body.number, holder=body.holder
    )


@router.get("/me/payouts", response=list[PayoutOut])
def my_payouts(request: HttpRequest) -> Any:
    return list(Payout.objects.filter(user=user_of(request)).order_by("-requested_at")[:200])


@router.post("/me/payouts", response={201: PayoutOut})
def request_payout(request: HttpRequest, body: PayoutIn) -> Status:
    payout = services.request_payout(user=user_of(request), amount=body.amount, key=body.idempotency_key)
    return Status(201, payout)


# --- the platform operator ---------------------------------------------------------------------------------


def _batch_out(batch: PayoutBatch) -> dict[str, Any]:
    payouts = list(batch.payouts.order_by("id"))
    return {
        "id": batch.pk,
        "created_at": batch.created_at,
        "payouts": payouts,
        "total_net": sum(p.net for p in payouts),
    }


@router.post("/payout-batches", response={201: BatchOut, 204: None})
def create_batch(request: HttpRequest) -> Status:
    batch = services.create_payout_batch(actor=operator_of(request))
    return Status(201, _batch_out(batch)) if batch else Status(204, None)


@router.get("/payout-batches/{batch_id}", response=BatchOut)
def get_batch(request: HttpRequest, batch_id: int) -> Any:
    operator_of(request)

    return _batch_out(get_object_or_404(PayoutBatch, pk=batch_id))


@router.get("/payout-batches/{batch_id}/transfers.csv")
def batch_transfers(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The bank-transfer file: one row per payout, the net amount after withholding."""
    operator_of(request)

    batch = get_object_or_404(PayoutBatch, pk=batch_id)
    rows = selectors.transfer_rows(batch=batch)
    return csv_response(rows, f"dure-transfers-{batch.pk}.csv")


@router.post("/payouts/{payout_id}/paid", response=PayoutOut)
def payout_paid(request: HttpRequest, payout_id: int) -> Any:
    return services.mark_paid(payout_id=payout_id, actor=operator_of(request))


@router.post("/payouts/{payout_id}/failed", response=PayoutOut)
def payout_failed(request: HttpRequest, payout_id: int, body: FailIn) -> Any:
    return services.mark_failed(payout_id=payout_id, actor=operator_of(request), reason=body.reason)


@router.post("/settlements", response={201: SettlementOut})
def settle(request: HttpRequest, body: SettlementIn) -> Status:
    operator = operator_of(request)
    start, end = (body.start, body.end) if body.start and body.end else services.last_week()
    summary = services.settle_fair_pay(start=start, end=end, actor=operator)
    return Status(
        201,
        {
            "id": summary.settlement.pk,
            "start": start,
            "end": end,
            "people": summary.people,
            "topped_up": summary.topped_up,
            "top_up_total": summary.top_up_total,
        },
    )


@router.get("/fair-pay")
def platform_fair_pay(request: HttpRequest) -> dict[str, Any]:
    operator_of(request)
    return selectors.fair_pay_report()
