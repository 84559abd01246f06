"""In the browser: the client's inspector opens a delivered batch, checks its sampled items (one defective,
with a reason), and lands on the delivery certificate; the certificate's PDF is rendered to an image."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dure.quality import acceptance
from dure.quality.models import DeliveryState
from dure.work.models import Slot, SlotState
from dure.work.services import add_items
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.quality.test_acceptance import work_through


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inspector_checks_the_sample_and_reads_the_certificate(browser, live_server, project, people):
    add_items(project=project, records=[{"text": f"리뷰 {n}: 배송이 빨라요"} for n in range(6)])
    work_through(project, [people["worker"], people["worker2"]], people["reviewer"],
                 lambda worker, item, rework: {"label": "pos"})  # fmt: skip
    delivery = acceptance.deliver_batch(project=project, actor=people["manager"], seed=2026)
    assert delivery.sample_size == 6  # lot 6 at AQL 1.0: ↓ to E (n = 13 ≥ 6), so every item, Ac 0
    base = live_server.url
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    _sign_in(page, base, "viewer")
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_role("link", name="Deliveries").click()
    page.get_by_role("link", name="#1").click()
    page.get_by_role("link", name="Inspect the sample").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "acceptance-delivery.png"), full_page=True)
    page.get_by_role("link", name="Inspect the sample").click()
    page.get_by_text("Your verdict").wait_for()
    page.get_by_text("배송이 빨라요").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "acceptance-inspect.png"), full_page=True)
    first = delivery.samples.order_by("position").first().item_id
    assert page.url.endswith(f"/samples/{first}/")
    page.get_by_label("Wrong label or choice").check()
    page.get_by_label("Comment for the worker").fill("This review is negative about the packaging.")
    page.get_by_role("button", name="Defective").click()
    for _ in range(delivery.sample_size - 1):
        page.get_by_role("button", name="Correct").click()
    page.get_by_role("heading", name="Delivery certificate").wait_for()
    page.get_by_text("[").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "acceptance-certificate.png"), full_page=True)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETURNED and delivery.defects == 1
    returned = Slot.objects.get(item_id=first)
    assert returned.state == SlotState.REJECTED
    check = delivery.samples.get(item_id=first)
    assert "Wrong label or choice" in check.reason and "packaging" in check.reason
    text = page.locator(".certificate").inner_text()
    assert "5 / 1" not in text and "6 / 1" in text  # checked / defective
    assert str(delivery.seed) in text and delivery.draw["population_sha256"] in text

    # The PDF, worded in Korean, and its first page as an image.
    response = page.request.get(
        f"{base}/projects/{project.pk}/deliveries/{delivery.pk}/certificate.pdf",
        headers={"Accept-Language": "ko"},
    )
    assert response.status == 200 and response.body().startswith(b"%PDF")
    pdf_path = SCREENSHOTS / "acceptance-certificate.pdf"
    pdf_path.write_bytes(response.body())
    context.close()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF was not rendered to an image")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
         str(SCREENSHOTS / "acceptance-certificate-pdf")],
        check=True, timeout=60,
    )  # fmt: skip
    assert (SCREENSHOTS / "acceptance-certificate-pdf.png").stat().st_size > 10_000
