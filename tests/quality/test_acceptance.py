"""Client acceptance through the services: delivering batches, inspecting samples, accepting and returning
(rework goes back to the same worker with the inspector's reason), delivering again, notifications and
webhooks, the certificate — and a simulated crowd whose certificate interval holds the true accuracy."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dure.accounts.models import Role, User
from dure.accounts.services import set_membership
from dure.notices import services as notice_services
from dure.notices.models import Kind, Notification
from dure.projects.models import Project, ProjectRole
from dure.projects.services import set_project_member
from dure.quality import acceptance, certificate, sampling
from dure.quality.errors import (
    DefectReasonRequired,
    DeliveryDecided,
    InspectingOwnWork,
    InvalidSamplingPlan,
    NothingToDeliver,
    NotReturned,
    ResubmissionNotReady,
    SampleNotFound,
)
from dure.quality.models import Audit, AuditState, Delivery, DeliveryState, GoldItem, SampleResult
from dure.webhooks.models import Delivery as WebhookDelivery
from dure.webhooks.models import Webhook
from dure.webhooks.signals import forget_subscriptions
from dure.work.models import Event, Item, ItemState, Slot, SlotState
from dure.work.selectors import assignment_payload
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _immediate_jobs(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def work_through(project: Project, workers: list[User], reviewer: User, answer_of: Any) -> None:
    """Every item answered by ``answer_of(worker, item, rework_round)`` and approved by the reviewer."""
    while True:
        progressed = False
        for worker in workers:
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is not None:
                item = Item.objects.get(pk=assignment.item_id)
                submit(worker=worker, assignment_id=assignment.pk,
                       answer=answer_of(worker, item, assignment.rework_round))  # fmt: skip
                progressed = True
        review = lease_next_review(reviewer=reviewer, project=project)
        while review is not None:
            decide(reviewer=reviewer, review_id=review.pk, decision="approve")
            progressed = True
            review = lease_next_review(reviewer=reviewer, project=project)
        if not progressed:
            return


@pytest.fixture
def done_project(project: Project, people: dict[str, User]) -> Project:
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(30)])
    work_through(project, [people["worker"], people["worker2"]], people["reviewer"],
                 lambda worker, item, rework: {"label": "pos"})  # fmt: skip
    assert Item.objects.filter(project=project, state=ItemState.DONE).count() == 30
    return project


def test_a_batch_holds_the_approved_items_not_yet_delivered(done_project, people):
    project = done_project
    first = acceptance.deliver_batch(project=project, actor=people["manager"], limit=10, seed=5)
    assert first.state == DeliveryState.INSPECTING
    assert first.lot_size == 10 and first.number == 1
    # lot 10, AQL 1.0 (the default): code letter B, ↓ to E@1.0 = 0 1 with n = 13 ≥ 10 → every item
    assert (first.sample_size, first.accept_number, first.reject_number) == (10, 0, 1)
    assert first.plan["code_letter"] == "B" and first.plan["full_inspection"] is True
    second = acceptance.deliver_batch(project=project, actor=people["manager"], seed=5)
    assert second.lot_size == 20 and second.number == 2
    first_ids = set(first.items.values_list("item_id", flat=True))
    assert first_ids.isdisjoint(second.items.values_list("item_id", flat=True))
    with pytest.raises(NothingToDeliver):
        acceptance.deliver_batch(project=project, actor=people["manager"])
    # The sample is the documented draw over the sorted ids, with the stored seed.
    ids = sorted(second.items.values_list("item_id", flat=True))
    assert second.draw["sample_ids"] == sampling.draw_sample(ids, second.sample_size, second.seed)
    assert (
        list(second.samples.order_by("position").values_list("item_id", flat=True))
        == second.draw["sample_ids"]
    )
    assert second.draw["population_sha256"] == sampling.population_digest(ids)


def test_filters_gold_items_and_plan_choices(done_project, people):
    project = done_project
    some = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True)[:12])
    GoldItem.objects.create(item_id=some[0], project=project, answer={"label": "pos"})
    delivery = acceptance.deliver_batch(
        project=project, actor=people["manager"], item_ids=some, method="confidence", target=0.9, defects=0
    )
    assert delivery.lot_size == 11  # the gold item is the platform's check, never delivered
    assert delivery.method == "confidence"
    assert delivery.sample_size == 11 and delivery.accept_number == 0
    with pytest.raises(InvalidSamplingPlan):
        acceptance.deliver_batch(project=project, actor=people["manager"], aql="0.5")
    with pytest.raises(InvalidSamplingPlan):
        acceptance.deliver_batch(project=project, actor=people["manager"], method="confidence", target=0.3)


def _sampled(delivery: Delivery) -> list[int]:
    return list(delivery.samples.order_by("position").values_list("item_id", flat=True))


def test_a_clean_sample_accepts_the_batch_and_freezes_the_certificate(
    done_project, people, django_capture_on_commit_callbacks
):
    project = done_project
    webhook = Webhook.objects.create(
        organization=project.organization,
        url="http://127.0.0.1:9/hook",
        secret="s",
        events=["batch.delivered"],
    )
    forget_subscriptions()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = acceptance.deliver_batch(project=project, actor=people["manager"], seed=11)
    inspector = people["viewer"]
    for item_id in _sampled(delivery)[:-1]:
        acceptance.check_sample(
            project=project, actor=inspector, delivery_id=delivery.pk, item_id=item_id, passed=True
        )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.INSPECTING and delivery.checked == delivery.sample_size - 1
    with django_capture_on_commit_callbacks(execute=True):
        acceptance.check_sample(project=project, actor=inspector, delivery_id=delivery.pk,
                                item_id=_sampled(delivery)[-1], passed=True)  # fmt: skip
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.ACCEPTED and delivery.defects == 0
    frozen = delivery.certificate
    assert frozen["sha256"] == certificate.digest(frozen)
    section = frozen["sampling"][0]
    assert section["accuracy"] == 1.0
    assert section["interval"] == pytest.approx(
        list(sampling.clopper_pearson(delivery.sample_size, delivery.sample_size))
    )
    assert frozen["format_checks"]["answers"] == 30 and frozen["format_checks"]["invalid"] == 0
    assert frozen["counts"] == {"items": 30, "approved": 30, "delivered": 30, "covered": 30}
    with pytest.raises(DeliveryDecided):
        acceptance.check_sample(project=project, actor=inspector, delivery_id=delivery.pk,
                                item_id=_sampled(delivery)[0], passed=False, reason="late")  # fmt: skip
    # the webhook went out at delivery and at acceptance; managers and viewers were notified of both
    events = list(
        WebhookDelivery.objects.filter(webhook=webhook).order_by("id").values_list("payload", flat=True)
    )
    assert [e["data"]["state"] for e in events] == ["inspecting", "accepted"]
    assert events[1]["event"] == "batch.delivered" and events[1]["data"]["certificate_url"].endswith(
        "/certificate"
    )
    notified = Notification.objects.filter(kind=Kind.BATCH_DELIVERED)
    recipients = set(notified.values_list("recipient__username", flat=True))
    assert recipients == {"owner", "manager", "viewer"}
    assert notified.filter(key=f"delivery:{delivery.pk}:accepted").count() == 3


def test_a_returned_batch_sends_defects_back_to_their_workers_and_is_delivered_again(
    done_project, people, django_capture_on_commit_callbacks
):
    project = done_project
    delivery = acceptance.deliver_batch(project=project, actor=people["manager"], seed=3)
    sampled = _sampled(delivery)
    inspector = people["owner"]
    bad = sampled[:2]
    with pytest.raises(DefectReasonRequired):
        acceptance.check_sample(
            project=project, actor=inspector, delivery_id=delivery.pk, item_id=bad[0], passed=False
        )
    with pytest.raises(SampleNotFound):
        other = Item.objects.filter(project=project).exclude(pk__in=sampled).first()
        if other is None:  # the whole lot is the sample (small lots): use an item of no delivery
            other = Item(pk=10**9)
        acceptance.check_sample(
            project=project, actor=inspector, delivery_id=delivery.pk, item_id=other.pk, passed=True
        )
    with django_capture_on_commit_callbacks(execute=True):
        for item_id in sampled:
            acceptance.check_sample(
                project=project, actor=inspector, delivery_id=delivery.pk, item_id=item_id,
                passed=item_id not in bad, reason="라벨이 틀렸습니다",
            )  # fmt: skip
    delivery.refresh_from_db()
    assert delivery.defects == 2 and delivery.state == DeliveryState.RETURNED
    for item_id in bad:
        slot = Slot.objects.get(item_id=item_id)
        assert slot.state == SlotState.REJECTED and slot.worker_id is not None
        assert Item.objects.get(pk=item_id).state == ItemState.OPEN
        event = Event.objects.filter(slot=slot, kind="returned").get()
        assert event.data["reasons"] == ["라벨이 틀렸습니다"] and event.data["delivery"] == delivery.number
    # the worker was told, in the existing rejection notification
    returned_to = Notification.objects.filter(
        kind=Kind.SUBMISSION_REJECTED, key__startswith=f"returned:{delivery.pk}:"
    )
    assert returned_to.count() == 2
    with pytest.raises(ResubmissionNotReady):
        acceptance.deliver_again(project=project, actor=people["manager"], delivery_id=delivery.pk)
    # the same worker gets the rework first, with the inspector's reason; a reviewer approves it again
    for worker in [Slot.objects.get(item_id=item_id).worker for item_id in bad]:
        assignment = lease_next_item(worker=worker, project=project)
        assert assignment.item_id in bad and assignment.rework_round >= 1
        payload = assignment_payload(assignment)
        assert payload["rework"]["reasons"] == ["라벨이 틀렸습니다"]
        submit(worker=worker, assignment_id=assignment.pk, answer={"label": "neg"})
    work_through(project, [], people["reviewer"], None)
    assert Item.objects.filter(pk__in=bad, state=ItemState.DONE).count() == 2
    again = acceptance.deliver_again(
        project=project, actor=people["manager"], delivery_id=delivery.pk, seed=4
    )
    assert again.resubmission_of_id == delivery.pk and again.lot_size == delivery.lot_size
    assert again.seed == 4 and again.state == DeliveryState.INSPECTING
    with pytest.raises(NotReturned):
        acceptance.deliver_again(project=project, actor=people["manager"], delivery_id=delivery.pk)


def test_nobody_inspects_their_own_work(done_project, people):
    project = done_project
    set_membership(organization=project.organization, user=people["worker"], role=Role.VIEWER)
    delivery = acceptance.deliver_batch(project=project, actor=people["manager"])
    mine = Slot.objects.filter(item_id__in=_sampled(delivery), worker=people["worker"]).values_list(
        "item_id", flat=True
    )
    assert mine, "the worker answered some sampled items"
    with pytest.raises(InspectingOwnWork):
        acceptance.check_sample(
            project=project, actor=people["worker"], delivery_id=delivery.pk, item_id=mine[0], passed=True
        )
    nxt = acceptance.next_sample(delivery=delivery, user=people["worker"])
    assert nxt is None or nxt.item_id not in set(mine)
    # the reviewer decided them all: every sampled item is theirs to skip
    assert acceptance.worked_on(user=people["reviewer"], item_id=mine[0])


def test_one_wrong_answer_of_several(make_project, people):
    project = make_project(overlap=2, name="Two answers")
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    work_through(project, [people["worker"], people["worker2"]], people["reviewer"],
                 lambda worker, item, rework: {"label": "pos"})  # fmt: skip
    delivery = acceptance.deliver_batch(project=project, actor=people["manager"], seed=1)
    sampled = _sampled(delivery)
    wrong = Slot.objects.get(item_id=sampled[0], worker=people["worker2"])
    acceptance.check_sample(project=project, actor=people["owner"], delivery_id=delivery.pk, item_id=sampled[0],
                            passed=False, reason="b is wrong", wrong_slots=[wrong.pk])  # fmt: skip
    acceptance.check_sample(
        project=project, actor=people["owner"], delivery_id=delivery.pk, item_id=sampled[1], passed=True
    )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETURNED
    states = dict(Slot.objects.filter(item_id=sampled[0]).values_list("worker__username", "state"))
    assert states == {"worker": SlotState.APPROVED, "worker2": SlotState.REJECTED}


def test_certificate_pdf_and_html_render_in_korean(done_project, people):
    delivery = acceptance.deliver_batch(project=done_project, actor=people["manager"], seed=2)
    data = certificate.current(delivery)
    # while the client inspects, the certificate is a preview: the format checks run at the decision
    assert data["format_checks"] == {"pending": True}
    from django.utils import translation

    with translation.override("ko"):
        pdf = certificate.pdf(data)
        html = certificate.standalone_html(data)
    assert pdf.startswith(b"%PDF") and b"HYSMyeongJo-Medium" in pdf
    assert "Acme 데이터" in html and data["sha256"] in html
    json.dumps(data)  # plain JSON all the way down


# --- the simulation -----------------------------------------------------------------------------------------


def test_simulated_crowd_certificate_interval_holds_the_true_accuracy(make_project, people):
    """A crowd with a known error rate works a project through the services: 3% of answers are wrong,
    reviewers catch 80% of those; the manager delivers; the inspector checks the sample against the truth.
    The certificate's exact 95% interval contains the true accuracy of the delivered items."""
    rng = random.Random(20261130)
    project = make_project(name="Simulated", max_rework_rounds=5)
    workers = [people["worker"], people["worker2"]]
    for n in range(4):
        extra = make_user(f"crowd{n}")
        set_membership(organization=project.organization, user=extra, role=Role.WORKER)
        set_project_member(project=project, user=extra, role=ProjectRole.WORKER)
        workers.append(extra)
    size = 600
    truth = {f"t{n}": rng.choice(["pos", "neg"]) for n in range(size)}
    add_items(project=project, records=[{"text": text} for text in truth])
    flip = {"pos": "neg", "neg": "pos"}
    reviewer = people["reviewer"]
    rejected = 0
    while True:
        progressed = False
        for worker in workers:
            assignment = lease_next_item(worker=worker, project=project)
            if assignment is None:
                continue
            correct = truth[Item.objects.get(pk=assignment.item_id).data["text"]]
            label = correct if rng.random() >= 0.03 else flip[correct]
            submit(worker=worker, assignment_id=assignment.pk, answer={"label": label})
            progressed = True
        review = lease_next_review(reviewer=reviewer, project=project)
        while review is not None:
            item = Item.objects.get(pk=review.submission.item_id)
            wrong = review.submission.answer["label"] != truth[item.data["text"]]
            if wrong and rng.random() < 0.8:
                decide(reviewer=reviewer, review_id=review.pk, decision="reject", reasons=["wrong_label"])
                rejected += 1
            else:
                decide(reviewer=reviewer, review_id=review.pk, decision="approve")
            progressed = True
            review = lease_next_review(reviewer=reviewer, project=project)
        if not progressed:
            break
    assert Item.objects.filter(project=project, state=ItemState.DONE).count() == size
    assert rejected > 0
    delivery = acceptance.deliver_batch(
        project=project, actor=people["manager"], method="confidence", target=0.97, defects=3, seed=77
    )
    approved = {
        slot.item_id: slot.submission.answer["label"]
        for slot in Slot.objects.filter(project=project, state=SlotState.APPROVED).select_related(
            "submission", "item"
        )
    }
    texts = dict(Item.objects.filter(project=project).values_list("pk", "data__text"))
    correct_items = {item_id for item_id, label in approved.items() if label == truth[texts[item_id]]}
    true_accuracy = len(correct_items) / size
    assert 0.97 < true_accuracy < 1.0  # the crowd leaves some errors the reviewers missed
    inspector = people["viewer"]
    for item_id in _sampled(delivery):
        acceptance.check_sample(project=project, actor=inspector, delivery_id=delivery.pk, item_id=item_id,
                                passed=item_id in correct_items, reason="wrong label")  # fmt: skip
    delivery.refresh_from_db()
    assert delivery.state in {DeliveryState.ACCEPTED, DeliveryState.RETURNED}
    section = delivery.certificate["sampling"][0]
    low, high = section["interval"]
    assert low <= true_accuracy <= high, (low, true_accuracy, high, section["defects"])
    assert section["accuracy"] == pytest.approx(
        (delivery.sample_size - delivery.defects) / delivery.sample_size
    )
    # And the interval's coverage over many re-draws of the same delivered lot is at least the promised 95%.
    ids = sorted(approved)
    hits = 0
    draws = 400
    for seed in range(draws):
        sample = sampling.draw_sample(ids, delivery.sample_size, seed)
        good = sum(1 for i in sample if i in correct_items)
        lo, hi = sampling.clopper_pearson(good, len(sample))
        hits += lo <= true_accuracy <= hi
    assert hits / draws >= 0.95


