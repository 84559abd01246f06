"""Reads of money: balances, budgets, the price advisor, fair-pay reports and client statements."""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from dure.accounts.models import User
from dure.payments.models import (
    AccountKind,
    EntryKind,
    FairPayResult,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Payout,
    PayoutBatch,
)
from dure.payments.services import _local_midnight, account_key, fee_on, wage_floor
from dure.projects.models import Project

#: slot states whose pay is already promised: dispatch keeps budget aside for them
_IN_FLIGHT = ("leased", "submitted", "in_review", "review_2", "in_review_2", "rejected")


def balance(key: str) -> int:
    found = LedgerAccount.objects.filter(key=key).values_list("balance", flat=True).first()
    return found or 0


def unit_cost(project: Project) -> int:
    """What one more item costs the client at least: its pay, one review and the fee on both."""
    return (
        project.price_per_item
        + project.review_price
        + fee_on(project.price_per_item, project)
        + fee_on(project.review_price, project)
    )


def budget(*, project: Project) -> dict[str, Any]:
    from dure.work.models import Slot

    cost = unit_cost(project)
    available = balance(account_key(AccountKind.PROJECT_BUDGET, project_id=project.pk))
    in_flight = Slot.objects.filter(project=project, state__in=_IN_FLIGHT).count() if cost else 0

    def by_kind(key: str) -> dict[str, int]:
        return dict(
            JournalLine.objects.filter(account__key=key)
            .values_list("entry__kind")
            .annotate(total=Sum("amount"))
            .values_list("entry__kind", "total")
        )

    spent = by_kind(account_key(AccountKind.PROJECT_BUDGET, project_id=project.pk))
    fees = by_kind(account_key(AccountKind.PLATFORM_FEE, project_id=project.pk))
    committed = in_flight * cost
    return {
        "balance": available,
        "deposited": spent.get(EntryKind.DEPOSIT, 0),
        # pay to people, without the fee (which is shown on its own)
        "spent": {
            "items": -spent.get(EntryKind.APPROVAL, 0) - fees.get(EntryKind.APPROVAL, 0),
            "reviews": -spent.get(EntryKind.REVIEW, 0) - fees.get(EntryKind.REVIEW, 0),
            "top_ups": -spent.get(EntryKind.TOP_UP, 0),
        },
        "fees": sum(fees.values()),
        "unit_cost": cost,
        "committed": committed,
        "free": available - committed,
        "items_affordable": (available - committed) // cost if cost else None,
        "dispatch_paused": bool(cost) and available - committed < cost,
    }


#: project id → monotonic time until which the budget is known to have ample room (see can_afford_next)
_ample_until: dict[int, float] = {}
#: "ample" means room for this many more items beyond all work in flight
AMPLE_ITEMS = 1000
AMPLE_SECONDS = 5.0


def forget_ample() -> None:
    _ample_until.clear()


def can_afford_next(*, project: Project) -> bool:
    """Nobody works unpaid: a fresh item is handed out only if the budget covers it and all work in flight.

    Counting the slots in flight costs a query on every dispatch, so when the budget has room for many more
    items than can be dispatched in a few seconds, that answer is remembered for a few seconds.
    """
    cost = unit_cost(project)
    if not cost:
        return True
    if _ample_until.get(project.pk, 0.0) > time.monotonic():
        return True
    from dure.work.models import Slot

    # Locking the budget row makes concurrent dispatchers take turns here, so each one counts the leases the
    # others committed (PostgreSQL; SQLite's IMMEDIATE transactions are serialised already). Only reached
    # when the budget is not ample, so the common case takes no lock.
    available = (
        LedgerAccount.objects.select_for_update()
        .filter(key=account_key(AccountKind.PROJECT_BUDGET, project_id=project.pk))
        .values_list("balance", flat=True)
        .first()
    ) or 0
    in_flight = Slot.objects.filter(project=project, state__in=_IN_FLIGHT).count()
    free = available - in_flight * cost
    if free >= cost * AMPLE_ITEMS:
        _ample_until[project.pk] = time.monotonic() + AMPLE_SECONDS
    return free >= cost


