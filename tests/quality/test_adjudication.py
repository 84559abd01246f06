"""Aggregation wired into the loop and the adjudication queue: a done item with overlap > 1 is aggregated
after commit, low confidence goes to a senior reviewer, whose final answer is what exports carry. Per role,
and never an item the senior answered themselves."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from dure.academy.models import Certification, UserCertification
from dure.datasets.selectors import export_rows
from dure.projects.models import ProjectRole
from dure.projects.services import set_project_member
from dure.quality import services
from dure.quality.models import AdjudicationState, AggregatedAnswer, AggregationMethod
from dure.work.models import Item
from dure.work.services import add_items
from tests.conftest import Api
from tests.quality.crowd import make_crowd, work_through

pytestmark = pytest.mark.django_db

#: item n → the three workers' labels; item 2 is split 2:1 (confidence 2/3, under the 0.7 threshold)
LABELS = {
    0: ["pos", "pos", "pos"],
    1: ["pos", "pos", "pos"],
    2: ["pos", "neg", "pos"],
    3: ["neg", "neg", "neg"],
}


def _crowd_project(org: Any, people: dict[str, Any], make_project: Any, approve: bool = True) -> Any:
    project = make_project(overlap=3)
    add_items(project=project, records=[{"external_id": f"i{n}", "data": {"text": f"t{n}"}} for n in LABELS])
    crowd = make_crowd(org, project, 3)
    index = {w.pk: n for n, w in enumerate(crowd)}
    work_through(
        project,
        crowd,
        lambda worker, item: {"label": LABELS[int(item.external_id[1:])][index[worker.pk]]},
        reviewer=people["reviewer"],
        approve=approve,
    )
    project.crowd = crowd
    return project


@pytest.fixture
def split(org, people, make_project) -> Any:
    project = _crowd_project(org, people, make_project)
    for item in Item.objects.filter(project=project):
        services.aggregate_item(item_id=item.pk)
    return project


def _item(project: Any, n: int) -> Item:
    return Item.objects.get(project=project, external_id=f"i{n}")


def _senior(people: dict[str, Any]) -> None:
    certification, _ = Certification.objects.get_or_create(
        slug="review-master", defaults={"name": "Review master"}
    )
    UserCertification.objects.create(
        user=people["reviewer"], certification=certification, granted_at=timezone.now()
    )


# --- aggregation -----------------------------------------------------------------------------------------


def test_done_items_are_aggregated_after_the_approval_commits(
    org, people, make_project, immediate_tasks, django_capture_on_commit_callbacks
):
    project = _crowd_project(org, people, make_project, approve=False)
    assert not AggregatedAnswer.objects.exists()
    from tests.quality.crowd import approve_all

    with django_capture_on_commit_callbacks(execute=True):
        approve_all(project, people["reviewer"])
    rows = {a.item.external_id: a for a in AggregatedAnswer.objects.select_related("item")}
    assert set(rows) == {"i0", "i1", "i2", "i3"}
    assert rows["i0"].answer == {"label": "pos"}
    assert rows["i3"].answer == {"label": "neg"}
    assert rows["i0"].confidence == pytest.approx(1.0, abs=1e-4)
    # the first completion also ran the project's Dawid-Skene (once per minute at most)
    assert {r.method for r in rows.values()} <= {AggregationMethod.MAJORITY, AggregationMethod.DAWID_SKENE}
    for row in rows.values():
        assert (row.state == AdjudicationState.PENDING) == (row.confidence < 0.7)


def test_item_vote_sends_a_split_item_to_adjudication(split):
    split_row = AggregatedAnswer.objects.get(item=_item(split, 2))
    assert split_row.method == AggregationMethod.MAJORITY
    assert split_row.answer == {"label": "pos"}
    assert split_row.confidence == pytest.approx(2 / 3, abs=1e-4)
    assert split_row.state == AdjudicationState.PENDING
    assert AggregatedAnswer.objects.filter(project=split, state=AdjudicationState.PENDING).count() == 1


def test_project_aggregation_and_threshold(split, api):
    result = api("manager").post(f"/projects/{split.pk}/aggregate").json()
    assert result["items"] == 4
    rows = AggregatedAnswer.objects.filter(project=split)
    assert {r.method for r in rows} == {AggregationMethod.DAWID_SKENE}
    assert AggregatedAnswer.objects.get(item=_item(split, 1)).answer == {"label": "pos"}
    # a lower threshold: nothing needs a senior any more
    api("manager").patch(f"/projects/{split.pk}/quality-settings", {"adjudication_threshold": 0.1})
    api("manager").post(f"/projects/{split.pk}/aggregate")
    assert not AggregatedAnswer.objects.filter(project=split, state=AdjudicationState.PENDING).exists()


# --- adjudication ----------------------------------------------------------------------------------------


def test_senior_adjudicates_and_exports_carry_the_final_answer(split, api):
    manager = api("manager")
    queue = manager.get(f"/projects/{split.pk}/adjudications").json()
    assert queue["pending"] == 1 and queue["queue"][0]["item_id"] == _item(split, 2).pk
    taken = manager.post(f"/projects/{split.pk}/adjudications/next")
    assert taken.status_code == 200, taken.content
    body = taken.json()
    assert body["item"]["id"] == _item(split, 2).pk
    assert sorted(a["answer"]["label"] for a in body["answers"]) == ["neg", "pos", "pos"]
    assert all(a["worker"].startswith("w_") for a in body["answers"])
    # asking again returns the item held, not another
    assert manager.post(f"/projects/{split.pk}/adjudications/next").json()["item"]["id"] == body["item"]["id"]
    bad = manager.post(
        f"/projects/{split.pk}/adjudications/{body['item']['id']}/decision", {"answer": {"label": "x"}}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_adjudication"
    done = manager.post(
        f"/projects/{split.pk}/adjudications/{body['item']['id']}/decision",
        {"answer": {"label": "neg"}, "note": "sarcasm"},
    )
    assert done.status_code == 200, done.content
    assert done.json()["final_answer"] == {"label": "neg"}
    again = manager.post(
        f"/projects/{split.pk}/adjudications/{body['item']['id']}/decision", {"answer": {"label": "pos"}}
    )
    assert again.status_code == 409 and again.json()["code"] == "adjudication_closed"
    assert manager.post(f"/projects/{split.pk}/adjudications/next").status_code == 204
    # a later recomputation never overwrites the senior's answer
    services.aggregate_project(project=split)
    row = AggregatedAnswer.objects.get(item=_item(split, 2))
    assert row.state == AdjudicationState.DONE and row.final_answer == {"label": "neg"}
    answers = {r["external_id"]: r["answer"] for r in export_rows(project=split, filters={})}
    assert answers["i2"] == {"label": "neg"}
    assert answers["i3"] == {"label": "neg"}


def test_a_decision_needs_the_hold(split, api, people):
    _senior(people)
    item_id = _item(split, 2).pk
    response = api("manager").post(
        f"/projects/{split.pk}/adjudications/{item_id}/decision", {"answer": {"label": "neg"}}
    )
    assert response.status_code == 409 and response.json()["code"] == "adjudication_not_held"
    # two seniors: the one who took it holds it; the other finds nothing else to do
    assert api("reviewer").post(f"/projects/{split.pk}/adjudications/next").status_code == 200
    assert api("manager").post(f"/projects/{split.pk}/adjudications/next").status_code == 204
    api("reviewer").post(f"/projects/{split.pk}/adjudications/{item_id}/release")
    assert api("manager").post(f"/projects/{split.pk}/adjudications/next").status_code == 200


def test_a_senior_never_adjudicates_an_item_they_answered(split, people):
    author = split.crowd[1]  # the worker who said "neg" on the split item
    set_project_member(project=split, user=author, role=ProjectRole.MANAGER)
    client = Api(author)
    assert client.post(f"/projects/{split.pk}/adjudications/next").status_code == 204
    response = client.post(
        f"/projects/{split.pk}/adjudications/{_item(split, 2).pk}/decision", {"answer": {"label": "neg"}}
    )
    assert response.status_code == 404 and response.json()["code"] == "adjudication_not_found"


ROLES = ["owner", "manager", "reviewer", "senior", "worker", "viewer", "outsider", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_adjudication_endpoints_by_role(split, api, people, role):
    if role == "senior":
        _senior(people)
    client = api("reviewer" if role == "senior" else role)
    allowed = {"owner", "manager", "senior"}
    refused = {"outsider": 404, "anonymous": 401}.get(role, 403)
    p = split.pk
    item_id = _item(split, 2).pk
    cases = [
        ("get", f"/projects/{p}/adjudications", None, allowed, 200),
        ("post", f"/projects/{p}/adjudications/next", None, allowed, 200),
        (
            "post",
            f"/projects/{p}/adjudications/{item_id}/decision",
            {"answer": {"label": "neg"}},
            allowed,
            200,
        ),
        ("post", f"/projects/{p}/adjudications/{item_id}/release", None, allowed, 204),
        ("post", f"/projects/{p}/aggregate", None, {"owner", "manager"}, 200),
        ("get", f"/projects/{p}/agreement", None, {"owner", "manager"}, 200),
    ]
    for method, path, body, who, ok in cases:
        response = client.get(path) if method == "get" else client.post(path, body)
        assert response.status_code == (ok if role in who else refused), (role, path, response.content[:200])
        if response.status_code >= 400:
            assert response.json()["code"]


def test_the_sweep_recomputes_projects_with_newly_done_items(split):
    first = services.run_quality_sweep()
    assert first["aggregated"] == 4
    assert {a.method for a in AggregatedAnswer.objects.filter(project=split)} == {
        AggregationMethod.DAWID_SKENE
    }
    assert services.run_quality_sweep()["aggregated"] == 0


# --- the item page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]
)
def test_item_page_shows_the_aggregate_with_its_method_and_confidence(split, people, role):
    from django.test import Client

    from tests.web.test_pages import signed_in

    client = Client() if role == "anonymous" else signed_in(people[role])
    page = client.get(f"/projects/{split.pk}/items/{_item(split, 2).pk}/")
    if role in {"outsider", "worker", "anonymous"}:
        # the page itself is for people who follow the project; the section adds nothing to that
        assert page.status_code == {"outsider": 404, "worker": 403, "anonymous": 302}[role]
        assert b'data-testid="aggregate"' not in page.content
        return
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="aggregate"' in html
    assert "Aggregated by Majority vote (weighted by skill) with confidence 67%." in html
    assert "Waiting for a senior reviewer" in html
    assert "&quot;pos&quot;" in html.split('data-testid="final-answer"')[1].split("</pre>")[0]


def test_item_page_shows_the_adjudicated_answer_and_no_section_without_an_aggregate(split, api, people):
    from tests.web.test_pages import signed_in

    manager = api("manager")
    item_id = _item(split, 2).pk
    assert manager.post(f"/projects/{split.pk}/adjudications/next").status_code == 200
    decided = manager.post(
        f"/projects/{split.pk}/adjudications/{item_id}/decision",
        {"answer": {"label": "neg"}, "note": "sarcasm"},
    )
    assert decided.status_code == 200, decided.content
    html = signed_in(people["viewer"]).get(f"/projects/{split.pk}/items/{item_id}/").content.decode()
    section = html.split('data-testid="aggregate"')[1].split("</section>")[0]
    assert "Final answer" in section and "Adjudicated" in section
    assert "A senior reviewer changed it." in section
    assert "&quot;neg&quot;" in section.split('data-testid="final-answer"')[1].split("</pre>")[0]
    assert "The aggregate before adjudication" in section and "sarcasm" in section
    assert "with confidence 67%" in section

    unanimous = signed_in(people["manager"]).get(f"/projects/{split.pk}/items/{_item(split, 0).pk}/")
    assert "with confidence 100%." in unanimous.content.decode()
    add_items(project=split, records=[{"external_id": "fresh", "data": {"text": "new"}}])
    fresh = Item.objects.get(project=split, external_id="fresh")
    page = signed_in(people["manager"]).get(f"/projects/{split.pk}/items/{fresh.pk}/")
    assert page.status_code == 200 and b'data-testid="aggregate"' not in page.content
