"""Assistance: choosing a backend, pre-label jobs, recording what suggestions did, flagging submissions.

Pre-label jobs run outside any request (Django tasks, enqueued after commit); each batch of suggestions is
written in its own short transaction, so a long job never holds a lock and a cancel takes effect at the
next batch. ``assess_submission`` runs inside the work loop's submit transaction and costs nothing for a
project without assistance (the setting is cached per process for a few seconds).
"""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from dure.accounts.models import User
from dure.assist import compare as comparing
from dure.assist import fingerprints
from dure.assist.backends.base import BaseBackend, Context, ItemInput, PreLabelOut, backend_for
from dure.assist.backends.media import read_media
from dure.assist.errors import AssistJobFinished, InvalidBackendOptions, NoBackendChosen
from dure.assist.models import (
    AssistJob,
    Fingerprint,
    PreLabel,
    ProjectAssist,
    SubmissionAssist,
    WorkerHistory,
)
from dure.core.errors import DureError
from dure.core.fastsql import insert_row, update_rows
from dure.datasets.jobrecords import enqueue_on_commit, request_cancel
from dure.datasets.models import JobState
from dure.datasets.readers import PRELABELS_KEY
from dure.projects.models import Project
from dure.projects.selectors import spec_of
from dure.projects.spec import InterfaceSpec, answer_errors, parse_spec
from dure.work.models import Item, Slot, SlotState, Submission

logger = logging.getLogger(__name__)


def conf(name: str) -> Any:
    return settings.DURE_ASSIST[name]


# --- the project's setting, cached per process -----------------------------------------------------------

_CACHE_SECONDS = 5.0
_settings_cache: dict[int, tuple[float, ProjectAssist | None]] = {}


def project_settings(project_id: int) -> ProjectAssist | None:
    """The project's assistance setting; other processes see a change within a few seconds."""
    now = time.monotonic()
    hit = _settings_cache.get(project_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = ProjectAssist.objects.filter(project_id=project_id).first()
    _settings_cache[project_id] = (now + _CACHE_SECONDS, found)
    return found


def has_prelabels(item: Item) -> bool:
    """Whether the item came with pre-labels from its import (a Label Studio prediction, say)."""
    return isinstance(item.data, dict) and bool(item.data.get(PRELABELS_KEY))


def forget_settings(*_args: Any, **_kwargs: Any) -> None:
    _settings_cache.clear()


post_save.connect(forget_settings, sender=ProjectAssist, dispatch_uid="assist-forget-save")
post_delete.connect(forget_settings, sender=ProjectAssist, dispatch_uid="assist-forget-delete")


def configure(
    *,
    project: Project,
    backend: str,
    options: dict[str, Any] | None = None,
    suggest: bool = True,
    flag_reviews: bool = True,
) -> ProjectAssist:
    """Chooses the project's backend; the backend checks its options (an http URL, a timeout) here."""
    options = dict(options or {})
    if backend:
        if len(str(options)) > 100_000:
            raise InvalidBackendOptions(path="options")
        backend_for(backend, Context(project=project, spec=spec_of(project), options=options))
    with transaction.atomic():
        chosen, _created = ProjectAssist.objects.update_or_create(
            project=project,
            defaults={
                "backend": backend,
                "options": options,
                "suggest": suggest,
                "flag_reviews": flag_reviews,
            },
        )
    return chosen


# --- pre-label jobs --------------------------------------------------------------------------------------


def _enqueue(job: AssistJob, *, delay_seconds: float = 0) -> None:
    from dure.assist.jobs import run_assist_job

    enqueue_on_commit(run_assist_job, job.pk, delay_seconds=delay_seconds)


def start_prelabel_job(*, project: Project, actor: User, only_missing: bool = True) -> AssistJob:
    chosen = project_settings(project.pk)
    if chosen is None or not chosen.backend:
        raise NoBackendChosen()
    # refuse now, not in the background, when the backend cannot work for this project
    backend_for(chosen.backend, Context(project=project, spec=spec_of(project), options=chosen.options))
    with transaction.atomic():
        job = AssistJob.objects.create(
            project=project,
            backend=chosen.backend,
            created_by=actor,
            params={"only_missing": only_missing},
        )
        _enqueue(job)
    return job


def cancel_job(*, job: AssistJob) -> AssistJob:
    """A queued job is cancelled at once; a running one stops before its next batch."""
    if job.finished:
        raise AssistJobFinished(state=job.state)
    return request_cancel(AssistJob, job)


class _Cancelled(Exception):
    pass


def run_job(*, job_id: int) -> AssistJob | None:
    """Runs one job to its end in the background worker; a second call finds it claimed and returns."""
    claimed = AssistJob.objects.filter(pk=job_id, state=JobState.QUEUED, cancel_requested=False).update(
        state=JobState.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = AssistJob.objects.select_related("project").get(pk=job_id)
    try:
        result = _run(job)
    except _Cancelled:
        _finish(job, JobState.CANCELLED)
    except DureError as error:
        _finish(
            job,
            JobState.FAILED,
            error_code=error.code,
            error_message=str(error.message),
            result={"details": _plain(error.details)} if error.details else {},
        )
    except (OperationalError, InterfaceError) as error:
        if job.attempts < conf("JOB_MAX_ATTEMPTS"):
            logger.warning("assist job %s failed (%s); retrying", job.pk, error)
            AssistJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED, started_at=None)
            _enqueue(job, delay_seconds=5 * 2**job.attempts)
            return job
        _finish(job, JobState.FAILED, error_code="temporary_failure", error_message=str(error))
    except Exception:
        logger.exception("assist job %s failed", job.pk)
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


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float | str | bool | None) else str(v) for k, v in details.items()}


