"""Ranking latency at crowd scale: 500k workers and 1k open projects in the feature tables.

    .venv/bin/python bench/matching/run.py [--db sqlite|postgres] [--workers 500000] [--projects 1000]
                                           [--samples 300] [--reuse]

Builds a scratch database (SQLite var/bench-matching/db.sqlite3, or PostgreSQL ``dure_bench_matching`` on
127.0.0.1, dropped and recreated; ``--pg-url`` to change it), fills users, talent profiles, worker features
and per-data-type skills, certifications, and projects with their feature rows, as the refresh jobs would
leave them. Then it times, per call, through the same selectors the API uses:

- ``recommendations(user=…)``: one worker against every open project (their feature row, their private
  access, the cached project matrix, scoring in numpy, the top 10 and the micro-jobs shaped with reasons);
- ``talent_search(…)``: a manager's filtered search on a data type (quality and volume thresholds), and
  the same ranked by fit to a project.

Prints p50/p95/max in milliseconds and writes bench/results/matching.json. ``--reuse`` keeps an existing
scratch database of the right size (generation takes minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "matching.json"


def _configure(args: argparse.Namespace) -> None:
    if args.db == "postgres":
        os.environ["DURE_DATABASE_URL"] = args.pg_url
        if not args.reuse:
            admin = args.pg_url.rsplit("/", 1)[0] + "/postgres"
            name = args.pg_url.rsplit("/", 1)[1]
            for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
                subprocess.run(["psql", admin, "-q", "-c", sql], check=True)
    else:
        folder = ROOT / "var" / "bench-matching"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "db.sqlite3"
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DURE_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DURE_VAR_DIR", str(ROOT / "var" / "bench-matching"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dure.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate(workers: int, projects: int, seed: int) -> None:
    from django.utils import timezone

    from dure.academy.models import Certification
    from dure.accounts.models import Organization, User
    from dure.matching.datatypes import COMPUTER_ONLY, DATA_TYPES, device_needs, typical_seconds
    from dure.matching.models import ProjectFeatures, TalentProfile, WorkerFeatures, WorkerSkill
    from dure.projects.models import Project

    rng = random.Random(seed)
    now = timezone.now()
    types = [t for t in DATA_TYPES if t != "other"]
    started = time.perf_counter()
    certifications = Certification.objects.bulk_create(
        [Certification(slug=f"cert-{n}", name=f"Certification {n}") for n in range(80)]
    )
    cert_ids = [c.pk for c in certifications]
    organization = Organization.objects.create(name="Bench", slug="bench")
    batch = 5000
    for start in range(0, workers, batch):
        count = min(batch, workers - start)
        users = User.objects.bulk_create(
            [
                User(username=f"w{start + n}", password="!", locale="ko" if rng.random() < 0.85 else "en")
                for n in range(count)
            ]
        )
        features, skills, profiles = [], [], []
        for user in users:
            opted_in = rng.random() < 0.3
            chosen = rng.sample(types, rng.choice([1, 2, 3, 3, 4]))
            held = rng.sample(cert_ids, rng.choice([0, 0, 1, 2, 3]))
            devices = rng.choice([["computer"], ["phone"], ["computer", "phone"], []])
            languages = [user.locale] + (["en"] if rng.random() < 0.3 else [])
            skill_map: dict[str, list[Any]] = {}
            for data_type in chosen:
                approved = int(rng.paretovariate(1.2) * 5)
                quality = min(1.0, max(0.0, rng.gauss(0.85, 0.08)))
                seconds = typical_seconds(data_type) * rng.uniform(0.5, 2.0)
                percentile = rng.random()
                skill_map[data_type] = [approved, round(quality, 4), round(seconds, 1), round(percentile, 4)]
                skills.append(
                    WorkerSkill(
                        user_id=user.pk, data_type=data_type, opted_in=opted_in, approved=approved,
                        quality=quality, median_seconds=seconds, percentile=percentile,
                    )
                )  # fmt: skip
            features.append(
                WorkerFeatures(
                    user_id=user.pk, opted_in=opted_in, level_rank=rng.choice([None, 1, 2, 3]),
                    approved=sum(v[0] for v in skill_map.values()), quality=rng.uniform(0.6, 1.0),
                    certifications=sorted(held), languages=sorted(set(languages)), devices=devices,
                    skills=skill_map, refreshed_at=now,
                )
            )  # fmt: skip
            if opted_in or devices:
                profiles.append(TalentProfile(user_id=user.pk, opted_in=opted_in, devices=devices))
        WorkerFeatures.objects.bulk_create(features, batch_size=2000)
        WorkerSkill.objects.bulk_create(skills, batch_size=2000)
        TalentProfile.objects.bulk_create(profiles, batch_size=2000)
        if (start // batch) % 20 == 0:
            print(f"  {start + count:,} workers ({time.perf_counter() - started:.0f} s)", flush=True)
    made = Project.objects.bulk_create(
        [
            Project(
                organization=organization,
                name=f"Project {n}",
                spec={},
                status="open",
                price_per_item=rng.choice([50, 100, 200, 300, 500, 1000]),
                visibility="public" if rng.random() < 0.8 else "private",
                language=rng.choice(["", "ko", "en"]),
            )
            for n in range(projects)
        ]
    )
    rows = []
    for project in made:
        data_type = rng.choice(types)
        needs = device_needs({}, data_type)
        open_slots = rng.choice([50, 150, 1000, 10000])
        expected = typical_seconds(data_type) * rng.uniform(0.7, 1.5)
        rows.append(
            ProjectFeatures(
                project=project, organization_id=organization.pk, status="open", visibility=project.visibility,
                data_type=data_type, language=project.language, **needs,
                certifications=sorted(rng.sample(cert_ids, rng.choice([0, 0, 0, 1, 2]))),
                price_per_item=project.price_per_item, expected_seconds=expected, open_slots=open_slots,
                micro=needs["phone_ok"] and open_slots <= 200 and expected <= 180 and data_type not in COMPUTER_ONLY,
                refreshed_at=now,
            )
        )  # fmt: skip
    ProjectFeatures.objects.bulk_create(rows)
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _measure(samples: int, seed: int) -> dict[str, Any]:
    import numpy as np

    from dure.accounts.models import User
    from dure.matching import ranking, selectors
    from dure.matching.datatypes import DATA_TYPES
    from dure.projects.models import Project

    rng = random.Random(seed + 1)
    highest = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    lowest = User.objects.order_by("pk").values_list("pk", flat=True).first() or 0
    manager = User.objects.get_or_create(username="bench-manager")[0]
    from dure.accounts.models import Membership, Organization

    Membership.objects.get_or_create(organization=Organization.objects.get(slug="bench"), user=manager,
                                     defaults={"role": "manager"})  # fmt: skip
    selectors.project_matrix()  # the first call builds the matrix; every later request shares it
    results: dict[str, Any] = {}

    timings, numpy_only = [], []
    for _ in range(samples):
        user = User.objects.get(pk=rng.randint(lowest, highest - 1))
        started = time.perf_counter()
        found = selectors.recommendations(user=user)
        timings.append(time.perf_counter() - started)
        assert found["projects"], "every worker sees public projects"
        worker = selectors.worker_vector(user=user)
        matrix = selectors.project_matrix()
        started = time.perf_counter()
        scored = ranking.score_projects(worker, matrix)
        ranking.top(scored.fit, 10)
        numpy_only.append(time.perf_counter() - started)
    results["recommendations_one_worker"] = _percentiles(timings)
    results["scoring_numpy_only"] = _percentiles(numpy_only)

    types = [t for t in DATA_TYPES if t != "other"]
    timings = []
    for _ in range(samples):
        query = selectors.TalentQuery(
            data_type=rng.choice(types), min_quality=rng.choice([None, 0.8, 0.9]),
            min_approved=rng.choice([0, 10, 50]), limit=50,
        )  # fmt: skip
        started = time.perf_counter()
        selectors.talent_search(user=manager, query=query)
        timings.append(time.perf_counter() - started)
    results["talent_search_filtered"] = _percentiles(timings)

    project_ids = list(Project.objects.values_list("pk", flat=True))
    timings = []
    for _ in range(max(20, samples // 3)):
        project = Project.objects.get(pk=rng.choice(project_ids))
        project.spec = {
            "inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "t", "type": "transcription"}],
        }
        started = time.perf_counter()
        selectors.talent_search(user=manager, query=selectors.TalentQuery(min_quality=0.7), project=project)
        timings.append(time.perf_counter() - started)
    results["talent_search_ranked_for_project"] = _percentiles(timings)
    results["matrix_build_1k_projects_ms"] = round(
        _time(lambda: (selectors.forget_matrix(), selectors.project_matrix())) * 1000, 1
    )
    results["numpy"] = np.__version__
    return results


def _time(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/dure_bench_matching")
    parser.add_argument("--workers", type=int, default=500_000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    _configure(args)
    from dure.matching.models import WorkerFeatures

    if not (args.reuse and WorkerFeatures.objects.count() >= args.workers):
        _generate(args.workers, args.projects, args.seed)
    results = {
        "db": args.db,
        "workers": args.workers,
        "projects": args.projects,
        **_measure(args.samples, args.seed),
    }
    print(json.dumps(results, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
