"""Notifications: written by jobs after the event commits, read and marked by their recipient only."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.notices.models import Notification
from dure.projects.services import set_project_member
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider"]


@pytest.fixture(autouse=True)
def _immediate_jobs(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _reject(project, people, capture, *, reasons=("label is wrong",)):
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with capture(execute=True) as callbacks:
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=list(reasons))
    return review, callbacks


def test_rejection_notifies_the_worker_after_commit_with_reasons_and_a_link_to_the_rework(
    project, people, api, django_capture_on_commit_callbacks
):
    _review, callbacks = _reject(project, people, django_capture_on_commit_callbacks)
    assert len(callbacks) >= 1
    body = api("worker").get("/notifications").json()
    assert body["unread"] == 1
    [note] = body["results"]
    assert note["kind"] == "submission_rejected"
    assert note["link"] == f"/projects/{project.pk}/work/"
    assert "waits for rework" in note["title"] and project.name in note["title"]
    assert "label is wrong" in note["body"]
    assert api("reviewer").get("/notifications").json() == {"unread": 0, "results": [], "next_cursor": None}


def test_nothing_is_written_inside_the_decision_and_a_rolled_back_decision_notifies_nobody(
    project, people, django_capture_on_commit_callbacks
):
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=["no"])
    assert callbacks and not Notification.objects.exists()


def test_approval_notifies_nobody(project, people, django_capture_on_commit_callbacks):
    add_items(project=project, records=[{"text": "a"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=people["reviewer"], project=project)
    with django_capture_on_commit_callbacks(execute=True):
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    assert not Notification.objects.exists()


def test_a_job_that_runs_twice_notifies_once(project, people, django_capture_on_commit_callbacks):
    from dure.notices import services

    review, _ = _reject(project, people, django_capture_on_commit_callbacks)
    services.handle("rejection", review.pk)
    assert Notification.objects.filter(recipient=people["worker"]).count() == 1


def test_korean_wording_is_chosen_when_read(project, people, api, django_capture_on_commit_callbacks):
    _reject(project, people, django_capture_on_commit_callbacks)
    english = api("worker").get("/notifications", lang="en").json()["results"][0]["title"]
    korean = api("worker").get("/notifications", lang="ko").json()["results"][0]["title"]
    assert english and korean and project.name in korean


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_each_role_sees_and_marks_only_its_own(
    project, people, api, role, django_capture_on_commit_callbacks
):
    _reject(project, people, django_capture_on_commit_callbacks)
    theirs = Notification.objects.get(recipient=people["worker"])
    caller = api(role)
    listed = caller.get("/notifications")
    read_one = caller.post(f"/notifications/{theirs.pk}/read")
    read_all = caller.post("/notifications/read-all")
    if role == "anonymous":
        assert (listed.status_code, read_one.status_code, read_all.status_code) == (401, 401, 401)
    elif role == "worker":
        assert listed.status_code == 200 and listed.json()["unread"] == 1
        assert read_one.status_code == 200 and read_one.json()["read_at"] is not None
        assert read_all.status_code == 200
    else:
        assert listed.status_code == 200 and listed.json()["results"] == []
        assert read_one.status_code == 404 and read_one.json()["code"] == "notification_not_found"
        assert read_all.json() == {"marked": 0}
    theirs.refresh_from_db()
    assert (theirs.read_at is not None) == (role == "worker")


def test_read_all_and_the_unread_filter(project, people, api, django_capture_on_commit_callbacks):
    _reject(project, people, django_capture_on_commit_callbacks)
    worker = api("worker")
    assert len(worker.get("/notifications?unread=true").json()["results"]) == 1
    assert worker.post("/notifications/read-all").json() == {"marked": 1}
    assert worker.get("/notifications?unread=true").json()["results"] == []
    assert worker.get("/notifications").json()["unread"] == 0


def test_pages_bell_list_open_and_read_all(project, people, django_capture_on_commit_callbacks):
    _reject(project, people, django_capture_on_commit_callbacks)
    note = Notification.objects.get(recipient=people["worker"])
    client = Client()
    client.force_login(people["worker"])
    headers = {"Accept-Language": "en"}
    home = client.get("/", headers=headers)
    assert b'data-unread="1"' in home.content
    assert b'data-unread="1"' in client.get("/notifications/bell/", headers=headers).content
    listing = client.get("/notifications/", headers=headers)
    assert b"waits for rework" in listing.content and b"label is wrong" in listing.content
    opened = client.post(f"/notifications/{note.pk}/open/", headers=headers)
    assert opened.status_code == 302 and opened["Location"] == f"/projects/{project.pk}/work/"
    assert b"data-unread" not in client.get("/notifications/bell/", headers=headers).content
    assert client.post("/notifications/read-all/").status_code == 302
    other = Client()
    other.force_login(people["reviewer"])
    assert other.post(f"/notifications/{note.pk}/open/", headers=headers).status_code == 404
    assert Client().get("/notifications/").status_code == 302


def test_payout_paid_and_failed(people, api):
    from dure.notices import services

    # The payout's own tests cover the money; here only the words.
    services.notify(
        recipient_id=people["worker"].pk, kind="payout_paid", key="payout:x:paid", data={"net": 96_700}
    )
    services.notify(
        recipient_id=people["worker"].pk,
        kind="payout_failed",
        key="payout:x:failed",
        data={"net": 96_700, "reason": "account closed"},
    )
    results = api("worker").get("/notifications").json()["results"]
    assert results[0]["title"] == "Your payout of 96,700 won failed and returned to your balance"
    assert results[0]["body"] == "account closed"
    assert results[1]["title"] == "Your payout of 96,700 won was paid"


def test_dataset_job_finished_and_failed_notify_who_started_it(project, people, api):
    from dure.datasets.models import DatasetJob

    job = DatasetJob.objects.create(
        project=project, kind="export", format="jsonl", created_by=people["manager"]
    )
    job.state = "succeeded"
    from django.db import transaction

    with transaction.atomic():
        job.save()
    failed = DatasetJob.objects.create(
        project=project, kind="import", format="csv", created_by=people["manager"]
    )
    failed.state, failed.error_message = "failed", "line 3: not CSV"
    failed.save()
    from dure.notices import services

    # the test database never commits; run the jobs the commit would have enqueued
    services.handle("dataset_job", job.pk)
    services.handle("dataset_job", failed.pk)
    titles = [r["title"] for r in api("manager").get("/notifications").json()["results"]]
    assert titles == [
        f"Import of {project.name} (csv) failed",
        f"Export of {project.name} (jsonl) finished",
    ]


def test_reviewer_role_granted_and_removed(project, people, api):
    from django.utils import timezone

    from dure.notices import services
    from dure.quality.models import ReviewerGrant

    grant = ReviewerGrant.objects.create(project=project, user=people["worker"], granted_at=timezone.now())
    services.handle("reviewer_grant", grant.pk)
    grant.revoked_at = timezone.now()
    grant.save()
    services.handle("reviewer_grant", grant.pk)
    results = api("worker").get("/notifications").json()["results"]
    assert [r["title"] for r in results] == [
        f"Your reviewer role in {project.name} was removed",
        f"You are now a reviewer in {project.name}",
    ]
    assert results[1]["link"] == f"/projects/{project.pk}/review/"


def test_budget_low_tells_the_managers_once_per_deposit(make_project, people, api):
    from dure.notices import services
    from dure.payments.services import deposit

    project = make_project(name="Paid work", price_per_item=100)
    set_project_member(project=project, user=people["reviewer"], role="manager")
    assert services.budget_low() == 1  # no budget at all: paused from the start
    assert services.budget_low() == 0
    owner_titles = [n["title"] for n in api("owner").get("/notifications").json()["results"]]
    assert owner_titles == ["The budget of Paid work is used up: no new items are handed out"]
    for role in ["manager", "reviewer"]:
        assert api(role).get("/notifications").json()["unread"] == 1
    assert api("worker").get("/notifications").json()["unread"] == 0
    deposit(project=project, amount=1_000_000, actor=people["manager"])
    assert services.budget_low() == 0  # room again
    deposit(project=project, amount=1, actor=people["manager"], key="tiny")
    assert services.budget_low() == 0  # still room; a deposit alone does not warn
