"""Recommendation quality on simulated histories: the best-fit worker ranks first for a project, and the
best-fit project ranks first for a worker; the reasons say why."""

from __future__ import annotations

import numpy as np
import pytest

from dure.academy.models import Certification, ProjectRequirement, UserCertification
from dure.matching import datatypes, ranking, selectors, services
from dure.matching.models import WorkerFeatures, WorkerSkill
from dure.projects.models import ProjectVisibility
from dure.projects.services import create_project
from dure.work.services import add_items
from tests.conftest import CHOICE_SPEC
from tests.matching.conftest import BOX_SPEC, OCR_SPEC, VOICE_SPEC, history_project, refresh_all, simulate

pytestmark = pytest.mark.django_db


def test_data_types_from_specs() -> None:
    assert datatypes.data_type_of(OCR_SPEC) == "ocr"
    assert datatypes.data_type_of(BOX_SPEC) == "image_boxes"
    assert datatypes.data_type_of(CHOICE_SPEC) == "text_classification"
    assert datatypes.data_type_of(VOICE_SPEC) == "collection_audio"
    assert datatypes.data_type_of({"bad": 1}) == "other"
    assert datatypes.device_needs(VOICE_SPEC, "collection_audio") == {
        "needs_microphone": True, "needs_camera": False, "phone_ok": True,
    }  # fmt: skip
    assert (
        datatypes.device_of_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile") == "phone"
    )
    assert datatypes.device_of_agent("Mozilla/5.0 (X11; Linux x86_64) Chrome/120") == "computer"


def test_vector_ranking_prefers_measured_skill_and_refuses_invisible_projects() -> None:
    rows = [
        {"project_id": 1, "visibility": "public", "data_type": "ocr", "language": "ko",
         "needs_microphone": False, "needs_camera": False, "phone_ok": False, "micro": False,
         "price_per_item": 100, "expected_seconds": 60.0, "certifications": []},
        {"project_id": 2, "visibility": "public", "data_type": "image_boxes", "language": "",
         "needs_microphone": False, "needs_camera": False, "phone_ok": False, "micro": False,
         "price_per_item": 100, "expected_seconds": 60.0, "certifications": []},
        {"project_id": 3, "visibility": "private", "data_type": "ocr", "language": "",
         "needs_microphone": False, "needs_camera": False, "phone_ok": False, "micro": False,
         "price_per_item": 1000, "expected_seconds": 60.0, "certifications": []},
        {"project_id": 4, "visibility": "public", "data_type": "ocr", "language": "",
         "needs_microphone": False, "needs_camera": False, "phone_ok": False, "micro": False,
         "price_per_item": 100, "expected_seconds": 60.0, "certifications": [70]},
    ]  # fmt: skip
    matrix = ranking.ProjectMatrix.build(rows)
    worker = ranking.WorkerVector.from_features(
        skills={"ocr": [200, 0.97, 40.0, 0.05], "image_boxes": [50, 0.6, 80.0, 0.8]},
        certifications=[],
        languages=["ko"],
        devices=["computer"],
    )
    scored = ranking.score_projects(worker, matrix)
    order = [int(matrix.ids[i]) for i in ranking.top(scored.fit, 10)]
    assert order[0] == 1  # their strongest type, in their language
    assert 3 not in order  # private and not invited
    assert not scored.certified[3] and order.index(4) > order.index(
        1
    )  # certification 70 (second word) missing
    assert scored.own_speed[0] and scored.hourly[0] == pytest.approx(100 * 3600 / 40)
    invited = ranking.WorkerVector.from_features(
        skills={}, certifications=[70], languages=["en"], devices=["phone"], private_access={3}
    )
    scored = ranking.score_projects(invited, matrix)
    assert np.isfinite(scored.fit[2]) and scored.certified[3]
    assert not scored.language_ok[0] and not scored.device_ok[0]  # Korean, on a computer only
    assert ranking.top_share(0.05) == 10 and ranking.top_share(0.0) == 1 and ranking.top_share(0.7) == 100


def test_best_fit_project_ranks_first_for_a_worker_with_the_reason(org, people, crowd) -> None:
    owner, reviewer = people["owner"], people["reviewer"]
    ocr_history = history_project(org, owner, "ocr", "OCR history")
    box_history = history_project(org, owner, "image_boxes", "Box history")
    star = crowd("star")
    simulate(project=ocr_history, worker=star, reviewer=reviewer, approved=12, seconds=30)
    simulate(project=box_history, worker=star, reviewer=reviewer, approved=3, rejected=5, seconds=120)
    for n, name in enumerate(["p1", "p2", "p3", "p4"]):
        other = crowd(name)
        simulate(project=ocr_history, worker=other, reviewer=reviewer, approved=6, rejected=2 + n, seconds=60)
    # The candidates: all public, same price; only the OCR one fits this person's history.
    for spec, name in [(BOX_SPEC, "차량 박스"), (OCR_SPEC, "영수증 OCR"), (CHOICE_SPEC, "감성 분류")]:
        project = create_project(
            organization=org, actor=owner, name=name, spec=spec, price_per_item=300,
            visibility=ProjectVisibility.PUBLIC, language="ko",
        )  # fmt: skip
        project.status = "open"
        project.save()
    hidden = create_project(
        organization=org, actor=owner, name="Hidden OCR", spec=OCR_SPEC, price_per_item=5000
    )
    hidden.status = "open"
    hidden.save()
    refresh_all()

    found = selectors.recommendations(user=star)["projects"]
    names = [r.project.name for r in found]
    assert names[0] == "영수증 OCR"
    assert "Hidden OCR" not in names  # private: never recommended to someone not invited
    best = found[0].as_dict()
    codes = {r["code"]: r for r in best["reasons"]}
    assert codes["top_share"]["params"] == {"share": 1, "data_type": "ocr"}
    assert "top 1% for OCR transcription" in codes["top_share"]["text"]
    assert best["hourly_estimate"] == round(300 * 3600 / 30, -2)  # at their own measured speed


