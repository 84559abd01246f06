"""Byte ranges on stored media (dure.datasets.ranges): the per-project /media/ view and the signed links,
on filesystem storage and on a real S3-compatible server (moto), through Django's test client and through
a real HTTP connection to a live server."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from dure.accounts.models import User
from dure.datasets.media import signed_media_url
from dure.datasets.ranges import ByteRange, Unsatisfiable, parse_range
from dure.projects.models import Project

#: 1000 distinct-ish bytes, so a wrong offset shows in the body
BODY = bytes(range(250)) * 4


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-9", ByteRange(0, 9)),
        ("bytes=10-", ByteRange(10, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("BYTES = 5-5", ByteRange(5, 5)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("bytes=9-3", None),  # invalid: ignored
        ("items=0-9", None),
        ("bytes=abc", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


@given(size=st.integers(1, 10_000), first=st.integers(0, 20_000), last=st.integers(0, 20_000))
def test_a_parsed_range_lies_inside_the_file(size: int, first: int, last: int) -> None:
    try:
        found = parse_range(f"bytes={first}-{last}", size)
    except Unsatisfiable:
        assert first >= size
        return
    if found is not None:
        assert 0 <= found.start <= found.end < size
        assert found.length == min(last, size - 1) - first + 1


# --- the /media/ view and signed links, filesystem storage -------------------------------------------


@pytest.fixture
def stored(project: Project) -> str:
    return default_storage.save(f"projects/{project.pk}/clip.webm", ContentFile(BODY))


def test_media_view_answers_one_range_with_206(people: dict[str, User], stored: str) -> None:
    client = _client(people["worker"])
    whole = client.get(f"/media/{stored}")
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Length"] == "1000"
    assert b"".join(whole.streaming_content) == BODY
    part = client.get(f"/media/{stored}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 100-199/1000"
    assert part["Content-Length"] == "100"
    assert part["Content-Type"] == "video/webm"
    assert b"".join(part.streaming_content) == BODY[100:200]
    # the page's own headers stay on a partial answer
    assert "default-src 'none'" in part["Content-Security-Policy"]
    tail = client.get(f"/media/{stored}", headers={"Range": "bytes=-10"})
    assert b"".join(tail.streaming_content) == BODY[-10:]
    assert tail["Content-Range"] == "bytes 990-999/1000"


def test_media_view_416_several_ranges_and_if_range(people: dict[str, User], stored: str) -> None:
    client = _client(people["worker"])
    beyond = client.get(f"/media/{stored}", headers={"Range": "bytes=1000-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == "bytes */1000"
    several = client.get(f"/media/{stored}", headers={"Range": "bytes=0-1,10-11"})
    assert several.status_code == 200 and b"".join(several.streaming_content) == BODY
    stale = client.get(
        f"/media/{stored}", headers={"Range": "bytes=0-9", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert stale.status_code == 200
    fresh = client.get(f"/media/{stored}", headers={"Range": "bytes=0-9", "If-Range": stale["Last-Modified"]})
    assert fresh.status_code == 206 and b"".join(fresh.streaming_content) == BODY[:10]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 206),
        ("manager", 206),
        ("reviewer", 206),
        ("worker", 206),
        ("viewer", 206),
        ("outsider", 404),
    ],
)
def test_ranges_keep_the_permission_check(
    people: dict[str, User], stored: str, role: str, status: int
) -> None:
    response = _client(people[role]).get(f"/media/{stored}", headers={"Range": "bytes=0-9"})
    assert response.status_code == status


def test_signed_link_serves_ranges_and_keeps_expiry(stored: str, settings: Any) -> None:
    url = signed_media_url(stored)
    anonymous = Client()
    part = anonymous.get(url, headers={"Range": "bytes=500-"})
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 500-999/1000"
    assert part["X-Content-Type-Options"] == "nosniff"
    assert b"".join(part.streaming_content) == BODY[500:]
    assert anonymous.get(url, headers={"Range": "bytes=2000-"}).status_code == 416
    assert anonymous.get(url[:-3] + "xyz", headers={"Range": "bytes=0-9"}).status_code == 404
    settings.DURE = {**settings.DURE, "MEDIA_URL_SECONDS": -1}
    assert anonymous.get(url, headers={"Range": "bytes=0-9"}).status_code == 404


# --- S3 (moto's real HTTP server) --------------------------------------------------------------------


@pytest.fixture
def s3_storage() -> Iterator[Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {"endpoint_url": endpoint, "access_key": "test", "secret_key": "test",
               "region_name": "us-east-1", "bucket_name": "media"}  # fmt: skip
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                 region_name="us-east-1").create_bucket(Bucket="media")  # fmt: skip
    stores = {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
              "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    try:
        with override_settings(STORAGES=stores):
            yield default_storage
    finally:
        server.stop()


def test_ranges_from_s3_storage(people: dict[str, User], project: Project, s3_storage: Any) -> None:
    path = f"projects/{project.pk}/talk.wav"
    s3_storage.save(path, ContentFile(BODY))
    assert type(s3_storage._wrapped).__name__ == "S3Storage"
    client = _client(people["worker"])
    part = client.get(f"/media/{path}", headers={"Range": "bytes=250-259"})
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 250-259/1000"
    assert b"".join(part.streaming_content) == BODY[250:260]
    whole = Client().get(signed_media_url(path))
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == BODY
    assert Client().get(signed_media_url(path), headers={"Range": "bytes=-1"}).status_code == 206
    assert Client().get(signed_media_url(path), headers={"Range": "bytes=1000-"}).status_code == 416


# --- a real HTTP request ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_range_over_real_http(live_server: Any, media_root: Any) -> None:
    default_storage.save("demo/tests/range.bin", ContentFile(BODY))
    url = live_server.url + signed_media_url("demo/tests/range.bin")
    request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 206
        assert answer.headers["Content-Range"] == "bytes 10-19/1000"
        assert answer.read() == BODY[10:20]
    request = urllib.request.Request(url, headers={"Range": "bytes=5000-"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 416
    assert refused.value.headers["Content-Range"] == "bytes */1000"
