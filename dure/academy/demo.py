"""The demo's course set (Korean and English): bounding boxes, OCR transcription rules, speech transcription
rules, and the review-master exam. ``seed_academy`` is idempotent: it updates by slug, never duplicates."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from dure.academy.models import Certification, Course, Exam, ExamQuestion, Lesson, PracticeItem
from dure.academy.services import check_question

BOX_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "boxes", "type": "boxes", "labels": ["car", "person"], "label": "객체 상자 Boxes"}],
}
CHOICE: dict[str, Any] = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [
        {"name": "answer", "type": "single_choice", "options": ["a", "b", "c"], "label": "답 Answer"}
    ],
}
OCR_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "text", "type": "transcription", "label": "전사 Transcription"}],
}
SPEECH_SPEC = {
    "inputs": [{"name": "audio", "type": "audio"}, {"name": "hint", "type": "text", "required": False}],
    "outputs": [{"name": "text", "type": "transcription", "label": "전사 Transcription"}],
}
FILLER_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "fillers", "type": "spans", "labels": [{"value": "filler", "label": "간투사 Filler"}],
                 "label": "간투사 Fillers"}],
}  # fmt: skip
STREET = {"image": "demo/street.svg", "width": 320, "height": 200}


def _q(
    prompt: str, spec: dict[str, Any], data: dict[str, Any], expected: dict[str, Any], why: str = ""
) -> dict:
    check_question(spec=spec, data=data, expected=expected)
    return {"prompt": prompt, "spec": spec, "data": data, "expected": expected, "explanation": why}


def _choice(text: str, options: tuple[str, str, str], right: str, why: str) -> dict:
    spec = {
        **CHOICE,
        "outputs": [
            {
                **CHOICE["outputs"][0],
                "options": [
                    {"value": v, "label": label} for v, label in zip(("a", "b", "c"), options, strict=True)
                ],
            }
        ],
    }
    return _q(text, spec, {"text": text}, {"answer": right}, why)


COURSES: list[dict[str, Any]] = [
    {
        "slug": "bbox-basics",
        "title": "이미지 바운딩박스 기초 · Bounding box basics",
        "summary": "상자를 물체에 딱 맞게 그리는 법. How to draw tight, complete boxes.",
        "certification": (
            "bbox-basics",
            "이미지 바운딩박스 기초",
            "Bounding boxes: tight, complete, labelled.",
        ),
        "lessons": [
            (
                "딱 맞게 그리기 · Tight boxes",
                "## 규칙\n\n1. 상자는 물체의 **보이는 가장자리**에 딱 맞게 그립니다 (여백 0-2픽셀).\n"
                "2. 가려진 부분은 추정하지 않습니다.\n3. 물체 하나에 상자 하나.\n\n"
                "## Rules\n\n1. Boxes touch the **visible edges** of the object (0-2 px margin).\n"
                "2. Do not guess occluded parts.\n3. One box per object; label every box.",
            ),
            (
                "라벨과 예외 · Labels and edge cases",
                "- 사람 `person`, 자동차 `car`.\n- 사진 가장자리에서 잘린 물체도 보이는 부분만큼 그립니다.\n"
                "- Reflections and pictures of cars on billboards are **not** cars.",
            ),
        ],
        "practice": [
            lambda: _q(
                "자동차를 상자로 표시하세요. Box the car.",
                BOX_SPEC,
                STREET,
                {"boxes": [{"x": 40, "y": 110, "width": 120, "height": 60, "label": "car"}]},
                "자동차는 왼쪽 아래, 바퀴까지 포함합니다. The car is bottom left, wheels included.",
            ),
            lambda: _choice(
                "물체의 일부가 가려져 있으면? Part of the object is hidden — what do you box?",
                (
                    "보이는 부분만 Visible part only",
                    "추정한 전체 Estimated whole object",
                    "표시하지 않음 Skip it",
                ),
                "a",
                "보이는 부분만 그립니다. Box only what is visible.",
            ),
        ],
        "exam": {
            "slug": "bbox-basics-exam",
            "title": "바운딩박스 기초 시험 · Bounding box exam",
            "pass_mark": 0.8,
            "questions": [
                lambda: _q(
                    "사람과 자동차를 모두 표시하세요. Box the person and the car.",
                    BOX_SPEC,
                    STREET,
                    {
                        "boxes": [
                            {"x": 40, "y": 110, "width": 120, "height": 60, "label": "car"},
                            {"x": 220, "y": 60, "width": 40, "height": 110, "label": "person"},
                        ]
                    },
                ),
                lambda: _choice(
                    "광고판 속 자동차 그림은? A car printed on a billboard is…",
                    ("car", "person", "표시하지 않음 not boxed"),
                    "c",
                    "",
                ),
                lambda: _choice(
                    "상자의 여백은? How much margin around the object?", ("0-2 px", "10 px", "20%"), "a", ""
                ),
            ],
        },
    },
    {
        "slug": "ocr-rules",
        "title": "OCR 전사 규칙 · OCR transcription rules",
        "summary": "간판과 문서의 글자를 보이는 그대로 옮기는 규칙. Type exactly what is printed.",
        "certification": ("ocr-transcription", "OCR 전사", "Printed text typed exactly as shown."),
        "lessons": [
            (
                "보이는 그대로 · Exactly as printed",
                "- 맞춤법을 고치지 않습니다 (간판의 오타도 그대로).\n- 줄바꿈은 공백 하나로.\n"
                "- 읽을 수 없는 글자는 `#`.\n\nDo not correct spelling; a line break becomes one space; an unreadable "
                "character is `#`.",
            ),
        ],
        "practice": [
            lambda: _q(
                "간판의 글자를 옮기세요. Transcribe the sign.",
                OCR_SPEC,
                {"image": "demo/sign.svg", "width": 300, "height": 100},
                {"text": "서울역 SEOUL STATION"},
                "한글과 영문 모두, 대문자 그대로. Both scripts, capitals kept.",
            ),
            lambda: _choice(
                "간판에 '맛있는 떡뽁이'라고 쓰여 있다면? The sign says '맛있는 떡뽁이' (a typo).",
                ("맛있는 떡뽁이", "맛있는 떡볶이", "#"),
                "a",
                "오타도 그대로 옮깁니다. Keep the typo.",
            ),
        ],
        "exam": {
            "slug": "ocr-exam",
            "title": "OCR 전사 시험 · OCR exam",
            "pass_mark": 0.8,
            "questions": [
                lambda: _q(
                    "영수증 첫 줄을 옮기세요. Transcribe the first receipt line.",
                    OCR_SPEC,
                    {"image": "demo/receipt.svg", "width": 300, "height": 100},
                    {"text": "아메리카노 4,500원"},
                ),
                lambda: _choice(
                    "읽을 수 없는 글자는? An unreadable character is written as…",
                    ("?", "#", "(생략 omitted)"),
                    "b",
                    "",
                ),
            ],
        },
    },
    {
        "slug": "speech-rules",
        "title": "음성 전사 규칙 · Speech transcription rules",
        "summary": "말한 그대로, 숫자와 간투사 규칙. Verbatim speech, numbers and fillers.",
        "certification": ("speech-transcription", "음성 전사", "Verbatim speech transcription."),
        "lessons": [
            (
                "말한 그대로 · Verbatim",
                '- 들리는 대로 적되 간투사(음, 어)는 `(음)`처럼 괄호에.\n- 숫자는 읽은 대로 한글로: "삼천 원".\n'
                "- Fillers go in brackets `(um)`; numbers are written as spoken.",
            ),
        ],
        "practice": [
            lambda: _q(
                "들리는 대로 적으세요. Transcribe what you hear.",
                SPEECH_SPEC,
                {"audio": "demo/tone.wav", "hint": '화자: "음 삼천 원이요"'},
                {"text": "(음) 삼천 원이요"},
                "간투사는 괄호, 숫자는 읽은 대로. Filler in brackets, number as spoken.",
            ),
            lambda: _q(
                "간투사를 모두 골라 표시하세요. Select every filler in the transcript.",
                FILLER_SPEC,
                {"text": "음 그러니까 어 내일 세 시에 뵙겠습니다"},
                {
                    "fillers": [
                        {"start": 0, "end": 1, "label": "filler"},
                        {"start": 7, "end": 8, "label": "filler"},
                    ]
                },
                "'음'과 '어'는 간투사, '그러니까'는 말의 일부입니다. '음' and '어' are fillers; '그러니까' is a word.",
            ),
        ],
        "exam": {
            "slug": "speech-exam",
            "title": "음성 전사 시험 · Speech exam",
            "pass_mark": 0.8,
            "questions": [
                lambda: _choice(
                    '"3,000원"이라고 말했다면? The speaker says 3,000 won:',
                    ("3,000원", "삼천 원", "삼천원(3000)"),
                    "b",
                    "",
                ),
                lambda: _q(
                    "들리는 대로 적으세요. Transcribe.",
                    SPEECH_SPEC,
                    {"audio": "demo/tone.wav", "hint": '화자: "어 네 맞아요"'},
                    {"text": "(어) 네 맞아요"},
                ),
            ],
        },
    },
    {
        "slug": "review-master",
        "title": "검수 마스터 · Review master",
        "summary": "다른 검수자의 판정을 감사하는 선임 검수자 과정. For senior reviewers who audit decisions.",
        "certification": ("review-master", "검수 마스터", "May audit other reviewers' decisions."),
        "lessons": [
            (
                "반려 사유 · Reasons for rejection",
                "- 반려할 때는 **무엇이** 틀렸는지 구체적으로 적습니다.\n- 지침에 없는 취향으로 반려하지 않습니다.\n"
                "- Reject with a concrete reason tied to the guideline, never for taste.",
            ),
        ],
        "practice": [
            lambda: _choice(
                "상자 여백이 1픽셀 넓습니다. The box is 1 px loose. Decision?",
                ("승인 Approve", "반려 Reject", "보류 Skip"),
                "a",
                "지침의 0-2픽셀 안입니다. Within 0-2 px.",
            ),
        ],
        "exam": {
            "slug": "review-master-exam",
            "title": "검수 마스터 시험 · Review master exam",
            "pass_mark": 1.0,
            "questions": [
                lambda: _choice(
                    "오타를 고쳐서 전사했습니다. The worker corrected a typo on the sign.",
                    ("승인 Approve", "반려 Reject", "보류 Skip"),
                    "b",
                    "",
                ),
                lambda: _choice(
                    "반려 사유로 알맞은 것은? A good rejection reason is…",
                    ("별로예요 Not great", "자동차 바퀴가 상자 밖 Wheels outside the box", "다시 Again"),
                    "b",
                    "",
                ),
            ],
        },
    },
]


#: The practice pictures and sound, drawn to match the expected answers above (a car at 40,110 120x60 and a
#: person at 220,60 40x110 in the street; the sign and receipt texts), written once under MEDIA_ROOT/demo.
_MEDIA = {
    "demo/street.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200">'
        '<rect width="320" height="200" fill="#dbeafe"/><rect y="150" width="320" height="50" fill="#6b7280"/>'
        '<path d="M40 170 v-35 l18 -25 h70 l32 25 v35 z" fill="#ef4444"/>'
        '<circle cx="70" cy="168" r="9" fill="#111"/><circle cx="132" cy="168" r="9" fill="#111"/>'
        '<circle cx="240" cy="72" r="12" fill="#f2c6a0"/><rect x="226" y="84" width="28" height="56" rx="8" '
        'fill="#2563eb"/><rect x="228" y="140" width="9" height="30" fill="#1f2937"/>'
        '<rect x="243" y="140" width="9" height="30" fill="#1f2937"/></svg>'
    ),
    "demo/sign.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
        '<rect width="300" height="100" rx="8" fill="#14532d"/><text x="150" y="45" font-size="26" '
        'text-anchor="middle" fill="#fff" font-family="sans-serif">서울역</text><text x="150" y="80" '
        'font-size="20" text-anchor="middle" fill="#fff" font-family="sans-serif">SEOUL STATION</text></svg>'
    ),
    "demo/receipt.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
        '<rect width="300" height="100" fill="#fffdf5" stroke="#d4d4d4"/><text x="16" y="40" font-size="20" '
        'font-family="monospace" fill="#111">아메리카노 4,500원</text><text x="16" y="76" font-size="16" '
        'font-family="monospace" fill="#555">카드 승인 · CARD</text></svg>'
    ),
}


def _write_media() -> None:
    root = Path(settings.MEDIA_ROOT)
    for relative, svg in _MEDIA.items():
        path = root / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8")
    tone = root / "demo/tone.wav"
    if not tone.exists():
        tone.parent.mkdir(parents=True, exist_ok=True)
        rate = 8000
        with wave.open(str(tone), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(
                b"".join(
                    struct.pack("<h", int(6000 * math.sin(2 * math.pi * 220 * i / rate)))
                    for i in range(rate * 2)
                )
            )


def seed_academy() -> dict[str, int]:
    """Creates or refreshes the demo courses; returns how many courses and exams exist afterwards."""
    _write_media()
    with transaction.atomic():
        for order, spec in enumerate(COURSES):
            slug, name, description = spec["certification"]
            certification, _ = Certification.objects.update_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
            course, _ = Course.objects.update_or_create(
                slug=spec["slug"],
                defaults={"title": spec["title"], "summary": spec["summary"], "order": order},
            )
            course.lessons.all().delete()
            Lesson.objects.bulk_create(
                Lesson(course=course, order=n, title=title, body=body)
                for n, (title, body) in enumerate(spec["lessons"])
            )
            course.practice_items.all().delete()
            for n, make in enumerate(spec["practice"]):
                PracticeItem.objects.create(course=course, order=n, **make())
            exam_spec = spec["exam"]
            exam, _ = Exam.objects.update_or_create(
                slug=exam_spec["slug"],
                defaults={
                    "title": exam_spec["title"],
                    "course": course,
                    "certification": certification,
                    "pass_mark": exam_spec["pass_mark"],
                    "time_limit_seconds": 15 * 60,
                    "cooldown_seconds": 10 * 60,
                    "max_attempts": 3,
                },
            )
            # Questions are replaced only while nobody has an attempt (attempts' results point at them).
            if not exam.attempts.exists():
                exam.questions.all().delete()
                for n, make in enumerate(exam_spec["questions"]):
                    question = make()
                    question.pop("explanation", None)
                    ExamQuestion.objects.create(exam=exam, order=n, **question)
    return {"courses": Course.objects.count(), "exams": Exam.objects.filter(project__isnull=True).count()}
