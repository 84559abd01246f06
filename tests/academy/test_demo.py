from __future__ import annotations

import pytest

from dure.academy.demo import seed_academy
from dure.academy.models import Certification, Course, ExamQuestion, PracticeItem

pytestmark = pytest.mark.django_db


def test_demo_courses_are_valid_and_idempotent():
    first = seed_academy()
    counts = (PracticeItem.objects.count(), ExamQuestion.objects.count())
    assert seed_academy() == first == {"courses": 4, "exams": 4}
    assert (PracticeItem.objects.count(), ExamQuestion.objects.count()) == counts
    assert set(Certification.objects.values_list("name", flat=True)) >= {
        "이미지 바운딩박스 기초",
        "음성 전사",
        "검수 마스터",
    }
    assert Course.objects.get(slug="ocr-rules").lessons.exists()
