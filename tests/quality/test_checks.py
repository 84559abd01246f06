"""Automatic checks: each check on its own, and a refused submit that leaves nothing written."""

from __future__ import annotations

import pytest

from dure.projects.spec import parse_spec
from dure.quality.checks import Problem, check_answer, image_size
from dure.work import services
from dure.work.models import (
    Assignment,
    AssignmentState,
    Event,
    Item,
    Slot,
    SlotState,
    Submission,
    SubmittedFile,
)
from tests.work.test_uploads import COLLECT_SPEC, send, wav

SPEC = parse_spec(
    {
        "inputs": [{"name": "image", "type": "image"}, {"name": "text", "type": "text"}],
        "outputs": [
            {"name": "kind", "type": "single_choice", "options": ["cat", "dog"]},
            {"name": "boxes", "type": "boxes", "labels": ["cat", "dog"], "required": False},
            {"name": "outline", "type": "polygons", "required": False},
            {"name": "points", "type": "keypoints", "required": False},
            {"name": "caption", "type": "transcription", "required": False},
            {"name": "regions", "type": "transcription_regions", "required": False},
            {"name": "entities", "type": "spans", "source": "text", "labels": ["PER"], "required": False},
            {"name": "stars", "type": "rating", "min": 1, "max": 5, "required": False},
        ],
    }
)
TEXT = "Kim Minji lives in Seoul."


