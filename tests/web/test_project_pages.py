"""The pages for work, review and management: home by role, project settings with the interface builder,
item uploads, members, the dashboard and an item's history, per role."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dure.payments.services import deposit
from dure.projects.models import Project, ProjectMember, ProjectRole, ProjectStatus
from dure.work import services
from dure.work.models import Item, Slot
from tests.web.test_pages import signed_in

ROLES = ["manager", "owner", "viewer", "reviewer", "worker", "outsider", "anonymous"]


def client_for(people, role: str) -> Client:
    if role == "anonymous":
        return Client(headers={"Accept-Language": "en"})
    return signed_in(people[role])


def builder_post(**overrides):
    """The fields the project page posts: settings plus the builder's rows."""
    data = {
        "name": "Review sentiment",
        "description": "Is the review positive?",
        "guideline": "# Sentiment\nPick **one**.",
        "price_per_item": "50",
        "review_price": "10",
        "overlap": "1",
        "max_rework_rounds": "2",
        "lease_minutes": "20",
        "in-count": "1",
        "in-0-name": "text",
        "in-0-type": "text",
        "in-0-required": "on",
        "out-count": "2",
        "out-0-name": "sentiment",
        "out-0-type": "single_choice",
        "out-0-required": "on",
        "out-0-p-options": "positive | Positive | 1\nnegative | Negative | 2",
        "out-1-name": "entities",
        "out-1-type": "spans",
        "out-1-source": "text",
        "out-1-p-labels": "PER\nORG",
        "out-1-shown-allow_overlap": "1",
    }
    data.update(overrides)
    return data


# --- home ---------------------------------------------------------------------------------------------------


def test_home_shows_each_person_their_part(make_project, people):
    project = make_project(name="감성 분류 Sentiment", price_per_item=70)
    worker_page = signed_in(people["worker"]).get("/").content.decode()
    assert "Your work" in worker_page
    assert f'href="/projects/{project.pk}/work/"' in worker_page
    assert "Start working" in worker_page
    assert "70KRW" in worker_page or "70 KRW" in worker_page or "70" in worker_page
    assert "Review queues" not in worker_page
    assert "New project" not in worker_page

    reviewer_page = signed_in(people["reviewer"]).get("/").content.decode()
    assert "Review queues" in reviewer_page
    assert f'href="/projects/{project.pk}/review/"' in reviewer_page
    assert "Start reviewing" in reviewer_page

    manager_page = signed_in(people["manager"]).get("/").content.decode()
    assert "New project" in manager_page
    assert f'href="/projects/{project.pk}/"' in manager_page
    assert f'href="/projects/{project.pk}/edit/"' in manager_page

    viewer_page = signed_in(people["viewer"]).get("/").content.decode()
    assert f'href="/projects/{project.pk}/"' in viewer_page
    assert f'href="/projects/{project.pk}/edit/"' not in viewer_page
    assert "New project" not in viewer_page


def test_home_puts_rework_first_with_counts(make_project, people):
    first = make_project(name="First", price_per_item=0)
    second = make_project(name="Second", price_per_item=0)
    services.add_items(project=first, records=[{"text": "a"}])
    services.add_items(project=second, records=[{"text": "b"}])
    worker, reviewer = people["worker"], people["reviewer"]
    assignment = services.lease_next_item(worker=worker, project=second)
    assert assignment is not None
    services.submit(worker=worker, assignment_id=assignment.pk, answer={"label": "pos"})
    review = services.lease_next_review(reviewer=reviewer, project=second)
    assert review is not None
    services.decide(reviewer=reviewer, review_id=review.pk, decision="reject", reasons=["typo"])

    page = signed_in(worker).get("/").content.decode()
    assert page.index("Second") < page.index("First"), "the project with rework comes first"
    assert "1 to rework" in page
    assert "Fix rework" in page
    assert 'data-testid="rework-total">1<' in page


# --- the role matrix ------------------------------------------------------------------------------------------

