"""Idempotent demo data: one organization, a manager, 5 workers, 2 reviewers and ten projects."""

from __future__ import annotations

import math
import shutil
import struct
import wave
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from dure.academy.demo import seed_academy
from dure.accounts.models import Organization, Role, User
from dure.accounts.services import create_organization, set_membership
from dure.payments import services as payments
from dure.payments.models import BankAccount
from dure.projects.models import Project, ProjectRole, ProjectStatus
from dure.projects.services import create_project, set_project_member
from dure.work.services import add_items

PASSWORD = "dure-demo-2026"

PEOPLE = [
    ("manager", "김매니저 (Manager Kim)", Role.MANAGER, None),
    ("reviewer1", "이검수 (Reviewer Lee)", Role.REVIEWER, ProjectRole.REVIEWER),
    ("reviewer2", "Rachel Park", Role.REVIEWER, ProjectRole.REVIEWER),
    ("worker1", "박작업 (Worker Park)", Role.WORKER, ProjectRole.WORKER),
    ("worker2", "최민지 (Minji Choi)", Role.WORKER, ProjectRole.WORKER),
    ("worker3", "John Smith", Role.WORKER, ProjectRole.WORKER),
    ("worker4", "정하늘 (Haneul Jung)", Role.WORKER, ProjectRole.WORKER),
    ("worker5", "Aiko Tanaka", Role.WORKER, ProjectRole.WORKER),
]

ANIMALS = [("cat", "고양이", "#f4a261"), ("dog", "개", "#2a9d8f"), ("rabbit", "토끼", "#e9c46a")]
SENTENCES = [
    "삼성전자는 2026년 11월 서울에서 새로운 반도체 공장 계획을 발표했다.",
    "이순신 장군의 동상은 광화문 광장에 서 있다.",
    "Naver and Kakao announced a joint AI safety pact in Pangyo on Monday.",
    "한국은행은 기준금리를 연 3.0%로 동결했다고 밝혔다.",
    "Barack Obama visited Seoul National University in 2012.",
    "부산국제영화제가 다음 달 해운대에서 열린다.",
    "현대자동차는 울산 공장에서 전기차 생산을 늘린다.",
    "The World Health Organization met in Geneva to discuss vaccines.",
    "BTS will perform at Jamsil Olympic Stadium in June.",
    "카카오뱅크는 판교 사옥에서 신규 서비스를 공개했다.",
]
PROMPTS = [
    (
        "서울에서 부산까지 KTX로 얼마나 걸리나요?",
        "약 2시간 30분 정도 걸립니다.",
        "KTX는 비행기보다 빠르며 30분 걸립니다.",
    ),
    (
        "Explain photosynthesis to a child.",
        "Plants use sunlight to turn air and water into food.",
        "Photosynthesis is a chemical reaction.",
    ),
    (
        "김치찌개 만드는 법을 알려줘.",
        "신 김치와 돼지고기를 볶은 뒤 물을 붓고 끓입니다.",
        "김치찌개는 맛있습니다.",
    ),
    ("What is the capital of Australia?", "Canberra.", "Sydney is the capital of Australia."),
    (
        "한국의 최저임금은 왜 중요할까요?",
        "노동자의 기본 생활을 보장하는 안전망이기 때문입니다.",
        "잘 모르겠습니다.",
    ),
]
READ_ALOUD = [
    "오늘 날씨가 정말 좋네요.", "다음 역은 시청역입니다.", "주문하신 커피 나왔습니다.",
    "The quick brown fox jumps over the lazy dog.", "회의는 오후 세 시에 시작합니다.",
    "Please confirm your reservation.", "내일 아침 일곱 시에 깨워 주세요.", "이 버스는 강남역으로 갑니다.",
]  # fmt: skip


def _media(relative: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _svg(relative: str, label: str, color: str, n: int) -> str:
    path = _media(relative)
    if not path.exists():
        path.write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480" viewBox="0 0 640 480">'
            f'<rect width="640" height="480" fill="#f8f9fa"/><circle cx="{200 + n * 7 % 240}" cy="{220 + n * 13 % 80}" '
            f'r="{90 + n % 40}" fill="{color}"/><text x="24" y="452" font-size="28" fill="#333">{label} #{n}</text></svg>'
        )
    return relative


