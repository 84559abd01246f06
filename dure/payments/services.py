"""Writes to the ledger. Every function posts balanced entries inside the caller's transaction (or its own).

Money rules, in one place:
- an approval credits the worker the item price once per slot, whatever the number of rework rounds
  (idempotency key ``approval:<slot>``), and charges the project budget the price plus the platform fee;
- every review decision credits the reviewer the review price (``review:<review>``), plus the fee;
- a fair-pay top-up lifts a person's pay on a project in a period to the wage floor, charged to the budget;
- a payout moves a balance to "payouts pending" minus 3% income tax and 0.3% local income tax;
  a failed payout is reversed, so the money returns to the balance and the tax is un-withheld.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Sum
from django.utils import timezone

from dure.accounts.models import User
from dure.core.errors import InvalidInput
from dure.core.fastsql import insert_many
from dure.payments.errors import (
    BankAccountMissing,
    BelowPayoutMinimum,
    InsufficientBalance,
    PayoutNotFound,
    PayoutSettled,
    UnbalancedEntry,
)
from dure.payments.models import (
    AccountKind,
    BankAccount,
    EntryKind,
    FairPayResult,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Payout,
    PayoutBatch,
    PayoutState,
    Settlement,
    WageFloor,
)
from dure.projects.models import Project

Line = tuple[LedgerAccount, int]


def _conf(name: str) -> Any:
    return settings.DURE[name]


# --- accounts ------------------------------------------------------------------------------------------


PERSONAL_ACCOUNTS = {AccountKind.WORKER_EARNINGS, AccountKind.REVIEWER_EARNINGS, AccountKind.PAYOUTS_PENDING}


def account_key(
    kind: AccountKind,
    *,
    project_id: int | None = None,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> str:
    """The unique name of an account: ``project_budget:p7``, ``worker_earnings:u42``, ``client_funds:o3``, or
    the kind alone for the platform-wide ones (taxes, money paid out). Readers look balances up by it."""
    if kind in {AccountKind.PROJECT_BUDGET, AccountKind.PLATFORM_FEE}:
        assert project_id is not None
        return f"{kind}:p{project_id}"
    if kind in PERSONAL_ACCOUNTS:
        assert user_id is not None
        return f"{kind}:u{user_id}"
    if kind == AccountKind.CLIENT_FUNDS:
        assert organization_id is not None
        return f"{kind}:o{organization_id}"
    return str(kind)


def account(
    kind: AccountKind,
    *,
    project: Project | None = None,
    user: User | None = None,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> LedgerAccount:
    """The one account of ``kind`` for a project, a person, an organisation or the platform; made on first use."""
    if kind in {AccountKind.PROJECT_BUDGET, AccountKind.PLATFORM_FEE}:
        assert project is not None
        fields: dict[str, Any] = {"project": project, "organization_id": project.organization_id}
        key = account_key(kind, project_id=project.pk)
    elif kind in PERSONAL_ACCOUNTS:
        user_id = user.pk if user is not None else user_id
        fields, key = {"user_id": user_id}, account_key(kind, user_id=user_id)
    elif kind == AccountKind.CLIENT_FUNDS:
        fields, key = {"organization_id": organization_id}, account_key(kind, organization_id=organization_id)
    else:
        fields, key = {}, account_key(kind)
    cached = _account_ids.get(key)
    if cached is not None:
        # Only committed accounts are remembered (below), and accounts are never deleted.
        return LedgerAccount(pk=cached, kind=kind, key=key, **fields)
    found = LedgerAccount.objects.filter(key=key).first()
    if found is None:
        try:
            with transaction.atomic():
                found = LedgerAccount.objects.create(kind=kind, key=key, **fields)
        except IntegrityError:  # made by a concurrent first use
            found = LedgerAccount.objects.get(key=key)
    pk = found.pk
    transaction.on_commit(lambda: _account_ids.setdefault(key, pk))
    return found


#: account key → id, filled after commit: the hot path (an approval) then needs no account lookups
_account_ids: dict[str, int] = {}


def forget_accounts() -> None:
    _account_ids.clear()


def _field(name: str) -> Field[Any, Any]:
    field = JournalEntry._meta.get_field(name)
    assert isinstance(field, Field)
    return field


@dataclass(frozen=True)
class NewEntry:
    """One balanced journal entry to post; ``key`` makes it idempotent."""

    kind: EntryKind
    key: str
    lines: Iterable[Line]
    project: Project | None = None
    user: User | None = None
    user_id: int | None = None
    actor: User | None = None
    memo: str = ""
    data: dict[str, Any] | None = None
    at: datetime | None = None
    reverses: JournalEntry | None = None


def post_entry(
    *,
    kind: EntryKind,
    key: str,
    lines: Iterable[Line],
    project: Project | None = None,
    user: User | None = None,
    user_id: int | None = None,
    actor: User | None = None,
    memo: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    reverses: JournalEntry | None = None,
) -> tuple[JournalEntry | None, bool]:
    """Posts one balanced entry once. Returns ``(entry, created)``; a repeated ``key`` returns the first entry.

    Lines with a zero amount are dropped; an entry with no money in it is not written (``(None, False)``).
    """
    return post_entries(
        [NewEntry(kind, key, lines, project, user, user_id, actor, memo, data, at, reverses)]
    )[0]


_ENTRY_COLUMNS = (
    "kind", "idempotency_key", "project_id", "user_id", "actor_id", "reverses_id", "memo", "data", "created_at"
)  # fmt: skip


def post_entries(entries: list[NewEntry]) -> list[tuple[JournalEntry | None, bool]]:
    """Posts several balanced entries once each, in three statements whatever their number (the entries,
    their lines, the balances): a decision pays the reviewer and the worker together. Returns
    ``(entry, created)`` per entry, as ``post_entry`` does."""
    results: list[tuple[JournalEntry | None, bool]] = [(None, False)] * len(entries)
    pending: list[tuple[int, dict[str, Any], dict[int, int]]] = []  # (index, values, merged lines)
    for index, new in enumerate(entries):
        merged: dict[int, int] = defaultdict(int)
        for ledger_account, amount in new.lines:
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise UnbalancedEntry(f"amounts are integers of won, not {type(amount).__name__}")
            merged[ledger_account.pk] += amount
        if sum(merged.values()) != 0:
            raise UnbalancedEntry(f"{new.kind} {new.key}: lines sum to {sum(merged.values())}")
        merged = {pk: amount for pk, amount in merged.items() if amount}
        if not merged:
            continue
        values = {
            "kind": str(new.kind),
            "idempotency_key": new.key,
            "project_id": new.project.pk if new.project is not None else None,
            "user_id": new.user.pk if new.user is not None else new.user_id,
            "actor_id": new.actor.pk if new.actor is not None else None,
            "reverses_id": new.reverses.pk if new.reverses is not None else None,
            "memo": new.memo[:300],
            "data": new.data or {},
            "created_at": new.at or timezone.now(),
        }
        pending.append((index, values, merged))
    if not pending:
        return results
    if len({values["idempotency_key"] for _i, values, _m in pending}) != len(pending):
        raise UnbalancedEntry("one key twice in one batch")
    # One statement claims the idempotency keys: a retry or a concurrent twin inserts nothing and gets the
    # first entry back; no savepoint is needed, so a conflict never aborts the caller's transaction.
    table = connection.ops.quote_name(JournalEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _ENTRY_COLUMNS)  # attnames = columns
    row_sql = "(" + ", ".join(["%s"] * len(_ENTRY_COLUMNS)) + ")"
    params = [
        _field(name).get_db_prep_save(values[name], connection)
        for _i, values, _m in pending
        for name in _ENTRY_COLUMNS
    ]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(pending))} "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
            params,
        )
        created = {key: pk for pk, key in cursor.fetchall()}
        lines: list[tuple[int, int, int]] = []
        deltas: dict[int, int] = defaultdict(int)
        for index, values, merged in pending:
            pk = created.get(values["idempotency_key"])
            if pk is None:
                results[index] = (JournalEntry.objects.get(idempotency_key=values["idempotency_key"]), False)
                continue
            entry = JournalEntry(id=pk, **values)
            entry._state.adding = False
            results[index] = (entry, True)
            lines.extend((pk, account_id, amount) for account_id, amount in merged.items())
            for account_id, amount in merged.items():
                deltas[account_id] += amount
        insert_many(JournalLine, ("entry_id", "account_id", "amount"), lines)
        _add_to_balances(cursor, {pk: amount for pk, amount in deltas.items() if amount})
    return results


def _add_to_balances(cursor: Any, deltas: dict[int, int]) -> None:
    """One statement for all the accounts of a batch (they are few)."""
    if not deltas:
        return
    accounts_table = connection.ops.quote_name(LedgerAccount._meta.db_table)
    ordered = sorted(deltas)
    cases = " ".join("WHEN %s THEN %s" for _ in ordered)
    listed = ", ".join(["%s"] * len(ordered))
    if connection.vendor == "postgresql":
        # An UPDATE locks rows in the order it finds them, which follows their place on disk, not their
        # ids: two decisions paying into the same budget and fee accounts could lock them in opposite
        # orders and deadlock. Lock them in id order first (SQLite serialises writers; no row locks).
        sql = (
            f"WITH locked AS MATERIALIZED (SELECT id FROM {accounts_table} WHERE id IN ({listed}) "
            f"ORDER BY id FOR UPDATE) UPDATE {accounts_table} SET balance = balance + CASE {accounts_table}.id "
            f"{cases} END FROM locked WHERE {accounts_table}.id = locked.id"
        )
        params = ordered + [value for pk in ordered for value in (pk, deltas[pk])]
    else:
        sql = f"UPDATE {accounts_table} SET balance = balance + CASE id {cases} END WHERE id IN ({listed})"
        params = [value for pk in ordered for value in (pk, deltas[pk])] + ordered
    cursor.execute(sql, params)


def reverse_entry(*, entry: JournalEntry, actor: User | None, memo: str = "") -> JournalEntry:
    lines = [(line.account, -line.amount) for line in entry.lines.select_related("account")]
    reversal, _created = post_entry(
        kind=EntryKind.REVERSAL,
        key=f"reversal:{entry.pk}",
        lines=lines,
        project=entry.project,
        user=entry.user,
        actor=actor,
        memo=memo,
        reverses=entry,
    )
    assert reversal is not None
    return reversal


def fee_on(amount: int, project: Project) -> int:
    return amount * project.platform_fee_bps // 10_000


# --- the work loop calls these inside its own transaction ----------------------------------------------


def _work_entry(
    *,
    kind: EntryKind,
    key: str,
    earnings: AccountKind,
    payee_id: int,
    price: int,
    project: Project,
    reviewer: User,
    at: datetime,
    data: dict[str, Any],
) -> NewEntry | None:
    """Pay for one piece of work from the project's budget: ``price`` to the person, the fee to the platform."""
    if not price:
        return None
    fee = fee_on(price, project)
    return NewEntry(
        kind=kind,
        key=key,
        lines=[
            (account(AccountKind.PROJECT_BUDGET, project=project), -(price + fee)),
            (account(earnings, user_id=payee_id), price),
            (account(AccountKind.PLATFORM_FEE, project=project), fee),
        ],
        project=project,
        user_id=payee_id,
        actor=reviewer,
        data={**data, "price": price, "fee": fee},
        at=at,
    )


