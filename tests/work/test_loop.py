"""The full-inspection loop over HTTP: next → submit → review → rework → approve, and its rules."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from dure.projects.models import ProjectRole
from dure.projects.services import set_project_member
from dure.work.models import Assignment, Event, Item, Slot, SlotState
from dure.work.services import add_items, reclaim_expired

ANSWER = {"label": "pos"}


def items(project, n=3):
    add_items(project=project, records=[{"text": f"문장 {i}"} for i in range(n)])


def next_item(client, project):
    return client.post(f"/projects/{project.pk}/assignments/next")


def next_review(client, project):
    return client.post(f"/projects/{project.pk}/reviews/next")


def test_full_loop_with_rework_and_approval(project, api, people):
    items(project, 1)
    worker, reviewer = api("worker"), api("reviewer")

    response = next_item(worker, project)
    assert response.status_code == 200, response.content
    assignment = response.json()["assignment"]
    assert assignment["item"]["data"] == {"text": "문장 0"}
    assert assignment["rework"] is None

    assert worker.post(f"/assignments/{assignment['id']}/heartbeat", {"active": True}).status_code == 200
    submitted = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": {"label": "neg"}})
    assert submitted.status_code == 201, submitted.content
    assert submitted.json()["version"] == 1

    review = next_review(reviewer, project).json()["review"]
    assert review["submission"]["answer"] == {"label": "neg"}
    assert review["history"] == []
    rejected = reviewer.post(
        f"/reviews/{review['id']}/decision",
        {
            "decision": "reject",
            "reasons": ["wrong label"],
            "comment": "긍정입니다",
            "region_comments": [{"comment": "here", "output": "label"}],
        },
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["slot_state"] == "rejected"

    # Only the author gets the rework, with the reasons and the previous answer.
    assert next_item(api("worker2"), project).status_code == 204
    rework = next_item(worker, project).json()["assignment"]
    assert rework["rework"] == {
        "round": 1,
        "reasons": ["wrong label"],
        "faq": [],
        "comment": "긍정입니다",
        "comments": [{"comment": "here", "output": "label"}],
        "previous_answer": {"label": "neg"},
    }
    assert worker.post(f"/assignments/{rework['id']}/submit", {"answer": ANSWER}).json()["version"] == 2

    review = next_review(reviewer, project).json()["review"]
    assert [h["version"] for h in review["history"]] == [1]
    assert review["history"][0]["reviews"][0]["reasons"] == ["wrong label"]
    approved = reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "approve"})
    assert approved.json()["slot_state"] == "approved"

    progress = api("manager").get(f"/projects/{project.pk}/progress").json()
    assert progress["items"] == {"total": 1, "done": 1}
    assert progress["slots"]["approved"] == 1
    assert progress["queues"] == {"work": 0, "review": 0, "rework": 0}

    exported = api("manager").get(f"/projects/{project.pk}/export?format=jsonl")
    lines = [json.loads(line) for line in b"".join(exported.streaming_content).decode().splitlines()]
    assert len(lines) == 1
    assert lines[0]["answers"][0]["answer"] == ANSWER
    assert lines[0]["answers"][0]["version"] == 2
    assert lines[0]["answers"][0]["worker"].startswith("w_")
    assert lines[0]["answers"][0]["worker"] not in {people["worker"].username, str(people["worker"].pk)}

    kinds = list(Event.objects.filter(item__project=project).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "leased",
        "submitted",
        "review_started",
        "rejected",
        "leased",
        "submitted",
        "review_started",
        "approved",
    ]
    history = api("manager").get(f"/projects/{project.pk}/items/{lines[0]['id']}").json()
    assert [h["kind"] for h in history["history"]] == kinds


def test_nothing_left_is_204(project, api):
    assert next_item(api("worker"), project).status_code == 204
    assert next_review(api("reviewer"), project).status_code == 204


def test_overlap_gives_each_item_to_different_workers(make_project, api):
    project = make_project(overlap=2)
    items(project, 2)
    worker = api("worker")
    first = next_item(worker, project).json()["assignment"]
    second = next_item(worker, project).json()["assignment"]
    assert first["item"]["id"] != second["item"]["id"]
    # worker holds its two-lease limit: asking again resumes instead of hoarding
    assert next_item(worker, project).json()["assignment"]["id"] == first["id"]
    other = api("worker2")
    got = {next_item(other, project).json()["assignment"]["item"]["id"] for _ in range(2)}
    assert got == {first["item"]["id"], second["item"]["id"]}


def test_worker_never_gets_an_item_again_after_release(project, api):
    items(project, 1)
    worker = api("worker")
    assignment = next_item(worker, project).json()["assignment"]
    assert worker.post(f"/assignments/{assignment['id']}/release").status_code == 204
    assert next_item(worker, project).status_code == 204
    assert next_item(api("worker2"), project).json()["assignment"]["item"]["id"] == assignment["item"]["id"]


def test_rework_comes_first(project, api):
    items(project, 3)
    worker, reviewer = api("worker"), api("reviewer")
    first = next_item(worker, project).json()["assignment"]
    worker.post(f"/assignments/{first['id']}/submit", {"answer": ANSWER})
    review = next_review(reviewer, project).json()["review"]
    reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "reject", "reasons": ["x"]})
    again = next_item(worker, project).json()["assignment"]
    assert again["item"]["id"] == first["item"]["id"]
    assert again["rework"]["round"] == 1


def test_after_max_rework_rounds_the_slot_goes_to_someone_else(make_project, api):
    project = make_project(max_rework_rounds=1)
    items(project, 1)
    worker, reviewer = api("worker"), api("reviewer")
    for _round in range(2):
        assignment = next_item(worker, project).json()["assignment"]
        worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
        review = next_review(reviewer, project).json()["review"]
        decision = reviewer.post(
            f"/reviews/{review['id']}/decision", {"decision": "reject", "reasons": ["no"]}
        )
    assert decision.json()["slot_state"] == "open"
    assert next_item(worker, project).status_code == 204
    fresh = next_item(api("worker2"), project).json()["assignment"]
    assert fresh["item"]["id"] == assignment["item"]["id"]
    assert fresh["rework"] is None


def test_reviewer_never_reviews_own_work(project, api, people):
    set_project_member(project=project, user=people["reviewer"], role=ProjectRole.REVIEWER)
    items(project, 1)
    reviewer = api("reviewer")
    assignment = next_item(reviewer, project).json()["assignment"]
    reviewer.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    assert next_review(reviewer, project).status_code == 204
    assert next_review(api("manager"), project).status_code == 200


def test_expired_lease_reopens_and_late_submit_is_409(project, api):
    items(project, 1)
    worker = api("worker")
    assignment = next_item(worker, project).json()["assignment"]
    Assignment.objects.filter(pk=assignment["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    Slot.objects.filter(assignment_id=assignment["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    late = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    assert late.status_code == 409
    assert late.json()["code"] == "lease_expired"
    heartbeat = worker.post(f"/assignments/{assignment['id']}/heartbeat")
    assert heartbeat.json()["code"] == "lease_expired"

    # Nothing else is open, so dispatch sweeps and hands the slot to another worker.
    again = next_item(api("worker2"), project)
    assert again.status_code == 200
    assert again.json()["assignment"]["item"]["id"] == assignment["item"]["id"]
    assert (
        worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER}).json()["code"]
        == "lease_expired"
    )


def test_expired_review_lease_returns_to_queue(project, api):
    items(project, 1)
    worker = api("worker")
    assignment = next_item(worker, project).json()["assignment"]
    worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    review = next_review(api("reviewer"), project).json()["review"]
    Slot.objects.filter(review_id=review["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reclaim_expired() == 1
    late = api("reviewer").post(f"/reviews/{review['id']}/decision", {"decision": "approve"})
    assert late.status_code == 409
    assert late.json()["code"] == "review_closed"
    assert next_review(api("manager"), project).status_code == 200


def test_rework_window_expiry_reopens_for_others(project, api):
    items(project, 1)
    worker, reviewer = api("worker"), api("reviewer")
    assignment = next_item(worker, project).json()["assignment"]
    worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    review = next_review(reviewer, project).json()["review"]
    reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "reject", "reasons": ["x"]})
    Slot.objects.filter(state=SlotState.REJECTED).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reclaim_expired() == 1
    assert next_item(api("worker2"), project).status_code == 200


def test_decision_is_taken_once(project, api):
    items(project, 1)
    worker, reviewer = api("worker"), api("reviewer")
    assignment = next_item(worker, project).json()["assignment"]
    worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    review = next_review(reviewer, project).json()["review"]
    assert reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "approve"}).status_code == 200
    again = reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "reject", "reasons": ["x"]})
    assert again.status_code == 409
    assert Item.objects.get(pk=assignment["item"]["id"]).approved_count == 1


def test_rejection_needs_a_reason(project, api):
    items(project, 1)
    worker, reviewer = api("worker"), api("reviewer")
    assignment = next_item(worker, project).json()["assignment"]
    worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    review = next_review(reviewer, project).json()["review"]
    response = reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "reject"})
    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"


def test_invalid_answer_is_422_and_keeps_the_lease(project, api):
    items(project, 1)
    worker = api("worker")
    assignment = next_item(worker, project).json()["assignment"]
    response = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": {"label": "maybe"}})
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["path"] == "label"
    assert worker.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER}).status_code == 201


def test_active_time_is_measured_from_heartbeats_and_capped(project, api, settings):
    items(project, 1)
    worker = api("worker")
    assignment = next_item(worker, project).json()["assignment"]
    record = Assignment.objects.get(pk=assignment["id"])
    # Pretend the last beat was 20 s ago; then a long silence counts only up to the gap cap.
    Assignment.objects.filter(pk=record.pk).update(last_heartbeat_at=timezone.now() - timedelta(seconds=20))
    beat = worker.post(f"/assignments/{record.pk}/heartbeat", {"active": True}).json()
    assert 19 <= beat["active_seconds"] <= 22
    Assignment.objects.filter(pk=record.pk).update(last_heartbeat_at=timezone.now() - timedelta(hours=2))
    beat = worker.post(f"/assignments/{record.pk}/heartbeat", {"active": True}).json()
    assert beat["active_seconds"] <= 22 + settings.DURE["HEARTBEAT_MAX_GAP_SECONDS"]
    # An idle (hidden tab) beat keeps the lease but adds no time.
    Assignment.objects.filter(pk=record.pk).update(last_heartbeat_at=timezone.now() - timedelta(seconds=30))
    idle = worker.post(f"/assignments/{record.pk}/heartbeat", {"active": False}).json()
    assert idle["active_seconds"] == beat["active_seconds"]


def test_paused_project_does_not_dispatch(project, api):
    items(project, 1)
    assert api("manager").post(f"/projects/{project.pk}/pause").json()["status"] == "paused"
    response = next_item(api("worker"), project)
    assert response.status_code == 409
    assert response.json()["code"] == "project_not_open"


def test_a_reviewer_holds_the_current_and_one_preloaded_submission(project, api, people):
    items(project, 3)
    worker, worker2, reviewer = api("worker"), api("worker2"), api("reviewer")
    for client in (worker, worker2, worker):
        assignment = next_item(client, project).json()["assignment"]
        assert client.post(f"/assignments/{assignment['id']}/submit", {"answer": ANSWER}).status_code == 201
    first = next_review(reviewer, project).json()["review"]["id"]
    preloaded = next_review(reviewer, project).json()["review"]["id"]
    assert preloaded != first
    # A third ask (a reload) resumes the oldest instead of taking more.
    assert next_review(reviewer, project).json()["review"]["id"] == first
