"""Gold mixing measured over many dispatches, gold pauses and appeals, and the platform choosing reviewers,
all driven through the API like real work."""

from __future__ import annotations

import random

import pytest

from dure.accounts.models import Role
from dure.accounts.services import set_membership
from dure.projects.models import ProjectMember, ProjectRole
from dure.projects.services import set_project_member
from dure.quality import selectors, services
from dure.quality.models import Audit, GoldItem, GoldResult, QualitySettings
from dure.work.models import Assignment
from dure.work.services import add_items
from tests.conftest import Api, make_user

pytestmark = pytest.mark.django_db


def _gold_items(project, manager, count, answer="pos"):
    add_items(
        project=project,
        records=[{"data": {"text": f"gold {n}"}, "external_id": f"g{n}"} for n in range(count)],
    )
    for item in project.items.filter(external_id__startswith="g"):
        response = manager.post(
            f"/projects/{project.pk}/gold", {"item_id": item.pk, "answer": {"label": answer}}
        )
        assert response.status_code == 201, response.content


def _work(client, project, answer=None, count=1):
    """Take and submit ``count`` items; returns the assignment payloads."""
    done = []
    for _ in range(count):
        response = client.post(f"/projects/{project.pk}/assignments/next")
        if response.status_code == 204:
            break
        assert response.status_code == 200, response.content
        body = response.json()["assignment"]
        submitted = client.post(f"/assignments/{body['id']}/submit", {"answer": answer or {"label": "pos"}})
        assert submitted.status_code in (200, 201), submitted.content
        done.append(body)
    return done


def test_gold_is_mixed_in_at_the_project_rate(org, people, project, api):
    """10% of a worker's first 20 items, then 2% — measured over many workers and dispatches."""
    random.seed(7)
    manager = api("manager")
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(400)])
    _gold_items(project, manager, 30)
    QualitySettings.objects.create(
        project=project, gold_initial_rate=0.10, gold_initial_items=20, gold_rate=0.02
    )
    first, later = [0, 0], [0, 0]
    gold_ids = set(GoldItem.objects.filter(project=project).values_list("item_id", flat=True))
    for n in range(12):
        user = make_user(f"mix{n}")
        set_membership(organization=org, user=user, role=Role.WORKER)
        set_project_member(project=project, user=user, role=ProjectRole.WORKER)
        client = Api(user)
        for index in range(30):
            response = client.post(f"/projects/{project.pk}/assignments/next")
            assert response.status_code == 200, (n, index, response.content)
            body = response.json()["assignment"]
            # indistinguishable: the payload is the same shape and carries no answer
            assert "gold" not in str(body).lower() or "gold " in body["item"]["data"]["text"]
            # every gold answer is "pos": right answers keep the worker from being paused mid-measurement
            client.post(f"/assignments/{body['id']}/submit", {"answer": {"label": "pos"}})
            bucket = first if index < 20 else later
            bucket[0] += body["item"]["id"] in gold_ids
            bucket[1] += 1
    first_rate, later_rate = first[0] / first[1], later[0] / later[1]
    assert 0.05 <= first_rate <= 0.16, first
    assert later_rate <= 0.06, later
    # every gold submission was scored at submit, and never twice for one worker on one gold item
    assert GoldResult.objects.count() == first[0] + later[0]
    pairs = list(Assignment.objects.filter(item_id__in=gold_ids).values_list("worker_id", "item_id"))
    assert len(pairs) == len(set(pairs))