def record_decision_pay(
    *, project: Project, review_id: int, slot_id: int, reviewer: User, worker_id: int | None, at: datetime
) -> None:
    """A decision pays its reviewer and, for a final approval (``worker_id`` given), the worker: both entries
    in one batch. The keys ``review:<review>`` and ``approval:<slot>`` make each count once."""
    entries = [
        _work_entry(
            kind=EntryKind.REVIEW,
            key=f"review:{review_id}",
            earnings=AccountKind.REVIEWER_EARNINGS,
            payee_id=reviewer.pk,
            price=project.review_price,
            project=project,
            reviewer=reviewer,
            at=at,
            data={"review": review_id, "slot": slot_id},
        )
    ]
    if worker_id is not None:
        entries.append(
            _work_entry(
                kind=EntryKind.APPROVAL,
                key=f"approval:{slot_id}",
                earnings=AccountKind.WORKER_EARNINGS,
                payee_id=worker_id,
                price=project.price_per_item,
                project=project,
                reviewer=reviewer,
                at=at,
                data={"slot": slot_id},
            )
        )
    post_entries([entry for entry in entries if entry is not None])


# --- budgets -------------------------------------------------------------------------------------------


def deposit(
    *, project: Project, amount: int, actor: User, reference: str = "", key: str | None = None
) -> JournalEntry:
    """The client pays money into a project's budget (escrow). ``key`` makes a retried deposit count once."""
    if amount <= 0:
        raise InvalidInput(amount=amount)
    entry, _created = post_entry(
        kind=EntryKind.DEPOSIT,
        key=f"deposit:{project.pk}:{key or uuid.uuid4().hex}",
        lines=[
            (account(AccountKind.CLIENT_FUNDS, organization_id=project.organization_id), -amount),
            (account(AccountKind.PROJECT_BUDGET, project=project), amount),
        ],
        project=project,
        actor=actor,
        memo=reference,
        data={"reference": reference},
    )
    assert entry is not None
    return entry


