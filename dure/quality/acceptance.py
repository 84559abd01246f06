"""Client acceptance: a manager delivers a batch of approved items; the client's inspector checks a uniform
random sample of it; the batch is accepted, or returned and its defective items go back to their workers.

Who does what:
- a project's managers (``Access.can_manage``) deliver batches and deliver returned ones again;
- the client's inspector is an owner, manager or viewer of the project's organization (the client), never
  a project-level role given to the crowd; nobody inspects an item they answered or reviewed themselves;
- everyone who may export the data (``Access.can_export``) reads deliveries and their certificates.

The batch is decided when every sampled item is checked: at most Ac defects accepts it, Re or more returns
it (a single sampling plan has Re = Ac + 1, so one of the two always holds).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from dure.accounts.models import Role, User
from dure.projects.models import Project
from dure.projects.selectors import Access
from dure.quality import sampling
from dure.quality.errors import (
    DefectReasonRequired,
    DeliveryDecided,
    DeliveryNotFound,
    InspectingOwnWork,
    InvalidSamplingPlan,
    NothingToDeliver,
    NotReturned,
    ResubmissionNotReady,
    SampleNotFound,
    WrongSlotNotInItem,
)
from dure.quality.models import (
    Delivery,
    DeliveryItem,
    DeliveryState,
    SampleCheck,
    SampleResult,
    SamplingMethod,
)
from dure.quality.selectors import settings_of
from dure.work.models import Item, ItemState, Review, ReviewState, Slot, SlotState, Submission

#: organization roles of the client that may inspect deliveries
INSPECTOR_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.VIEWER})
#: the largest batch one delivery takes (the ids are held in memory to draw the sample)
MAX_LOT_SIZE = 500_000


def can_inspect(access: Access) -> bool:
    return access.org_role in INSPECTOR_ROLES


def can_read(access: Access) -> bool:
    return access.can_export


# --- plans ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanChoice:
    method: str
    aql: str
    target: float
    defects: int


def plan_choice(
    *,
    project: Project,
    method: str | None = None,
    aql: str | float | None = None,
    target: float | None = None,
    defects: int | None = None,
) -> PlanChoice:
    """The caller's choices over the project's acceptance settings, checked."""
    quality = settings_of(project)
    choice = PlanChoice(
        method=method or quality.acceptance_method,
        aql=str(aql) if aql is not None else quality.acceptance_aql,
        target=target if target is not None else quality.acceptance_target,
        defects=defects if defects is not None else quality.acceptance_defects,
    )
    if choice.method not in SamplingMethod.values:
        raise InvalidSamplingPlan(path="method", allowed=list(SamplingMethod.values))
    if choice.method == SamplingMethod.ISO2859:
        try:
            aql_label = sampling.AQLS[sampling.aql_column(choice.aql)]
        except (sampling.NotAnAql, ValueError):
            raise InvalidSamplingPlan(path="aql", allowed=sampling.AQLS) from None
        return PlanChoice(choice.method, aql_label, choice.target, choice.defects)
    if not 0.5 <= choice.target < 1:
        raise InvalidSamplingPlan(path="target", minimum=0.5, maximum=0.9999)
    if not 0 <= choice.defects <= 50:
        raise InvalidSamplingPlan(path="defects", minimum=0, maximum=50)
    return choice


def make_plan(choice: PlanChoice, lot_size: int) -> sampling.Plan:
    if choice.method == SamplingMethod.ISO2859:
        return sampling.iso_plan(lot_size=lot_size, aql=choice.aql)
    return sampling.confidence_plan(lot_size=lot_size, target=choice.target, defects=choice.defects)


# --- delivering -----------------------------------------------------------------------------------------------


def _live_delivered_items(project: Project) -> QuerySet[DeliveryItem]:
    """Items in a batch the client is inspecting or has accepted: they are not delivered a second time."""
    return DeliveryItem.objects.filter(
        delivery__project=project, delivery__state__in=[DeliveryState.INSPECTING, DeliveryState.ACCEPTED]
    )


def deliverable_items(
    *, project: Project, item_ids: list[int] | None = None, done_before: datetime | None = None
) -> QuerySet[Item]:
    """Approved (done) items of the project that are in no live delivery; gold items are the platform's
    checks, not the client's data, and are never delivered."""
    items = (
        Item.objects.filter(project=project, state=ItemState.DONE, gold__isnull=True)
        .exclude(pk__in=_live_delivered_items(project).values("item_id"))
        .order_by("pk")
    )
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    if done_before is not None:
        items = items.filter(done_at__lte=done_before)
    return items