def test_low_gold_accuracy_pauses_with_an_explanation_and_an_appeal_lifts_it(org, people, project, api):
    manager, worker = api("manager"), api("worker")
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(40)])
    _gold_items(project, manager, 10)
    QualitySettings.objects.create(
        project=project, gold_initial_rate=1.0, gold_initial_items=100, gold_min_results=3, gold_threshold=0.7
    )
    _work(worker, project, answer={"label": "neg"}, count=3)
    blocked = worker.post(f"/projects/{project.pk}/assignments/next")
    assert blocked.status_code == 403
    body = blocked.json()
    assert body["code"] == "paused_low_accuracy" and body["details"]["gold_accuracy"] == 0.0
    assert "appeal" in body["message"]
    assert api("worker2").post(f"/projects/{project.pk}/assignments/next").status_code == 200

    pause = worker.get("/me/pauses").json()[0]
    assert pause["state"] == "active" and pause["threshold"] == 0.7
    appeal = worker.post(f"/pauses/{pause['id']}/appeal", {"message": "지침이 바뀐 줄 몰랐습니다."})
    assert appeal.status_code == 201
    assert (
        worker.post(f"/pauses/{pause['id']}/appeal", {"message": "again"}).json()["code"] == "appeal_exists"
    )
    assert api("worker2").post(f"/pauses/{pause['id']}/appeal", {"message": "x"}).status_code == 404
    listed = manager.get(f"/projects/{project.pk}/appeals").json()
    assert listed[0]["message"].startswith("지침")
    assert (
        worker.post(
            f"/projects/{project.pk}/appeals/{listed[0]['id']}/decision", {"accept": True}
        ).status_code
        == 403
    )
    decided = manager.post(
        f"/projects/{project.pk}/appeals/{listed[0]['id']}/decision", {"accept": True, "note": "ok"}
    )
    assert decided.json()["state"] == "accepted"
    # accuracy counts afresh after the pause is lifted
    assert worker.post(f"/projects/{project.pk}/assignments/next").status_code == 200
    assert (
        manager.post(f"/projects/{project.pk}/appeals/{listed[0]['id']}/decision", {"accept": False}).json()[
            "code"
        ]
        == "appeal_decided"
    )


def test_gold_answers_stay_hidden_and_only_untouched_items_become_gold(people, project, api):
    manager, worker = api("manager"), api("worker")
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    first, second = project.items.order_by("id")
    bad = manager.post(f"/projects/{project.pk}/gold", {"item_id": first.pk, "answer": {"label": "maybe"}})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_gold_answer"
    worker.post(f"/projects/{project.pk}/assignments/next")
    touched = manager.post(f"/projects/{project.pk}/gold", {"item_id": first.pk, "answer": {"label": "pos"}})
    assert touched.status_code == 409 and touched.json()["code"] == "gold_item_worked_on"
    assert (
        manager.post(
            f"/projects/{project.pk}/gold", {"item_id": second.pk, "answer": {"label": "pos"}}
        ).status_code
        == 201
    )
    second.refresh_from_db()
    assert "label" not in second.data
    assert manager.delete(f"/projects/{project.pk}/gold/{second.pk}").status_code == 204
    assert second.slots.count() == project.overlap
    assert manager.delete(f"/projects/{project.pk}/gold/{second.pk}").json()["code"] == "gold_not_found"


