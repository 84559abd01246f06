"""Collection uploads: type by content, size, recording length, ownership, storage, and serving them back."""

from __future__ import annotations

import io
import struct
import wave
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from dure.projects.models import ProjectRole
from dure.projects.services import set_project_member
from dure.work import services
from dure.work.models import Submission
from tests.web.test_pages import signed_in


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x10" * int(rate * seconds))
    return buffer.getvalue()


COLLECT_SPEC = {
    "inputs": [{"name": "sentence", "type": "text"}],
    "outputs": [
        {
            "name": "recording",
            "type": "file_upload",
            "accept": ["audio/*"],
            "max_bytes": 200_000,
            "min_seconds": 1,
            "max_seconds": 5,
        },
        {
            "name": "photo",
            "type": "file_upload",
            "accept": ["image/png", ".jpg"],
            "max_bytes": 2000,
            "required": False,
        },
    ],
}


@pytest.fixture
def collecting(make_project, people, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    project = make_project(spec=COLLECT_SPEC)
    services.add_items(
        project=project, records=[{"sentence": "안녕하세요"}, {"sentence": "다음 역은 시청역입니다"}]
    )
    assignment = services.lease_next_item(worker=people["worker"], project=project)
    assert assignment is not None
    return project, assignment


def send(api, role: str, assignment_id: int, name: str, content: bytes, output: str | None = None):
    data: dict = {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")}
    if output:
        data["output"] = output
    client = api(role)
    return client.client.post(
        f"/api/v1/assignments/{assignment_id}/files",
        data,
        headers={**client.headers, "Accept-Language": "en"},
    )


def test_a_generated_wav_is_measured_stored_and_accepted_in_the_answer(collecting, api, people):
    project, assignment = collecting
    content = wav(2.5)
    response = send(api, "worker", assignment.pk, "voice.bin", content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "audio/wav"
    assert body["duration_seconds"] == 2.5
    assert body["size"] == len(content)
    assert body["path"] == f"uploads/{project.pk}/{assignment.pk}/{body['sha256']}.wav"
    with default_storage.open(body["path"]) as stored:
        assert stored.read() == content
    # the same file again: same path, stored once
    assert send(api, "worker", assignment.pk, "again.wav", content).json()["path"] == body["path"]

    submitted = services.submit(
        worker=people["worker"], assignment_id=assignment.pk, answer={"recording": [body]}
    )
    assert Submission.objects.get(pk=submitted.pk).answer["recording"][0]["path"] == body["path"]


def test_a_generated_png_goes_to_the_named_output(collecting, api):
    _project, assignment = collecting
    response = send(api, "worker", assignment.pk, "photo.dat", png(), output="photo")
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "image/png"
    assert response.json()["duration_seconds"] is None
    assert response.json()["path"].endswith(".png")


def test_type_is_decided_by_content_not_by_name(collecting, api):
    _project, assignment = collecting
    response = send(
        api, "worker", assignment.pk, "photo.png", b"just some text, not a picture", output="photo"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    # a real PNG where only audio is accepted
    response = send(api, "worker", assignment.pk, "voice.wav", png())
    assert response.status_code == 415
    assert response.json()["details"]["detected"] == "image/png"


def test_oversize_and_recording_length_are_refused_with_their_codes(collecting, api):
    _project, assignment = collecting
    big = png() + bytes(range(256)) * 10  # a PNG by its magic bytes, 2.5 kB with the trailing bytes
    response = send(api, "worker", assignment.pk, "big.png", big, output="photo")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    response = send(api, "worker", assignment.pk, "short.wav", wav(0.4))
    assert response.status_code == 422
    assert response.json()["code"] == "too_short"
    response = send(api, "worker", assignment.pk, "long.wav", wav(6))
    assert response.status_code == 422
    assert response.json()["code"] == "too_long"
    assert "too long" in response.json()["message"]


def test_only_the_worker_holding_the_live_lease_may_upload(collecting, api, people):
    _project, assignment = collecting
    for role in ("worker2", "manager", "outsider"):
        response = send(api, role, assignment.pk, "voice.wav", wav(2))
        assert response.status_code == 404, role
        assert response.json()["code"] == "assignment_not_found"
    assert send(api, "anonymous", assignment.pk, "voice.wav", wav(2)).status_code == 401
    services.release(worker=people["worker"], assignment_id=assignment.pk)
    assert send(api, "worker", assignment.pk, "voice.wav", wav(2)).status_code == 409


def test_a_project_without_file_outputs_refuses_uploads(make_project, api, people):
    project = make_project()
    services.add_items(project=project, records=[{"text": "hi"}])
    assignment = services.lease_next_item(worker=people["worker"], project=project)
    assert assignment is not None
    response = send(api, "worker", assignment.pk, "a.png", png())
    assert response.status_code == 422
    assert response.json()["code"] == "no_file_output"


def test_answers_must_reference_storage_paths(collecting, people):
    from dure.core.errors import InvalidInput

    _project, assignment = collecting
    with pytest.raises(InvalidInput) as error:
        services.submit(
            worker=people["worker"],
            assignment_id=assignment.pk,
            answer={"recording": [{"path": "../../etc/passwd", "duration_seconds": 2}]},
        )
    assert error.value.details["errors"][0]["path"] == "recording[0].path"


def test_media_are_served_to_people_of_the_project_only(collecting, api, people):
    project, assignment = collecting
    path = send(api, "worker", assignment.pk, "voice.wav", wav(2)).json()["path"]
    set_project_member(project=project, user=people["reviewer"], role=ProjectRole.REVIEWER)
    for role in ("worker", "manager", "reviewer", "viewer"):
        response = signed_in(people[role]).get(f"/media/{path}")
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content).startswith(b"RIFF")
        assert "default-src 'none'" in response["Content-Security-Policy"]
    assert signed_in(people["outsider"]).get(f"/media/{path}").status_code == 404
    assert signed_in(people["worker"]).get("/media/uploads/../../dure.sqlite3").status_code == 404
    assert signed_in(people["worker"]).get("/media/secret/file.txt").status_code == 404
    anonymous = signed_in(people["worker"])
    anonymous.logout()
    assert anonymous.get(f"/media/{path}").status_code == 302


def test_the_item_page_plays_an_uploaded_recording(collecting, api, people):
    project, assignment = collecting
    stored = send(api, "worker", assignment.pk, "voice.wav", wav(2)).json()
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"recording": [stored]})
    page = (
        signed_in(people["manager"])
        .get(f"/projects/{project.pk}/items/{assignment.item_id}/")
        .content.decode()
    )
    assert f'<audio controls preload="metadata" src="/media/{stored["path"]}">' in page


def test_an_answer_cannot_claim_someone_elses_upload(collecting, api, people):
    project, assignment = collecting
    theirs = send(api, "worker", assignment.pk, "voice.wav", wav(2.0)).json()
    other = services.lease_next_item(worker=people["worker2"], project=project)
    with pytest.raises(services.InvalidInput) as refused:
        services.submit(worker=people["worker2"], assignment_id=other.pk, answer={"recording": [theirs]})
    assert refused.value.details["errors"][0]["path"] == "recording[0].path"
    assert not Submission.objects.filter(worker=people["worker2"]).exists()
    # the owner may use it
    services.submit(worker=people["worker"], assignment_id=assignment.pk, answer={"recording": [theirs]})
