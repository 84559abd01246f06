"""The ledger: every approval paid once, budgets that stop dispatch, fair-pay top-ups, payouts, statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dure.payments import selectors, services
from dure.payments.errors import BankAccountMissing, BelowPayoutMinimum, BudgetExhausted, InsufficientBalance
from dure.payments.models import (
    AccountKind,
    EntryKind,
    FairPayResult,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)
from dure.work.models import Assignment, Review
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

PRICE, REVIEW_PRICE = 100, 10
UNIT = 121  # item + review + 10% fee on both


def assert_ledger_balances() -> None:
    """Money is never created or lost: entries sum to zero, balances are the sums of their lines."""
    for entry_id, total in JournalLine.objects.values_list("entry_id").annotate(t=Sum("amount")):
        assert total == 0, f"entry {entry_id} is unbalanced"
    sums = dict(JournalLine.objects.values_list("account_id").annotate(t=Sum("amount")))
    for account in LedgerAccount.objects.all():
        assert account.balance == sums.get(account.pk, 0), account.key
    assert sum(LedgerAccount.objects.values_list("balance", flat=True)) == 0


def earnings_of(user) -> int:
    return selectors.earnings(user=user)["available"]


@pytest.fixture
def paid_project(make_project, people):
    project = make_project(price_per_item=PRICE, review_price=REVIEW_PRICE)
    services.deposit(project=project, amount=1_000_000, actor=people["manager"], reference="INV-1")
    return project


def work_once(project, worker, reviewer, decision="approve", label="pos"):
    assignment = lease_next_item(worker=worker, project=project)
    assert assignment is not None
    submit(worker=worker, assignment_id=assignment.pk, answer={"label": label})
    review = lease_next_review(reviewer=reviewer, project=project)
    assert review is not None
    return decide(reviewer=reviewer, review_id=review.pk, decision=decision, reasons=["wrong"])


def test_approval_pays_the_worker_once_whatever_the_rework_rounds(paid_project, people):
    add_items(project=paid_project, records=[{"text": "a"}])
    worker, reviewer = people["worker"], people["reviewer"]
    work_once(paid_project, worker, reviewer, decision="reject")
    work_once(paid_project, worker, reviewer, decision="reject")
    work_once(paid_project, worker, reviewer, decision="approve")

    assert earnings_of(worker) == PRICE
    assert earnings_of(reviewer) == 3 * REVIEW_PRICE, "every decision is paid, rejections included"
    budget = selectors.budget(project=paid_project)
    assert budget["spent"] == {"items": 100, "reviews": 30, "top_ups": 0}
    assert budget["fees"] == 10 + 3
    assert budget["balance"] == 1_000_000 - 110 - 33
    assert JournalEntry.objects.filter(kind=EntryKind.APPROVAL).count() == 1
    assert_ledger_balances()


def test_posting_the_same_event_twice_pays_once(paid_project, people):
    add_items(project=paid_project, records=[{"text": "a"}])
    work_once(paid_project, people["worker"], people["reviewer"])
    slot_id = JournalEntry.objects.get(kind=EntryKind.APPROVAL).data["slot"]
    review_id = JournalEntry.objects.get(kind=EntryKind.REVIEW).data["review"]
    entries = JournalEntry.objects.count()
    # A retried job or a replayed request: same idempotency keys, nothing new.
    services.record_decision_pay(
        project=paid_project,
        review_id=review_id,
        slot_id=slot_id,
        worker_id=people["worker"].pk,
        reviewer=people["reviewer"],
        at=timezone.now(),
    )
    assert JournalEntry.objects.count() == entries
    assert earnings_of(people["worker"]) == PRICE
    assert_ledger_balances()


def test_an_unbalanced_entry_is_refused(paid_project, people):
    budget = services.account(AccountKind.PROJECT_BUDGET, project=paid_project)
    earnings = services.account(AccountKind.WORKER_EARNINGS, user=people["worker"])
    with pytest.raises(services.UnbalancedEntry):
        services.post_entry(kind=EntryKind.APPROVAL, key="x", lines=[(budget, -5), (earnings, 4)])
    with pytest.raises(services.UnbalancedEntry):
        services.post_entry(kind=EntryKind.APPROVAL, key="y", lines=[(budget, -0.5), (earnings, 0.5)])
    assert not JournalEntry.objects.filter(idempotency_key__in=["x", "y"]).exists()


def test_dispatch_stops_when_the_budget_cannot_pay_and_resumes_after_a_deposit(make_project, people):
    project = make_project(price_per_item=PRICE, review_price=REVIEW_PRICE)
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(5)])
    with pytest.raises(BudgetExhausted):
        lease_next_item(worker=people["worker"], project=project)

    services.deposit(project=project, amount=2 * UNIT + 50, actor=people["manager"])
    assert lease_next_item(worker=people["worker"], project=project) is not None
    assert lease_next_item(worker=people["worker2"], project=project) is not None
    with pytest.raises(BudgetExhausted):  # two items in flight use the whole budget
        lease_next_item(worker=people["worker2"], project=project)
    budget = selectors.budget(project=project)
    assert budget["dispatch_paused"] is True
    assert budget["committed"] == 2 * UNIT

    services.deposit(project=project, amount=UNIT, actor=people["manager"])
    assert lease_next_item(worker=people["worker2"], project=project) is not None


def test_rework_is_never_held_back_by_the_budget(make_project, people):
    project = make_project(price_per_item=PRICE, review_price=REVIEW_PRICE)
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    services.deposit(project=project, amount=UNIT, actor=people["manager"])
    work_once(project, people["worker"], people["reviewer"], decision="reject")
    # The budget now holds less than one item, but the worker's own rework was already promised.
    assert lease_next_item(worker=people["worker"], project=project).rework_round == 1


def test_budget_exhausted_over_http_is_a_409_with_a_code(make_project, api):
    project = make_project(price_per_item=PRICE)
    add_items(project=project, records=[{"text": "a"}])
    response = api("worker").post(f"/projects/{project.pk}/assignments/next", lang="ko")
    assert response.status_code == 409
    assert response.json()["code"] == "budget_exhausted"
    assert "예산" in response.json()["message"]


def _slow_item(project, worker, reviewer, seconds):
    assignment = lease_next_item(worker=worker, project=project)
    Assignment.objects.filter(pk=assignment.pk).update(active_seconds=seconds)
    # submit() adds the time since the last heartbeat; make that zero so the measured time is exact
    Assignment.objects.filter(pk=assignment.pk).update(
        last_heartbeat_at=timezone.now() + timedelta(seconds=5)
    )
    submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=reviewer, project=project)
    decide(reviewer=reviewer, review_id=review.pk, decision="approve")


def test_a_slow_worker_is_topped_up_to_exactly_the_floor(paid_project, people):
    add_items(project=paid_project, records=[{"text": f"t{i}"} for i in range(10)])
    worker, reviewer = people["worker"], people["reviewer"]
    for _ in range(10):
        _slow_item(paid_project, worker, reviewer, seconds=60)  # 100 won a minute = 6,000 won an hour
    Review.objects.filter(reviewer=reviewer).update(active_seconds=3.0)
    today = timezone.localdate()

    summary = services.settle_fair_pay(start=today, end=today + timedelta(days=1))
    result = FairPayResult.objects.get(user=worker)
    assert result.active_seconds == pytest.approx(600)
    assert result.earnings == 1000
    assert result.floor_hourly == 10_320
    assert result.top_up == 720  # 10,320 * 600/3600 = 1,720
    assert result.hourly_after == pytest.approx(10_320)
    assert earnings_of(worker) == 1720
    # The reviewer earned 100 won for 30 s: far above the floor, no top-up.
    assert FairPayResult.objects.get(user=reviewer).top_up == 0
    assert summary.topped_up == 1 and summary.top_up_total == 720
    assert selectors.budget(project=paid_project)["spent"]["top_ups"] == 720

    # Settling the same period again changes nothing.
    services.settle_fair_pay(start=today, end=today + timedelta(days=1))
    assert earnings_of(worker) == 1720
    report = selectors.fair_pay_report(project=paid_project)
    assert report["share_at_floor_after_top_up"] == 1.0
    assert report["share_at_floor_before_top_up"] < 1.0
    assert_ledger_balances()


def test_price_advice_pays_the_floor_at_the_75th_percentile(paid_project, people, settings):
    settings.DURE = {**settings.DURE, "PRICE_ADVICE_MIN_ITEMS": 4}
    add_items(project=paid_project, records=[{"text": f"t{i}"} for i in range(4)])
    assert selectors.price_advice(project=paid_project)["item"] is None
    for seconds in [30, 40, 50, 60]:
        _slow_item(paid_project, people["worker"], people["reviewer"], seconds=seconds)
    advice = selectors.price_advice(project=paid_project)
    assert advice["item"]["p75_seconds"] == pytest.approx(52.5)
    assert advice["item"]["suggested_price"] == 160  # 10,320 * 52.5 / 3600 = 150.5, up to the next 10 won
    assert advice["warnings"][0]["code"] == "price_below_fair_pay"


def test_withholding_is_3_3_percent_cut_to_10_won():
    assert services.withholding(100_000) == (3_000, 300)
    assert services.withholding(12_345) == (370, 30)
    assert services.withholding(10_000) == (300, 30)


def _earn(project, people, items):
    add_items(project=project, records=[{"text": f"e{i}"} for i in range(items)])
    for _ in range(items):
        work_once(project, people["worker"], people["reviewer"])


def test_payout_withholds_tax_and_a_failed_transfer_returns_the_money(make_project, people):
    project = make_project(price_per_item=6_000)
    services.deposit(project=project, amount=10_000_000, actor=people["manager"])
    _earn(project, people, 3)
    worker = people["worker"]
    with pytest.raises(BankAccountMissing):
        services.request_payout(user=worker)
    services.set_bank_account(user=worker, bank="국민은행", number="123-456-789012", holder="박작업")
    with pytest.raises(BelowPayoutMinimum):
        services.request_payout(user=worker, amount=5_000)
    with pytest.raises(InsufficientBalance):
        services.request_payout(user=worker, amount=20_000)

    payout = services.request_payout(user=worker)
    assert (payout.gross, payout.income_tax, payout.local_tax, payout.net) == (18_000, 540, 50, 17_410)
    assert earnings_of(worker) == 0
    assert selectors.earnings(user=worker)["pending_payouts"] == 17_410

    services.mark_failed(payout_id=payout.pk, actor=people["owner"], reason="계좌번호 오류")
    assert earnings_of(worker) == 18_000
    assert LedgerAccount.objects.get(key="income_tax").balance == 0

    again = services.request_payout(user=worker)
    services.mark_paid(payout_id=again.pk, actor=people["owner"])
    assert selectors.earnings(user=worker)["paid_out"] == 17_410
    assert LedgerAccount.objects.get(key="paid_out").balance == 17_410
    assert LedgerAccount.objects.get(key="income_tax").balance == 540
    assert_ledger_balances()


def test_monthly_statement_adds_fee_and_vat(paid_project, people):
    _earn(paid_project, people, 3)
    statement = selectors.statement(project=paid_project, month=timezone.localdate().strftime("%Y-%m"))
    assert statement["items_approved"] == 3
    assert statement["item_pay"] == 300
    assert statement["review_pay"] == 30
    assert statement["platform_fee"] == 33
    assert statement["subtotal"] == 363
    assert statement["vat"] == 36
    assert statement["total"] == 399
    assert statement["deposited"] == 1_000_000


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("approve"), st.sampled_from(["worker", "worker2"])),
        st.tuples(st.just("reject"), st.sampled_from(["worker", "worker2"])),
        st.tuples(st.just("deposit"), st.integers(min_value=1, max_value=5_000)),
        st.tuples(st.just("payout"), st.sampled_from(["worker", "worker2"])),
        st.tuples(st.just("settle_payouts"), st.booleans()),
        st.tuples(st.just("replay"), st.just(None)),
        st.tuples(st.just("top_up"), st.just(None)),
    ),
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_no_sequence_of_events_creates_or_loses_money(
    make_project, people, events, django_settings_payout_minimum
):
    from django.db import transaction

    with transaction.atomic():
        project = make_project(price_per_item=1_000, review_price=100)
        services.deposit(project=project, amount=50_000, actor=people["manager"])
        for person in ("worker", "worker2"):
            services.set_bank_account(
                user=people[person], bank="신한은행", number="110-123-456789", holder=person
            )
        add_items(project=project, records=[{"text": f"h{i}"} for i in range(30)])
        for kind, value in events:
            try:
                if kind in {"approve", "reject"}:
                    work_once(project, people[value], people["reviewer"], decision=kind)
                elif kind == "deposit":
                    services.deposit(project=project, amount=value, actor=people["manager"])
                elif kind == "payout":
                    services.request_payout(user=people[value])
                elif kind == "settle_payouts":
                    batch = services.create_payout_batch(actor=people["owner"])
                    for payout in batch.payouts.all() if batch else []:
                        settle = services.mark_paid if value else services.mark_failed
                        kwargs = {} if value else {"reason": "bank said no"}
                        settle(payout_id=payout.pk, actor=people["owner"], **kwargs)
                elif kind == "replay":
                    reviews = dict(
                        (entry.data["slot"], entry.data["review"])
                        for entry in JournalEntry.objects.filter(kind=EntryKind.REVIEW)
                    )
                    for entry in JournalEntry.objects.filter(kind=EntryKind.APPROVAL):
                        services.record_decision_pay(
                            project=project,
                            review_id=reviews[entry.data["slot"]],
                            slot_id=entry.data["slot"],
                            worker_id=entry.user_id,
                            reviewer=people["reviewer"],
                            at=timezone.now(),
                        )
                elif kind == "top_up":
                    today = timezone.localdate()
                    services.settle_fair_pay(start=today, end=today + timedelta(days=1))
            except (BudgetExhausted, BelowPayoutMinimum, InsufficientBalance, AssertionError):
                pass
            assert_ledger_balances()
            for person in ("worker", "worker2", "reviewer"):
                assert earnings_of(people[person]) >= 0
        approvals = JournalEntry.objects.filter(kind=EntryKind.APPROVAL)
        assert approvals.count() == approvals.values("data__slot").distinct().count()
        transaction.set_rollback(True)


@pytest.fixture
def django_settings_payout_minimum(settings):
    settings.DURE = {**settings.DURE, "PAYOUT_MINIMUM": 1_000}


def test_setting_a_price_below_fair_pay_warns_the_manager(paid_project, people, api, settings):
    settings.DURE = {**settings.DURE, "PRICE_ADVICE_MIN_ITEMS": 4}
    add_items(project=paid_project, records=[{"text": f"t{i}"} for i in range(4)])
    for seconds in [30, 40, 50, 60]:
        _slow_item(paid_project, people["worker"], people["reviewer"], seconds=seconds)
    manager = api("manager")
    low = manager.patch(f"/projects/{paid_project.pk}", {"price_per_item": 120})
    assert low.status_code == 200
    assert low.json()["warnings"] == [
        {"code": "price_below_fair_pay", "field": "price_per_item", "suggested": 160}
    ]
    fair = manager.patch(f"/projects/{paid_project.pk}", {"price_per_item": 200})
    assert fair.json()["warnings"] == []


def test_the_job_worker_settles_last_week_once(paid_project, people):
    from dure.payments.jobs import settle_if_due
    from dure.payments.models import Settlement

    assert settle_if_due() is True
    assert settle_if_due() is False
    start, end = services.last_week()
    assert Settlement.objects.filter(start=start, end=end).count() == 1
    assert (end - start).days == 7 and start.weekday() == 0


def test_a_batch_posts_new_entries_and_returns_the_ones_already_there(paid_project, people):
    budget = services.account(AccountKind.PROJECT_BUDGET, project=paid_project)
    earnings = services.account(AccountKind.WORKER_EARNINGS, user=people["worker"])
    first, _ = services.post_entry(kind=EntryKind.APPROVAL, key="a", lines=[(budget, -5), (earnings, 5)])
    results = services.post_entries(
        [
            services.NewEntry(EntryKind.APPROVAL, "a", [(budget, -5), (earnings, 5)]),
            services.NewEntry(EntryKind.APPROVAL, "b", [(budget, -7), (earnings, 7)]),
            services.NewEntry(EntryKind.APPROVAL, "c", [(budget, 0), (earnings, 0)]),
        ]
    )
    assert results[0][0] is not None and (results[0][0].pk, results[0][1]) == (first.pk, False)
    assert results[1][1] is True and results[1][0].idempotency_key == "b"
    assert results[2] == (None, False)
    assert earnings_of(people["worker"]) == 12
    assert_ledger_balances()