def test_reviewers_are_promoted_when_the_queue_waits_and_demoted_by_audits(org, people, project, api):
    """Real simulated work: workers answer, the queue grows, the platform grants the reviewer role to the best
    worker; the new reviewer decides, a senior audits and disagrees, and the role is taken back."""
    manager = api("manager")
    QualitySettings.objects.create(
        project=project,
        reviewer_min_approved=5,
        reviewer_min_approval_rate=0.9,
        reviewers_per_grant=1,
        review_wait_target_seconds=600,
        audit_rate=1.0,
        audit_min_count=3,
        audit_agreement_threshold=0.8,
        gold_initial_rate=0.0,
        gold_rate=0.0,
    )
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(60)])
    good, sloppy = api("worker"), api("worker2")
    reviewer = api("reviewer")
    # The good worker: 6 approved first time. The sloppy one: rejected.
    for client, decision in ((good, "approve"), (sloppy, "reject")):
        _work(client, project, count=6)
        for _ in range(6):
            review = reviewer.post(f"/projects/{project.pk}/reviews/next").json()["review"]
            body = (
                {"decision": decision}
                if decision == "approve"
                else {"decision": "reject", "reasons": ["틀림"]}
            )
            assert reviewer.post(f"/reviews/{review['id']}/decision", body).status_code == 200
    # Nothing waits for review: no one is promoted.
    assert manager.post(f"/projects/{project.pk}/reviewers/maintain").json()["granted"] == []
    # A queue builds up faster than reviews happen (1 decision per ~2h over the last day → long wait).
    _work(sloppy, project, count=5)
    changes = manager.post(f"/projects/{project.pk}/reviewers/maintain").json()
    assert changes["granted"] == [people["worker"].pk], changes
    assert changes["expected_wait_seconds"] > 600
    assert ProjectMember.objects.get(project=project, user=people["worker"]).role == ProjectRole.REVIEWER

    # The new reviewer approves what they should not; a senior (the manager) audits and disagrees.
    for _ in range(4):
        review = good.post(f"/projects/{project.pk}/reviews/next").json()["review"]
        good.post(f"/reviews/{review['id']}/decision", {"decision": "approve"})
    services.sample_audits(project=project)
    assert Audit.objects.filter(reviewer=people["worker"]).count() == 4
    assert good.post(f"/projects/{project.pk}/audits/next").status_code == 403
    audited = 0
    while (audit := manager.post(f"/projects/{project.pk}/audits/next")).status_code == 200:
        audit_body = audit.json()
        by_new_reviewer = Audit.objects.get(pk=audit_body["id"]).reviewer_id == people["worker"].pk
        decision = {"agrees": not by_new_reviewer}
        assert (
            manager.post(f"/projects/{project.pk}/audits/{audit_body['id']}/decision", decision).status_code
            == 200
        )
        audited += 1
    assert audit.status_code == 204 and audited == Audit.objects.count()
    scores = selectors.worker_scores(user=people["worker"], project=project)
    assert scores["audit_agreement"] is not None and scores["audit_agreement"] < 0.8
    changes = services.maintain_reviewers(project=project)
    assert people["worker"].pk in changes.revoked
    assert ProjectMember.objects.get(project=project, user=people["worker"]).role == ProjectRole.WORKER


def test_workers_rejected_repeatedly_are_routed_away(people, project, api):
    QualitySettings.objects.create(
        project=project, max_rejections=3, max_rejection_rate=0.5, gold_initial_rate=0, gold_rate=0
    )
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(10)])
    worker, reviewer = api("worker"), api("reviewer")
    _work(worker, project, count=3)
    for _ in range(3):
        review = reviewer.post(f"/projects/{project.pk}/reviews/next").json()["review"]
        reviewer.post(f"/reviews/{review['id']}/decision", {"decision": "reject", "reasons": ["x"]})
    selectors.forget_profiles()
    response = worker.post(f"/projects/{project.pk}/assignments/next")
    # rework is still theirs to do; fresh items are not offered
    assert response.status_code == 200 and response.json()["assignment"]["rework"]["round"] >= 1
    for _ in range(3):
        body = worker.post(f"/projects/{project.pk}/assignments/next").json().get("assignment")
        if body is None:
            break
        worker.post(f"/assignments/{body['id']}/release")
    Assignment.objects.filter(worker=people["worker"], state="active").update(state="released")
    from dure.work.models import Slot

    Slot.objects.filter(worker=people["worker"], state="rejected").update(state="open", worker=None)
    routed = worker.post(f"/projects/{project.pk}/assignments/next")
    assert routed.status_code == 403 and routed.json()["code"] == "routed_away"


def test_levels_are_data(people, project):
    from dure.quality.models import Level

    scores = selectors.worker_scores(user=people["worker"])
    assert scores["level"]["rank"] == 1
    Level.objects.filter(rank=1).update(min_approved=5)
    assert selectors.worker_scores(user=people["worker"])["level"] is None
