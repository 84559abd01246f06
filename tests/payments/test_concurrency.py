"""Money under contention, with real commits and one connection per thread (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from dure.accounts.models import Role
from dure.accounts.services import create_organization, create_user, set_membership
from dure.payments import selectors, services
from dure.payments.errors import BelowPayoutMinimum, BudgetExhausted, InsufficientBalance
from dure.payments.models import AccountKind, EntryKind, JournalEntry, Payout
from dure.projects.models import ProjectRole, ProjectStatus
from dure.projects.services import create_project, set_project_member
from dure.work.models import Slot, SlotState
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

from ..conftest import CHOICE_SPEC
from .test_ledger import assert_ledger_balances

pytestmark = pytest.mark.django_db(transaction=True)


def _run_all(fn, args):
    barrier = threading.Barrier(len(args))

    def wrapped(arg):
        try:
            barrier.wait()
            return fn(arg)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(wrapped, args))


def _crowd(workers: int, reviewers: int, items: int, budget: int):
    org = create_organization(name="Paid crowd")
    manager = create_user(username="boss", password=None)
    set_membership(organization=org, user=manager, role=Role.MANAGER)
    project = create_project(
        organization=org, actor=manager, name="Paid", spec=CHOICE_SPEC, price_per_item=100, review_price=10
    )
    project.status = ProjectStatus.OPEN
    project.save()
    services.deposit(project=project, amount=budget, actor=manager)
    people = []
    for i in range(workers):
        user = create_user(username=f"w{i}", password=None)
        set_project_member(project=project, user=user, role=ProjectRole.WORKER)
        people.append(user)
    checkers = []
    for i in range(reviewers):
        user = create_user(username=f"r{i}", password=None)
        set_project_member(project=project, user=user, role=ProjectRole.REVIEWER)
        checkers.append(user)
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(items)])
    return project, manager, people, checkers


def test_many_people_working_and_reviewing_at_once_pay_exactly_once():
    project, _manager, workers, reviewers = _crowd(workers=8, reviewers=4, items=40, budget=1_000_000)

    def work(worker):
        done = 0
        while True:
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is None:
                return done
            submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
            done += 1

    def review(reviewer):
        decided = 0
        idle = 0
        while idle < 30:
            leased = lease_next_review(reviewer=reviewer, project=project)
            if leased is None:
                idle += 1
                threading.Event().wait(0.02)
                continue
            idle = 0
            decide(reviewer=reviewer, review_id=leased.pk, decision="approve")
            decided += 1
        return decided

    results = _run_all(lambda who: work(who) if who in workers else review(who), [*workers, *reviewers])
    approved = Slot.objects.filter(project=project, state=SlotState.APPROVED).count()
    assert approved == 40 == sum(results[len(workers) :])
    assert JournalEntry.objects.filter(kind=EntryKind.APPROVAL).count() == 40
    budget = selectors.budget(project=project)
    assert budget["spent"] == {"items": 4_000, "reviews": 400, "top_ups": 0}
    assert budget["balance"] == 1_000_000 - 4_400 - 440
    assert_ledger_balances()


def test_a_tight_budget_is_never_overspent_by_concurrent_dispatch():
    # Room for exactly 5 items (121 won each: item, review, 10% fee); 16 workers ask at once.
    project, _manager, workers, _reviewers = _crowd(workers=16, reviewers=0, items=40, budget=5 * 121)

    def ask(worker):
        try:
            return lease_next_item(worker=worker, project=project) is not None
        except BudgetExhausted:
            return False

    assert sum(_run_all(ask, workers)) <= 5
    assert Slot.objects.filter(project=project, state=SlotState.LEASED).count() <= 5


def test_concurrent_payout_requests_never_overdraw(settings):
    settings.DURE = {**settings.DURE, "PAYOUT_MINIMUM": 1_000}
    project, _manager, workers, reviewers = _crowd(workers=1, reviewers=1, items=30, budget=1_000_000)
    worker, reviewer = workers[0], reviewers[0]
    for _ in range(30):
        assignment = lease_next_item(worker=worker, project=project)
        submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
        decide(
            reviewer=reviewer,
            review_id=lease_next_review(reviewer=reviewer, project=project).pk,
            decision="approve",
        )
    services.set_bank_account(user=worker, bank="우리은행", number="1002-123-456789", holder="w0")

    def request(_n):
        try:
            return services.request_payout(user=worker, amount=1_000).gross
        except (InsufficientBalance, BelowPayoutMinimum):
            return 0

    paid = _run_all(request, list(range(8)))
    assert sum(paid) == Payout.objects.filter(user=worker).count() * 1_000
    assert sum(paid) == 3_000  # three requests of 1,000 fit the balance, the other five are refused
    assert selectors.earnings(user=worker)["available"] == 0
    assert_ledger_balances()


def test_entries_on_shared_accounts_never_deadlock():
    """Every decision pays into the same project budget and fee accounts. PostgreSQL's UPDATE locks rows in
    the order it finds them on disk, which changes as balances are rewritten; the ledger locks them in id
    order, so concurrent entries wait for each other instead of deadlocking (SQLite serialises writers)."""
    project, _manager, workers, _reviewers = _crowd(workers=8, reviewers=0, items=0, budget=1_000_000)
    budget = services.account(AccountKind.PROJECT_BUDGET, project=project)
    fee = services.account(AccountKind.PLATFORM_FEE, project=project)

    def pay(worker):
        own = services.account(AccountKind.WORKER_EARNINGS, user=worker)
        for n in range(40):
            # Half the entries list the fee first: the order of lines must not matter either.
            lines = [(budget, -110), (own, 100), (fee, 10)]
            with transaction.atomic():
                services.post_entry(
                    kind=EntryKind.APPROVAL,
                    key=f"test:{worker.pk}:{n}",
                    lines=lines if n % 2 else lines[::-1],
                    project=project,
                )
        return 40

    assert sum(_run_all(pay, workers)) == 320
    assert selectors.budget(project=project)["balance"] == 1_000_000 - 320 * 110
    assert_ledger_balances()
