"""A small course, exam and certification for tests."""

from __future__ import annotations

from dure.academy.models import Certification, Course, Exam, ExamQuestion, Lesson, PracticeItem

BOX_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "boxes", "type": "boxes", "labels": ["car", "person"]}],
}
CHOICE_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
}
TEXT_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "text", "type": "transcription"}],
}
IMAGE = {"image": "demo/street.png", "width": 200, "height": 100}


def make_academy(*, cooldown: int = 3600, time_limit: int = 600) -> Exam:
    certification, _ = Certification.objects.get_or_create(
        slug="bbox-basics", defaults={"name": "이미지 바운딩박스 기초"}
    )
    course = Course.objects.create(slug="boxes", title="Bounding boxes", summary="Tight boxes")
    Lesson.objects.create(
        course=course,
        order=0,
        title="Tight boxes",
        body="# Tight\n\nDraw **tight** boxes.<script>x()</script>",
    )
    PracticeItem.objects.create(
        course=course,
        order=0,
        prompt="Box the car",
        spec=BOX_SPEC,
        data=IMAGE,
        expected={"boxes": [{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]},
        explanation="The car is on the left.",
    )
    PracticeItem.objects.create(
        course=course,
        order=1,
        prompt="Read the sign",
        spec=TEXT_SPEC,
        data=IMAGE,
        expected={"text": "서울역 SEOUL"},
    )
    exam = Exam.objects.create(
        slug="boxes-exam",
        title="Box exam",
        course=course,
        certification=certification,
        pass_mark=0.8,
        time_limit_seconds=time_limit,
        cooldown_seconds=cooldown,
    )
    ExamQuestion.objects.create(
        exam=exam,
        order=0,
        prompt="Sentiment",
        spec=CHOICE_SPEC,
        data={"text": "좋아요"},
        expected={"label": "pos"},
    )
    ExamQuestion.objects.create(
        exam=exam,
        order=1,
        prompt="Box the car",
        spec=BOX_SPEC,
        data=IMAGE,
        expected={"boxes": [{"x": 10, "y": 10, "width": 50, "height": 40, "label": "car"}]},
    )
    return exam


def right_answers(exam: Exam) -> dict[str, dict]:
    return {str(q.pk): q.expected for q in exam.questions.all()}


def wrong_answers(exam: Exam) -> dict[str, dict]:
    return {
        str(q.pk): ({"label": "neg"} if "label" in q.expected else {"boxes": []})
        for q in exam.questions.all()
    }
