"""What suggestions do to the work and what reviewers see first: the record per submission, the effect
on the manager's page, flags from the model and from the worker's own history, duplicate uploads, and a
review queue ordered by the flags that still takes its slot through the partial index."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone
from PIL import Image

from dure.assist import services
from dure.assist.models import Fingerprint, PreLabel, SubmissionAssist, WorkerHistory
from dure.work.models import Assignment, Slot
from dure.work.services import add_items, lease_next_item, lease_next_review, submit
from dure.work.uploads import store_bytes
from tests.assist.conftest import TOPIC_SPEC, tone_wav
from tests.conftest import CHOICE_SPEC

UPLOAD_SPEC = {
    "inputs": [{"name": "prompt", "type": "text"}],
    "outputs": [{"name": "files", "type": "file_upload", "accept": ["image/*", "audio/*"]}],
}


def _work(worker: Any, project: Any, answer: Any, seconds: float) -> Any:
    """Leases the next item, lets ``seconds`` of active time pass on it, submits ``answer``."""
    assignment = lease_next_item(worker=worker, project=project)
    Assignment.objects.filter(pk=assignment.pk).update(
        active_seconds=seconds, last_heartbeat_at=timezone.now()
    )
    value = answer(assignment) if callable(answer) else answer
    return submit(worker=worker, assignment_id=assignment.pk, answer=value)


def _suggest(project: Any, label_for: Any) -> None:
    services.store_prelabels(
        project=project,
        backend="minilm",
        outputs=[
            services.PreLabelOut(item.pk, {"topic": label_for(item)}, 0.9) for item in project.items.all()
        ],
    )


def test_submissions_record_the_suggestion_and_the_manager_sees_the_effect(make_project, people, api):
    project = make_project(spec=TOPIC_SPEC)
    services.configure(project=project, backend="minilm")
    add_items(project=project, records=[{"text": f"sentence {i}"} for i in range(8)])
    items = list(project.items.order_by("id"))
    # the model suggests "food" for the first four items only
    services.store_prelabels(
        project=project, backend="minilm",
        outputs=[services.PreLabelOut(item.pk, {"topic": "food"}, 0.9) for item in items[:4]],
    )  # fmt: skip
    answers = ["food", "food", "food", "sports", "food", "food", "sports", "weather"]
    seconds = [4, 5, 6, 7, 12, 14, 16, 18]
    for answer, spent in zip(answers, seconds, strict=True):
        _work(people["worker"], project, {"topic": answer}, spent)
    records = list(SubmissionAssist.objects.filter(project=project).order_by("submission_id"))
    assert [r.suggestion_shown for r in records] == [True] * 4 + [False] * 4
    assert [r.similarity for r in records[:4]] == [1.0, 1.0, 1.0, 0.0]
    assert records[3].flags[0]["code"] == "disagrees_with_model" and records[3].flag_score == 1.0

    effect = api("manager").get(f"/projects/{project.pk}/assist").json()["effect"]
    assert effect["median_seconds_with"] == 5.5 and effect["median_seconds_without"] == 15.0
    assert effect["speedup"] == pytest.approx(2.73, abs=0.01)
    assert effect["changed"] == 1 and effect["changed_share"] == 0.25
    client = api("manager").client
    client.force_login(people["manager"])
    html = client.get(f"/projects/{project.pk}/assist/").content.decode()
    assert "5.5 s" in html and "15.0 s" in html and "\u00d72.73" in html and "25%" in html

    # the reviewer is handed the disagreeing submission first, and sees why
    review = api("reviewer").post(f"/projects/{project.pk}/reviews/next").json()["review"]
    assert review["submission"]["answer"] == {"topic": "sports"}
    assert review["assist"]["flags"][0]["code"] == "disagrees_with_model"
    assert review["assist"]["suggestion_shown"] is True


def test_rework_is_not_suggested_and_a_project_without_assistance_costs_nothing(
    project, people, django_assert_num_queries
):
    add_items(project=project, records=[{"text": "a"}, {"text": "b"}])
    assignment = lease_next_item(worker=people["worker"], project=project)
    submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
    assert not SubmissionAssist.objects.exists() and not WorkerHistory.objects.exists()
    # with no setting and no imported pre-labels, assessing a submission runs no query at all
    submission = assignment.submission
    with django_assert_num_queries(0):
        assert (
            services.assess_submission(
                submission=submission, spec=services.spec_of(project), item=assignment.item, rework=False
            )
            == 0
        )


def test_imported_prelabels_are_suggested_and_measured(make_project, people, api):
    project = make_project(spec=CHOICE_SPEC)
    add_items(project=project, records=[{"text": "great", "_prelabels": {"label": "pos"}}])
    assignment = api("worker").post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    assert assignment["suggestion"] == {"backend": "import", "answer": {"label": "pos"}, "confidence": None}
    api("worker").post(f"/assignments/{assignment['id']}/submit", {"answer": {"label": "neg"}})
    record = SubmissionAssist.objects.get()
    assert record.suggestion_backend == "import" and record.similarity == 0.0


def test_unusually_fast_work_and_an_unusual_class_are_flagged(make_project, people):
    project = make_project(spec=TOPIC_SPEC)
    services.configure(project=project, backend="", suggest=False)
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(14)])
    rng = np.random.default_rng(3)
    for i in range(12):  # the usual: about 30 s an item, "sports" or "food"
        _work(people["worker"], project, {"topic": ["sports", "food"][i % 2]}, float(rng.uniform(25, 35)))
    assert SubmissionAssist.objects.filter(flag_score__gt=0).count() == 0
    history = WorkerHistory.objects.get(project=project, worker=people["worker"])
    assert history.count == 12 and history.classes == {"topic:sports": 6, "topic:food": 6}
    fast = _work(people["worker"], project, {"topic": "sports"}, 3.0)
    odd = _work(people["worker"], project, {"topic": "weather"}, 30.0)
    fast_flags = SubmissionAssist.objects.get(submission=fast).flags
    assert [f["code"] for f in fast_flags] == ["unusually_fast"] and fast_flags[0]["usual_seconds"] > 25
    odd_flags = SubmissionAssist.objects.get(submission=odd).flags
    assert [f["code"] for f in odd_flags] == ["unusual_class"] and odd_flags[0]["value"] == "weather"
    priorities = dict(Slot.objects.filter(project=project).values_list("submission_id", "review_priority"))
    assert priorities[fast.pk] > 0 and priorities[odd.pk] > 0
    assert sum(1 for p in priorities.values() if p) == 2

    # reviewers get the flagged slots first (highest score first), then the oldest
    order = []
    for _ in range(4):
        review = lease_next_review(
            reviewer=people["manager"] if len(order) < 2 else people["reviewer"], project=project
        )
        order.append(review.submission_id)
    flagged = sorted([fast, odd], key=lambda s: -priorities[s.pk])
    assert order[:2] == [s.pk for s in flagged]
    assert order[2] < order[3]  # unflagged: oldest first


def _plan(sql: str, params: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    return plan


def test_the_review_lease_query_uses_the_flagged_queue_index(project, people):
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(3)])
    query = (
        Slot.objects.filter(project=project, state="submitted")
        .exclude(worker=people["reviewer"])
        .order_by("-review_priority", "queued_at", "id")
    )[:1]
    sql, params = query.query.sql_with_params()
    plan = _plan(sql, params)
    assert "slot_review_queue_flagged" in plan, plan
    assert "TEMP B-TREE" not in plan.upper() and "Sort" not in plan, plan  # no sort: the index has the order


def _png(color: tuple[int, int, int], size: tuple[int, int] = (64, 48), jpeg: bool = False) -> bytes:
    rng = np.random.default_rng(sum(color))
    noise = (rng.random((6, 8, 3)) * 255).astype(np.uint8)  # the same picture at any size
    image = Image.fromarray(noise).resize(size, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, format="JPEG" if jpeg else "PNG", quality=80)
    return out.getvalue()


@pytest.fixture
def collection(make_project, people) -> Any:
    project = make_project(spec=UPLOAD_SPEC)
    services.configure(project=project, backend="", suggest=False)
    add_items(project=project, records=[{"prompt": f"Take a photo of thing {i}"} for i in range(6)])
    return project


def _upload(worker: Any, project: Any, content: bytes) -> Any:
    assignment = lease_next_item(worker=worker, project=project)
    stored = store_bytes(worker=worker, assignment_id=assignment.pk, content=content)
    return submit(worker=worker, assignment_id=assignment.pk, answer={"files": [stored.as_dict()]})


def test_duplicate_image_and_audio_uploads_are_flagged_for_review(
    collection, people, api, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = _upload(people["worker"], collection, _png((10, 20, 30)))
        other_photo = _upload(people["worker"], collection, _png((200, 10, 90)))
        song = _upload(people["worker"], collection, tone_wav([440, 660, 550, 880, 330, 495, 740, 392]))
    with django_capture_on_commit_callbacks(execute=True):
        # the same photo re-encoded and enlarged, and the same song louder, by another worker
        copy = _upload(people["worker2"], collection, _png((10, 20, 30), size=(128, 96), jpeg=True))
        cover = _upload(people["worker2"], collection,
                        tone_wav([440, 660, 550, 880, 330, 495, 740, 392], gain=0.8, noise=0.005))  # fmt: skip
        fresh = _upload(people["worker2"], collection, tone_wav([300, 900, 260, 1200, 520, 610, 350, 800]))
    assert Fingerprint.objects.filter(project=collection).count() == 6
    flags = {s: SubmissionAssist.objects.get(submission=s).flags for s in (copy, cover, fresh, other_photo)}
    assert flags[copy][0]["code"] == "duplicate_upload" and flags[copy][0]["same_as_submission"] == photo.pk
    assert flags[copy][0]["kind"] == "image" and flags[copy][0]["same_worker"] is False
    assert flags[cover][0]["same_as_submission"] == song.pk and flags[cover][0]["kind"] == "audio"
    assert flags[fresh] == [] and flags[other_photo] == []
    priorities = dict(Slot.objects.filter(project=collection).values_list("submission_id", "review_priority"))
    assert priorities[copy.pk] == priorities[cover.pk] == 100 and priorities[fresh.pk] == 0
    first = api("reviewer").post(f"/projects/{collection.pk}/reviews/next").json()["review"]
    assert first["submission"]["id"] in {copy.pk, cover.pk}
    assert first["assist"]["flags"][0]["code"] == "duplicate_upload"


def test_prelabels_replace_the_backends_earlier_ones(project):
    add_items(project=project, records=[{"text": "a"}])
    item = project.items.get()
    for label in ("pos", "neg"):
        services.store_prelabels(
            project=project, backend="http", outputs=[services.PreLabelOut(item.pk, {"label": label})]
        )
    assert list(PreLabel.objects.values_list("answer", flat=True)) == [{"label": "neg"}]
