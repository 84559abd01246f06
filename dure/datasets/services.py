"""Import and export jobs: create them, run them in the background, cancel them.

An import reads its file twice over: first it parses and checks every record against the interface spec
while spooling the accepted ones to a temporary file (no transaction is open, so a bad file never holds a
lock and the job row can report progress); then it writes the spool in batches inside one transaction, so
a file is imported whole or not at all. Memory holds one batch, never the file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import struct
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.core.errors import DureError, InvalidInput
from dure.datasets import exporters
from dure.datasets.conf import conf
from dure.datasets.errors import (
    FormatNotApplicable,
    InvalidFile,
    JobCancelled,
    JobFinished,
    UnknownFormat,
    UnsafeArchive,
)
from dure.datasets.jobrecords import enqueue_on_commit, request_cancel
from dure.datasets.models import DatasetJob, JobKind, JobState
from dure.datasets.readers import (
    IMPORT_FORMATS,
    READERS,
    Limits,
    Problem,
    ReadContext,
    Record,
    read_bucket,
)
from dure.projects.models import Project
from dure.projects.selectors import spec_of
from dure.projects.spec import item_data_errors
from dure.work.item_writer import ItemEntry, item_json, write_items
from dure.work.services import content_hash

if TYPE_CHECKING:  # the certificate imports scipy: only the export job needs it
    from dure.quality.certificate import FormatChecks

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 100
EXPORT_STATES = {"approved", "done", "all"}
EXPORT_FILTERS = {"state", "created_from", "created_to", "done_from", "done_to", "worker_level"}
DATE_FILTERS = EXPORT_FILTERS - {"state", "worker_level"}


# --- creating, cancelling --------------------------------------------------------------------------------


def _enqueue(job: DatasetJob, *, delay_seconds: float = 0) -> None:
    from dure.datasets.jobs import run_dataset_job

    enqueue_on_commit(run_dataset_job, job.pk, delay_seconds=delay_seconds)


def create_import_job(
    *, project: Project, actor: User, format: str, upload: UploadedFile | None = None, url: str = ""
) -> DatasetJob:
    if format not in IMPORT_FORMATS:
        raise UnknownFormat(format=format, formats=IMPORT_FORMATS)
    params: dict[str, Any] = {}
    if format == "s3":
        if not url.startswith("s3://") or len(url) <= len("s3://"):
            raise InvalidInput(_("Give the bucket as s3://bucket/prefix."), path="url")
        params["url"] = url
    else:
        if upload is None:
            raise InvalidInput(_("Attach the file to import."), path="file")
        name = get_valid_filename(os.path.basename(upload.name or "upload")) or "upload"
        path = default_storage.save(f"imports/{project.pk}/{uuid.uuid4().hex}/{name}", upload)
        params.update(path=path, name=upload.name, size=upload.size)
    with transaction.atomic():
        job = DatasetJob.objects.create(
            project=project, kind=JobKind.IMPORT, format=format, created_by=actor, params=params
        )
        _enqueue(job)
    return job


def create_export_job(
    *, project: Project, actor: User, format: str, filters: dict[str, Any] | None = None
) -> DatasetJob:
    if format not in exporters.EXPORTERS:
        raise UnknownFormat(format=format, formats=list(exporters.EXPORTERS))
    filters = dict(filters or {})
    unknown = set(filters) - EXPORT_FILTERS
    if unknown:
        raise InvalidInput(_("Unknown export filter."), path=f"filters.{sorted(unknown)[0]}")
    filters.setdefault("state", "approved")
    if filters["state"] not in EXPORT_STATES:
        raise InvalidInput(_("Unknown item state."), path="filters.state", allowed=sorted(EXPORT_STATES))
    level = filters.get("worker_level")
    if level is not None:
        from dure.quality.models import Level

        if isinstance(level, str) and level.strip().isdigit():
            level = filters["worker_level"] = int(level)
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not Level.objects.filter(rank=level).exists()
        ):
            raise InvalidInput(
                _("Choose one of the worker levels."),
                path="filters.worker_level",
                allowed=list(Level.objects.order_by("rank").values_list("rank", flat=True)),
            )
    for key in DATE_FILTERS:
        if filters.get(key) is not None:
            try:
                exporters.parse_when(filters[key])
            except ValueError:
                raise InvalidInput(_("Expected a date or date and time."), path=f"filters.{key}") from None
    problem = exporters.EXPORTERS[format].not_applicable(spec_of(project))
    if problem:
        raise FormatNotApplicable(format=format, reason=problem)
    with transaction.atomic():
        job = DatasetJob.objects.create(
            project=project, kind=JobKind.EXPORT, format=format, created_by=actor, params={"filters": filters}
        )
        _enqueue(job)
    return job


def cancel_job(*, job: DatasetJob) -> DatasetJob:
    """A queued job is cancelled at once; a running one stops at its next batch and rolls back."""
    if job.finished:
        raise JobFinished(state=job.state)
    return request_cancel(DatasetJob, job)


# --- running ---------------------------------------------------------------------------------------------


def _progress_key(job_id: int) -> str:
    return f"dure:dataset-job:{job_id}:progress"


def live_progress(job: DatasetJob) -> tuple[str, int, int]:
    """The phase and progress, from the cache while the job writes inside its transaction."""
    if job.state == JobState.RUNNING:
        cached = cache.get(_progress_key(job.pk))
        if cached:
            return cached
    return job.phase, job.progress_done, job.progress_total


class _Progress:
    """Reports at most every ``every`` steps: to the job row when no transaction is open, else to the cache."""

    def __init__(
        self, job: DatasetJob, phase: str, total: int, every: int = 2000, seconds: float = 0.0
    ) -> None:
        self.job, self.phase, self.total, self.every, self.seconds = job, phase, total, every, seconds
        self._next = 0
        self._due = 0.0
        self.set(0, force=True)

    def set(self, done: int, *, force: bool = False) -> None:
        if not force and done < self._next:
            return
        if self.seconds:
            # outside a transaction each report is a committed UPDATE (an fsync on SQLite): a few a second
            now = time.monotonic()
            if not force and now < self._due:
                return
            self._due = now + self.seconds
        self._next = done + self.every
        cache.set(_progress_key(self.job.pk), (self.phase, done, self.total), 3600)
        if not transaction.get_connection().in_atomic_block:
            DatasetJob.objects.filter(pk=self.job.pk).update(
                phase=self.phase, progress_done=done, progress_total=self.total
            )
            if DatasetJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
                raise JobCancelled()
        elif DatasetJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled()


def run_job(*, job_id: int) -> DatasetJob | None:
    """Runs one job to its end; called by the background worker. Safe to call twice: the claim is atomic."""
    now = timezone.now()
    claimed = DatasetJob.objects.filter(pk=job_id, state=JobState.QUEUED, cancel_requested=False).update(
        state=JobState.RUNNING, started_at=now
    )
    if not claimed:
        return None
    job = DatasetJob.objects.select_related("project").get(pk=job_id)
    job.attempts += 1
    DatasetJob.objects.filter(pk=job.pk).update(attempts=job.attempts)
    try:
        result = _run_import(job) if job.kind == JobKind.IMPORT else _run_export(job)
    except JobCancelled:
        _finish(job, JobState.CANCELLED)
    except DureError as error:
        report = error.details.get("errors", [])
        details = {k: v for k, v in error.details.items() if k != "errors"}
        _finish(
            job,
            JobState.FAILED,
            error_code=error.code,
            error_message=str(error.message),
            error_report=report[:MAX_PROBLEMS] if isinstance(report, list) else [],
            result={"details": details} if details else {},
        )
    except (OperationalError, InterfaceError, ConnectionError, TimeoutError) as error:
        # A lost connection or a busy database passes: the job is idempotent, so run it again later.
        if job.attempts < conf("JOB_MAX_ATTEMPTS"):
            logger.warning("dataset job %s failed (%s); retrying", job.pk, error)
            DatasetJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED, phase="", started_at=None)
            _enqueue(job, delay_seconds=5 * 2**job.attempts)
            return job
        _finish(job, JobState.FAILED, error_code="temporary_failure", error_message=str(error))
    except Exception:
        logger.exception("dataset job %s failed", job.pk)
        _finish(
            job,
            JobState.FAILED,
            error_code="internal_error",
            error_message=str(_("Something went wrong on our side.")),
        )
    else:
        _finish(job, JobState.SUCCEEDED, result=result)
    job.refresh_from_db()
    return job


def _finish(job: DatasetJob, state: str, **fields: Any) -> None:
    cache.delete(_progress_key(job.pk))
    # A save, not an update: notifications and webhooks listen for the finished job's post_save, and
    # whatever they queue commits together with the state.
    with transaction.atomic():
        job.state = state
        job.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(update_fields=["state", "finished_at", *fields])
    if job.kind == JobKind.IMPORT and job.params.get("path"):
        # The uploaded copy is only needed while the job may still run.
        with contextlib.suppress(OSError):
            default_storage.delete(job.params["path"])


# --- imports ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _local_file(path: str) -> Iterator[IO[bytes]]:
    """The stored upload as a seekable local file (downloaded once when storage is remote)."""
    try:
        local = default_storage.path(path)
    except NotImplementedError:
        with tempfile.TemporaryFile() as copy, default_storage.open(path, "rb") as remote:
            for block in iter(lambda: remote.read(1 << 20), b""):
                copy.write(block)
            copy.seek(0)
            yield copy
        return
    with open(local, "rb") as stream:
        yield stream


def _limits() -> Limits:
    return Limits(
        max_record_bytes=conf("IMPORT_MAX_RECORD_BYTES"),
        max_file_bytes=conf("IMPORT_MAX_MEDIA_BYTES"),
        max_archive_bytes=conf("IMPORT_MAX_ARCHIVE_BYTES"),
        max_archive_entries=conf("IMPORT_MAX_ARCHIVE_ENTRIES"),
        max_compression_ratio=conf("IMPORT_MAX_COMPRESSION_RATIO"),
    )


def bucket_storage(url: str) -> Any:
    """django-storages' S3 storage for the bucket named in ``url``, configured by ``DURE_IMPORT_S3_*``."""
    from storages.backends.s3 import S3Storage

    bucket = url.removeprefix("s3://").partition("/")[0]
    options = getattr(settings, "DURE_IMPORT_S3", {})
    return S3Storage(bucket_name=bucket, **{k: v for k, v in options.items() if v})