def earnings(*, user: User, days: int = 30) -> dict[str, Any]:
    keys = {
        "items": account_key(AccountKind.WORKER_EARNINGS, user_id=user.pk),
        "reviews": account_key(AccountKind.REVIEWER_EARNINGS, user_id=user.pk),
        "pending": account_key(AccountKind.PAYOUTS_PENDING, user_id=user.pk),
    }
    balances = dict(LedgerAccount.objects.filter(key__in=keys.values()).values_list("key", "balance"))
    since = _local_midnight(timezone.localdate() - timedelta(days=days - 1))
    earned = (
        JournalLine.objects.filter(
            account__key__in=[keys["items"], keys["reviews"]],
            amount__gt=0,
            entry__created_at__gte=since,
            entry__kind__in=[EntryKind.APPROVAL, EntryKind.REVIEW, EntryKind.TOP_UP],
        )
        .annotate(day=TruncDate("entry__created_at", tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    per_day = {row["day"]: row["total"] for row in earned}
    series = []
    for offset in range(days):
        day = timezone.localdate() - timedelta(days=days - 1 - offset)
        series.append({"date": day.isoformat(), "amount": per_day.get(day, 0)})
    paid = Payout.objects.filter(user=user, state="paid").aggregate(net=Sum("net"), tax=Sum("income_tax"))
    available = balances.get(keys["items"], 0) + balances.get(keys["reviews"], 0)
    return {
        "available": available,
        "from_items": balances.get(keys["items"], 0),
        "from_reviews": balances.get(keys["reviews"], 0),
        "pending_payouts": balances.get(keys["pending"], 0),
        "paid_out": paid["net"] or 0,
        "payout_minimum": settings.DURE["PAYOUT_MINIMUM"],
        "daily": series,
    }


def statement_lines(*, user: User) -> list[dict[str, Any]]:
    """Every money movement on a person's accounts, oldest first: the downloadable earnings statement."""
    rows = (
        JournalLine.objects.filter(account__user=user)
        .select_related("entry", "entry__project", "account")
        .order_by("entry__created_at", "entry_id")
    )
    return [
        {
            "date": timezone.localtime(line.entry.created_at).strftime("%Y-%m-%d %H:%M"),
            "kind": line.entry.kind,
            "account": line.account.kind,
            "project": line.entry.project.name if line.entry.project else "",
            "amount": line.amount,
            "memo": line.entry.memo,
        }
        for line in rows.iterator(chunk_size=2000)
    ]


def _p75(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=4, method="inclusive")[2]


def _price_for(seconds: float, floor: int) -> int:
    # Up to the next 10 won: prices are quoted in round numbers, and rounding down would pay under the floor.
    return math.ceil(floor * seconds / 3600 / 10) * 10


def price_advice(*, project: Project) -> dict[str, Any]:
    """After the first items: the prices that pay the wage floor to 3 of 4 people at their measured speed."""
    from dure.work.models import Assignment, Review, Slot

    minimum = settings.DURE["PRICE_ADVICE_MIN_ITEMS"]
    floor = wage_floor(country=project.country, on=timezone.localdate())
    approved = Slot.objects.filter(project=project, state="approved").order_by("-id")[:2000]
    per_slot = (
        Assignment.objects.filter(slot__in=approved.values("id"))
        .filter(worker_id=F("slot__worker_id"))
        .values("slot_id")
        .annotate(s=Sum("active_seconds"))
    )
    item_seconds = [row["s"] for row in per_slot if row["s"]]
    review_seconds = list(
        Review.objects.filter(project=project, state="decided", active_seconds__gt=0)
        .order_by("-id")
        .values_list("active_seconds", flat=True)[:2000]
    )
    advice: dict[str, Any] = {
        "floor_hourly": floor,
        "sample_items": len(item_seconds),
        "sample_reviews": len(review_seconds),
        "minimum_sample": minimum,
        "item": None,
        "review": None,
        "warnings": [],
    }
    if len(item_seconds) >= minimum:
        p75 = _p75(item_seconds)
        suggested = _price_for(p75, floor)
        advice["item"] = {"p75_seconds": round(p75, 1), "suggested_price": suggested}
        if project.price_per_item < suggested:
            advice["warnings"].append(
                {"code": "price_below_fair_pay", "field": "price_per_item", "suggested": suggested}
            )
    if len(review_seconds) >= minimum:
        p75 = _p75(review_seconds)
        suggested = _price_for(p75, floor)
        advice["review"] = {"p75_seconds": round(p75, 1), "suggested_price": suggested}
        if project.review_price < suggested:
            advice["warnings"].append(
                {"code": "review_price_below_fair_pay", "field": "review_price", "suggested": suggested}
            )
    return advice


HISTOGRAM_EDGES = [0, 5_000, 7_500, 10_000, 12_500, 15_000, 20_000, 30_000]


def fair_pay_report(*, project: Project | None = None) -> dict[str, Any]:
    """Effective hourly pay per person and period (before top-ups), as a histogram and as the share of
    worker-hours paid at or above the floor — before and after the top-ups."""
    results = FairPayResult.objects.all()
    if project is not None:
        results = results.filter(project=project)
    rows = list(results.values("active_seconds", "earnings", "top_up", "floor_hourly"))
    hours = sum(r["active_seconds"] for r in rows) / 3600
    at_floor_before = (
        sum(
            r["active_seconds"]
            for r in rows
            if r["earnings"] * 3600 >= r["floor_hourly"] * r["active_seconds"] - 1e-6
        )
        / 3600
    )
    at_floor_after = (
        sum(
            r["active_seconds"]
            for r in rows
            if (r["earnings"] + r["top_up"]) * 3600 >= r["floor_hourly"] * r["active_seconds"] - 1e-6
        )
        / 3600
    )
    buckets = [0.0] * len(HISTOGRAM_EDGES)
    for r in rows:
        hourly = r["earnings"] * 3600 / r["active_seconds"] if r["active_seconds"] else 0
        index = max(i for i, edge in enumerate(HISTOGRAM_EDGES) if hourly >= edge)
        buckets[index] += r["active_seconds"] / 3600
    return {
        "people_periods": len(rows),
        "worker_hours": round(hours, 2),
        "share_at_floor_before_top_up": round(at_floor_before / hours, 4) if hours else None,
        "share_at_floor_after_top_up": round(at_floor_after / hours, 4) if hours else None,
        "top_ups": sum(r["top_up"] for r in rows),
        "histogram": [
            {
                "from": edge,
                "to": HISTOGRAM_EDGES[i + 1] if i + 1 < len(HISTOGRAM_EDGES) else None,
                "hours": round(buckets[i], 2),
            }
            for i, edge in enumerate(HISTOGRAM_EDGES)
        ],
        "floor_hourly": rows[0]["floor_hourly"] if rows else None,
    }


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    return _local_midnight(start), _local_midnight(end)


def statement(*, project: Project, month: str) -> dict[str, Any]:
    """What the client owes for one month: item pay, review pay, top-ups, the platform fee and 10% VAT."""
    since, until = month_bounds(month)
    entries = JournalEntry.objects.filter(project=project, created_at__gte=since, created_at__lt=until)
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "pay": 0, "fee": 0})
    for kind, data in (
        entries.filter(kind__in=[EntryKind.APPROVAL, EntryKind.REVIEW])
        .values_list("kind", "data")
        .iterator(chunk_size=5000)
    ):
        by_kind[kind]["count"] += 1
        by_kind[kind]["pay"] += int(data["price"])
        by_kind[kind]["fee"] += int(data["fee"])
    top_ups = entries.filter(kind=EntryKind.TOP_UP).aggregate(
        n=Count("id"),
        total=Sum("lines__amount", filter=Q(lines__account__kind=AccountKind.WORKER_EARNINGS)),
    )
    deposits = entries.filter(kind=EntryKind.DEPOSIT).aggregate(
        total=Sum("lines__amount", filter=Q(lines__account__kind=AccountKind.PROJECT_BUDGET))
    )
    items, reviews = by_kind[EntryKind.APPROVAL], by_kind[EntryKind.REVIEW]
    fee = items["fee"] + reviews["fee"]
    subtotal = items["pay"] + reviews["pay"] + (top_ups["total"] or 0) + fee
    vat = subtotal * settings.DURE["VAT_PERCENT"] // 100
    return {
        "project": {"id": project.pk, "name": project.name},
        "month": month,
        "items_approved": items["count"],
        "item_pay": items["pay"],
        "reviews": reviews["count"],
        "review_pay": reviews["pay"],
        "top_ups": top_ups["n"] or 0,
        "top_up_pay": top_ups["total"] or 0,
        "platform_fee": fee,
        "subtotal": subtotal,
        "vat": vat,
        "total": subtotal + vat,
        "deposited": deposits["total"] or 0,
    }


def transfer_rows(*, batch: PayoutBatch) -> list[dict[str, Any]]:
    """The bank-transfer file of a batch: one row per payout, the net amount after withholding."""
    return [
        {
            "payout_id": p.pk,
            "bank": p.bank,
            "account_number": p.number,
            "account_holder": p.holder,
            "amount": p.net,
            "memo": f"DURE {p.pk}",
        }
        for p in batch.payouts.order_by("id")
    ]
