"""The workspace on a phone (390 by 844 CSS pixels, touch): a collection task (a photo taken or picked) and a labelling
task. Nothing may overflow sideways, every control must be reachable by a thumb, and submitting works."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from dure.work.models import Slot
from dure.work.services import add_items
from tests.conftest import PASSWORD, SCREENSHOTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("app_serves_media"),
]

SCREEN = 390
PHONE = {
    "viewport": {"width": SCREEN, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DONE = ".ws-state .state-actions button"


def _phone(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(locale="en-US", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    _fits(page, "login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button.primary").tap()
    page.wait_for_url(f"{live_server.url}/")
    _fits(page, "home")
    return page


def _fits(page: Any, name: str) -> None:
    """Nothing is wider than the screen: no sideways scrolling, and the screenshot shows the whole page."""
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
    # a mobile browser zooms out to show content wider than the screen, so innerWidth grows with it:
    # compare with the screen's own width too
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > 391; })
            .slice(0, 5).map((e) => e.tagName + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert widths[2] == SCREEN, (name, widths, wide)
    assert widths[0] <= widths[2] and widths[1] <= widths[2], (name, widths, wide)


def _reachable(page: Any, locator: Any) -> None:
    """A control a thumb can reach: after scrolling to it, it lies fully inside the screen's width."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= SCREEN, box
    assert box["height"] >= 24, box  # big enough to tap


def _photo(tmp_path: Path) -> Path:
    picture = Image.new("RGB", (1200, 900), "#93c5fd")
    ImageDraw.Draw(picture).ellipse([300, 200, 900, 700], fill="#f59e0b")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    path = tmp_path / "photo.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_collection_on_a_phone(
    browser: Any, live_server: Any, make_project: Any, people: Any, tmp_path: Path
) -> None:
    project = make_project(name="간판 사진 모으기 · Shop sign photos", spec={
        "inputs": [{"name": "prompt", "type": "prompt"}],
        "outputs": [{"name": "photo", "type": "file_upload", "label": "사진 / Photo", "accept": ["image/*"],
                     "max_bytes": 5_000_000}],
    })  # fmt: skip
    add_items(
        project=project,
        records=[
            {
                "data": {
                    "prompt": "가게 간판이 잘 보이게 정면에서 찍어 주세요. Take the shop sign from the front."
                }
            }
        ],
    )
    page = _phone(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    _fits(page, "collection-empty")
    page.locator("input[type=file]").set_input_files(str(_photo(tmp_path)))
    page.locator(".upload-message.ok").wait_for()
    _fits(page, "collection-uploaded")
    submit = page.get_by_role("button", name="Submit")
    _reachable(page, submit)
    submit.tap()
    page.locator(DONE).wait_for()
    _fits(page, "collection-done")
    assert Slot.objects.get(item__project=project).state == "submitted"
    page.context.close()


def test_labelling_on_a_phone(browser: Any, live_server: Any, make_project: Any, people: Any) -> None:
    relative = "demo/tests/phone-scene.svg"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="500"><rect width="800" height="500" '
        'fill="#dbeafe"/><circle cx="400" cy="250" r="160" fill="#ef4444"/></svg>'
    )
    project = make_project(name="사진 분류 · Photo classes", spec={
        "inputs": [{"name": "image", "type": "image"}, {"name": "caption", "type": "text"}],
        "outputs": [
            {"name": "kind", "type": "single_choice", "label": "종류 / Kind",
             "options": [{"value": "food", "label": "음식 Food"}, {"value": "sign", "label": "간판 Sign"},
                         {"value": "street", "label": "거리 Street"}, {"value": "other", "label": "기타 Other"}]},
            {"name": "note", "type": "text", "label": "메모 / Note", "required": False},
        ],
    })  # fmt: skip
    add_items(project=project, records=[
        {"data": {"image": relative, "caption": "A very long caption without spaces: " + "가나다라마바사" * 12}},
        {"data": {"image": relative, "caption": "두 번째 사진"}},
    ])  # fmt: skip
    page = _phone(browser, live_server, "worker")
    page.goto(f"{live_server.url}/projects/{project.pk}/work/")
    page.locator(".ws-main .item-pane").wait_for()
    page.locator(".input-image").first.wait_for()
    _fits(page, "labelling")
    choice = page.get_by_role("radio", name="간판 Sign")
    _reachable(page, page.locator("label", has=choice))
    page.locator("label", has=choice).tap()
    assert choice.is_checked()
    for name in ["Submit", "Undo", "Skip", "Guideline"]:
        _reachable(page, page.get_by_role("button", name=name))
    page.get_by_role("button", name="Guideline").tap()
    _fits(page, "labelling-guideline")
    # the guideline opens where the thumb is, above the item, and the item keeps the screen's width
    guide, item = page.locator(".ws-guide").bounding_box(), page.locator(".ws-main .item-data").bounding_box()
    assert guide["y"] < item["y"] and item["width"] > 300, (guide, item)
    page.get_by_role("button", name="Guideline").tap()
    page.get_by_role("button", name="Submit").tap()
    page.locator(".ws-main .item-pane").wait_for()
    page.locator(".ws-main .input-text", has_text="두 번째").wait_for()
    _fits(page, "labelling-next")
    answered = Slot.objects.filter(item__project=project, state="submitted").count()
    assert answered == 1
    page.context.close()