_FRAME = struct.Struct("<I")

#: a spooled record: external id, content hash, the data as JSON text
SpoolEntry = ItemEntry


def _spool_write(spool: IO[bytes], entry: SpoolEntry) -> None:
    blob = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    spool.write(_FRAME.pack(len(blob)))
    spool.write(blob)


def _spool_entries(spool: IO[bytes]) -> Iterator[SpoolEntry]:
    spool.seek(0)
    while True:
        head = spool.read(_FRAME.size)
        if not head:
            return
        # The spool is this process's own temporary file, never user input, so unpickling it is safe.
        yield pickle.loads(spool.read(_FRAME.unpack(head)[0]))


def import_records(*, project: Project, records: Iterator[Record | Problem], spool: IO[bytes],
                   progress: Any = None) -> int:  # fmt: skip
    """Checks every record and spools the good ones; raises ``InvalidFile`` with the first 100 problems."""
    spec = spec_of(project)
    problems: list[dict[str, Any]] = []
    accepted = 0
    archive_problem = False
    for entry in records:
        if isinstance(entry, Problem):
            problems.append(entry.as_dict())
            archive_problem = archive_problem or (entry.fatal and entry.file is not None)
            if entry.fatal or len(problems) >= MAX_PROBLEMS:
                break
            continue
        external_id = entry.external_id
        where = {"record": entry.number, **({"line": entry.line} if entry.line is not None else {})}
        if external_id is not None:
            if isinstance(external_id, bool) or not (
                isinstance(external_id, str | int) and str(external_id).strip()
            ):
                problems.append(
                    {**where, "path": "external_id", "error": _("external_id must be a non-empty string")}
                )
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            external_id = str(external_id)[:200]
        found = item_data_errors(spec, entry.data)
        if found:
            problems.extend({**where, **p} for p in found[: MAX_PROBLEMS - len(problems)])
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        if not problems:  # after the first problem only the report matters
            _spool_write(spool, (external_id, content_hash(entry.data), item_json(entry.data)))
        accepted += 1
        if progress is not None and not accepted % 64:  # asking the file its position costs a syscall
            progress(entry.number)
    if problems:
        error_class = UnsafeArchive if archive_problem else InvalidFile
        raise error_class(errors=problems[:MAX_PROBLEMS])
    return accepted


