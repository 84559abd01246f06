"""Every assistance endpoint and page for every role: only the project's managers configure and run
models; another organization gets 404; bad input is a 4xx with a code."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.assist import services
from dure.work.services import add_items

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]
MANAGERS = {"owner", "manager"}


def _expect(role: str, ok: int) -> int:
    if role in MANAGERS:
        return ok
    return {"outsider": 404, "anonymous": 401}.get(role, 403)


@pytest.fixture
def job(project, people):
    add_items(project=project, records=[{"text": "a"}])
    services.configure(project=project, backend="minilm")
    return services.start_prelabel_job(project=project, actor=people["manager"])


@pytest.mark.parametrize("role", ROLES)
def test_roles_on_every_endpoint(project, api, job, role):
    client = api(role)
    p = project.pk
    checks = [
        (client.get(f"/projects/{p}/assist"), 200),
        (client.call("put", f"/projects/{p}/assist", {"backend": "minilm", "suggest": False}), 200),
        (client.get(f"/projects/{p}/assist/jobs"), 200),
        (client.get(f"/assist/jobs/{job.pk}"), 200),
        (client.get(f"/projects/{p}/prelabels"), 200),
        (client.post(f"/projects/{p}/assist/jobs", {"only_missing": True}), 202),
    ]
    for response, ok in checks:
        expected = _expect(role, ok)
        if role == "outsider" and "/assist/jobs/" in response.wsgi_request.path:
            expected = 404
        assert response.status_code == expected, (response.wsgi_request.method, response.wsgi_request.path,
                                                  response.content)  # fmt: skip
        if expected >= 400:
            assert response.json()["code"]
    cancel = client.post(f"/assist/jobs/{job.pk}/cancel")
    assert cancel.status_code == _expect(role, 200)


@pytest.mark.parametrize("role", ROLES)
def test_roles_on_the_page(project, people, job, role):
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    page = client.get(f"/projects/{project.pk}/assist/", headers={"Accept-Language": "en"})
    row = client.get(f"/projects/{project.pk}/assist/jobs/{job.pk}/")
    if role in MANAGERS:
        assert page.status_code == 200 and b"AI assistance" in page.content
        assert row.status_code == 200 and f"assist-job-{job.pk}".encode() in row.content
    elif role == "anonymous":
        assert page.status_code == 302 and row.status_code == 302
    else:
        assert page.status_code == (404 if role == "outsider" else 403)
        assert row.status_code == (404 if role == "outsider" else 403)


def test_the_page_saves_the_backend_and_starts_a_job(project, people):
    add_items(project=project, records=[{"text": "a"}])
    client = Client()
    client.force_login(people["manager"])
    url = f"/projects/{project.pk}/assist/"
    saved = client.post(url, {"backend": "minilm", "suggest": "1", "flag_reviews": "1"})
    assert saved.status_code == 302
    page = client.get(url, headers={"Accept-Language": "ko"}).content.decode()
    assert 'value="minilm" selected' in page and '<html lang="ko">' in page
    client.post(url, {"action": "run"})
    jobs = project.assist_jobs.all()
    assert [j.state for j in jobs] == ["queued"]
    cancelled = client.post(
        f"/projects/{project.pk}/assist/jobs/{jobs[0].pk}/cancel/", headers={"HX-Request": "true"}
    )
    assert cancelled.status_code == 200 and b"cancelled" in cancelled.content
    # a bad URL for the model server is said on the page, not a 500
    refused = client.post(url, {"backend": "http", "url": "ftp://nowhere"}, follow=True)
    assert refused.status_code == 200 and b"http://" in refused.content


def test_bad_input_is_a_4xx_with_a_code(project, api):
    p = project.pk
    manager = api("manager")
    assert manager.call("put", f"/projects/{p}/assist", {"backend": 5}).status_code == 422
    assert manager.call("put", f"/projects/{p}/assist", raw="{").status_code == 400
    long = manager.call("put", f"/projects/{p}/assist", {"backend": "x" * 40})
    assert long.status_code == 422 and long.json()["code"] == "invalid_input"
    assert manager.get("/assist/jobs/999999").json()["code"] == "assist_job_not_found"
    assert manager.get(f"/projects/{p}/prelabels?limit=nope").status_code == 422
