"""Every acceptance endpoint and page for every role: managers deliver; the client's owners, managers and
viewers inspect; those who may export read; reviewers and workers are refused; another organization sees
nothing (404); anonymous callers are asked to sign in (401, or the sign-in page)."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.quality import acceptance
from dure.quality.models import DeliveryState
from dure.work.services import add_items
from tests.quality.test_acceptance import work_through

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]
MANAGE = {"owner", "manager"}
READ = {"owner", "manager", "viewer"}
INSPECT = {"owner", "manager", "viewer"}


def _status(role: str, allowed: set[str], ok: int) -> int:
    if role in allowed:
        return ok
    return {"outsider": 404, "anonymous": 401}.get(role, 403)


@pytest.fixture
def delivered(project, people):
    add_items(project=project, records=[{"text": f"t{n}"} for n in range(6)])
    work_through(project, [people["worker"], people["worker2"]], people["reviewer"],
                 lambda worker, item, rework: {"label": "pos"})  # fmt: skip
    return acceptance.deliver_batch(project=project, actor=people["manager"], limit=5, seed=8)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_acceptance_endpoints_by_role(project, api, role, delivered):
    client = api(role)
    p, d = project.pk, delivered.pk
    item = delivered.samples.order_by("position").first().item_id
    cases = [
        ("get", f"/projects/{p}/deliveries", None, READ, 200),
        ("get", f"/projects/{p}/deliveries/{d}", None, READ, 200),
        ("get", f"/projects/{p}/deliveries/{d}/samples/{item}", None, READ, 200),
        ("post", f"/projects/{p}/deliveries/{d}/samples/next", None, INSPECT, 200),
        ("post", f"/projects/{p}/deliveries/{d}/samples/{item}/check", {"passed": True}, INSPECT, 200),
        ("get", f"/projects/{p}/deliveries/{d}/certificate", None, READ, 200),
        ("get", f"/projects/{p}/deliveries/{d}/certificate.pdf", None, READ, 200),
        ("post", f"/projects/{p}/deliveries", {"limit": 1}, MANAGE, 201),
        # an inspecting batch cannot be delivered again: the state conflict, for those who may deliver
        ("post", f"/projects/{p}/deliveries/{d}/redeliver", None, MANAGE, 409),
    ]
    for method, path, body, allowed, ok in cases:
        response = client.get(path) if method == "get" else client.call(method, path, body)
        assert response.status_code == _status(role, allowed, ok), (
            role,
            method,
            path,
            response.content[:300],
        )
        if response.status_code >= 400:
            assert response.json()["code"]
    if role in READ:
        listed = client.get(f"/projects/{p}/deliveries").json()
        assert {entry["number"] for entry in listed} >= {1}


@pytest.mark.django_db
def test_bad_input_is_a_4xx_with_a_code(project, api, delivered):
    manager = api("manager")
    p, d = project.pk, delivered.pk
    item = delivered.samples.order_by("position").first().item_id
    cases = [
        ("post", f"/projects/{p}/deliveries", {"aql": "0.5"}, 422, "invalid_sampling_plan"),
        ("post", f"/projects/{p}/deliveries", {"method": "guess"}, 422, "invalid_input"),
        ("post", f"/projects/{p}/deliveries", {"target": 1.5}, 422, "invalid_input"),
        ("post", f"/projects/{p}/deliveries", {"item_ids": [999_999]}, 409, "nothing_to_deliver"),
        ("post", f"/projects/{p}/deliveries/{d}/samples/{item}/check", {"passed": False}, 422, "reason_required"),
        ("post", f"/projects/{p}/deliveries/{d}/samples/{item}/check",
         {"passed": False, "reason": "x", "wrong_slots": [123456]}, 422, "slot_not_in_item"),
        ("post", f"/projects/{p}/deliveries/{d}/samples/999999/check", {"passed": True}, 404, "sample_not_found"),
        ("get", f"/projects/{p}/deliveries/999999", None, 404, "delivery_not_found"),
        ("post", f"/projects/{p}/deliveries/{d}/samples/{item}/check", {}, 422, "invalid_input"),
    ]  # fmt: skip
    for method, path, body, status, code in cases:
        response = manager.get(path) if method == "get" else manager.call(method, path, body)
        assert response.status_code == status, (path, body, response.content[:300])
        assert response.json()["code"] == code


@pytest.mark.django_db
def test_inspecting_through_the_api_decides_the_batch(project, api, delivered):
    viewer = api("viewer")
    p, d = project.pk, delivered.pk
    seen = []
    while True:
        response = viewer.post(f"/projects/{p}/deliveries/{d}/samples/next")
        if response.status_code == 204:
            break
        sample = response.json()
        assert sample["answers"][0]["answer"] == {"label": "pos"} and sample["item"]["data"]["text"]
        seen.append(sample["item_id"])
        checked = viewer.post(
            f"/projects/{p}/deliveries/{d}/samples/{sample['item_id']}/check", {"passed": True}
        )
        assert checked.status_code == 200, checked.content
    assert len(seen) == delivered.sample_size
    delivered.refresh_from_db()
    assert delivered.state == DeliveryState.ACCEPTED
    certificate = viewer.get(f"/projects/{p}/deliveries/{d}/certificate").json()
    assert certificate["sampling"][0]["draw"]["sample_ids"] == seen


PAGES = ["deliveries/", "deliveries/{d}/", "deliveries/{d}/samples/{item}/", "deliveries/{d}/certificate/",
         "deliveries/{d}/certificate.pdf"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_acceptance_pages_by_role(project, people, role, delivered):
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    item = delivered.samples.order_by("position").first().item_id
    for page in PAGES:
        url = f"/projects/{project.pk}/" + page.format(d=delivered.pk, item=item)
        response = client.get(url, headers={"Accept-Language": "ko"})
        expected = 200 if role in READ else 302 if role == "anonymous" else 404 if role == "outsider" else 403
        assert response.status_code == expected, (role, url)
    inspect = f"/projects/{project.pk}/deliveries/{delivered.pk}/inspect/"
    response = client.get(inspect)
    assert response.status_code == (
        302 if role in INSPECT | {"anonymous"} else 404 if role == "outsider" else 403
    )
    sample = f"/projects/{project.pk}/deliveries/{delivered.pk}/samples/{item}/"
    posted = client.post(sample, {"verdict": "fail", "reason": ["wrong_label"], "comment": "고쳐 주세요"})
    if role in INSPECT:
        assert posted.status_code == 302
        check = delivered.samples.get(item_id=item)
        assert check.result == "failed" and "고쳐 주세요" in check.reason
    else:
        assert posted.status_code in {302, 403, 404}
        assert delivered.samples.get(item_id=item).result == "pending"
    deliver = client.post(f"/projects/{project.pk}/deliveries/", {"limit": "1"})
    if role in MANAGE:
        assert deliver.status_code == 302
        assert project.deliveries.count() == 2
    else:
        assert project.deliveries.count() == 1


@pytest.mark.django_db
def test_pages_show_the_plan_and_the_certificate_in_korean(project, people, delivered):
    client = Client()
    client.force_login(people["viewer"])
    page = client.get(
        f"/projects/{project.pk}/deliveries/{delivered.pk}/certificate/", headers={"Accept-Language": "ko"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert delivered.draw["population_sha256"] in text and str(delivered.seed) in text


@pytest.mark.django_db
def test_acceptance_settings_are_the_projects_defaults(project, api, people, delivered):
    manager = api("manager")
    changed = manager.patch(
        f"/projects/{project.pk}/quality-settings",
        {"acceptance_method": "confidence", "acceptance_target": 0.95, "acceptance_defects": 1},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["acceptance_method"] == "confidence"
    refused = manager.patch(f"/projects/{project.pk}/quality-settings", {"acceptance_aql": "0.5"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_input"
    assert (
        api("viewer").patch(f"/projects/{project.pk}/quality-settings", {"acceptance_aql": "1.0"}).status_code
        == 403
    )
    # the next batch (the one item left) follows the new defaults
    second = manager.post(f"/projects/{project.pk}/deliveries", {})
    assert second.status_code == 201, second.content
    body = second.json()
    assert body["method"] == "confidence" and body["accept_number"] == 1
    assert body["plan"]["target"] == 0.95 and body["lot_size"] == 1 and body["sample_size"] == 1