# --- fair pay ------------------------------------------------------------------------------------------


def wage_floor(*, country: str, on: date) -> int:
    floor = WageFloor.objects.filter(country=country, year__lte=on.year).order_by("-year").first()
    return floor.hourly if floor else 0


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


@dataclass(frozen=True)
class SettlementSummary:
    settlement: Settlement
    people: int
    topped_up: int
    top_up_total: int


def settle_fair_pay(*, start: date, end: date, actor: User | None = None) -> SettlementSummary:
    """Tops every person up to the wage floor on each project for work approved or reviewed in [start, end).

    The time that counts is the server-measured active time of the work that was paid in the period: every
    round the worker spent on a slot approved in the period (rework included), and every review decided.
    Work that was finally taken away from the worker is not guaranteed (it was not accepted).
    Settling the same period again changes nothing.
    """
    from dure.work.models import Assignment, Review  # the work app calls into payments; avoid a cycle

    if end <= start:
        raise InvalidInput(start=start.isoformat(), end=end.isoformat())
    since, until = _local_midnight(start), _local_midnight(end)
    with transaction.atomic():
        settlement, _created = Settlement.objects.get_or_create(
            start=start, end=end, defaults={"created_by": actor}
        )
        earnings: dict[tuple[int, int], int] = defaultdict(int)
        seconds: dict[tuple[int, int], float] = defaultdict(float)
        approved_slots: dict[tuple[int, int], list[int]] = defaultdict(list)
        entries = JournalEntry.objects.filter(
            kind__in=[EntryKind.APPROVAL, EntryKind.REVIEW], created_at__gte=since, created_at__lt=until
        ).values_list("kind", "project_id", "user_id", "data")
        for kind, project_id, user_id, data in entries.iterator(chunk_size=5000):
            earnings[(project_id, user_id)] += int(data["price"])
            if kind == EntryKind.APPROVAL:
                approved_slots[(project_id, user_id)].append(int(data["slot"]))
        for (project_id, user_id), slots in approved_slots.items():
            for start_index in range(0, len(slots), 5000):
                total = Assignment.objects.filter(
                    worker_id=user_id, slot_id__in=slots[start_index : start_index + 5000]
                ).aggregate(s=Sum("active_seconds"))["s"]
                seconds[(project_id, user_id)] += total or 0.0
        reviews = (
            Review.objects.filter(decided_at__gte=since, decided_at__lt=until)
            .values("project_id", "reviewer_id")
            .annotate(s=Sum("active_seconds"))
        )
        for row in reviews:
            key = (row["project_id"], row["reviewer_id"])
            seconds[key] += row["s"] or 0.0
            earnings.setdefault(key, 0)
        projects = Project.objects.in_bulk({project_id for project_id, _user in seconds})
        users = User.objects.in_bulk({user_id for _project, user_id in seconds})
        topped_up = top_up_total = 0
        for (project_id, user_id), active in sorted(seconds.items()):
            if active <= 0:
                continue
            project, person = projects[project_id], users[user_id]
            floor = wage_floor(country=project.country, on=start)
            paid = earnings[(project_id, user_id)]
            # Round the guarantee up to the won: the floor is a minimum, never a little under it.
            owed = math.ceil(floor * active / 3600 - 1e-9)
            top_up = max(0, owed - paid)
            entry = None
            if top_up:
                entry, _created = post_entry(
                    kind=EntryKind.TOP_UP,
                    key=f"top_up:{project_id}:{user_id}:{start.isoformat()}:{end.isoformat()}",
                    lines=[
                        (account(AccountKind.PROJECT_BUDGET, project=project), -top_up),
                        (account(AccountKind.WORKER_EARNINGS, user=person), top_up),
                    ],
                    project=project,
                    user=person,
                    actor=actor,
                    data={
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "active_seconds": round(active, 1),
                    },
                )
                topped_up += 1
                top_up_total += top_up
            FairPayResult.objects.update_or_create(
                settlement=settlement,
                project=project,
                user=person,
                defaults={
                    "active_seconds": active,
                    "earnings": paid,
                    "floor_hourly": floor,
                    "top_up": top_up,
                    "entry": entry,
                },
            )
    return SettlementSummary(settlement, len(seconds), topped_up, top_up_total)