VIEW_PAGES = ["", "items/", "items/{item}/"]
MANAGE_PAGES = ["edit/", "members/", "items/upload/"]
VIEW_EXPECTED = {"manager": 200, "owner": 200, "viewer": 200, "reviewer": 200, "worker": 403, "outsider": 404}
MANAGE_EXPECTED = {
    "manager": 200,
    "owner": 200,
    "viewer": 403,
    "reviewer": 403,
    "worker": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_project_pages_answer_each_role(make_project, people, role):
    project = make_project()
    services.add_items(project=project, records=[{"text": "hello"}])
    item = Item.objects.get(project=project)
    client = client_for(people, role)
    for pages, expected in ((VIEW_PAGES, VIEW_EXPECTED), (MANAGE_PAGES, MANAGE_EXPECTED)):
        for page in pages:
            path = f"/projects/{project.pk}/{page.format(item=item.pk)}"
            response = client.get(path)
            if role == "anonymous":
                assert response.status_code == 302, path
                assert response["Location"].startswith("/login/")
            else:
                assert response.status_code == expected[role], (role, path)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", 200),
        ("owner", 200),
        ("viewer", 403),
        ("reviewer", 403),
        ("worker", 403),
        ("outsider", 200),
    ],
)
def test_only_managers_of_some_organization_may_create(people, role, expected):
    assert client_for(people, role).get("/projects/new/").status_code == expected


def test_another_organizations_item_is_not_found(make_project, people):
    project = make_project()
    other = make_project(name="Other")
    services.add_items(project=other, records=[{"text": "x"}])
    item = Item.objects.get(project=other)
    assert signed_in(people["manager"]).get(f"/projects/{project.pk}/items/{item.pk}/").status_code == 404


# --- create and edit with the builder ------------------------------------------------------------------------