def write_spooled_items(
    *, project: Project, spool: IO[bytes], progress: _Progress | None = None
) -> dict[str, int]:
    """Writes the spooled records in one transaction with the writer ``add_items`` uses
    (``dure.work.item_writer``): items already present (same external id, or same content without one),
    in the file or in the project, are skipped."""
    created, total = write_items(
        project=project,
        entries=_spool_entries(spool),
        batch=conf("IMPORT_BATCH"),
        progress=progress.set if progress is not None else None,
    )
    return {"created": created, "skipped": total - created}


def _run_import(job: DatasetJob) -> dict[str, Any]:
    project = job.project
    context = ReadContext(project_id=project.pk, spec=spec_of(project), limits=_limits())
    with contextlib.ExitStack() as stack:
        spool = stack.enter_context(tempfile.TemporaryFile())
        if job.format == "s3":
            records = read_bucket(job.params["url"], context, bucket_storage(job.params["url"]))
            total = 0
        else:
            stream = stack.enter_context(_local_file(job.params["path"]))
            context.position = stream.tell
            records = READERS[job.format](stream, context)
            # an archive reports entries read (its reader replaces ``position``), other files bytes read
            total = 0 if job.format == "zip" else os.fstat(stream.fileno()).st_size
        reading = _Progress(job, "reading", total, every=max(total // 100, 50), seconds=0.5)
        try:
            accepted = import_records(
                project=project,
                records=records,
                spool=spool,
                progress=lambda _n: reading.set(context.position()),
            )
            writing = _Progress(job, "writing", accepted, every=1)  # every batch: cancel takes effect at once
            result = write_spooled_items(project=project, spool=spool, progress=writing)
        except BaseException:
            for path in context.created_media:  # media stored for an import that did not happen
                with contextlib.suppress(OSError):
                    default_storage.delete(path)
            raise
    return {**result, "records": accepted}


# --- exports ---------------------------------------------------------------------------------------------


def _run_export(job: DatasetJob) -> dict[str, Any]:
    from dure.datasets.selectors import export_count, export_rows, quality_summary, resolve_export_filters
    from dure.quality.certificate import FormatChecks

    project = job.project
    filters = resolve_export_filters(project=project, filters=job.params.get("filters", {}))
    spec = spec_of(project)
    exporter_class = exporters.EXPORTERS[job.format]
    progress = _Progress(job, "writing", export_count(project=project, filters=filters), every=1000)
    # with the filters that chose the items, so a reader of the summary knows what it covers
    summary = {
        **quality_summary(project=project, filters=filters),
        "filters": {k: v for k, v in filters.items() if not k.startswith("_")},
    }
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"export.{exporter_class.extension}"
        with open(target, "wb") as out:
            exporter = exporter_class(spec=spec, out=out, project=project, summary=summary)
            rows = 0
            # the certificate's format checks run over the answers as the rows are read
            checks = FormatChecks(project)
            for row in export_rows(project=project, filters=filters, checks=checks):
                exporter.write(row)
                rows += 1
                progress.set(rows)
            certificate_files = _certificate_files(job, filters, checks)
            exporter.attachments.update(certificate_files)
            exporter.close()
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        name = (
            f"{get_valid_filename(project.name) or 'project'}-{project.pk}-{stamp}.{exporter_class.extension}"
        )
        with open(target, "rb") as stream:
            path = default_storage.save(f"exports/{project.pk}/{job.pk}/{name}", File(stream, name=name))
    DatasetJob.objects.filter(pk=job.pk).update(result_path=path)
    # Every export carries its certificate: inside the archive for zip formats, and for every format also
    # as files next to the export, downloadable from the job (GET /jobs/{id}/certificate?format=…).
    certificate = {
        name.rsplit(".", 1)[1]: default_storage.save(
            f"exports/{project.pk}/{job.pk}/{name}", ContentFile(content, name=name)
        )
        for name, content in certificate_files.items()
    }
    # The quality summary travels with every export too: quality_summary.json in zip archives, info.quality
    # in COCO, key-value metadata in Parquet, and for every format this file next to the export
    # (GET /jobs/{id}/quality-summary), which single-file formats like JSONL, CSV or CoNLL cannot hold.
    summary_path = default_storage.save(
        f"exports/{project.pk}/{job.pk}/{QUALITY_SUMMARY_FILE}",
        ContentFile(json.dumps(summary, ensure_ascii=False, indent=2).encode(), name=QUALITY_SUMMARY_FILE),
    )
    return {"rows": rows, "file_name": name, "size": default_storage.size(path), "summary": summary,
            "summary_path": summary_path, "certificate": certificate, **exporter.notes}  # fmt: skip


#: the quality summary's file, inside zip exports and next to every export
QUALITY_SUMMARY_FILE = "quality_summary.json"


#: the certificate's files in an export, by name
CERTIFICATE_FILES = ("certificate.json", "certificate.html", "certificate.pdf")


def _certificate_files(
    job: DatasetJob, filters: dict[str, Any], checks: FormatChecks | None = None
) -> dict[str, bytes]:
    """The delivery certificate of the exported items, worded in the language of who asked for the export."""
    import json

    from django.utils import translation

    from dure.datasets.selectors import export_items
    from dure.quality import certificate

    data = certificate.export_certificate(
        project=job.project, items=export_items(project=job.project, filters=filters), checks=checks
    )
    language = getattr(job.created_by, "locale", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        html = certificate.standalone_html(data)
        pdf = certificate.pdf(data)
    return {
        "certificate.json": json.dumps(data, ensure_ascii=False, indent=2).encode(),
        "certificate.html": html.encode(),
        "certificate.pdf": pdf,
    }
