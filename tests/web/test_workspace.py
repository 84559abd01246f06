"""The workspace in a real Chromium, for every kind of output: a worker labels and submits, a reviewer sends
it back with a comment (pinned to a region where the answer has regions), the worker sees the comment and
reworks, the reviewer approves, and the slot is approved in the database. Plus bad input, an expired lease,
and the time from submit to the next item on screen (docs/performance.md, "Workspace")."""

from __future__ import annotations

import json
import math
import shutil
import statistics
import struct
import wave
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from dure.projects.models import Project
from dure.work.models import Assignment, Slot
from dure.work.services import add_items
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUNDLE = Path(settings.BASE_DIR) / "web" / "static" / "web" / "workspace.js"
#: the finished/empty state (the loading state has no buttons)
DONE = ".ws-state .state-actions button"
VIDEO = Path(settings.BASE_DIR) / "core" / "fixtures" / "demo" / "traffic.webm"


@pytest.fixture(autouse=True)
def _bundle_built() -> None:
    if not BUNDLE.exists():
        pytest.fail("the workspace bundle is missing: run `make frontend`")


def _media(relative: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _image(name: str) -> str:
    relative = f"demo/tests/{name}.svg"
    _media(relative).write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">'
        '<rect width="400" height="300" fill="#eef"/><circle cx="200" cy="150" r="80" fill="#e76f51"/>'
        '<text x="20" y="280" font-size="24">가나 1234</text></svg>'
    )
    return relative


def _wav(name: str, seconds: float = 4.0) -> Path:
    path = _media(f"demo/tests/{name}.wav")
    rate = 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(9000 * math.sin(2 * math.pi * 330 * i / rate)))
                for i in range(int(rate * seconds))
            )
        )
    return path


def _video() -> str:
    relative = "demo/tests/traffic.webm"
    shutil.copyfile(VIDEO, _media(relative))
    return relative


def _login(chromium: Any, live_server: Any, username: str) -> Any:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button.primary").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"workspace-{name}.png"), full_page=True)


def _drag(page: Any, selector: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drags between two points given as fractions of the element's box."""
    box = page.locator(selector).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8)
    page.mouse.up()


def _click_at(page: Any, selector: str, at: tuple[float, float]) -> None:
    box = page.locator(selector).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1])


def _select_text(page: Any, needle: str) -> None:
    """Selects ``needle`` in the span text with a real DOM range, then releases the mouse like a person."""
    page.evaluate(
        """(needle) => {
            const body = document.querySelector('.span-text');
            const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.textContent.indexOf(needle);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + needle.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                body.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
            }
            throw new Error('text not found: ' + needle);
        }""",
        needle,
    )


def _draw_polygon(page: Any) -> None:
    box = page.locator(".stage-canvas").first.bounding_box()
    points = [(0.3, 0.3), (0.6, 0.3), (0.5, 0.7)]
    for x, y in points:
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
        page.wait_for_timeout(120)
    page.mouse.click(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])


class Case:
    def __init__(
        self,
        name: str,
        spec: dict[str, Any],
        data: Callable[[], dict[str, Any]],
        label: Callable[[Any], None],
        rework: Callable[[Any], None],
        pin: bool = False,
    ) -> None:
        self.name, self.spec, self.data, self.label, self.rework, self.pin = (
            name,
            spec,
            data,
            label,
            rework,
            pin,
        )

    def __repr__(self) -> str:
        return self.name


def _text_spec(*outputs: dict[str, Any], inputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"inputs": inputs or [{"name": "text", "type": "text"}], "outputs": list(outputs)}