def last_week() -> tuple[date, date]:
    """The last complete Monday-to-Sunday week in local time: the default settlement period."""
    today = timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday


# --- payouts -------------------------------------------------------------------------------------------


def withholding(gross: int) -> tuple[int, int]:
    """3% income tax and 0.3% local income tax (10% of the income tax), each cut down to 10 won as the
    tax office does (원 단위 절사)."""
    income_tax = gross * 3 // 100 // 10 * 10
    local_tax = income_tax // 10 // 10 * 10
    return income_tax, local_tax


def set_bank_account(*, user: User, bank: str, number: str, holder: str) -> BankAccount:
    bank, number, holder = bank.strip(), number.strip(), holder.strip()
    digits = number.replace("-", "").replace(" ", "")
    if not bank or not holder or not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise InvalidInput(fields=["bank", "number", "holder"])
    found, _created = BankAccount.objects.update_or_create(
        user=user, defaults={"bank": bank, "number": number, "holder": holder}
    )
    return found


def request_payout(*, user: User, amount: int | None = None, key: str | None = None) -> Payout:
    """Moves ``amount`` (default: the whole balance) of a person's earnings towards their bank account."""
    bank = BankAccount.objects.filter(user=user).first()
    if bank is None:
        raise BankAccountMissing()
    minimum = _conf("PAYOUT_MINIMUM")
    with transaction.atomic():
        earned = [
            account(AccountKind.WORKER_EARNINGS, user=user),
            account(AccountKind.REVIEWER_EARNINGS, user=user),
        ]
        # Locking the person's own accounts serialises their payout requests (a double click pays once).
        locked = list(
            LedgerAccount.objects.select_for_update().filter(pk__in=[a.pk for a in earned]).order_by("pk")
        )
        entry_key = f"payout:{user.pk}:{key or uuid.uuid4().hex}"
        # A repeated request (double click, retry) returns the payout it already made.
        done = Payout.objects.filter(entry__idempotency_key=entry_key).first()
        if done is not None:
            return done
        available = sum(a.balance for a in locked)
        gross = available if amount is None else amount
        if gross < minimum:
            raise BelowPayoutMinimum(minimum=minimum, amount=gross, available=available)
        if gross > available:
            raise InsufficientBalance(available=available, amount=gross)
        income_tax, local_tax = withholding(gross)
        net = gross - income_tax - local_tax
        # Take from item earnings first, then from review earnings.
        lines: list[Line] = []
        remaining = gross
        for ledger_account in sorted(locked, key=lambda a: a.kind != AccountKind.WORKER_EARNINGS):
            take = min(remaining, ledger_account.balance)
            if take > 0:
                lines.append((ledger_account, -take))
                remaining -= take
        lines += [
            (account(AccountKind.INCOME_TAX), income_tax),
            (account(AccountKind.LOCAL_TAX), local_tax),
            (account(AccountKind.PAYOUTS_PENDING, user=user), net),
        ]
        now = timezone.now()
        entry, created = post_entry(
            kind=EntryKind.PAYOUT,
            key=entry_key,
            lines=lines,
            user=user,
            actor=user,
            data={"gross": gross, "income_tax": income_tax, "local_tax": local_tax, "net": net},
            at=now,
        )
        assert entry is not None
        if not created:
            return Payout.objects.get(entry=entry)
        return Payout.objects.create(
            user=user,
            gross=gross,
            income_tax=income_tax,
            local_tax=local_tax,
            net=net,
            bank=bank.bank,
            number=bank.number,
            holder=bank.holder,
            entry=entry,
            requested_at=now,
        )


