"""Seeking in a large recording: bytes moved and time for the last MiB of a file, whole vs one range.

Serves a generated file through the signed-link view (dure.datasets.views.signed_media) from filesystem
storage and from moto's S3 server, with Django's test client in this process (no network but loopback):

    .venv/bin/python bench/media/ranges.py [--mib 64] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
os.environ.setdefault("DURE_VAR_DIR", tempfile.mkdtemp(prefix="dure-bench-media-"))

import django

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from dure.datasets.media import signed_media_url  # noqa: E402


def measure(url: str, headers: dict[str, str], runs: int) -> tuple[float, int, int]:
    client = Client()
    times, moved, status = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        moved = sum(len(chunk) for chunk in response.streaming_content)
        times.append(time.perf_counter() - started)
        status = response.status_code
    return statistics.median(times) * 1000, moved, status


def run(storage_name: str, size: int, runs: int) -> list[tuple[str, str, float, int, int]]:
    path = default_storage.save("bench/long-recording.webm", ContentFile(os.urandom(size)))
    url = signed_media_url(path)
    rows = []
    for label, headers in [
        ("whole file (no Range)", {}),
        ("last 1 MiB (Range: bytes=-1048576)", {"Range": "bytes=-1048576"}),
        ("middle 64 KiB", {"Range": f"bytes={size // 2}-{size // 2 + 65535}"}),
    ]:
        ms, moved, status = measure(url, headers, runs)
        rows.append((storage_name, label, ms, moved, status))
    default_storage.delete(path)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    rows = run("filesystem", size, args.runs)

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="x",
                 region_name="us-east-1").create_bucket(Bucket="media")  # fmt: skip
    options: dict[str, Any] = {"endpoint_url": endpoint, "access_key": "x", "secret_key": "x",
                               "region_name": "us-east-1", "bucket_name": "media"}  # fmt: skip
    stores = {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
              "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    try:
        with override_settings(STORAGES=stores):
            rows += run("S3 (moto)", size, args.runs)
    finally:
        server.stop()
    print(f"{args.mib} MiB file, median of {args.runs} requests")
    print("| storage | request | status | bytes sent | median ms |")
    print("|---|---|---|---|---|")
    for storage_name, label, ms, moved, status in rows:
        print(f"| {storage_name} | {label} | {status} | {moved:,} | {ms:.1f} |")


if __name__ == "__main__":
    main()
