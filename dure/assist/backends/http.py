"""A client's own model server: the items go out as JSON, suggestions come back.

Request (POST, JSON): ``{"project": id, "spec": {...}, "items": [{"id": 1, "data": {...}}, ...]}``.
Answer: ``{"predictions": [{"item": 1, "answer": {...}, "confidence": 0.9}, ...]}``. Every failure
(refused, timed out, not 2xx, not that JSON) raises a ``BackendFailed`` the job records; nothing here runs
in a worker's request, so a slow server delays the job, never a person.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from dure.assist.backends.base import BaseBackend, Context, ItemInput, PreLabelOut
from dure.assist.errors import BackendBadResponse, BackendFailed, BackendTimeout, InvalidBackendOptions

MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could point anywhere inside the network


_opener = urllib.request.build_opener(_NoRedirects)


def check_url(url: Any) -> str:
    """A http(s) URL; private addresses only when the operator allows them (model servers often are)."""
    if not isinstance(url, str) or len(url) > 2000:
        raise InvalidBackendOptions(path="options.url")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidBackendOptions(
            _("The model server URL must start with http:// or https://."), path="options.url"
        )
    if settings.DURE_ASSIST["HTTP_ALLOW_PRIVATE"]:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InvalidBackendOptions(
            _("The model server's host does not resolve."), path="options.url"
        ) from None
    if any(not ipaddress.ip_address(info[4][0]).is_global for info in infos):
        raise InvalidBackendOptions(
            _("Private network addresses are not allowed on this server."), path="options.url"
        )
    return url


def timeout_of(options: dict[str, Any]) -> float:
    limit = float(settings.DURE_ASSIST["HTTP_MAX_TIMEOUT_SECONDS"])
    value = options.get("timeout_seconds", settings.DURE_ASSIST["HTTP_TIMEOUT_SECONDS"])
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= limit:
        raise InvalidBackendOptions(
            _("The timeout must be between 0 and %(limit)d seconds.") % {"limit": limit},
            path="options.timeout_seconds",
        )
    return float(value)


class HttpBackend(BaseBackend):
    name: ClassVar[str] = "http"
    kinds: ClassVar[frozenset[str]] = frozenset(
        {"single_choice", "multi_choice", "text", "transcription", "number", "rating", "boxes", "polygons",
         "keypoints", "spans", "transcription_regions", "time_segments"}
    )  # fmt: skip
    batch_size: ClassVar[int] = 16

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.url = check_url(context.options.get("url"))
        self.timeout = timeout_of(context.options)
        token = context.options.get("token")
        self.token = token if isinstance(token, str) else ""

    def predict(self, items: Sequence[ItemInput]) -> list[PreLabelOut]:
        body = json.dumps(
            {
                "project": self.context.project.pk,
                "spec": self.context.spec.model_dump(mode="json"),
                "items": [{"id": item.id, "data": item.data} for item in items],
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Dure-assist/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise BackendFailed(
                _("The model server answered HTTP %(status)d.") % {"status": error.code}, status=error.code
            ) from None
        except TimeoutError:
            raise BackendTimeout(timeout_seconds=self.timeout) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise BackendTimeout(timeout_seconds=self.timeout) from None
            raise BackendFailed(
                _("The model server could not be reached (%(reason)s).") % {"reason": error.reason}
            ) from None
        except (ConnectionError, OSError) as error:
            raise BackendFailed(
                _("The model server could not be reached (%(reason)s).") % {"reason": error}
            ) from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise BackendBadResponse(reason="too large")
        return self._parse(raw, {item.id for item in items})

    def _parse(self, raw: bytes, asked: set[int]) -> list[PreLabelOut]:
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BackendBadResponse(reason="not JSON") from None
        predictions = document.get("predictions") if isinstance(document, dict) else None
        if not isinstance(predictions, list):
            raise BackendBadResponse(reason="no predictions list")
        outputs = {o.name for o in self.outputs}
        out = []
        for prediction in predictions:
            if not isinstance(prediction, dict):
                raise BackendBadResponse(reason="a prediction is not an object")
            item, answer = prediction.get("item"), prediction.get("answer")
            confidence = prediction.get("confidence")
            if item not in asked or not isinstance(answer, dict):
                raise BackendBadResponse(reason="a prediction names no item of the request or has no answer")
            if confidence is not None and (
                isinstance(confidence, bool)
                or not isinstance(confidence, int | float)
                or not 0 <= confidence <= 1
            ):
                raise BackendBadResponse(reason="confidence must be between 0 and 1")
            kept = {k: v for k, v in answer.items() if k in outputs}
            if kept:
                out.append(
                    PreLabelOut(int(item), kept, float(confidence) if confidence is not None else None)
                )
        return out