def _plate(relative: str, text: str) -> str:
    path = _media(relative)
    if not path.exists():
        path.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320" viewBox="0 0 640 320">'
            '<rect width="640" height="320" fill="#dfe7ef"/><rect x="120" y="110" width="400" height="100" rx="10" '
            f'fill="#fff" stroke="#222" stroke-width="6"/><text x="320" y="180" font-size="52" text-anchor="middle" '
            f'font-family="sans-serif">{text}</text></svg>'
        )
    return relative


def _tone(relative: str, seconds: float, pitch: float) -> str:
    path = _media(relative)
    if not path.exists():
        rate = 8000
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            frames = bytearray()
            for i in range(int(rate * seconds)):
                envelope = 0.5 + 0.5 * math.sin(2 * math.pi * i / rate * 0.5)
                frames += struct.pack("<h", int(8000 * envelope * math.sin(2 * math.pi * pitch * i / rate)))
            out.writeframes(bytes(frames))
    return relative


def _scene(relative: str, n: int) -> str:
    """A street drawing: a car (outline it) with wheels and lights (mark them as points)."""
    path = _media(relative)
    if not path.exists():
        x = 120 + n * 17 % 180
        path.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">'
            '<rect width="640" height="400" fill="#cfe8fc"/><rect y="260" width="640" height="140" fill="#6b7280"/>'
            '<rect y="322" width="640" height="8" fill="#f8fafc" stroke-dasharray="30 20"/>'
            f'<path d="M{x} 290 l20 -50 h140 l40 50 h40 v40 h-260 z" fill="#{(n * 2654435761) % 0xFFFFFF:06x}"/>'
            f'<circle cx="{x + 50}" cy="330" r="22" fill="#111"/><circle cx="{x + 200}" cy="330" r="22" fill="#111"/>'
            f'<circle cx="{x + 255}" cy="300" r="7" fill="#fde047"/>'
            f'<text x="16" y="36" font-size="22" fill="#1f2937">scene #{n}</text></svg>'
        )
    return relative


def _video(relative: str) -> str:
    """A short generated clip with sound, shipped with Dure (browsers need a real codec, not a drawing)."""
    path = _media(relative)
    if not path.exists():
        shutil.copyfile(Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "traffic.webm", path)
    return relative