@pytest.fixture
def collecting(make_project, people, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    project = make_project(spec=COLLECT_SPEC)
    services.add_items(project=project, records=[{"sentence": "하나"}, {"sentence": "둘"}])
    assignment = services.lease_next_item(worker=people["worker"], project=project)
    assert assignment is not None
    return project, assignment


def item(**data):
    return Item(pk=1, project_id=1, data={"image": "a.png", "text": TEXT, **data})


def codes(answer, **data) -> list[tuple[str, str]]:
    return [(p.code, p.field) for p in check_answer(spec=SPEC, answer=answer, item=item(**data))]


def test_a_good_answer_passes_without_a_query():
    """No database fixture: a query here would fail the test."""
    answer = {
        "kind": "cat",
        "boxes": [{"x": 0, "y": 0, "width": 640, "height": 480, "label": "cat"}],
        "outline": [{"points": [[0, 0], [10, 0], [10, 10]]}],
        "points": [{"x": 5, "y": 5}],
        "caption": "a cat",
        "regions": [{"x": 1, "y": 1, "width": 2, "height": 2, "text": "CAT"}],
        "entities": [{"start": 0, "end": 9, "label": "PER", "text": "Kim Minji"}],
        "stars": 4,
    }
    assert check_answer(spec=SPEC, answer=answer, item=item(width=640, height=480)) == []


def test_shapes_outside_the_image_when_its_size_is_known():
    answer = {
        "kind": "cat",
        "boxes": [{"x": 600, "y": 0, "width": 100, "height": 10, "label": "cat"}],
        "outline": [{"points": [[0, 0], [700, 0], [10, 10]]}],
        "points": [{"x": 5, "y": 500}],
    }
    expected = [
        ("outside_image", "boxes[0]"),
        ("outside_image", "outline[0].points[1]"),
        ("outside_image", "points[0]"),
    ]
    assert codes(answer, width=640, height=480) == expected
    # the size may come with the item's metadata instead of the top level
    assert codes(answer, meta={"width": 640, "height": 480}) == expected
    assert image_size({"metadata": {"width": 3, "height": 2}}) == (3.0, 2.0)
    # unknown size: the check is skipped, not failed
    assert codes(answer) == []


def test_empty_transcriptions_are_refused():
    assert codes({"kind": "cat", "caption": "   "}) == []  # optional: blank means left out
    spec = parse_spec({"inputs": [{"name": "audio", "type": "audio"}],
                       "outputs": [{"name": "said", "type": "transcription"}]})  # fmt: skip
    problems = check_answer(spec=spec, answer={"said": " \n"}, item=item())
    assert [(p.code, p.field) for p in problems] == [("empty_text", "said")]
    regions = [{"x": 1, "y": 1, "width": 2, "height": 2, "text": " "}]
    assert codes({"kind": "cat", "regions": regions}) == [("empty_text", "regions[0].text")]


def test_required_fields_and_allowed_classes():
    assert codes({}) == [("required", "kind")]
    assert codes({"kind": "horse"}) == [("not_allowed", "kind")]
    box = {"x": 0, "y": 0, "width": 1, "height": 1, "label": "horse"}
    assert codes({"kind": "cat", "boxes": [box]}) == [("not_allowed", "boxes[0].label")]
    assert codes({"kind": "cat", "colour": "red"}) == [("unknown_output", "colour")]


def test_spans_must_lie_inside_the_text():
    assert codes({"kind": "cat", "entities": [{"start": 20, "end": 40, "label": "PER"}]}) == [
        ("span_outside_text", "entities[0]")
    ]
    assert codes({"kind": "cat", "entities": [{"start": 0, "end": 3, "label": "PER", "text": "Lee"}]}) == [
        ("span_text_mismatch", "entities[0].text")
    ]


def test_ratings_in_range():
    assert codes({"kind": "cat", "stars": 6}) == [("rating_out_of_range", "stars")]
    assert codes({"kind": "cat", "stars": 0}) == [("rating_out_of_range", "stars")]


def test_problems_are_plain_data():
    problem = Problem(code="required", message="This answer is required.", field="kind")
    assert problem.as_dict() == {
        "code": "required",
        "message": "This answer is required.",
        "field": "kind",
        "detail": {},
    }


def _written(project) -> tuple[int, int, int]:
    return (
        Submission.objects.filter(project=project).count(),
        Event.objects.filter(project=project).count(),
        SubmittedFile.objects.filter(project=project).count(),
    )


def test_a_refused_submit_is_422_and_writes_nothing(make_project, api, people):
    spec = {"inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "boxes", "type": "boxes", "labels": ["car"]}]}  # fmt: skip
    project = make_project(spec=spec)
    services.add_items(project=project, records=[{"image": "a.png", "width": 100, "height": 50}])
    worker = api("worker")
    assignment = worker.post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    before = _written(project)
    bad = {"boxes": [{"x": 90, "y": 0, "width": 20, "height": 10, "label": "car"}]}
    response = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": bad})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "answer_checks_failed"
    assert body["details"]["problems"] == [
        {
            "code": "outside_image",
            "message": "The shape is outside the image.",
            "field": "boxes[0]",
            "detail": {},
        }
    ]
    # the workspace places ``errors`` next to each field
    assert body["details"]["errors"][0]["path"] == "boxes[0]"
    assert _written(project) == before
    slot = Slot.objects.get(project=project)
    assert slot.state == SlotState.LEASED
    assert Assignment.objects.get(pk=assignment["id"]).state == AssignmentState.ACTIVE

    good = {"boxes": [{"x": 80, "y": 0, "width": 20, "height": 10, "label": "car"}]}
    response = worker.post(f"/assignments/{assignment['id']}/submit", {"answer": good})
    assert response.status_code == 201, response.content
    assert Submission.objects.get(project=project).checks_passed is True


def test_the_same_file_submitted_twice_in_a_project_is_refused(collecting, api, people):
    project, assignment = collecting
    content = wav(2)
    first = send(api, "worker", assignment.pk, "a.wav", content).json()
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"recording": [first]})
    assert list(SubmittedFile.objects.filter(project=project).values_list("sha256", flat=True)) == [
        first["sha256"]
    ]

    # someone else, on another item, uploads the very same recording
    other = services.lease_next_item(worker=people["worker2"], project=project)
    assert other is not None and other.item_id != assignment.item_id
    copy = send(api, "worker2", other.pk, "copy.wav", content).json()
    before = _written(project)
    response = api("worker2").post(f"/assignments/{other.pk}/submit", {"answer": {"recording": [copy]}})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "answer_checks_failed"
    assert [p["code"] for p in response.json()["details"]["problems"]] == ["duplicate_upload"]
    assert response.json()["details"]["problems"][0]["field"] == "recording[0]"
    assert _written(project) == before

    # a different recording goes through
    fresh = send(api, "worker2", other.pk, "mine.wav", wav(3)).json()
    response = api("worker2").post(f"/assignments/{other.pk}/submit", {"answer": {"recording": [fresh]}})
    assert response.status_code == 201, response.content

    # a delivered answer re-checked later does not count its own file as a duplicate
    submission = Submission.objects.get(slot_id=assignment.slot_id)
    assert check_answer(spec=parse_spec(COLLECT_SPEC), answer=submission.answer, item=submission.item) == []


def test_a_rework_may_keep_its_own_recording(collecting, api, people):
    project, assignment = collecting
    body = send(api, "worker", assignment.pk, "a.wav", wav(2)).json()
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"recording": [body]})
    review = services.lease_next_review(reviewer=people["reviewer"], project=project)
    assert review is not None
    services.decide(reviewer=people["reviewer"], review_id=review.pk, decision="reject", reasons=["noise"])
    rework = services.lease_next_item(worker=people["worker"], project=project)
    assert rework is not None and rework.slot_id == assignment.slot_id
    again = services.submit(worker=people["worker"], assignment_id=rework.pk, answer={"recording": [body]})
    assert again.version == 2


@pytest.mark.parametrize("answer", [None, [], "text"])
def test_an_answer_that_is_not_an_object_is_one_problem(answer):
    assert [p.code for p in check_answer(spec=SPEC, answer=answer, item=item())] == ["invalid_format"]