CASES = [
    Case(
        "single_choice",
        _text_spec(
            {"name": "sentiment", "type": "single_choice", "options": ["positive", "negative", "mixed"]}
        ),
        lambda: {"text": "배송이 빨라요"},
        lambda page: page.keyboard.press("2"),
        lambda page: page.keyboard.press("1"),
    ),
    Case(
        "multi_choice",
        _text_spec(
            {
                "name": "harms",
                "type": "multi_choice",
                "min_selected": 1,
                "options": ["none", "bias", "toxic"],
            },
            inputs=[{"name": "prompt", "type": "prompt"}, {"name": "response", "type": "text"}],
        ),
        lambda: {"prompt": "Describe nurses.", "response": "Nurses are always women."},
        lambda page: (page.keyboard.press("2"), page.keyboard.press("3")),
        lambda page: page.keyboard.press("3"),
    ),
    Case(
        "text_writing",
        _text_spec(
            {"name": "response", "type": "text", "label": "Response", "min_length": 10},
            inputs=[{"name": "prompt", "type": "prompt"}],
        ),
        lambda: {"prompt": "김치찌개 만드는 법을 알려줘."},
        lambda page: page.get_by_label("Response").fill("신 김치와 돼지고기를 볶은 뒤 물을 붓고 끓입니다."),
        lambda page: page.get_by_label("Response").press_sequentially(" 두부를 넣어요."),
    ),
    Case(
        "transcription_and_number",
        _text_spec(
            {"name": "transcript", "type": "transcription", "label": "Transcript"},
            {"name": "speakers", "type": "number", "label": "Speakers", "integer": True, "min": 1, "max": 5},
            inputs=[{"name": "audio", "type": "audio"}],
        ),
        lambda: {"audio": f"demo/tests/{_wav('plain').name}"},
        lambda page: (
            page.get_by_label("Transcript").fill("안녕하세요"),
            page.get_by_label("Speakers").fill("2"),
        ),
        lambda page: page.get_by_label("Speakers").fill("1"),
    ),
    Case(
        "rating_rubric",
        _text_spec(
            {
                "name": "quality",
                "type": "rating",
                "min": 1,
                "max": 5,
                "criteria": ["accuracy", "helpfulness", "safety"],
            },
            inputs=[{"name": "prompt", "type": "prompt"}, {"name": "response", "type": "text"}],
        ),
        lambda: {"prompt": "What is the capital of Australia?", "response": "Sydney."},
        lambda page: [page.keyboard.press(k) for k in "245"],
        lambda page: page.get_by_role("button", name="accuracy 1").click(),
    ),
    Case(
        "pairwise",
        _text_spec(
            {"name": "preference", "type": "pairwise", "strength": True, "require_rationale": True},
            inputs=[
                {"name": "prompt", "type": "prompt"},
                {"name": "response_a", "type": "text"},
                {"name": "response_b", "type": "text"},
            ],
        ),
        lambda: {"prompt": "KTX 서울→부산?", "response_a": "약 2시간 30분", "response_b": "30분"},
        lambda page: (
            page.get_by_role("button", name="A is better").click(),
            page.get_by_role("button", name="Clearly").click(),
            page.get_by_label("Why?").fill("A is accurate."),
        ),
        lambda page: page.get_by_role("button", name="Much").click(),
    ),
    Case(
        "boxes",
        {
            "inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "objects", "type": "boxes", "labels": ["cat", "dog"]}],
        },
        lambda: {"image": _image("boxes"), "width": 400, "height": 300},
        lambda page: (page.keyboard.press("2"), _drag(page, ".stage-canvas", (0.3, 0.3), (0.7, 0.8))),
        lambda page: _drag(page, ".stage-canvas", (0.05, 0.05), (0.2, 0.2)),
        pin=True,
    ),
    Case(
        "polygons",
        {
            "inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "outlines", "type": "polygons", "labels": ["car"]}],
        },
        lambda: {"image": _image("polygons"), "width": 400, "height": 300},
        _draw_polygon,
        lambda page: page.locator(".entry-label").first.select_option("car"),
        pin=True,
    ),
    Case(
        "keypoints",
        {
            "inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "points", "type": "keypoints", "labels": ["wheel", "light"]}],
        },
        lambda: {"image": _image("keypoints"), "width": 400, "height": 300},
        lambda page: (
            _click_at(page, ".stage-overlay", (0.25, 0.5)),
            page.keyboard.press("2"),
            _click_at(page, ".stage-overlay", (0.75, 0.4)),
        ),
        lambda page: _click_at(page, ".stage-overlay", (0.5, 0.8)),
        pin=True,
    ),
    Case(
        "ocr_regions",
        {
            "inputs": [{"name": "image", "type": "image"}],
            "outputs": [{"name": "plates", "type": "transcription_regions", "labels": ["plate"]}],
        },
        lambda: {"image": _image("ocr"), "width": 400, "height": 300},
        lambda page: (
            _drag(page, ".stage-canvas", (0.04, 0.85), (0.4, 0.97)),
            page.get_by_label("Text of region 1").fill("가나 1234"),
        ),
        lambda page: page.get_by_label("Text of region 1").fill("가나 1235"),
        pin=True,
    ),
    Case(
        "spans",
        {
            "inputs": [{"name": "text", "type": "text"}],
            "outputs": [
                {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "ORG", "LOC"]}
            ],
        },
        lambda: {"text": "삼성전자는 서울에서 새 공장 계획을 발표했다. 🚀 이순신"},
        lambda page: (
            page.keyboard.press("2"),
            _select_text(page, "삼성전자"),
            page.keyboard.press("3"),
            _select_text(page, "서울"),
        ),
        lambda page: (page.keyboard.press("1"), _select_text(page, "이순신")),
        pin=True,
    ),
    Case(
        "audio_segments",
        {
            "inputs": [
                {"name": "audio", "type": "audio"},
                {"name": "duration", "type": "number", "required": False},
            ],
            "outputs": [
                {
                    "name": "segments",
                    "type": "time_segments",
                    "source": "audio",
                    "transcribe": True,
                    "speakers": True,
                }
            ],
        },
        lambda: {"audio": f"demo/tests/{_wav('call').name}", "duration": 4},
        lambda page: (
            page.locator(".wave [part=region]").first.wait_for(state="detached", timeout=100)
            if False
            else None,
            page.wait_for_function(
                "document.querySelector('.wave') && document.querySelector('.stage-hint').textContent.includes('Drag')"
            ),
            _drag(page, ".wave", (0.1, 0.5), (0.45, 0.5)),
            page.get_by_label("Transcript of segment 1").fill("여보세요"),
            page.get_by_label("Speaker of segment 1").fill("상담원"),
        ),
        lambda page: page.get_by_label("Transcript of segment 1").fill("여보세요, 두레입니다"),
        pin=True,
    ),
    Case(
        "video_segments",
        {
            "inputs": [
                {"name": "video", "type": "video"},
                {"name": "duration", "type": "number", "required": False},
            ],
            "outputs": [
                {"name": "events", "type": "time_segments", "source": "video", "labels": ["car", "bus"]},
                {"name": "scene", "type": "single_choice", "options": ["day", "night"]},
            ],
        },
        lambda: {"video": _video(), "duration": 12},
        lambda page: (
            page.wait_for_function(
                "document.querySelector('.stage-hint').textContent.includes('Drag')", timeout=20_000
            ),
            page.keyboard.press("2"),
            _drag(page, ".wave", (0.2, 0.5), (0.5, 0.5)),
            page.get_by_role("radio", name="day").check(),
        ),
        lambda page: page.get_by_role("radio", name="night").check(),
        pin=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_label_reject_rework_approve(browser, live_server, make_project, people, case: Case) -> None:
    project: Project = make_project(name=f"Workspace {case.name}", spec=case.spec)
    add_items(project=project, records=[{"external_id": "one", "data": case.data()}])

    worker = _login(browser, live_server, "worker")
    errors: list[str] = []
    worker.on("pageerror", lambda e: errors.append(str(e)))
    worker.goto(f"{live_server.url}/projects/{project.pk}/work/")
    worker.locator(".ws-main .item-pane").wait_for()
    worker.wait_for_timeout(400)
    case.label(worker)
    worker.wait_for_timeout(200)
    _shot(worker, f"{case.name}-1-labelled")
    worker.get_by_role("button", name="Submit").click()
    worker.locator(DONE).wait_for()
    assert "All done" in worker.locator(".ws-state").inner_text()

    reviewer = _login(browser, live_server, "reviewer")
    reviewer.on("pageerror", lambda e: errors.append(str(e)))
    reviewer.goto(f"{live_server.url}/projects/{project.pk}/review/")
    reviewer.locator(".decision").wait_for()
    reviewer.wait_for_timeout(400)
    reviewer.keyboard.press("r")
    reviewer.locator(".reasons-pick input").first.check()
    reviewer.get_by_label("Comment", exact=True).fill("다시 확인해 주세요 — please check again")
    if case.pin:
        reviewer.locator(".entry .pin").first.click()
        reviewer.locator(".pins input").first.fill("여기가 틀렸어요 (this one)")
    _shot(reviewer, f"{case.name}-2-review")
    reviewer.locator(".reject-form .danger-solid").click()
    reviewer.locator(DONE).wait_for()

    worker.goto(f"{live_server.url}/projects/{project.pk}/work/")
    worker.locator(".rework").wait_for()
    banner = worker.locator(".rework").inner_text()
    assert "please check again" in banner
    if case.pin:
        assert "this one" in banner
        assert worker.locator(".pin-note").first.is_visible()
    worker.wait_for_timeout(400)
    case.rework(worker)
    worker.wait_for_timeout(200)
    _shot(worker, f"{case.name}-3-rework")
    worker.get_by_role("button", name="Submit").click()
    worker.locator(DONE).wait_for()

    reviewer.goto(f"{live_server.url}/projects/{project.pk}/review/")
    reviewer.locator(".rereview").wait_for()
    assert "What changed" in reviewer.locator(".rereview").inner_text()
    _shot(reviewer, f"{case.name}-4-rereview")
    reviewer.keyboard.press("a")
    reviewer.locator(DONE).wait_for()

    slot = Slot.objects.get(item__project=project)
    assert slot.state == "approved"
    assert not errors, errors
    worker.context.close()
    reviewer.context.close()


def test_missing_answer_and_server_errors_keep_the_draft(browser, live_server, make_project, people):
    spec = {
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [
            {"name": "label", "type": "single_choice", "options": ["pos", "neg"]},
            {"name": "summary", "type": "text", "label": "Summary", "min_length": 20},
        ],
    }
    project = make_project(name="Bad input", spec=spec)
    add_items(project=project, records=[{"data": {"text": "좋아요"}}, {"data": {"text": "별로예요"}}])
    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()

    # nothing chosen: the browser says so next to the field and sends nothing
    page.locator(".ws-main").get_by_label("Summary").fill("짧아요")
    page.get_by_role("button", name="Submit").click()
    error = page.locator(".ws-main [data-error-for=label]")
    error.wait_for()
    assert "required" in error.inner_text()

    # the server's own check (too short) comes back as a 422 and lands next to the field
    page.keyboard.press("Escape")
    page.locator(".ws-main .field-single_choice .choice").first.click()
    page.get_by_role("button", name="Submit").click()
    server_error = page.locator(".ws-main [data-error-for=summary]")
    server_error.wait_for()
    assert "length" in server_error.inner_text()
    assert page.locator(".ws-main").get_by_label("Summary").input_value() == "짧아요"
    _shot(page, "bad-input")

    # a reload brings the same item back with the draft
    page.reload()
    page.locator(".ws-main .item-pane").wait_for()
    assert page.locator(".ws-main").get_by_label("Summary").input_value() == "짧아요"
    assert "Draft restored" in page.locator(".ws-status").inner_text()
    page.context.close()


def test_expired_lease_says_so_and_offers_the_next_item(browser, live_server, make_project, people):
    project = make_project(name="Expiry", spec={
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [{"name": "note", "type": "text", "label": "Note"}],
    })  # fmt: skip
    add_items(project=project, records=[{"data": {"text": f"item {n}"}} for n in range(3)])
    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    page.locator(".ws-main").get_by_label("Note").fill("제 답입니다")
    first = page.locator(".ws-main .input-text").inner_text()
    Assignment.objects.filter(worker=people["worker"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    Slot.objects.filter(project=project).update(expires_at=timezone.now() - timedelta(minutes=1))
    page.get_by_role("button", name="Submit").click()
    page.locator(".expired").wait_for()
    assert "ran out" in page.locator(".expired").inner_text()
    assert page.locator(".ws-main").get_by_label("Note").input_value() == "제 답입니다"
    _shot(page, "lease-expired")
    page.get_by_role("button", name="Take the next item").click()
    page.wait_for_function(
        "(first) => document.querySelector('.ws-main .input-text')?.textContent !== first", arg=first
    )
    assert page.locator(".expired").count() == 0
    page.context.close()


def test_collection_upload_or_a_clear_message(browser, live_server, make_project, people, tmp_path):
    project = make_project(name="Voices", spec={
        "inputs": [{"name": "prompt", "type": "prompt"}],
        "outputs": [{"name": "recording", "type": "file_upload", "accept": ["audio/*"], "max_bytes": 2_000_000}],
    })  # fmt: skip
    add_items(project=project, records=[{"data": {"prompt": "오늘 날씨가 좋네요."}}])
    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    page.locator("input[type=file]").set_input_files(str(text))
    assert "not an accepted file type" in page.locator(".upload-message").inner_text()
    page.locator("input[type=file]").set_input_files(str(_wav("upload", 1.5)))
    page.locator(".upload-message.ok, .upload-message.error").wait_for()
    message = page.locator(".upload-message").inner_text()
    _shot(page, "collection")
    if "not available" in message:
        pytest.skip("the upload endpoint is not on this server yet; the page said so")
    page.get_by_role("button", name="Submit").click()
    page.locator(DONE).wait_for()
    assert Slot.objects.get(item__project=project).state == "submitted"
    page.context.close()


def test_submit_to_next_item_time_with_preloading(browser, live_server, make_project, people):
    project = make_project(name="Speed", spec={
        "inputs": [{"name": "text", "type": "text"}],
        "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
    })  # fmt: skip
    add_items(project=project, records=[{"data": {"text": f"문장 {n}"}} for n in range(25)])
    page = _login(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    rounds = 20
    for n in range(1, rounds + 1):
        page.wait_for_timeout(150)  # a person reads; the preload finishes meanwhile
        page.keyboard.press("1")
        page.keyboard.press("Control+Enter")
        page.wait_for_function("(n) => (window.dureTimings || []).length >= n", arg=n)
    timings = page.evaluate("window.dureTimings")
    result = {
        "rounds": rounds,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 1),
        "max_ms": round(max(timings), 1),
        "bundle_js_bytes": BUNDLE.stat().st_size,
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "workspace-timings.json").write_text(json.dumps(result, indent=2))
    print("submit → next item shown:", result)
    # Measured and recorded in docs/performance.md, not asserted: timing is not a unit-test property.
    print("submit → next item shown:", result)
    page.context.close()