def test_manager_creates_a_project_with_the_builder(people):
    client = signed_in(people["manager"])
    page = client.get("/projects/new/").content.decode()
    assert 'id="builder"' in page and 'id="preview"' in page
    assert "htmx.min.js" in page

    response = client.post("/projects/new/", builder_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(name="Review sentiment")
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.status == ProjectStatus.DRAFT
    assert project.lease_seconds == 20 * 60
    assert project.price_per_item == 50
    assert project.spec == {
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [
            {
                "name": "sentiment",
                "type": "single_choice",
                "options": [
                    {"value": "positive", "label": "Positive", "hotkey": "1"},
                    {"value": "negative", "label": "Negative", "hotkey": "2"},
                ],
            },
            {
                "name": "entities",
                "type": "spans",
                "required": False,
                "source": "text",
                "labels": ["PER", "ORG"],
            },
        ],
    }


def test_a_bad_spec_shows_errors_on_the_form_and_writes_nothing(people):
    client = signed_in(people["manager"])
    before = Project.objects.count()
    response = client.post("/projects/new/", builder_post(**{"out-0-p-options": ""}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please fix the marked fields; nothing was saved." in page
    assert "options: List should have at least 1 item" in page
    assert Project.objects.count() == before
    # what the person typed is still there
    assert 'value="Review sentiment"' in page
    duplicate = client.post("/projects/new/", builder_post(**{"out-1-name": "sentiment"})).content.decode()
    assert "field names must be unique" in duplicate
    assert Project.objects.count() == before


def test_a_wrong_number_in_the_builder_names_the_field(people):
    response = signed_in(people["manager"]).post(
        "/projects/new/",
        builder_post(**{"out-1-type": "boxes", "out-1-source": "", "out-1-p-max_count": "many"}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "max_count" in page
    assert not Project.objects.filter(name="Review sentiment").exists()


def test_builder_buttons_and_preview_answer_htmx_partials(people):
    client = signed_in(people["manager"])
    response = client.post(
        "/projects/builder/rows/", builder_post(builder_action="add_output"), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="out-count" value="3">' in page
    assert 'name="out-2-name" value="output_3"' in page
    assert 'hx-swap-oob="innerHTML"' in page
    assert "<html" not in page

    removed = client.post(
        "/projects/builder/rows/", builder_post(builder_action="remove_output_0")
    ).content.decode()
    assert '<input type="hidden" name="out-count" value="1">' in removed
    assert 'value="entities"' in removed

    # changing the type shows that type's settings
    changed = client.post(
        "/projects/builder/rows/", builder_post(**{"out-0-type": "file_upload"})
    ).content.decode()
    assert 'name="out-0-p-accept"' in changed and 'name="out-0-p-max_seconds"' in changed

    preview = client.post("/projects/builder/preview/", builder_post()).content.decode()
    assert "The interface is valid." in preview
    assert "Positive" in preview and "PER" in preview
    assert json.loads(preview.split('data-testid="spec-json">')[1].split("</pre>")[0].replace("&quot;", '"'))

    bad = client.post("/projects/builder/preview/", builder_post(**{"out-0-name": "1bad"})).content.decode()
    assert "The interface is valid." not in bad
    assert "1bad" in bad


def test_every_output_type_round_trips_through_the_builder(people):
    from dure.web import builder

    spec = {
        "inputs": [
            {"name": "image", "type": "image"},
            {"name": "text", "type": "text", "label": "Text", "required": False},
            {"name": "audio", "type": "audio"},
        ],
        "outputs": [
            {
                "name": "a",
                "type": "single_choice",
                "options": ["x", {"value": "y", "label": "Y", "hotkey": "y"}],
            },
            {
                "name": "b",
                "type": "multi_choice",
                "options": ["x", "y"],
                "min_selected": 1,
                "max_selected": 2,
            },
            {"name": "c", "type": "text", "max_length": 300},
            {"name": "d", "type": "transcription"},
            {"name": "e", "type": "number", "min": 0, "max": 10.5, "integer": True},
            {"name": "f", "type": "rating", "max": 7, "criteria": ["helpful", "honest"]},
            {
                "name": "g",
                "type": "pairwise",
                "allow_tie": False,
                "strength": True,
                "require_rationale": True,
            },
            {"name": "h", "type": "boxes", "labels": ["cat"], "min_count": 1},
            {"name": "i", "type": "polygons", "source": "image", "labels": ["road"]},
            {"name": "j", "type": "keypoints", "labels": ["nose"]},
            {"name": "k", "type": "spans", "labels": ["PER"], "allow_overlap": True},
            {"name": "l", "type": "transcription_regions", "labels": ["plate"], "max_count": 5},
            {
                "name": "m",
                "type": "time_segments",
                "labels": ["speech"],
                "transcribe": True,
                "speakers": True,
            },
            {
                "name": "n",
                "type": "file_upload",
                "accept": ["audio/*"],
                "max_bytes": 1000,
                "min_seconds": 1.5,
            },
        ],
    }
    inputs, outputs = builder.rows_from_spec(spec)
    again = builder.spec_from_rows(inputs, outputs)
    assert again == spec
    assert builder.validate(again, inputs, outputs) == []


def test_editing_keeps_the_interface_once_work_started(make_project, people):
    project = make_project(name="Old name")
    client = signed_in(people["manager"])
    page = client.get(f"/projects/{project.pk}/edit/").content.decode()
    assert "the interface can no longer change" in page
    response = client.post(
        f"/projects/{project.pk}/edit/",
        builder_post(name="New name", price_per_item="120", **{"out-0-name": "changed"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.name == "New name"
    assert project.price_per_item == 120
    assert project.spec["outputs"][0]["name"] == "label", "the spec of an open project does not change"


def test_draft_spec_can_be_edited(make_project, people):
    project = make_project(status=ProjectStatus.DRAFT)
    response = signed_in(people["manager"]).post(f"/projects/{project.pk}/edit/", builder_post())
    assert response.status_code == 302
    project.refresh_from_db()
    assert [o["name"] for o in project.spec["outputs"]] == ["sentiment", "entities"]


def test_status_buttons_follow_the_allowed_transitions(make_project, people):
    project = make_project(status=ProjectStatus.DRAFT)
    client = signed_in(people["manager"])
    response = client.post(f"/projects/{project.pk}/status/", {"status": "open"}, follow=True)
    assert "The project is now “Open”." in response.content.decode()
    client.post(f"/projects/{project.pk}/status/", {"status": "closed"})
    response = client.post(f"/projects/{project.pk}/status/", {"status": "open"}, follow=True)
    assert "cannot move to that status" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.CLOSED
    assert (
        signed_in(people["reviewer"]).post(f"/projects/{project.pk}/status/", {"status": "open"}).status_code
        == 403
    )


def test_guideline_preview_is_sanitised_markdown(people):
    response = signed_in(people["manager"]).post(
        "/projects/guideline-preview/", {"guideline": "# Title\n<script>alert(1)</script>\n**bold**"}
    )
    html = response.content.decode()
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html


# --- items ----------------------------------------------------------------------------------------------------


def upload_items(client: Client, project: Project, name: str, content: bytes):
    return client.post(
        f"/projects/{project.pk}/items/upload/", {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def test_items_upload_as_jsonl_json_and_csv(make_project, people):
    project = make_project(
        spec={
            "inputs": [
                {"name": "text", "type": "text"},
                {"name": "score", "type": "number", "required": False},
            ],
            "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
        }
    )
    client = signed_in(people["manager"])
    lines = b'{"external_id": "a", "data": {"text": "one"}}\n{"text": "two"}\n'
    page = upload_items(client, project, "items.jsonl", lines).content.decode()
    assert "2 items added, 0 already present were skipped." in page
    page = upload_items(
        client, project, "items.json", json.dumps([{"text": "two"}, {"text": "셋"}]).encode()
    ).content
    assert "1 items added, 1 already present were skipped." in page.decode()
    csv_file = "external_id,text,score\nc1,네 번째,4\nc2,fifth,\n".encode()
    page = upload_items(client, project, "items.csv", csv_file).content.decode()
    assert "2 items added" in page
    assert Item.objects.get(project=project, external_id="c1").data == {"text": "네 번째", "score": 4}
    assert Item.objects.get(project=project, external_id="c2").data == {"text": "fifth"}
    assert Slot.objects.filter(project=project).count() == 5
    # the list shows them, and filters by state
    listing = client.get(f"/projects/{project.pk}/items/").content.decode()
    assert "네 번째" in listing
    assert "네 번째" not in client.get(f"/projects/{project.pk}/items/?state=done").content.decode()


def test_a_bad_items_file_lists_problems_by_record_and_adds_nothing(make_project, people):
    project = make_project()
    client = signed_in(people["manager"])
    lines = b'{"text": "fine"}\n{"nope": 1}\n{"text": "fine too"}\n{"text": 5}\n'
    response = upload_items(client, project, "items.jsonl", lines)
    page = response.content.decode()
    assert 'data-testid="upload-errors"' in page
    assert "Some items are not valid; nothing was added." in page
    assert "<td>2</td><td><code>data.text</code></td><td>This input is required.</td>" in page
    assert "<td>4</td><td><code>data.text</code></td><td>Expected text.</td>" in page
    assert not Item.objects.filter(project=project).exists()

    broken = upload_items(client, project, "items.jsonl", b'{"text": "ok"}\n{broken\n').content.decode()
    assert "<td>2</td>" in broken
    assert not Item.objects.filter(project=project).exists()
    not_text = upload_items(client, project, "items.csv", b"\xff\xfe\x00bad").content.decode()
    assert "The file is not UTF-8 text." in not_text


# --- members --------------------------------------------------------------------------------------------------


def test_members_are_added_changed_and_removed_by_username(make_project, people):
    project = make_project()
    client = signed_in(people["manager"])
    response = client.post(
        f"/projects/{project.pk}/members/", {"username": "viewer", "role": "reviewer"}, follow=True
    )
    assert "is now a Reviewer in this project." in response.content.decode()
    assert ProjectMember.objects.get(project=project, user=people["viewer"]).role == ProjectRole.REVIEWER

    response = client.post(f"/projects/{project.pk}/members/", {"username": "nobody", "role": "worker"})
    assert "There is no one with that username." in response.content.decode()

    member = ProjectMember.objects.get(project=project, user=people["worker2"])
    response = client.post(f"/projects/{project.pk}/members/", {"remove": member.pk}, follow=True)
    assert "was removed from the project." in response.content.decode()
    assert not ProjectMember.objects.filter(project=project, user=people["worker2"]).exists()
    assert (
        signed_in(people["worker"])
        .post(f"/projects/{project.pk}/members/", {"username": "worker", "role": "manager"})
        .status_code
        == 403
    )


# --- the dashboard after real work --------------------------------------------------------------------------


def work_cycles(project: Project, people) -> None:
    """Four items: three approved (one after a rework), one left open."""
    deposit(project=project, amount=100_000, actor=people["manager"], reference="test")
    services.add_items(project=project, records=[{"text": f"item {n}"} for n in range(4)])
    worker, worker2, reviewer = people["worker"], people["worker2"], people["reviewer"]
    for person in (worker, worker2, worker):
        assignment = services.lease_next_item(worker=person, project=project)
        assert assignment is not None
        services.submit(worker=person, assignment_id=assignment.pk, answer={"label": "pos"})
    for decision in ("approve", "reject", "approve"):
        review = services.lease_next_review(reviewer=reviewer, project=project)
        assert review is not None
        if decision == "reject":
            services.decide(
                reviewer=reviewer,
                review_id=review.pk,
                decision="reject",
                reasons=["wrong label"],
                comment="다시 보세요",
            )
        else:
            services.decide(reviewer=reviewer, review_id=review.pk, decision="approve")
    rework = services.lease_next_item(worker=worker2, project=project)
    assert rework is not None and rework.rework_round == 1
    services.submit(worker=worker2, assignment_id=rework.pk, answer={"label": "neg"})
    review = services.lease_next_review(reviewer=reviewer, project=project)
    assert review is not None
    services.decide(reviewer=reviewer, review_id=review.pk, decision="approve")


def test_dashboard_numbers_after_a_few_work_cycles(make_project, people):
    project = make_project(price_per_item=100, review_price=10)
    work_cycles(project, people)
    # one live lease now
    assert services.lease_next_item(worker=people["worker"], project=project) is not None

    page = signed_in(people["manager"]).get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="items-done">3 / 4<' in page
    assert 'data-testid="first-pass">67%<' in page  # 2 of 3 first versions approved
    assert 'data-testid="rework-rate">25%<' in page  # 1 rejection in 4 decisions
    assert 'data-testid="slots-approved">3<' in page
    assert 'data-testid="slots-leased">1<' in page
    assert 'data-testid="active-now">1 · 0<' in page
    assert "wrong label" in page
    assert "submitted 4" in page and "approved 3" in page  # this hour's bars
    # the reviewer sees it too, without the manager's buttons
    reviewer_page = signed_in(people["reviewer"]).get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="items-done">3 / 4<' in reviewer_page
    assert "Pause" not in reviewer_page
    # worker home: their numbers
    home = signed_in(people["worker2"]).get("/").content.decode()
    assert "50%" in home  # one approved, one rejected


def test_item_history_shows_versions_decisions_and_people(make_project, people):
    project = make_project(price_per_item=100)
    work_cycles(project, people)
    reworked = Item.objects.get(project=project, submissions__version=2)
    manager_page = (
        signed_in(people["manager"]).get(f"/projects/{project.pk}/items/{reworked.pk}/").content.decode()
    )
    assert "Version 1" in manager_page and "Version 2" in manager_page
    assert "wrong label" in manager_page and "다시 보세요" in manager_page
    assert "Worker2" in manager_page, "managers see display names"
    assert "Reviewer" in manager_page
    assert "&quot;neg&quot;" in manager_page or '"neg"' in manager_page

    viewer_page = (
        signed_in(people["viewer"]).get(f"/projects/{project.pk}/items/{reworked.pk}/").content.decode()
    )
    assert "Version 2" in viewer_page
    assert "Worker2" not in viewer_page, "others see pseudonyms"
    assert "w_" in viewer_page
