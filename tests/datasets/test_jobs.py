"""Jobs: who may start and see them, cancel, download, the database worker, RQ on Redis, retries, the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client, override_settings

from dure.datasets import services
from dure.datasets.models import DatasetJob, JobState
from dure.projects.models import Project
from dure.work.models import Item
from tests.conftest import PASSWORD, Api, reset_task_backends
from tests.datasets.conftest import jsonl, post_import

CONTENT = jsonl([{"text": "a"}, {"text": "b"}])


@pytest.mark.parametrize(
    ("role", "import_status", "export_status"),
    [
        ("owner", 202, 202),
        ("manager", 202, 202),
        ("viewer", 403, 202),
        ("reviewer", 403, 403),
        ("worker", 403, 403),
        ("outsider", 404, 404),
        ("anonymous", 401, 401),
    ],
)
def test_roles_for_starting_jobs(
    api: Callable[[str], Api], project: Project, role: str, import_status: int, export_status: int
) -> None:
    response = post_import(api(role), project.pk, "jsonl", CONTENT)
    assert response.status_code == import_status, response.content
    export = api(role).post(f"/projects/{project.pk}/exports", {"format": "jsonl"})
    assert export.status_code == export_status, export.content
    if export_status == 202:
        job = export.json()
        assert job["state"] == "queued" and job["kind"] == "export"
        assert api(role).get(f"/jobs/{job['id']}").status_code == 200


def test_job_visibility_per_role(api: Callable[[str], Api], project: Project) -> None:
    imported = post_import(api("manager"), project.pk, "jsonl", CONTENT).json()
    exported = api("viewer").post(f"/projects/{project.pk}/exports", {"format": "csv"}).json()
    expected = {
        "owner": (200, 200), "manager": (200, 200), "viewer": (403, 200),
        # the worker belongs to the project, so the job exists for them but is not theirs to see
        "reviewer": (403, 403), "worker": (403, 403), "outsider": (404, 404),
    }  # fmt: skip
    for role, (import_status, export_status) in expected.items():
        assert api(role).get(f"/jobs/{imported['id']}").status_code == import_status, role
        assert api(role).get(f"/jobs/{exported['id']}").status_code == export_status, role
    listed = api("viewer").get(f"/projects/{project.pk}/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [exported["id"]]
    assert len(api("manager").get(f"/projects/{project.pk}/jobs").json()["jobs"]) == 2
    missing = api("manager").get("/jobs/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"


def test_bad_requests_are_typed_errors(api: Callable[[str], Api], project: Project) -> None:
    response = post_import(api("manager"), project.pk, "xml", CONTENT)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_format"
    assert response.json()["message"] == "This format is not supported."
    coco = api("manager").post(f"/projects/{project.pk}/exports", {"format": "coco"})
    assert coco.status_code == 422 and coco.json()["code"] == "format_not_applicable"
    bad_filter = api("manager").post(
        f"/projects/{project.pk}/exports", {"format": "csv", "filters": {"state": "x"}}
    )
    assert bad_filter.status_code == 422 and bad_filter.json()["details"]["path"] == "filters.state"
    bad_date = api("manager").post(
        f"/projects/{project.pk}/exports", {"format": "csv", "filters": {"done_from": "yesterday"}}
    )
    assert bad_date.status_code == 422
    no_file = api("manager").client.post(
        f"/api/v1/projects/{project.pk}/imports", data={"format": "csv"}, headers=api("manager").headers
    )
    assert no_file.status_code == 422 and no_file.json()["details"]["path"] == "file"


def test_cancel_a_queued_job_and_download_before_it_ran(api: Callable[[str], Api], project: Project) -> None:
    job = post_import(api("manager"), project.pk, "jsonl", CONTENT).json()
    not_ready = api("manager").get(f"/jobs/{job['id']}/download")
    assert not_ready.status_code == 409 and not_ready.json()["code"] == "result_not_ready"
    assert api("reviewer").post(f"/jobs/{job['id']}/cancel").status_code == 403
    cancelled = api("manager").post(f"/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api("manager").post(f"/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "job_finished"
    assert services.run_job(job_id=job["id"]) is None  # the worker finds nothing to do
    assert not Item.objects.filter(project=project).exists()


def test_cancel_while_running_rolls_back(project: Project, people: dict[str, Any], settings: Any) -> None:
    settings.DURE = {**settings.DURE, "IMPORT_BATCH": 5}
    job = services.create_import_job(project=project, actor=people["manager"], format="jsonl",
                                     upload=_upload(jsonl([{"text": f"t{n}"} for n in range(30)])))  # fmt: skip
    original = services.write_spooled_items

    def cancel_midway(**kwargs: Any) -> Any:
        DatasetJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        return original(**kwargs)

    with mock.patch.object(services, "write_spooled_items", cancel_midway):
        finished = services.run_job(job_id=job.pk)
    assert finished is not None and finished.state == JobState.CANCELLED
    assert not Item.objects.filter(project=project).exists()


def _upload(content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("items.jsonl", content)


def test_a_passing_database_error_is_retried(project: Project, people: dict[str, Any], immediate_tasks: None,
                                             django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    job = services.create_import_job(
        project=project, actor=people["manager"], format="jsonl", upload=_upload(CONTENT)
    )
    original = services.write_spooled_items
    calls = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return original(**kwargs)

    with (
        mock.patch.object(services, "write_spooled_items", flaky),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.attempts == 2
    assert Item.objects.filter(project=project).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_jobs(project: Project, api: Callable[[str], Api]) -> None:
    job = post_import(api("manager"), project.pk, "jsonl", CONTENT).json()
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert api("manager").get(f"/jobs/{job['id']}").json()["state"] == "succeeded"
    assert Item.objects.filter(project=project).count() == 2


def test_the_rq_backend_runs_jobs_on_redis(project: Project, api: Callable[[str], Api],
                                           django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    # A Redis database of its own, so nobody else's default queue is touched.
    queues = {"default": {"URL": "redis://127.0.0.1:6379/14"}}
    backend = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    with override_settings(RQ_QUEUES=queues, TASKS=backend):
        reset_task_backends()
        try:
            from dure.datasets.jobs import run_dataset_job

            assert run_dataset_job.get_backend().__class__.__name__ == "RQBackend"
            queue = django_rq.get_queue("default", job_class=Job)
            queue.empty()
            with django_capture_on_commit_callbacks(execute=True):
                job = post_import(api("manager"), project.pk, "jsonl", CONTENT).json()
            assert queue.count == 1
            # SimpleWorker runs the job in this process, inside the test's database transaction.
            SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
            assert api("manager").get(f"/jobs/{job['id']}").json()["state"] == "succeeded"
            assert Item.objects.filter(project=project).count() == 2
            queue.delete(delete_jobs=True)
        finally:
            reset_task_backends()


def test_the_jobs_page_polls_a_running_job(
    project: Project, people: dict[str, Any], api: Callable[[str], Api]
) -> None:
    job = post_import(api("manager"), project.pk, "jsonl", CONTENT).json()
    browser = Client()
    assert browser.login(username="manager", password=PASSWORD)
    page = browser.get(f"/projects/{project.pk}/datasets/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "htmx.min.js" in html and f'hx-get="/projects/{project.pk}/datasets/jobs/{job["id"]}/"' in html
    row = browser.get(f"/projects/{project.pk}/datasets/jobs/{job['id']}/")
    assert row.status_code == 200 and 'hx-trigger="every 1s"' in row.content.decode()
    cancelled = browser.post(
        f"/projects/{project.pk}/datasets/jobs/{job['id']}/cancel/", headers={"HX-Request": "true"}
    )
    assert cancelled.status_code == 200 and "hx-trigger" not in cancelled.content.decode()
    worker = Client()
    assert worker.login(username="worker", password=PASSWORD)
    assert worker.get(f"/projects/{project.pk}/datasets/").status_code == 403