def deliver_batch(
    *,
    project: Project,
    actor: User,
    item_ids: list[int] | None = None,
    done_before: datetime | None = None,
    limit: int | None = None,
    method: str | None = None,
    aql: str | float | None = None,
    target: float | None = None,
    defects: int | None = None,
    seed: int | None = None,
) -> Delivery:
    """Delivers the approved items not yet delivered (optionally only these ids, done before a time, the
    oldest ``limit``), draws the sample and opens the client's inspection."""
    choice = plan_choice(project=project, method=method, aql=aql, target=target, defects=defects)
    with transaction.atomic():
        # One delivery at a time per project, so two managers never deliver the same item twice.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        items = deliverable_items(project=project, item_ids=item_ids, done_before=done_before)
        ids = list(items.values_list("pk", flat=True)[: min(limit or MAX_LOT_SIZE, MAX_LOT_SIZE)])
        if not ids:
            raise NothingToDeliver()
        filters = {
            "item_ids": len(item_ids) if item_ids is not None else None,
            "done_before": done_before.isoformat() if done_before else None,
            "limit": limit,
        }
        return _open_delivery(
            project=project, actor=actor, ids=ids, choice=choice, seed=seed, filters=filters, previous=None
        )


def deliver_again(*, project: Project, actor: User, delivery_id: int, seed: int | None = None) -> Delivery:
    """A returned batch, once its returned items are approved again, is delivered again with a fresh sample
    drawn from the whole batch (ISO 2859-1 resubmitted lots are inspected like new ones)."""
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        previous = Delivery.objects.filter(pk=delivery_id, project=project).first()
        if previous is None:
            raise DeliveryNotFound()
        if previous.state != DeliveryState.RETURNED or previous.resubmissions.exists():
            raise NotReturned(state=previous.state)
        ids = list(previous.items.order_by("item_id").values_list("item_id", flat=True))
        pending = Item.objects.filter(pk__in=ids).exclude(state=ItemState.DONE).count()
        if pending:
            raise ResubmissionNotReady(pending=pending)
        taken = set(_live_delivered_items(project).filter(item_id__in=ids).values_list("item_id", flat=True))
        ids = [i for i in ids if i not in taken]
        if not ids:
            raise NothingToDeliver()
        plan = previous.plan
        choice = PlanChoice(
            method=previous.method,
            aql=plan.get("aql") or settings_of(project).acceptance_aql,
            target=plan.get("target") or settings_of(project).acceptance_target,
            defects=previous.accept_number if previous.method == SamplingMethod.CONFIDENCE else 0,
        )
        return _open_delivery(
            project=project,
            actor=actor,
            ids=ids,
            choice=choice,
            seed=seed,
            filters={"resubmission_of": previous.number},
            previous=previous,
        )


def _open_delivery(
    *,
    project: Project,
    actor: User,
    ids: list[int],
    choice: PlanChoice,
    seed: int | None,
    filters: dict[str, Any],
    previous: Delivery | None,
) -> Delivery:
    plan = make_plan(choice, len(ids))
    seed = secrets.randbits(63) if seed is None else seed
    sample = sampling.draw_sample(ids, plan.sample_size, seed)
    number = (Delivery.objects.filter(project=project).aggregate(m=Max("number"))["m"] or 0) + 1
    delivery = Delivery.objects.create(
        project=project,
        number=number,
        delivered_by=actor,
        delivered_at=timezone.now(),
        resubmission_of=previous,
        filters=filters,
        lot_size=len(ids),
        method=plan.method,
        plan=plan.as_dict(),
        sample_size=len(sample),
        accept_number=plan.accept,
        reject_number=plan.reject,
        seed=seed,
        draw=sampling.draw_record(ids, sample, seed),
    )
    # Plain executemany: bulk_create compiled an INSERT per 2,000 rows and took most of a 100,000-item
    # delivery's time.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {DeliveryItem._meta.db_table} (delivery_id, item_id) VALUES (%s, %s)",
            [(delivery.pk, i) for i in ids],
        )
    SampleCheck.objects.bulk_create(
        [SampleCheck(delivery=delivery, item_id=i, position=n) for n, i in enumerate(sample)], batch_size=2000
    )
    return delivery


# --- inspecting -----------------------------------------------------------------------------------------------


def worked_on(*, user: User, item_id: int) -> bool:
    """The person answered or reviewed the item: their verdict on it would not be independent."""
    return (
        Submission.objects.filter(item_id=item_id, worker=user).exists()
        or Review.objects.filter(
            submission__item_id=item_id, reviewer=user, state=ReviewState.DECIDED
        ).exists()
    )


def approved_slots(item_id: int) -> list[Slot]:
    return list(
        Slot.objects.filter(item_id=item_id, state=SlotState.APPROVED)
        .select_related("submission")
        .order_by("index")
    )