def test_best_fit_worker_ranks_first_for_a_project(org, people, crowd) -> None:
    owner, reviewer = people["owner"], people["reviewer"]
    ocr_history = history_project(org, owner, "ocr", "OCR history")
    best, fast_sloppy, newcomer, hidden = crowd("best"), crowd("sloppy"), crowd("newcomer"), crowd("hidden")
    simulate(project=ocr_history, worker=best, reviewer=reviewer, approved=15, seconds=40)
    simulate(project=ocr_history, worker=fast_sloppy, reviewer=reviewer, approved=8, rejected=7, seconds=10)
    simulate(project=ocr_history, worker=newcomer, reviewer=reviewer, approved=2, seconds=50)
    simulate(project=ocr_history, worker=hidden, reviewer=reviewer, approved=20, seconds=30)
    for person in (best, fast_sloppy, newcomer):
        services.set_talent_profile(user=person, opted_in=True)
    refresh_all()
    target = create_project(organization=org, actor=owner, name="New OCR", spec=OCR_SPEC, price_per_item=200)
    found = selectors.talent_search(user=owner, query=selectors.TalentQuery(), project=target)
    usernames = [w["username"] for w in found]
    assert usernames[0] == "best"
    assert "hidden" not in usernames  # never opted in
    assert set(usernames) == {"best", "sloppy", "newcomer"}
    assert found[0]["skills"][0]["data_type"] == "ocr" and found[0]["skills"][0]["top_share"] == 1
    # Filters: quality and volume by data type, certification, level.
    strict = selectors.talent_search(
        user=owner, query=selectors.TalentQuery(data_type="ocr", min_quality=0.9, min_approved=10)
    )
    assert [w["username"] for w in strict] == ["best"]
    certification = Certification.objects.create(slug="ocr-pro", name="OCR 전문")
    UserCertification.objects.create(
        user=newcomer, certification=certification, granted_at=ocr_history.created_at
    )
    refresh_all()
    certified = selectors.talent_search(user=owner, query=selectors.TalentQuery(certification="ocr-pro"))
    assert [w["username"] for w in certified] == ["newcomer"]
    # A project that needs the certification puts the certified person above the uncertified.
    requirement = ProjectRequirement.objects.create(project=target)
    requirement.certifications.add(certification)
    ranked = selectors.talent_search(user=owner, query=selectors.TalentQuery(), project=target)
    assert ranked[0]["username"] == "newcomer"
    # Opting out hides the person at once, before any refresh.
    services.set_talent_profile(user=best, opted_in=False)
    assert "best" not in [
        w["username"] for w in selectors.talent_search(user=owner, query=selectors.TalentQuery())
    ]
    assert not WorkerSkill.objects.filter(user=best, opted_in=True).exists()
    # The level is the one the quality app gives for the same scores.
    from dure.quality.selectors import worker_scores

    level = worker_scores(user=best)["level"]
    assert WorkerFeatures.objects.get(user=best).level_rank == (level["rank"] if level else None)


def test_language_and_device_shape_the_ranking(org, people, crowd) -> None:
    owner = people["owner"]
    voice = create_project(
        organization=org, actor=owner, name="목소리 녹음", spec=VOICE_SPEC, price_per_item=500,
        visibility=ProjectVisibility.PUBLIC, language="ko",
    )  # fmt: skip
    boxes = create_project(
        organization=org, actor=owner, name="Boxes", spec=BOX_SPEC, price_per_item=500,
        visibility=ProjectVisibility.PUBLIC,
    )  # fmt: skip
    for project in (voice, boxes):
        project.status = "open"
        project.save()
    add_items(project=voice, records=[{"prompt": f"문장 {n}을 읽어 주세요"} for n in range(20)])
    refresh_all()
    phone_person = crowd("phoneperson")
    services.note_device(
        user=phone_person, user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari"
    )
    found = selectors.recommendations(user=phone_person)
    assert found["projects"][0].project.name == "목소리 녹음"
    assert [r.project.name for r in found["micro_jobs"]] == ["목소리 녹음"]
    assert "phone_ok" in {r["code"] for r in found["projects"][0].reasons}
    assert "needs_computer" in {r["code"] for r in found["projects"][1].reasons}
    desk = crowd("desk")
    services.set_talent_profile(user=desk, devices=["computer"], languages=["en"])
    desk.locale = "en"
    desk.save()
    found = selectors.recommendations(user=desk)
    assert found["projects"][0].project.name == "Boxes"
    assert found["micro_jobs"] == []
    codes = {r["code"] for r in found["projects"][1].reasons}
    assert {"needs_phone", "other_language"} <= codes
