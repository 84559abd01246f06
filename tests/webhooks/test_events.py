"""export.finished and budget.low reach a real receiving server after commit; the worker's sweep retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dure.datasets import services as dataset_services
from dure.datasets.models import DatasetJob, JobState
from dure.webhooks import services
from dure.webhooks.models import Delivery
from dure.webhooks.signals import forget_subscriptions
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

from .test_webhooks import Receiver, _verify


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.DURE_SECURITY = {**settings.DURE_SECURITY, "WEBHOOK_ALLOW_PRIVATE": True}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _hook(project: Any, people: Any, url: str, events: list[str], *, project_id: int | None = None) -> str:
    _hook_row, secret = services.create_webhook(
        actor=people["owner"],
        organization=project.organization,
        project_id=project_id,
        url=url,
        events=events,
    )
    forget_subscriptions()
    return secret


def _approved_item(project: Any, people: Any) -> None:
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")


def test_a_finished_export_is_sent_once_it_commits(
    project, people, receiver, django_capture_on_commit_callbacks
):
    secret = _hook(project, people, receiver.url, ["export.finished"], project_id=project.pk)
    _approved_item(project, people)
    job = dataset_services.create_export_job(project=project, actor=people["manager"], format="jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        dataset_services.run_job(job_id=job.pk)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert _verify(secret, headers, body) and headers["x-dure-event"] == "export.finished"
    payload = json.loads(body)
    assert payload["project_id"] == project.pk
    data = payload["data"]
    assert data["job_id"] == job.pk and data["state"] == "succeeded" and data["format"] == "jsonl"
    assert data["rows"] == 1 and data["download_path"] == f"/api/v1/jobs/{job.pk}/download"
    assert data["error_code"] is None
    # A later save of the finished job (an operator touching it in the admin) is not a second finish.
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        job.save(update_fields=["result_path"])
    assert len(receiver.requests) == 1


def test_a_failed_export_says_why(project, people, receiver, django_capture_on_commit_callbacks):
    _hook(project, people, receiver.url, ["export.finished"])
    job = dataset_services.create_export_job(project=project, actor=people["manager"], format="jsonl")
    DatasetJob.objects.filter(pk=job.pk).update(format="no-such-format")  # fails while it runs
    with django_capture_on_commit_callbacks(execute=True):
        finished = dataset_services.run_job(job_id=job.pk)
    assert finished is not None and finished.state == JobState.FAILED
    [(_headers, body)] = receiver.requests
    data = json.loads(body)["data"]
    assert data["state"] == "failed" and data["error_code"] and data["download_path"] is None


def test_imports_and_unsubscribed_events_send_nothing(
    project, people, receiver, django_capture_on_commit_callbacks
):
    _hook(project, people, receiver.url, ["item.approved"])
    job = dataset_services.create_export_job(project=project, actor=people["manager"], format="jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        dataset_services.run_job(job_id=job.pk)
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_budget_low_is_sent_once_per_episode(
    make_project, people, receiver, django_capture_on_commit_callbacks
):
    from dure.notices import services as notices
    from dure.payments.services import deposit

    project = make_project(name="Paid work", price_per_item=100)
    secret = _hook(project, people, receiver.url, ["budget.low"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.budget_low() == 1
        assert notices.budget_low() == 0  # the same episode: not again
    [(headers, body)] = receiver.requests
    assert _verify(secret, headers, body) and headers["x-dure-event"] == "budget.low"
    payload = json.loads(body)
    assert payload["project_id"] == project.pk
    assert payload["data"]["dispatch_paused"] is True and payload["data"]["balance"] == 0
    assert payload["data"]["unit_cost"] > 0
    deposit(project=project, amount=1_000_000, actor=people["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.budget_low() == 0  # room again: nothing to say
    assert len(receiver.requests) == 1


def test_the_worker_sweep_retries_due_deliveries(org, people, receiver):
    from django.core.cache import cache

    from dure.work.management.commands.dure_worker import sweep_once

    services.create_webhook(
        actor=people["owner"], organization=org, project_id=None, url=receiver.url, events=["budget.low"]
    )
    receiver.statuses = [502]
    [delivery_id] = services.emit(event="budget.low", organization_id=org.pk, data={})
    assert services.attempt(delivery_id).state == "pending"
    cache.delete("webhooks:retry-sweep")
    sweep_once()  # not due yet: the backoff holds it
    assert Delivery.objects.get(pk=delivery_id).attempts == 1
    Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    cache.delete("webhooks:retry-sweep")
    sweep_once()
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.state == "delivered" and delivery.attempts == 2 and len(receiver.requests) == 2


def test_a_delivery_being_attempted_is_not_taken_twice(org, people, receiver):
    services.create_webhook(
        actor=people["owner"], organization=org, project_id=None, url=receiver.url, events=["budget.low"]
    )
    [delivery_id] = services.emit(event="budget.low", organization_id=org.pk, data={})
    # Another worker claimed it a moment ago and is still waiting for the receiver.
    Delivery.objects.filter(pk=delivery_id).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=20)
    )
    assert services.retry_due() == 0
    assert services.attempt(delivery_id).attempts == 1
    assert receiver.requests == []


def test_budget_low_without_any_manager_is_sent_once_too(
    make_project, people, receiver, django_capture_on_commit_callbacks
):
    from dure.accounts.models import Membership
    from dure.notices import services as notices

    project = make_project(name="Unmanaged", price_per_item=100)
    _hook(project, people, receiver.url, ["budget.low"])
    Membership.objects.filter(organization=project.organization, role__in=["owner", "manager"]).delete()
    with django_capture_on_commit_callbacks(execute=True):
        notices.budget_low()
        notices.budget_low()
    assert len(receiver.requests) == 1
