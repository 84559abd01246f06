"""Pre-label jobs end to end: OCR over rendered images, class suggestions from approved answers, and a
client's model server (a real HTTP server started here) that answers, fails, stalls or talks nonsense."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dure.assist import services
from dure.assist.models import AssistJob, PreLabel
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.assist.conftest import OCR_SPEC, TOPIC_SPEC, store, text_image
from tests.assist.test_models import FOOD, SPORTS, WEATHER


def run_job(api: Any, project_id: int, capture: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    with capture(execute=True):
        started = api("manager").post(f"/projects/{project_id}/assist/jobs", body or {})
    assert started.status_code == 202, started.content
    job = api("manager").get(f"/assist/jobs/{started.json()['id']}")
    assert job.status_code == 200
    return job.json()


def test_ocr_job_prelabels_image_items_in_the_answer_format(
    make_project, api, immediate_tasks, django_capture_on_commit_callbacks
):
    project = make_project(spec=OCR_SPEC)
    first = store(f"projects/{project.pk}/invoice.png", text_image([("Invoice number 4711", False)]))
    second = store(f"projects/{project.pk}/menu.png", text_image([("Coffee 3500 won", False)]))
    add_items(
        project=project, records=[{"image": first}, {"image": second}, {"image": "https://example.com/x.png"}]
    )
    saved = api("manager").call("put", f"/projects/{project.pk}/assist", {"backend": "ocr"})
    assert saved.status_code == 200, saved.content
    assert "ocr" in saved.json()["backends"] and "minilm" not in saved.json()["backends"]

    job = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert job["state"] == "succeeded", job
    assert job["result"]["items"] == 3 and job["result"]["prelabels"] == 2  # a remote URL is never fetched
    assert job["percent"] == 100
    labels = {
        p.item.data["image"]: p for p in PreLabel.objects.filter(project=project).select_related("item")
    }
    regions = labels[first].answer["lines"]
    assert "4711" in " ".join(r["text"] for r in regions)
    assert all(len(r["points"]) == 4 for r in regions) and 0 < labels[first].confidence <= 1

    listed = api("manager").get(f"/projects/{project.pk}/prelabels").json()
    assert len(listed["items"]) == 2 and listed["next_after"] is None
    # only items without a pre-label are run again
    again = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert again["result"]["items"] == 1 and again["result"]["prelabels"] == 0

    # the worker's assignment carries the suggestion
    assignment = api("worker").post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    suggestion = assignment["suggestion"]
    if assignment["item"]["data"]["image"].startswith("https://"):
        assert suggestion is None
    else:
        assert suggestion["backend"] == "ocr" and suggestion["answer"]["lines"]


def test_class_suggestions_come_from_approved_answers(
    make_project, api, people, immediate_tasks, django_capture_on_commit_callbacks
):
    project = make_project(spec=TOPIC_SPEC)
    labelled = (
        [(t, "sports") for t in SPORTS[:3]]
        + [(t, "food") for t in FOOD[:3]]
        + [(t, "weather") for t in WEATHER[:3]]
    )
    add_items(project=project, records=[{"text": t} for t, _ in labelled])
    truth = dict(labelled)
    for _ in labelled:
        assignment = lease_next_item(worker=people["worker"], project=project)
        submit(worker=people["worker"], assignment_id=assignment.pk,
               answer={"topic": truth[assignment.item.data["text"]]})  # fmt: skip
        review = lease_next_review(reviewer=people["manager"], project=project)
        decide(reviewer=people["manager"], review_id=review.pk, decision="approve")
    add_items(project=project, records=[{"text": SPORTS[3]}, {"text": FOOD[3]}, {"text": WEATHER[3]},
                                         {"text": WEATHER[3] + " "}])  # fmt: skip
    api("manager").call("put", f"/projects/{project.pk}/assist", {"backend": "minilm"})
    job = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert job["state"] == "succeeded", job
    suggested = {
        p.item.data["text"].strip(): p.answer["topic"]
        for p in PreLabel.objects.filter(project=project).select_related("item")
    }
    assert (
        suggested[SPORTS[3]] == "sports"
        and suggested[FOOD[3]] == "food"
        and suggested[WEATHER[3]] == "weather"
    )
    # the two weather items differ by a space: near-duplicates
    pairs = job["result"]["near_duplicates"]
    assert pairs and pairs[0][2] > 0.99
    page = api("manager").client
    page.force_login(people["manager"])
    html = page.get(f"/projects/{project.pk}/assist/").content.decode()
    assert 'data-testid="near-duplicates"' in html


class ModelServer:
    """A client's model server: answers with OCR-ish text regions, or misbehaves as told."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"body": body, "authorization": self.headers.get("Authorization")})
                if server.mode == "slow":
                    time.sleep(1.5)
                if server.mode == "error":
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"overloaded")
                    return
                if server.mode == "nonsense":
                    payload = b"<html>not json</html>"
                else:
                    payload = json.dumps({"predictions": [
                        {"item": item["id"], "answer": {"label": "pos" if "good" in item["data"]["text"] else "neg"},
                         "confidence": 0.8}
                        for item in body["items"]
                    ]}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError):
                    self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/predict"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    server = ModelServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_http_backend_against_a_real_server(
    project, api, model_server, immediate_tasks, django_capture_on_commit_callbacks
):
    add_items(project=project, records=[{"text": "a good day"}, {"text": "a bad day"}])
    saved = api("manager").call(
        "put",
        f"/projects/{project.pk}/assist",
        {"backend": "http", "options": {"url": model_server.url, "timeout_seconds": 5, "token": "s3cret"}},
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["options"]["token"] == "***"  # never sent back

    job = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert job["state"] == "succeeded", job
    answers = {
        p.item.data["text"]: p.answer["label"]
        for p in PreLabel.objects.filter(project=project).select_related("item")
    }
    assert answers == {"a good day": "pos", "a bad day": "neg"}
    sent = model_server.requests[0]
    assert sent["authorization"] == "Bearer s3cret"
    assert {i["data"]["text"] for i in sent["body"]["items"]} == {"a good day", "a bad day"}
    assert sent["body"]["spec"]["outputs"][0]["name"] == "label"


@pytest.mark.parametrize(
    ("mode", "timeout", "code"),
    [
        ("error", 5, "backend_failed"),
        ("slow", 0.3, "backend_timeout"),
        ("nonsense", 5, "backend_bad_response"),
    ],
)
def test_http_backend_failures_are_recorded_on_the_job(
    project, api, model_server, immediate_tasks, django_capture_on_commit_callbacks, mode, timeout, code
):
    add_items(project=project, records=[{"text": "a good day"}])
    model_server.mode = mode
    api("manager").call(
        "put",
        f"/projects/{project.pk}/assist",
        {"backend": "http", "options": {"url": model_server.url, "timeout_seconds": timeout}},
    )
    job = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert job["state"] == "failed"
    assert job["error"]["code"] == code and job["error"]["message"]
    assert not PreLabel.objects.filter(project=project).exists()
    # and the worker is never held up: the next item comes as usual, without a suggestion
    assignment = api("worker").post(f"/projects/{project.pk}/assignments/next").json()["assignment"]
    assert assignment["suggestion"] is None


def test_http_backend_refuses_a_bad_url_or_timeout(project, api, settings):
    bad = api("manager").call(
        "put", f"/projects/{project.pk}/assist", {"backend": "http", "options": {"url": "ftp://x"}}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_backend_options"
    slow = api("manager").call(
        "put",
        f"/projects/{project.pk}/assist",
        {"backend": "http", "options": {"url": "http://127.0.0.1:9/", "timeout_seconds": 9999}},
    )
    assert slow.status_code == 422 and slow.json()["details"]["path"] == "options.timeout_seconds"
    settings.DURE_ASSIST = {**settings.DURE_ASSIST, "HTTP_ALLOW_PRIVATE": False}
    private = api("manager").call(
        "put",
        f"/projects/{project.pk}/assist",
        {"backend": "http", "options": {"url": "http://127.0.0.1:9/"}},
    )
    assert private.status_code == 422
    unknown = api("manager").call("put", f"/projects/{project.pk}/assist", {"backend": "gpt-17"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_backend"
    wrong = api("manager").call("put", f"/projects/{project.pk}/assist", {"backend": "ocr"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "backend_not_applicable"
    none = api("manager").post(f"/projects/{project.pk}/assist/jobs", {})
    assert none.status_code == 422 and none.json()["code"] == "no_backend_chosen"


def test_cancel_a_queued_job(project, api, people):
    services.configure(project=project, backend="minilm")
    job = services.start_prelabel_job(project=project, actor=people["manager"])
    cancelled = api("manager").post(f"/assist/jobs/{job.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api("manager").post(f"/assist/jobs/{job.pk}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "assist_job_finished"
    assert services.run_job(job_id=job.pk) is None
    assert AssistJob.objects.get(pk=job.pk).state == "cancelled"


def test_class_suggestions_from_examples_given_in_the_options(
    make_project, api, immediate_tasks, django_capture_on_commit_callbacks
):
    """A new project has no approved answers yet: a few examples in the options are enough to start."""
    project = make_project(spec=TOPIC_SPEC)
    add_items(project=project, records=[{"text": SPORTS[3]}, {"text": FOOD[3]}])
    examples = [{"text": t, "label": "sports"} for t in SPORTS[:2]] + [
        {"text": t, "label": "food"} for t in FOOD[:2]
    ]
    saved = api("manager").call(
        "put", f"/projects/{project.pk}/assist", {"backend": "minilm", "options": {"examples": examples}}
    )
    assert saved.status_code == 200, saved.content
    job = run_job(api, project.pk, django_capture_on_commit_callbacks)
    assert job["state"] == "succeeded" and job["result"]["classes_known"] is True
    suggested = {p.item.data["text"]: p.answer["topic"] for p in PreLabel.objects.select_related("item")}
    assert suggested == {SPORTS[3]: "sports", FOOD[3]: "food"}