def _finish(job: AssistJob, state: str, **fields: Any) -> None:
    AssistJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def _run(job: AssistJob) -> dict[str, Any]:
    project = job.project
    spec = spec_of(project)
    chosen = ProjectAssist.objects.filter(project=project).first()
    options = chosen.options if chosen is not None and chosen.backend == job.backend else {}
    backend = backend_for(job.backend, Context(project=project, spec=spec, options=options))
    items = Item.objects.filter(project=project).order_by("id")
    if job.params.get("only_missing", True):
        items = items.exclude(prelabels__backend=job.backend)
    ids = list(items.values_list("id", flat=True))
    AssistJob.objects.filter(pk=job.pk).update(progress_total=len(ids), progress_done=0)
    backend.prepare()
    written = rejected = 0
    started = time.monotonic()
    for start in range(0, len(ids), backend.batch_size):
        if AssistJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise _Cancelled()
        batch = [
            ItemInput(pk, data)
            for pk, data in Item.objects.filter(pk__in=ids[start : start + backend.batch_size])
            .order_by("id")
            .values_list("id", "data")
        ]
        outputs = backend.predict(batch)
        kept, dropped = _valid(spec, outputs, {i.id: i.data for i in batch})
        store_prelabels(project=project, backend=backend.name, outputs=kept, job=job)
        written += len(kept)
        rejected += dropped
        AssistJob.objects.filter(pk=job.pk).update(progress_done=start + len(batch))
    result: dict[str, Any] = {
        "items": len(ids),
        "prelabels": written,
        "rejected": rejected,
        "seconds": round(time.monotonic() - started, 2),
    }
    result.update(_extra_results(backend, ids))
    return result


def _extra_results(backend: BaseBackend, ids: list[int]) -> dict[str, Any]:
    """The embedding backend also reports near-duplicate texts among the project's items."""
    from dure.assist.backends.embeddings import EmbeddingBackend, near_duplicate_pairs

    if not isinstance(backend, EmbeddingBackend) or backend.text_input is None:
        return {}
    all_ids: list[int] = []
    vectors = []
    rows = Item.objects.filter(project=backend.context.project).order_by("id").values_list("id", "data")
    chunk: list[ItemInput] = []
    for pk, data in rows.iterator(chunk_size=1000):
        chunk.append(ItemInput(pk, data))
        if len(chunk) == 512:
            vectors.append(backend.embed(chunk))
            all_ids.extend(i.id for i in chunk)
            chunk = []
    if chunk:
        vectors.append(backend.embed(chunk))
        all_ids.extend(i.id for i in chunk)
    if not vectors:
        return {"near_duplicates": []}
    import numpy as np

    pairs = near_duplicate_pairs(all_ids, np.concatenate(vectors))
    return {"near_duplicates": [list(p) for p in pairs[:200]], "classes_known": bool(backend.centroids)}