def test_audit_agreement_on_the_certificate(done_project, people):
    from dure.work.models import Review

    reviews = list(Review.objects.filter(project=done_project, state="decided")[:4])
    for n, review in enumerate(reviews):
        Audit.objects.create(review=review, project=done_project, reviewer=review.reviewer,
                             state=AuditState.DONE, agrees=n != 0, created_at=review.decided_at)  # fmt: skip
    figures = certificate.audit_agreement(done_project)
    assert figures["audits"] == 4 and figures["agreed"] == 3 and figures["agreement"] == 0.75
    assert figures["interval"] == pytest.approx(list(sampling.clopper_pearson(3, 4)))


def test_delivering_costs_a_bounded_number_of_queries(done_project, people):
    with CaptureQueriesContext(connection) as queries:
        acceptance.deliver_batch(project=done_project, actor=people["manager"], seed=9)
    assert len(queries) <= 12


def test_sample_result_values():
    assert {SampleResult.PENDING, SampleResult.PASSED, SampleResult.FAILED} == {"pending", "passed", "failed"}


def test_notice_wording_for_every_state():
    from dure.notices.selectors import wording

    data = {"project": "P", "number": 3, "items": 10, "sample_size": 5, "defects": 2}
    for state in ["inspecting", "accepted", "returned"]:
        words = wording(Kind.BATCH_DELIVERED, {**data, "state": state})
        assert "#3" in words.title
    assert notice_services.EVENTS["delivery"] is notice_services.delivery