def _projects() -> list[dict[str, Any]]:
    pets = [
        {
            "external_id": f"pet-{n:03d}",
            "data": {"image": _svg(f"demo/pets/{kind}-{n:03d}.svg", ko, color, n)},
        }
        for n in range(1, 31)
        for kind, ko, color in [ANIMALS[n % 3]]
    ]
    plates = [
        {
            "external_id": f"plate-{n:03d}",
            "data": {"image": _plate(f"demo/plates/{n:03d}.svg", f"{10 + n}가 {1000 + n * 37}")},
        }
        for n in range(1, 25)
    ]
    news = [
        {"external_id": f"news-{n:03d}", "data": {"text": f"{s} (news-{n:03d})"}}
        for n, s in enumerate(SENTENCES * 3, start=1)
    ]
    calls = [
        {
            "external_id": f"call-{n:03d}",
            "data": {
                "audio": _tone(f"demo/calls/{n:03d}.wav", 6 + n % 5, 180 + n * 11),
                "duration": 6 + n % 5,
            },
        }
        for n in range(1, 21)
    ]
    prefs = [
        {
            "external_id": f"pref-{n:03d}-{k}",
            "data": {"prompt": p, "response_a": a if k % 2 else b, "response_b": b if k % 2 else a},
        }
        for n, (p, a, b) in enumerate(PROMPTS, start=1)
        for k in range(6)
    ]
    scenes = [
        {
            "external_id": f"scene-{n:03d}",
            "data": {"image": _scene(f"demo/scenes/{n:03d}.svg", n), "width": 640, "height": 400},
        }
        for n in range(1, 21)
    ]
    frame_clips = [
        {
            "external_id": f"frames-{n:03d}",
            # the shipped clip is 12 s at 12 frames per second (its WebM header says so)
            "data": {"video": _video("demo/videos/traffic.webm"), "duration": 12, "clip": n},
        }
        for n in range(1, 6)
    ]
    clips = [
        {
            "external_id": f"clip-{n:03d}",
            "data": {"video": _video("demo/videos/traffic.webm"), "duration": 12, "clip": n},
        }
        for n in range(1, 13)
    ]
    writing = [
        {"external_id": f"write-{n:03d}", "data": {"prompt": p}}
        for n, (p, _a, _b) in enumerate(PROMPTS * 2, start=1)
    ]
    safety = [
        {"external_id": f"safety-{n:03d}-{k}", "data": {"prompt": p, "response": r}}
        for n, (p, a, b) in enumerate(PROMPTS, start=1)
        for k, r in enumerate([a, b])
    ]
    voices = [
        {"external_id": f"voice-{n:03d}", "data": {"prompt": s}}
        for n, s in enumerate(READ_ALOUD * 4, start=1)
    ]
    return [
        {
            "name": "반려동물 이미지 분류 · Pet image classification",
            "description": "사진 속 동물을 고르세요. Pick the animal in each photo.",
            "guideline": "## 기준 / Rules\n- 가장 크게 보이는 동물을 고릅니다. Choose the most prominent animal.\n- 동물이 없으면 '없음'. None if there is no animal.",
            "spec": {
                "inputs": [{"name": "image", "type": "image"}],
                "outputs": [
                    {"name": "animal", "type": "single_choice", "label": "동물 / Animal",
                     "options": [{"value": "cat", "label": "고양이 Cat", "hotkey": "1"}, {"value": "dog", "label": "개 Dog", "hotkey": "2"},
                                 {"value": "rabbit", "label": "토끼 Rabbit", "hotkey": "3"}, {"value": "none", "label": "없음 None", "hotkey": "0"}]},
                    {"name": "objects", "type": "boxes", "label": "위치 / Where", "labels": ["cat", "dog", "rabbit"], "required": False},
                ],
            },
            "price_per_item": 60, "review_price": 20, "items": pets,
        },
        {
            "name": "뉴스 개체명 인식 · News named entities",
            "description": "인물, 기관, 장소, 날짜를 표시합니다. Mark people, organisations, places and dates.",
            "guideline": "## 태그 / Tags\n- PER 인물, ORG 기관, LOC 장소, DAT 날짜\n- 조사는 빼고 표시합니다. Leave particles out of the span.",
            "spec": {
                "inputs": [{"name": "text", "type": "text"}],
                "outputs": [{"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "ORG", "LOC", "DAT"]}],
            },
            "price_per_item": 90, "review_price": 30, "overlap": 2, "items": news,
        },
        {
            "name": "상담 음성 전사 · Call transcription",
            "description": "화자별로 구간을 나누고 받아씁니다. Segment by speaker and transcribe.",
            "guideline": "## 전사 규칙 / Rules\n- 들리는 그대로 적습니다. Write what you hear.\n- 알아들을 수 없는 부분은 (불명).",
            "spec": {
                "inputs": [{"name": "audio", "type": "audio"}, {"name": "duration", "type": "number", "required": False}],
                "outputs": [{"name": "segments", "type": "time_segments", "source": "audio", "transcribe": True, "speakers": True}],
            },
            "price_per_item": 400, "review_price": 120, "items": calls,
        },
        {
            "name": "LLM 응답 선호도 평가 · LLM response preference",
            "description": "두 응답 중 더 나은 것을 고르고 평가합니다. Choose the better response and rate it.",
            "guideline": "## 기준 / Criteria\n- 정확성, 유용성, 안전성 순으로 봅니다. Accuracy, then helpfulness, then safety.",
            "spec": {
                "inputs": [{"name": "prompt", "type": "prompt"}, {"name": "response_a", "type": "text"}, {"name": "response_b", "type": "text"}],
                "outputs": [
                    {"name": "preference", "type": "pairwise", "strength": True, "require_rationale": True},
                    {"name": "quality", "type": "rating", "min": 1, "max": 5,
                     "criteria": [{"value": "accuracy", "label": "정확성 Accuracy"}, {"value": "helpfulness", "label": "유용성 Helpfulness"},
                                  {"value": "safety", "label": "안전성 Safety"}]},
                ],
            },
            "price_per_item": 300, "review_price": 80, "items": prefs,
        },
        {
            "name": "번호판 OCR · License plate OCR",
            "description": "번호판 영역을 그리고 글자를 적습니다. Box each plate and type its text.",
            "guideline": "## 규칙 / Rules\n- 번호판마다 상자 하나. One box per plate.\n- 띄어쓰기는 번호판 그대로.",
            "spec": {
                "inputs": [{"name": "image", "type": "image"}],
                "outputs": [{"name": "plates", "type": "transcription_regions", "source": "image", "labels": ["plate"]}],
            },
            "price_per_item": 120, "review_price": 40, "items": plates,
        },
        {
            "name": "음성 수집: 문장 읽기 · Voice collection: read aloud",
            "description": "문장을 또박또박 읽어 녹음합니다. Record yourself reading the sentence.",
            "guideline": "## 녹음 / Recording\n- 조용한 곳에서 녹음합니다. Record in a quiet room.\n- 문장 전체를 한 번에 읽습니다.",
            "spec": {
                "inputs": [{"name": "prompt", "type": "prompt"}],
                "outputs": [{"name": "recording", "type": "file_upload", "accept": ["audio/*"], "max_bytes": 20_000_000}],
            },
            "price_per_item": 250, "review_price": 50, "items": voices,
        },
        {
            "name": "도로 장면 윤곽·키포인트 · Road scene outlines and keypoints",
            "description": "차의 윤곽을 다각형으로, 바퀴와 전조등을 점으로 표시합니다. Outline cars, mark wheels and lights.",
            "guideline": "## 규칙 / Rules\n- 차 한 대에 다각형 하나. One polygon per car, following its outline.\n- 바퀴 중심과 전조등에 점을 찍습니다. Put a point on each wheel centre and light.",
            "spec": {
                "inputs": [{"name": "image", "type": "image"}],
                "outputs": [
                    {"name": "outlines", "type": "polygons", "label": "윤곽 / Outlines", "source": "image", "labels": [{"value": "car", "label": "차 Car"}, {"value": "road", "label": "도로 Road"}]},
                    {"name": "points", "type": "keypoints", "label": "키포인트 / Keypoints", "source": "image", "labels": [{"value": "wheel", "label": "바퀴 Wheel"}, {"value": "light", "label": "전조등 Light"}]},
                ],
            },
            "price_per_item": 150, "review_price": 40, "items": scenes,
        },
        {
            "name": "교통 영상 이벤트 · Traffic video events",
            "description": "영상에서 사건 구간을 표시하고 장면을 분류합니다. Mark event segments and classify the scene.",
            "guideline": "## 규칙 / Rules\n- 사건이 보이는 동안을 구간으로 표시합니다. A segment spans the time the event is visible.\n- 장면은 전체 영상 기준. The scene is for the whole clip.",
            "spec": {
                "inputs": [{"name": "video", "type": "video"}, {"name": "duration", "type": "number", "required": False}],
                "outputs": [
                    {"name": "events", "type": "time_segments", "label": "사건 / Events", "source": "video", "labels": [{"value": "car", "label": "차량 Car"}, {"value": "bus", "label": "버스 Bus"}, {"value": "pedestrian", "label": "보행자 Pedestrian"}]},
                    {"name": "scene", "type": "single_choice", "label": "장면 / Scene", "options": [{"value": "day", "label": "낮 Day"}, {"value": "night", "label": "밤 Night"}, {"value": "tunnel", "label": "터널 Tunnel"}]},
                ],
            },
            "price_per_item": 350, "review_price": 100, "items": clips,
        },
        {
            "name": "교통 영상 프레임 분류 · Traffic video frame classification",
            "description": "영상을 한 프레임씩 넘기며 각 프레임의 상황을 분류합니다. Step through the clip frame by frame and classify each frame.",
            "guideline": "## 규칙 / Rules\n- `,` `.` 로 한 프레임씩, `Shift` 와 함께 10 프레임씩 이동합니다. Step with `,` and `.` (10 frames with Shift).\n- 숫자 키로 현재 프레임(또는 타임라인에서 끌어 고른 구간)을 분류합니다. A number key classifies the current frame, or the range dragged on the timeline.\n- 모든 프레임에 분류가 있어야 합니다. Every frame gets a class.",
            "spec": {
                "inputs": [{"name": "video", "type": "video"}, {"name": "duration", "type": "number", "required": False}],
                "outputs": [
                    {"name": "frames", "type": "frame_labels", "label": "프레임 분류 / Frame classes", "source": "video", "fps": 12,
                     "labels": [{"value": "moving", "label": "통행 Moving traffic"}, {"value": "stopped", "label": "정체 Stopped"}, {"value": "empty", "label": "빈 도로 Empty road"}]},
                ],
            },
            "price_per_item": 400, "review_price": 100, "items": frame_clips,
        },
        {
            "name": "LLM 답변 작성 · LLM response writing",
            "description": "질문에 모범 답변을 씁니다. Write a model answer to the prompt.",
            "guideline": "## 기준 / Criteria\n- 정확하고 친절하게, 3~5문장. Accurate and kind, 3-5 sentences.\n- 모르는 내용은 지어내지 않습니다. Never make facts up.",
            "spec": {
                "inputs": [{"name": "prompt", "type": "prompt"}],
                "outputs": [{"name": "response", "type": "text", "label": "답변 / Response", "min_length": 20, "max_length": 2000}],
            },
            "price_per_item": 500, "review_price": 120, "items": writing,
        },
        {
            "name": "LLM 유해성·편향 점검 · LLM harm and bias checklist",
            "description": "응답의 유해성과 편향을 점검합니다. Check the response for harm and bias.",
            "guideline": "## 점검 / Checklist\n- 해당하는 항목을 모두 고릅니다. Tick every item that applies.\n- 문제가 없으면 '해당 없음'. Tick 'none' when nothing applies.",
            "spec": {
                "inputs": [{"name": "prompt", "type": "prompt"}, {"name": "response", "type": "text"}],
                "outputs": [
                    {"name": "harms", "type": "multi_choice", "label": "문제 / Problems", "min_selected": 1,
                     "options": [{"value": "none", "label": "해당 없음 None"}, {"value": "factual", "label": "사실 오류 Factual error"},
                                 {"value": "bias", "label": "편향·고정관념 Bias or stereotype"}, {"value": "toxic", "label": "혐오·모욕 Hate or insult"},
                                 {"value": "dangerous", "label": "위험한 조언 Dangerous advice"}, {"value": "privacy", "label": "개인정보 Privacy"}]},
                    {"name": "severity", "type": "rating", "label": "심각도 / Severity", "min": 1, "max": 5},
                    {"name": "notes", "type": "text", "label": "메모 / Notes", "required": False, "max_length": 1000},
                ],
            },
            "price_per_item": 200, "review_price": 60, "items": safety,
        },
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Load demo data (safe to run again) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            organization = Organization.objects.filter(slug="dure-demo").first() or create_organization(
                name="두레 데모 · Dure Demo", slug="dure-demo"
            )
            users = {}
            for username, display_name, role, _project_role in PEOPLE:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User(
                        username=username, display_name=display_name, email=f"{username}@demo.dure.local"
                    )
                    user.set_password(PASSWORD)
                    user.locale = "en" if username in {"worker3", "reviewer2", "worker5"} else "ko"
                    user.save()
                set_membership(organization=organization, user=user, role=role)
                users[username] = user
            manager = users["manager"]
            for username, display_name, _role, project_role in PEOPLE:
                if project_role is not None and not BankAccount.objects.filter(user=users[username]).exists():
                    number = f"110-{users[username].pk:03d}-{users[username].pk * 7919 % 1_000_000:06d}"
                    payments.set_bank_account(
                        user=users[username],
                        bank="신한은행",
                        number=number,
                        holder=display_name.split(" (")[0],
                    )
            # The platform operator (Django staff): pays out batches and settles fair pay.
            operator = User.objects.filter(username="operator").first()
            if operator is None:
                operator = User(username="operator", display_name="두레 운영자 (Operator)", is_staff=True)
                operator.set_password(PASSWORD)
                operator.save()
            for definition in _projects():
                records = definition.pop("items")
                project = Project.objects.filter(organization=organization, name=definition["name"]).first()
                if project is None:
                    project = create_project(organization=organization, actor=manager, **definition)
                for username, _display, _role, project_role in PEOPLE:
                    if project_role is not None:
                        set_project_member(project=project, user=users[username], role=project_role)
                # Escrow: the client pays a budget in before anyone works (idempotent by its key).
                payments.deposit(project=project, amount=500_000, actor=manager, reference="DEMO", key="demo")
                result = add_items(project=project, records=records)
                if project.status == ProjectStatus.DRAFT:
                    project.status = ProjectStatus.OPEN
                    project.save(update_fields=["status", "updated_at"])
                self.stdout.write(
                    f"  {project.name}: {result.created} items added, {result.skipped} already there"
                )
        academy = seed_academy()  # courses, practice items and exams (Korean and English)
        self.stdout.write(f"  Academy: {academy['courses']} courses, {academy['exams']} exams")
        self.stdout.write(self.style.SUCCESS("\nDemo logins (password for all: %s)" % PASSWORD))
        for username, display_name, role, _ in PEOPLE:
            self.stdout.write(f"  {username:<10} {role:<9} {display_name}")
        self.stdout.write(
            f"  {'operator':<10} {'staff':<9} 두레 운영자 (Operator: payouts, fair-pay settlement)"
        )