def _valid(
    spec: InterfaceSpec, outputs: list[PreLabelOut], data: dict[int, dict[str, Any]]
) -> tuple[list[PreLabelOut], int]:
    """Only outputs that pass the project's answer rules are kept: a suggestion a worker cannot submit
    unchanged would teach them to distrust every suggestion."""
    kept = []
    dropped = 0
    for output in outputs:
        if output.item_id not in data:
            dropped += 1
            continue
        errors = answer_errors(spec, output.answer, data[output.item_id])
        bad = {e["path"].split("[")[0].split(".")[0] for e in errors}
        answer = {k: v for k, v in output.answer.items() if k not in bad}
        if answer:
            kept.append(PreLabelOut(output.item_id, answer, output.confidence))
        else:
            dropped += 1
    return kept, dropped


def store_prelabels(
    *, project: Project, backend: str, outputs: list[PreLabelOut], job: AssistJob | None = None
) -> int:
    if not outputs:
        return 0
    now = timezone.now()
    with transaction.atomic():
        PreLabel.objects.filter(item_id__in=[o.item_id for o in outputs], backend=backend).delete()
        PreLabel.objects.bulk_create(
            [
                PreLabel(
                    project=project,
                    item_id=o.item_id,
                    backend=backend,
                    answer=o.answer,
                    confidence=None if o.confidence is None or math.isnan(o.confidence) else o.confidence,
                    job=job,
                    created_at=now,
                )
                for o in outputs
            ]
        )
    return len(outputs)


# --- what a suggestion did, and flags for review ---------------------------------------------------------


def suggestion_for(*, project_id: int, item: Item) -> dict[str, Any] | None:
    """The suggestion a worker sees for an item: the latest pre-label of the project's backend, else the
    pre-labels an import brought along (Label Studio predictions, COCO shapes)."""
    chosen = project_settings(project_id)
    if chosen is not None and not chosen.suggest:
        return None
    if chosen is not None and chosen.backend:
        found = _one_row(
            f"SELECT answer, confidence FROM {PreLabel._meta.db_table} WHERE item_id = %s AND backend = %s",
            [item.pk, chosen.backend],
        )
        if found is not None:
            return {"answer": _json(found[0]), "confidence": found[1], "backend": chosen.backend}
    imported = item.data.get(PRELABELS_KEY) if isinstance(item.data, dict) else None
    if isinstance(imported, dict) and imported:
        return {"answer": imported, "confidence": None, "backend": "import"}
    return None


