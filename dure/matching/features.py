"""Rebuilding the feature tables from the work, quality and academy tables (run by jobs, never a request).

A worker's quality on a data type blends first-pass approval (their version-1 submissions that reviewers
decided) with gold accuracy when there are enough gold results; speed is the median active seconds of
their approved items; the percentile ranks them among everyone measured on that type.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dure.academy.models import ProjectRequirement, UserCertification
from dure.accounts.models import User
from dure.matching.datatypes import data_type_of, device_needs, typical_seconds
from dure.matching.models import ProjectFeatures, TalentProfile, WorkerFeatures, WorkerSkill
from dure.matching.ranking import MEASURED_ITEMS
from dure.projects.models import Project
from dure.quality.models import GoldResult, Level
from dure.quality.selectors import highest_level
from dure.work.models import Slot, SlotState, Submission, SubmissionState

#: gold results on a data type before gold accuracy counts in the blend
GOLD_MIN_RESULTS = 5
#: a micro-job: at most this many open slots, this many seconds per item, and a phone is enough
MICRO_MAX_OPEN_SLOTS = 200
MICRO_MAX_SECONDS = 180.0
CHUNK = 2000


# --- projects --------------------------------------------------------------------------------------------


def _expected_seconds(project: Project, data_type: str) -> float:
    seconds = list(
        Submission.objects.filter(project=project, state=SubmissionState.APPROVED, active_seconds__gt=0)
        .order_by("-id")
        .values_list("active_seconds", flat=True)[:500]
    )
    if len(seconds) >= MEASURED_ITEMS:
        return float(statistics.median(seconds))
    return typical_seconds(data_type)


def project_values(project: Project) -> dict[str, Any]:
    data_type = data_type_of(project.spec)
    requirement = (
        ProjectRequirement.objects.filter(project=project).prefetch_related("certifications").first()
    )
    certifications = sorted(c.pk for c in requirement.certifications.all()) if requirement else []
    expected = _expected_seconds(project, data_type)
    open_slots = Slot.objects.filter(project=project, state=SlotState.OPEN).count()
    needs = device_needs(project.spec, data_type)
    return {
        "organization_id": project.organization_id,
        "status": project.status,
        "visibility": project.visibility,
        "data_type": data_type,
        "language": project.language,
        **needs,
        "certifications": certifications,
        "qualification_exam_id": requirement.qualification_exam_id if requirement else None,
        "price_per_item": project.price_per_item,
        "expected_seconds": expected,
        "open_slots": open_slots,
        "micro": bool(
            needs["phone_ok"] and 0 < open_slots <= MICRO_MAX_OPEN_SLOTS and expected <= MICRO_MAX_SECONDS
        ),
    }


def refresh_project(*, project_id: int) -> ProjectFeatures | None:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return None
    values = project_values(project)
    features, _ = ProjectFeatures.objects.update_or_create(
        project=project, defaults={**values, "refreshed_at": timezone.now()}
    )
    return features


def refresh_open_projects() -> int:
    ids = list(Project.objects.filter(status="open").values_list("pk", flat=True))
    for project_id in ids:
        refresh_project(project_id=project_id)
    ProjectFeatures.objects.exclude(project_id__in=ids).exclude(status="closed").update(status="closed")
    return len(ids)


# --- workers ---------------------------------------------------------------------------------------------


def _project_types() -> dict[int, str]:
    return {pk: data_type_of(spec) for pk, spec in Project.objects.values_list("pk", "spec").iterator()}


def _blend(first_pass: float | None, gold: float | None, gold_results: int) -> float | None:
    if gold is not None and gold_results >= GOLD_MIN_RESULTS:
        return gold if first_pass is None else round((first_pass + gold) / 2, 4)
    return first_pass


def _languages(user: Mapping[str, Any], profile: Mapping[str, Any] | None) -> list[str]:
    codes = [user["locale"], *((profile or {}).get("languages") or [])]
    return sorted({str(c) for c in codes if c})


def _devices(profile: Mapping[str, Any] | None) -> list[str]:
    if not profile:
        return []
    return sorted(set(profile.get("devices") or profile.get("seen_devices") or []))


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for value in ids:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _measure(user_ids: list[int], types: dict[int, str]) -> dict[int, dict[str, Any]]:
    """Per person: overall scores and per data type [approved, quality, median seconds]."""
    per: dict[int, dict[str, Any]] = {
        uid: {"approved": 0, "first": 0, "first_ok": 0, "decided": 0, "rejected": 0, "types": {}}
        for uid in user_ids
    }
    typed: dict[tuple[int, str], dict[str, Any]] = defaultdict(
        lambda: {"approved": 0, "first": 0, "first_ok": 0, "seconds": [], "gold": 0, "gold_ok": 0}
    )
    rows = Submission.objects.filter(worker_id__in=user_ids).values_list(
        "worker_id", "project_id", "state", "version", "active_seconds"
    )
    for worker_id, project_id, state, version, seconds in rows.iterator(chunk_size=5000):
        person = per[worker_id]
        entry = typed[(worker_id, types.get(project_id, "other"))]
        if state == SubmissionState.APPROVED:
            person["approved"] += 1
            entry["approved"] += 1
            if seconds:
                entry["seconds"].append(seconds)
        if state != SubmissionState.PENDING:
            person["decided"] += 1
            person["rejected"] += state == SubmissionState.REJECTED
            if version == 1:
                person["first"] += 1
                entry["first"] += 1
                ok = state == SubmissionState.APPROVED
                person["first_ok"] += ok
                entry["first_ok"] += ok
    gold = (
        GoldResult.objects.filter(worker_id__in=user_ids)
        .values("worker_id", "project_id")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    for row in gold:
        entry = typed[(row["worker_id"], types.get(row["project_id"], "other"))]
        entry["gold"] += row["total"]
        entry["gold_ok"] += row["passed"]
        per[row["worker_id"]].setdefault("gold", 0)
        per[row["worker_id"]]["gold"] = per[row["worker_id"]].get("gold", 0) + row["total"]
        per[row["worker_id"]]["gold_ok"] = per[row["worker_id"]].get("gold_ok", 0) + row["passed"]
    for (worker_id, data_type), entry in typed.items():
        first_pass = entry["first_ok"] / entry["first"] if entry["first"] else None
        gold_accuracy = entry["gold_ok"] / entry["gold"] if entry["gold"] else None
        per[worker_id]["types"][data_type] = [
            entry["approved"],
            _blend(first_pass, gold_accuracy, entry["gold"]),
            round(float(statistics.median(entry["seconds"])), 1) if entry["seconds"] else None,
        ]
    return per


def _distribution(data_type: str) -> tuple[np.ndarray, int]:
    """Sorted measured qualities of everyone else on the type (the distribution a person is placed in)."""
    stored = np.array(
        WorkerSkill.objects.filter(
            data_type=data_type, approved__gte=MEASURED_ITEMS, quality__isnull=False
        ).values_list("quality", flat=True),
        dtype=np.float64,
    )
    return np.sort(stored), len(stored)


def refresh_workers(*, user_ids: list[int] | None = None, rank: bool = True) -> int:
    """Recompute the features of these people (everyone who worked or set a profile when None)."""
    types = _project_types()
    levels = list(Level.objects.order_by("-rank"))
    if user_ids is None:
        everyone = set(Submission.objects.values_list("worker_id", flat=True).distinct())
        everyone |= set(TalentProfile.objects.values_list("user_id", flat=True))
        everyone |= set(UserCertification.objects.values_list("user_id", flat=True))
        user_ids = sorted(everyone)
    done = 0
    for chunk in _chunks(user_ids, CHUNK):
        _refresh_chunk(chunk, types, levels)
        done += len(chunk)
    if rank:
        rank_percentiles(user_ids=user_ids if len(user_ids) <= CHUNK else None)
    return done


def _refresh_chunk(chunk: list[int], types: dict[int, str], levels: list[Level]) -> None:
    measured = _measure(chunk, types)
    users = {u["pk"]: u for u in User.objects.filter(pk__in=chunk).values("pk", "locale")}
    profiles = {
        p["user_id"]: p
        for p in TalentProfile.objects.filter(user_id__in=chunk).values(
            "user_id", "opted_in", "languages", "devices", "seen_devices"
        )
    }
    certifications: dict[int, list[int]] = defaultdict(list)
    for user_id, certification_id in UserCertification.objects.filter(user_id__in=chunk).values_list(
        "user_id", "certification_id"
    ):
        certifications[user_id].append(certification_id)
    now = timezone.now()
    features, skills = [], []
    for user_id in chunk:
        if user_id not in users:
            continue
        m = measured[user_id]
        profile = profiles.get(user_id)
        opted_in = bool(profile and profile["opted_in"])
        first_pass = m["first_ok"] / m["first"] if m["first"] else None
        gold_accuracy = m["gold_ok"] / m["gold"] if m.get("gold") else None
        scores = {
            "approved": m["approved"],
            "gold_accuracy": gold_accuracy,
            "first_pass_approval": first_pass,
            "rework_rate": m["rejected"] / m["decided"] if m["decided"] else None,
        }
        level = highest_level(levels, scores)
        features.append(
            WorkerFeatures(
                user_id=user_id,
                opted_in=opted_in,
                level_rank=level.rank if level else None,
                level_name=level.name if level else "",
                approved=m["approved"],
                quality=_blend(first_pass, gold_accuracy, m.get("gold", 0)),
                certifications=sorted(certifications.get(user_id, [])),
                languages=_languages(users[user_id], profile),
                devices=_devices(profile),
                skills={t: [*v, None] for t, v in m["types"].items()},
                refreshed_at=now,
            )
        )
        for data_type, (approved, quality, seconds) in m["types"].items():
            skills.append(
                WorkerSkill(
                    user_id=user_id,
                    data_type=data_type,
                    opted_in=opted_in,
                    approved=approved,
                    quality=quality,
                    median_seconds=seconds,
                )
            )
    with transaction.atomic():
        WorkerFeatures.objects.bulk_create(
            features,
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=[
                "opted_in",
                "level_rank",
                "level_name",
                "approved",
                "quality",
                "certifications",
                "languages",
                "devices",
                "skills",
                "refreshed_at",
            ],
        )
        WorkerSkill.objects.filter(user_id__in=chunk).delete()
        WorkerSkill.objects.bulk_create(skills, batch_size=1000)


def rank_percentiles(*, user_ids: list[int] | None = None) -> None:
    """Place people among everyone measured on each data type (these people only, or everyone)."""
    scope = WorkerSkill.objects.filter(approved__gte=MEASURED_ITEMS, quality__isnull=False)
    if user_ids is not None:
        scope = scope.filter(user_id__in=user_ids)
    changed: dict[int, dict[str, float]] = defaultdict(dict)
    updates = []
    for data_type in scope.values_list("data_type", flat=True).distinct():
        everyone, count = _distribution(data_type)
        if not count:
            continue
        for skill in scope.filter(data_type=data_type).only("id", "user_id", "quality"):
            # share of measured people strictly better than this one
            better = count - int(np.searchsorted(everyone, float(skill.quality or 0), side="right"))
            skill.percentile = round(better / count, 4)
            updates.append(skill)
            changed[skill.user_id][data_type] = skill.percentile
    with transaction.atomic():
        WorkerSkill.objects.bulk_update(updates, ["percentile"], batch_size=1000)
        for chunk in _chunks(sorted(changed), CHUNK):
            rows = list(WorkerFeatures.objects.filter(user_id__in=chunk).only("user", "skills"))
            for features in rows:
                for data_type, percentile in changed[features.user_id].items():
                    if data_type in features.skills:
                        features.skills[data_type][3] = percentile
            WorkerFeatures.objects.bulk_update(rows, ["skills"], batch_size=1000)
