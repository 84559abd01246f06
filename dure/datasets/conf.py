"""Limits and knobs of imports and exports, overridable through ``settings.DURE``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # One CSV row, JSON Lines line or JSON record; a longer one is reported, never loaded whole.
    "IMPORT_MAX_RECORD_BYTES": 8 * 1024 * 1024,
    # One media file inside an archive or a bucket.
    "IMPORT_MAX_MEDIA_BYTES": 512 * 1024 * 1024,
    # Everything an archive unpacks to, counted from what actually comes out, not from its headers.
    "IMPORT_MAX_ARCHIVE_BYTES": 50 * 1024 * 1024 * 1024,
    "IMPORT_MAX_ARCHIVE_ENTRIES": 1_000_000,
    # Ordinary media compresses at most a few times; a ratio this high is a zip bomb.
    "IMPORT_MAX_COMPRESSION_RATIO": 200,
    # Rows per INSERT round trip: large enough to amortise the round trip, small enough for SQLite's limits.
    "IMPORT_BATCH": 2000,
    # How long a signed media URL works.
    "MEDIA_URL_SECONDS": 600,
    # How often a job that failed on a passing problem (a lost connection, a busy database) is retried.
    "JOB_MAX_ATTEMPTS": 3,
}


def conf(name: str) -> Any:
    return settings.DURE.get(name, DEFAULTS[name])