def _one_row(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """One row by plain SQL: these two reads run in every submit of an assisted project, where the ORM's
    query compiler cost more than the query (as for the work loop's own reads, dure/core/fastsql.py)."""
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 1", params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _json(value: Any) -> Any:
    """A JSON column as SQLite (text) or PostgreSQL (decoded by psycopg) hands it back."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _history_flags(history: WorkerHistory | None, seconds: float, classes: list[str]) -> list[dict[str, Any]]:
    if history is None or history.count < conf("HISTORY_MIN_COUNT"):
        return []
    flags: list[dict[str, Any]] = []
    mean = history.log_seconds_sum / history.count
    variance = max(history.log_seconds_square_sum / history.count - mean * mean, 0.0)
    spread = max(math.sqrt(variance), 0.25)  # a very regular worker is not flagged for a small wobble
    z = (math.log(max(seconds, 0.5)) - mean) / spread
    if z < -2.0:
        flags.append(
            {"code": "unusually_fast", "score": round(min(1.0, 0.5 + (-z - 2.0) / 4), 3),
             "seconds": round(seconds, 1), "usual_seconds": round(math.exp(mean), 1)}
        )  # fmt: skip
    for value in classes:
        output = value.split(":", 1)[0]
        total = sum(n for key, n in history.classes.items() if key.split(":", 1)[0] == output)
        share = history.classes.get(value, 0) / total if total else 1.0
        if total >= conf("HISTORY_MIN_COUNT") and share < 0.05:
            flags.append(
                {"code": "unusual_class", "score": round(0.6 + 0.4 * (0.05 - share) / 0.05, 3),
                 "value": value.split(":", 1)[1], "output": output, "usual_share": round(share, 3)}
            )  # fmt: skip
    return flags


def _chosen_classes(spec: InterfaceSpec, answer: dict[str, Any]) -> list[str]:
    out = []
    for output in spec.outputs:
        value = answer.get(output.name)
        if output.type == "single_choice" and isinstance(value, str):
            out.append(f"{output.name}:{value}")
        elif output.type == "multi_choice" and isinstance(value, list):
            out.extend(f"{output.name}:{v}" for v in value if isinstance(v, str))
    return out


def priority_of(score: float) -> int:
    """The review queue's order: 0 for nothing unusual, up to 100."""
    return max(0, min(100, round(score * 100)))


def assess_submission(*, submission: Submission, spec: InterfaceSpec, item: Item, rework: bool) -> int:
    """Records what the suggestion did and the history flags; returns the review priority.

    Called inside submit's transaction. A project without assistance (and an item without imported
    pre-labels) returns 0 without a query.
    """
    chosen = project_settings(submission.project_id)
    imported = has_prelabels(item)
    if chosen is None and not imported:
        return 0
    answer = submission.answer if isinstance(submission.answer, dict) else {}
    suggestion = None if rework else suggestion_for(project_id=submission.project_id, item=item)
    flags: list[dict[str, Any]] = []
    difference = None
    if suggestion is not None:
        types = {o.name: o.type for o in spec.outputs}
        difference = comparing.compare(types, suggestion["answer"], answer)
        if difference.similarity < conf("DISAGREE_BELOW"):
            flags.append(
                {"code": "disagrees_with_model", "score": round(1.0 - difference.similarity, 3),
                 "similarity": difference.similarity, "backend": suggestion["backend"]}
            )  # fmt: skip
    classes = _chosen_classes(spec, answer)
    flag_reviews = chosen is None or chosen.flag_reviews
    if flag_reviews:
        row = _one_row(
            f"SELECT id, count, log_seconds_sum, log_seconds_square_sum, classes "
            f"FROM {WorkerHistory._meta.db_table} WHERE project_id = %s AND worker_id = %s",
            [submission.project_id, submission.worker_id],
        )
        history = None
        if row is not None:
            history = WorkerHistory(
                id=row[0],
                project_id=submission.project_id,
                worker_id=submission.worker_id,
                count=row[1],
                log_seconds_sum=row[2],
                log_seconds_square_sum=row[3],
                classes=_json(row[4]),
            )
        flags.extend(_history_flags(history, submission.active_seconds, classes))
        _remember(submission, history, classes)
    score = max((f["score"] for f in flags), default=0.0) if flag_reviews else 0.0
    # the hot path of submit: a plain INSERT, without the ORM's query compiler (see dure/core/fastsql.py)
    insert_row(
        SubmissionAssist,
        {
            "submission_id": submission.pk,
            "project_id": submission.project_id,
            "worker_id": submission.worker_id,
            "suggestion_shown": suggestion is not None,
            "suggestion_backend": suggestion["backend"] if suggestion else "",
            "similarity": difference.similarity if difference else None,
            "changed_regions": difference.changed_regions if difference else 0,
            "edit_distance": difference.edit_distance if difference else 0,
            "active_seconds": submission.active_seconds,
            "flag_score": score,
            "flags": flags,
            "created_at": submission.created_at,
        },
        returning=False,
    )
    if flag_reviews and _has_uploads(spec, answer):
        transaction.on_commit(lambda: _enqueue_fingerprints(submission.pk))
    return priority_of(score)


def _remember(submission: Submission, history: WorkerHistory | None, classes: list[str]) -> None:
    """Adds the submission to the worker's running sums. Two submits of one worker racing may lose one
    of the two additions: these are statistics for flags, not money, and a worker submits one at a time."""
    log_seconds = math.log(max(submission.active_seconds, 0.5))
    if history is None:
        history, _created = WorkerHistory.objects.get_or_create(
            project_id=submission.project_id, worker_id=submission.worker_id
        )
    counts = dict(history.classes)
    for value in classes:
        counts[value] = counts.get(value, 0) + 1
    update_rows(
        WorkerHistory,
        {
            "count": history.count + 1,
            "log_seconds_sum": history.log_seconds_sum + log_seconds,
            "log_seconds_square_sum": history.log_seconds_square_sum + log_seconds * log_seconds,
            "classes": counts,
        },
        id=history.pk,
    )


def _has_uploads(spec: InterfaceSpec, answer: dict[str, Any]) -> bool:
    return any(o.type == "file_upload" and answer.get(o.name) for o in spec.outputs)


# --- duplicate uploads -----------------------------------------------------------------------------------


def _enqueue_fingerprints(submission_id: int) -> None:
    from dure.assist.jobs import fingerprint_submission

    fingerprint_submission.enqueue(submission_id)


def fingerprint_uploads(*, submission_id: int) -> list[dict[str, Any]]:
    """Hashes each uploaded image or WAV recording of a submission and flags it when an earlier upload
    in the project is the same picture or sound; the flag raises the slot's place in the review queue."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return []
    spec = parse_spec(_project_spec(submission.project_id))
    found: list[dict[str, Any]] = []
    limit = conf("DUPLICATE_MAX_BITS")
    now = timezone.now()
    for output in spec.outputs:
        files = submission.answer.get(output.name) if output.type == "file_upload" else None
        for entry in files if isinstance(files, list) else []:
            path = entry.get("path") if isinstance(entry, dict) else None
            content = read_media(path)
            if content is None:
                continue
            measured = _fingerprint(content)
            if measured is None:
                continue
            kind, value = measured
            parts = fingerprints.bands(value)
            candidates = Fingerprint.objects.filter(project_id=submission.project_id, kind=kind).exclude(
                submission_id=submission.pk
            )
            near = [
                c
                for c in candidates.filter(band0=parts[0]).union(
                    candidates.filter(band1=parts[1]),
                    candidates.filter(band2=parts[2]),
                    candidates.filter(band3=parts[3]),
                )
                if fingerprints.hamming(fingerprints.unsigned(c.hash), value) <= limit
            ]
            Fingerprint.objects.get_or_create(
                submission=submission,
                path=str(path),
                defaults={
                    "project_id": submission.project_id,
                    "worker_id": submission.worker_id,
                    "kind": kind,
                    "hash": fingerprints.signed(value),
                    "band0": parts[0], "band1": parts[1], "band2": parts[2], "band3": parts[3],
                    "created_at": now,
                },
            )  # fmt: skip
            if near:
                first = min(near, key=lambda c: c.pk)
                found.append(
                    {"code": "duplicate_upload", "score": 1.0, "kind": kind, "path": str(path),
                     "same_as_submission": first.submission_id,
                     "same_worker": first.worker_id == submission.worker_id,
                     "bits": fingerprints.hamming(fingerprints.unsigned(first.hash), value)}
                )  # fmt: skip
    if found:
        _add_flags(submission, found)
    return found


def _project_spec(project_id: int) -> Any:
    return Project.objects.values_list("spec", flat=True).get(pk=project_id)


def _fingerprint(content: bytes) -> tuple[str, int] | None:
    from dure.datasets.media import sniff

    kind = sniff(content[:64])
    if kind is None:
        return None
    try:
        if kind.kind == "image":
            return "image", fingerprints.image_hash(content)
        if kind.kind == "audio":
            samples = fingerprints.read_wav(content)
            value = fingerprints.audio_hash(*samples) if samples is not None else None
            return ("audio", value) if value is not None else None
    except (OSError, ValueError):
        return None
    return None


def _add_flags(submission: Submission, flags: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        record, _created = SubmissionAssist.objects.select_for_update().get_or_create(
            submission=submission,
            defaults={
                "project_id": submission.project_id,
                "worker_id": submission.worker_id,
                "active_seconds": submission.active_seconds,
                "created_at": submission.created_at,
            },
        )
        record.flags = [f for f in record.flags if f.get("code") != "duplicate_upload"] + flags
        record.flag_score = max(f["score"] for f in record.flags)
        record.save(update_fields=["flags", "flag_score"])
        # only a slot still waiting moves up: one already in review or decided keeps its place
        Slot.objects.filter(
            pk=submission.slot_id, submission_id=submission.pk, state=SlotState.SUBMITTED
        ).update(review_priority=priority_of(record.flag_score))
