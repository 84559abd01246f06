"""A small Python client for a running Dure server: imports and exports with an API token.

    client = DureClient("http://127.0.0.1:8000", token)
    job = client.import_file(3, "items.jsonl", format="jsonl")          # waits for the job by default
    client.export(3, format="coco", output="coco.json")

Uploads and downloads are streamed, so files of any size pass through constant memory. Only the standard
library is used, so scripts can vendor this one file.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FINISHED = {"succeeded", "failed", "cancelled"}


class DureApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = body.get("code", f"http_{status}")
        self.details = body.get("details", {})
        super().__init__(f"{status} {self.code}: {body.get('message', '')}")


class JobFailed(Exception):
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        error = job.get("error") or {}
        super().__init__(f"job {job['id']} {job['state']}: {error.get('message', '')}")


class DureClient:
    def __init__(self, url: str | None = None, token: str | None = None, *, timeout: float = 300) -> None:
        self.url = (url or os.environ.get("DURE_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.token = token or os.environ.get("DURE_TOKEN", "")
        self.timeout = timeout
        parts = urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._prefix = parts.path

    def _connection(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, timeout=self.timeout)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Accept-Language": "en", **(extra or {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        connection = self._connection()
        try:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            extra = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
            connection.request(
                method,
                f"{self._prefix}/api/v1{path}",
                body=data,
                headers=self._headers({**extra, **(headers or {})}),
            )
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        parsed = json.loads(payload) if payload else {}
        if response.status >= 400:
            raise DureApiError(response.status, parsed if isinstance(parsed, dict) else {})
        return parsed

    # --- jobs --------------------------------------------------------------------------------------------

    def job(self, job_id: int) -> dict[str, Any]:
        return self._request("GET", f"/jobs/{job_id}")

    def cancel(self, job_id: int) -> dict[str, Any]:
        return self._request("POST", f"/jobs/{job_id}/cancel")

    def wait(self, job_id: int, *, poll: float = 1.0, timeout: float = 24 * 3600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] in FINISHED:
                if job["state"] != "succeeded":
                    raise JobFailed(job)
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']}")
            time.sleep(poll)

    # --- imports -----------------------------------------------------------------------------------------

    def import_file(self, project_id: int, path: str | Path | None, *, format: str, url: str = "",
                    wait: bool = True) -> dict[str, Any]:  # fmt: skip
        """Uploads ``path`` (or names a bucket ``url`` for format ``s3``) and, by default, waits for the job."""
        boundary = uuid.uuid4().hex
        fields = {"format": format, **({"url": url} if url else {})}
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        file_path = Path(path) if path else None
        if file_path is not None:
            head += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_path.name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
        tail = (b"\r\n" if file_path is not None else b"") + f"--{boundary}--\r\n".encode()
        length = len(head) + (file_path.stat().st_size if file_path else 0) + len(tail)

        def body() -> Iterator[bytes]:
            yield head
            if file_path is not None:
                with open(file_path, "rb") as stream:
                    yield from iter(lambda: stream.read(1 << 20), b"")
            yield tail

        job = self._request("POST", f"/projects/{project_id}/imports", body(), {
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)})  # fmt: skip
        return self.wait(job["id"]) if wait else job

    # --- exports -----------------------------------------------------------------------------------------

    def start_export(
        self, project_id: int, *, format: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._request(
            "POST", f"/projects/{project_id}/exports", {"format": format, "filters": filters or {}}
        )

    def download(self, job_id: int, output: str | Path) -> Path:
        connection = self._connection()
        target = Path(output)
        try:
            connection.request(
                "GET", f"{self._prefix}/api/v1/jobs/{job_id}/download", headers=self._headers()
            )
            response = connection.getresponse()
            if response.status >= 400:
                raise DureApiError(response.status, json.loads(response.read() or b"{}"))
            with open(target, "wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
        finally:
            connection.close()
        return target

    def export(self, project_id: int, *, format: str, output: str | Path,
               filters: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        job = self.wait(self.start_export(project_id, format=format, filters=filters)["id"])
        self.download(job["id"], output)
        return job


# --- `dure import` and `dure export` ---------------------------------------------------------------------


def _parser(command: str) -> Any:
    import argparse

    parser = argparse.ArgumentParser(prog=f"dure {command}")
    parser.add_argument("project", type=int, help="project id")
    parser.add_argument(
        "--url", dest="server", default=None, help="server URL (default $DURE_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--token", default=None, help="API token (default $DURE_TOKEN)")
    parser.add_argument("--format", required=True)
    return parser


def _report(error: Exception) -> int:
    import sys

    print(f"error: {error}", file=sys.stderr)
    details = getattr(error, "details", None) or (getattr(error, "job", {}).get("error") or {}).get(
        "details", {}
    )
    for problem in (details or {}).get("errors", [])[:20]:
        where = " ".join(f"{k} {problem[k]}" for k in ("line", "record", "file", "path") if k in problem)
        print(f"  {where}: {problem.get('error')}", file=sys.stderr)
    return 1


def import_command(argv: list[str]) -> int:
    parser = _parser("import")
    parser.add_argument("file", nargs="?", help="the file to import (none for --format s3)")
    parser.add_argument("--bucket", default="", help="s3://bucket/prefix for --format s3")
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args(argv)
    client = DureClient(args.server, args.token)
    try:
        job = client.import_file(
            args.project, args.file, format=args.format, url=args.bucket, wait=not args.no_wait
        )
    except (DureApiError, JobFailed) as error:
        return _report(error)
    result = job.get("result") or {}
    print(
        f"job {job['id']} {job['state']}: {result.get('created', 0)} added, {result.get('skipped', 0)} already there"
    )
    return 0


def export_command(argv: list[str]) -> int:
    parser = _parser("export")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--state", default="approved", choices=["approved", "done", "all"])
    parser.add_argument("--done-from", default=None)
    parser.add_argument("--done-to", default=None)
    parser.add_argument("--created-from", default=None)
    parser.add_argument("--created-to", default=None)
    parser.add_argument(
        "--worker-level",
        type=int,
        default=None,
        help="only items whose approved answers are all by workers at this level rank or higher",
    )
    args = parser.parse_args(argv)
    filters = {"state": args.state, "done_from": args.done_from, "done_to": args.done_to,
               "created_from": args.created_from, "created_to": args.created_to,
               "worker_level": args.worker_level}  # fmt: skip
    client = DureClient(args.server, args.token)
    try:
        job = client.export(args.project, format=args.format, output=args.output,
                            filters={k: v for k, v in filters.items() if v is not None})  # fmt: skip
    except (DureApiError, JobFailed) as error:
        return _report(error)
    print(f"job {job['id']}: {job['result'].get('rows', 0)} items written to {args.output}")
    return 0