def create_payout_batch(*, actor: User) -> PayoutBatch | None:
    """Gathers every requested payout into one bank-transfer batch (None when there is nothing to pay)."""
    with transaction.atomic():
        waiting = list(
            Payout.objects.select_for_update().filter(state=PayoutState.REQUESTED).order_by("requested_at")
        )
        if not waiting:
            return None
        batch = PayoutBatch.objects.create(created_by=actor)
        Payout.objects.filter(pk__in=[p.pk for p in waiting]).update(batch=batch, state=PayoutState.BATCHED)
    return batch


def _settle(payout_id: int) -> Payout:
    payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if payout is None:
        raise PayoutNotFound()
    if payout.state in {PayoutState.PAID, PayoutState.FAILED}:
        raise PayoutSettled(state=payout.state)
    return payout


def mark_paid(*, payout_id: int, actor: User) -> Payout:
    with transaction.atomic():
        payout = _settle(payout_id)
        now = timezone.now()
        post_entry(
            kind=EntryKind.PAYOUT_PAID,
            key=f"payout_paid:{payout.pk}",
            lines=[
                (account(AccountKind.PAYOUTS_PENDING, user=payout.user), -payout.net),
                (account(AccountKind.PAID_OUT), payout.net),
            ],
            user=payout.user,
            actor=actor,
            data={"payout": payout.pk},
            at=now,
        )
        payout.state, payout.settled_at = PayoutState.PAID, now
        payout.save(update_fields=["state", "settled_at"])
    return payout


def mark_failed(*, payout_id: int, actor: User, reason: str) -> Payout:
    """The bank refused the transfer: the money and the withheld tax go back to the person's balance."""
    with transaction.atomic():
        payout = _settle(payout_id)
        reverse_entry(entry=payout.entry, actor=actor, memo=reason)
        payout.state, payout.settled_at, payout.failure_reason = (
            PayoutState.FAILED,
            timezone.now(),
            reason[:300],
        )
        payout.save(update_fields=["state", "settled_at", "failure_reason"])
    return payout
