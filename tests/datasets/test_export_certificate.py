"""Every export carries the delivery certificate: inside zip archives, and next to every export as files the
job serves (JSON, HTML, PDF), only to those who may see the job."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from dure.projects.models import Project
from dure.quality import acceptance
from tests.datasets.conftest import label_everything
from tests.datasets.test_exports import box_answer, images_project


def test_zip_exports_hold_the_certificate_and_every_export_serves_it(
    make_project: Callable[..., Project], people: dict[str, Any], run_import: Any, run_export: Any, api: Any
) -> None:
    project = images_project(make_project, run_import)
    label_everything(project, people["worker"], people["reviewer"], box_answer)
    delivery = acceptance.deliver_batch(project=project, actor=people["manager"], seed=1)
    for item_id in delivery.samples.values_list("item_id", flat=True):
        acceptance.check_sample(
            project=project, actor=people["viewer"], delivery_id=delivery.pk, item_id=item_id, passed=True
        )
    job, body = run_export(project, "yolo")
    archive = zipfile.ZipFile(io.BytesIO(body))
    inside = json.loads(archive.read("certificate.json"))
    assert inside["kind"] == "export" and inside["counts"]["covered"] == 3
    assert inside["format_checks"]["answers"] == 3
    assert inside["sampling"][0]["delivery"] == delivery.number
    assert inside["sampling"][0]["state"] == "accepted"
    assert archive.read("certificate.pdf").startswith(b"%PDF")
    assert b"<html" in archive.read("certificate.html")
    assert job["certificate_url"] == f"/api/v1/jobs/{job['id']}/certificate?format=pdf"

    job, _body = run_export(project, "jsonl")  # a single file: the certificate is beside it
    manager = api("manager")
    served = manager.get(f"/jobs/{job['id']}/certificate?format=json")
    assert served.status_code == 200
    certificate = json.loads(b"".join(served.streaming_content))
    assert certificate["sha256"] and certificate["project"]["id"] == project.pk
    pdf = manager.get(f"/jobs/{job['id']}/certificate?format=pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    html = manager.get(f"/jobs/{job['id']}/certificate?format=html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    bad = manager.get(f"/jobs/{job['id']}/certificate?format=exe")
    assert bad.status_code == 409 and bad.json()["code"] == "result_not_ready"
    assert api("worker").get(f"/jobs/{job['id']}/certificate?format=pdf").status_code in {403, 404}
    assert api("outsider").get(f"/jobs/{job['id']}/certificate?format=pdf").status_code == 404