def check_sample(
    *,
    project: Project,
    actor: User,
    delivery_id: int,
    item_id: int,
    passed: bool,
    reason: str = "",
    wrong_slots: list[int] | None = None,
) -> SampleCheck:
    """Records the inspector's verdict on one sampled item (a verdict may be changed until the batch is
    decided); the last verdict decides the batch."""
    reason = reason.strip()[:5000]
    if not passed and not reason:
        raise DefectReasonRequired()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id, project=project).first()
        if delivery is None:
            raise DeliveryNotFound()
        if delivery.state != DeliveryState.INSPECTING:
            raise DeliveryDecided(state=delivery.state)
        check = SampleCheck.objects.filter(delivery=delivery, item_id=item_id).first()
        if check is None:
            raise SampleNotFound()
        if worked_on(user=actor, item_id=item_id):
            raise InspectingOwnWork()
        slots = [s.pk for s in approved_slots(item_id)]
        if passed:
            chosen: list[int] = []
        elif wrong_slots:
            if not set(wrong_slots) <= set(slots):
                raise WrongSlotNotInItem(allowed=slots)
            chosen = sorted(set(wrong_slots))
        else:
            chosen = slots
        check.result = SampleResult.PASSED if passed else SampleResult.FAILED
        check.reason = "" if passed else reason
        check.wrong_slots = chosen
        check.checked_by, check.checked_at = actor, timezone.now()
        check.save()
        counts = delivery.samples.aggregate(
            checked=_count(~Q(result=SampleResult.PENDING)), defects=_count(Q(result=SampleResult.FAILED))
        )
        delivery.checked, delivery.defects = counts["checked"], counts["defects"]
        if delivery.checked < delivery.sample_size:
            delivery.save(update_fields=["checked", "defects"])
            return check
        _decide(delivery, actor)
    return check


def _count(condition: Q) -> Any:
    from django.db.models import Count

    return Count("id", filter=condition)


def _decide(delivery: Delivery, actor: User) -> None:
    """Accepts the batch, or returns it: each defective sampled item's wrong answers go back to their workers.

    The certificate is frozen between the two: after the decision is saved (so it counts this batch as
    accepted, or not) and before any answer goes back, so it describes the batch as it was delivered.
    """
    from dure.quality.certificate import delivery_certificate
    from dure.work.services import send_back_approved

    delivery.decided_at = timezone.now()
    accepted = delivery.defects <= delivery.accept_number
    delivery.state = DeliveryState.ACCEPTED if accepted else DeliveryState.RETURNED
    delivery.save(update_fields=["checked", "defects", "state", "decided_at"])
    delivery.certificate = delivery_certificate(delivery=delivery)
    delivery.save(update_fields=["certificate"])
    if accepted:
        return
    for check in delivery.samples.filter(result=SampleResult.FAILED).order_by("position"):
        send_back_approved(
            slot_ids=list(check.wrong_slots),
            actor=check.checked_by or actor,
            reasons=[check.reason],
            delivery=delivery.number,
        )


# --- reads ----------------------------------------------------------------------------------------------------


def project_deliveries(*, project: Project) -> QuerySet[Delivery]:
    return Delivery.objects.filter(project=project).order_by("-number")


def delivery_of(*, project: Project, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(pk=delivery_id, project=project).select_related("delivered_by").first()
    if delivery is None:
        raise DeliveryNotFound()
    return delivery


def sample_of(*, delivery: Delivery, item_id: int) -> SampleCheck:
    check = SampleCheck.objects.filter(delivery=delivery, item_id=item_id).select_related("item").first()
    if check is None:
        raise SampleNotFound()
    return check


def next_sample(*, delivery: Delivery, user: User) -> SampleCheck | None:
    """The first sampled item, in the order drawn, still unchecked and not the person's own work."""
    for check in delivery.samples.filter(result=SampleResult.PENDING).order_by("position")[:200]:
        if not worked_on(user=user, item_id=check.item_id):
            return check
    return None


def delivery_summary(delivery: Delivery) -> dict[str, Any]:
    accuracy = None
    interval = None
    if delivery.checked:
        correct = delivery.checked - delivery.defects
        accuracy = correct / delivery.checked
        interval = list(sampling.clopper_pearson(correct, delivery.checked))
    return {
        "id": delivery.pk,
        "number": delivery.number,
        "project_id": delivery.project_id,
        "state": delivery.state,
        "delivered_at": delivery.delivered_at.isoformat(),
        "decided_at": delivery.decided_at.isoformat() if delivery.decided_at else None,
        "resubmission_of": delivery.resubmission_of_id,
        "lot_size": delivery.lot_size,
        "method": delivery.method,
        "plan": delivery.plan,
        "sample_size": delivery.sample_size,
        "accept_number": delivery.accept_number,
        "reject_number": delivery.reject_number,
        "checked": delivery.checked,
        "defects": delivery.defects,
        "accuracy": accuracy,
        "interval": interval,
        "draw": delivery.draw,
    }
