"""Quality dashboards: accuracy and rejection reasons per day, reviewer quality, the page and its charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dure.accounts.models import Role
from dure.accounts.services import set_membership
from dure.quality.dashboards import (
    daily_accuracy,
    daily_rejection_reasons,
    quality_dashboards,
    reviewer_quality,
)
from dure.quality.models import GoldItem, GoldResult
from dure.work import services
from dure.work.models import Event, Review, Submission
from tests.conftest import PASSWORD, SCREENSHOTS, make_user
from tests.web.test_pages import signed_in


def _submit(project, worker, answer=None):
    assignment = services.lease_next_item(worker=worker, project=project)
    assert assignment is not None
    return services.submit(worker=worker, assignment_id=assignment.pk, answer=answer or {"label": "pos"})


def _decide(project, reviewer, decision="approve", reasons=(), comment=""):
    review = services.lease_next_review(reviewer=reviewer, project=project)
    assert review is not None
    return services.decide(
        reviewer=reviewer, review_id=review.pk, decision=decision, reasons=list(reasons), comment=comment
    )


@pytest.fixture
def reviewer2(org):
    user = make_user("reviewer2")
    set_membership(organization=org, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def worked(project, people):
    """Four first answers: two approved, two rejected (one for two reasons); one rework rejected by comment."""
    services.add_items(project=project, records=[{"text": f"문장 {i}"} for i in range(4)])
    for _ in range(4):
        _submit(project, people["worker"])
    _decide(project, people["reviewer"])
    _decide(project, people["reviewer"])
    _decide(project, people["reviewer"], "reject", ["blurry"])
    _decide(project, people["reviewer"], "reject", ["blurry", "wrong label"])
    _submit(project, people["worker"])  # the rework of the first rejection: version 2
    _decide(project, people["reviewer"], "reject", comment="still wrong")
    return project


def test_first_pass_approval_per_day(worked):
    today = daily_accuracy(project=worked)[-1]
    assert (today["first_pass_approval"], today["first_decisions"]) == (0.5, 4)  # version 2 is not first pass
    # move one approval to yesterday: each day counts its own decisions
    approved = Event.objects.filter(project=worked, kind="approved").order_by("id").first()
    Event.objects.filter(pk=approved.pk).update(created_at=approved.created_at - timedelta(days=1))
    days = daily_accuracy(project=worked)
    assert len(days) == 30
    assert (days[-2]["first_pass_approval"], days[-1]["first_pass_approval"]) == (1.0, round(1 / 3, 4))
    assert days[0]["first_pass_approval"] is None  # no data is a gap, not zero


def test_gold_accuracy_per_day(worked, people):
    submissions = list(Submission.objects.filter(project=worked).order_by("id")[:3])
    gold = GoldItem.objects.create(item=submissions[0].item, project=worked, answer={"label": "pos"})
    now = timezone.now()
    for submission, passed in zip(submissions, (True, False, True), strict=True):
        GoldResult.objects.create(
            gold=gold, project=worked, worker=people["worker"], submission=submission,
            score=float(passed), passed=passed, created_at=now,
        )  # fmt: skip
    today = daily_accuracy(project=worked)[-1]
    assert (today["gold_accuracy"], today["gold_results"]) == (round(2 / 3, 4), 3)


def test_rejection_reasons_per_day(worked):
    reasons = daily_rejection_reasons(project=worked)
    assert reasons["reasons"] == ["blurry", "wrong label", "—"]
    assert reasons["totals"] == {"blurry": 2, "wrong label": 1, "—": 1}
    assert reasons["days"][-1]["counts"] == [2, 1, 1]
    assert sum(sum(d["counts"]) for d in reasons["days"][:-1]) == 0


def test_many_reasons_fold_into_other(project, people):
    services.add_items(project=project, records=[{"text": f"문장 {i}"} for i in range(8)])
    for _ in range(8):
        _submit(project, people["worker"])
    for n in range(8):
        _decide(project, people["reviewer"], "reject", [f"reason {n % 7}"])
    reasons = daily_rejection_reasons(project=project)
    assert (
        len(reasons["reasons"]) == 6 and reasons["reasons"][0] == "reason 0" and reasons["reasons"][-1] == ""
    )
    assert reasons["totals"][""] == 2
    assert sum(reasons["days"][-1]["counts"]) == 8


def test_reviewer_quality_with_a_second_review(make_project, people, reviewer2):
    project = make_project(second_review_rate=1.0)
    services.add_items(project=project, records=[{"text": "하나"}, {"text": "둘"}])
    for _ in range(2):
        _submit(project, people["worker"])
    _decide(project, people["reviewer"])
    _decide(project, people["reviewer"])
    _decide(project, reviewer2)
    _decide(project, reviewer2, "reject", ["missed an entity"])
    rows = {r["name"]: r for r in reviewer_quality(project=project)}
    assert rows["Reviewer"] | {"user_id": 0} == {
        "user_id": 0,
        "name": "Reviewer",
        "decisions": 2,
        "approval_rate": 1.0,
        "second_stage_reviews": 0,
        "audits": 2,
        "audit_agreement": 0.5,
        "second_checked": 2,
        "overturn_rate": 0.5,
    }
    second = rows["Reviewer2"]
    assert (second["decisions"], second["approval_rate"], second["second_stage_reviews"]) == (2, 0.5, 2)
    assert (second["audit_agreement"], second["overturn_rate"]) == (None, None)
    # the final decisions are the 2nd stage's: one first-pass approval out of two
    today = daily_accuracy(project=project)[-1]
    assert (today["first_pass_approval"], today["first_decisions"]) == (0.5, 2)


def test_the_dashboards_cost_a_fixed_number_of_queries(worked, people, reviewer2):
    with CaptureQueriesContext(connection) as small:
        quality_dashboards(project=worked)
    services.add_items(project=worked, records=[{"text": f"더 {i}"} for i in range(3)])
    for _ in range(3):
        _submit(worked, people["worker2"])
    for reviewer in (reviewer2, people["reviewer"], reviewer2):
        _decide(worked, reviewer, "reject", ["other reason"])
    Review.objects.filter(project=worked).update(decided_at=timezone.now() - timedelta(days=3))
    with CaptureQueriesContext(connection) as large:
        data = quality_dashboards(project=worked)
    assert len(large) == len(small)
    assert len(data["reviewers"]) == 2


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("manager", 200),
        ("reviewer", 403),
        ("worker", 403),
        ("viewer", 403),
        ("outsider", 404),
    ],
)
def test_the_quality_page_shows_the_dashboards_to_managers(worked, people, role, status):
    response = signed_in(people[role]).get(f"/projects/{worked.pk}/quality/")
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert 'id="quality-dashboards"' in page
        assert "<polyline" in page and 'class="reason-0"' in page
        assert "blurry" in page and "Reviewers" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_reads_the_quality_dashboards_in_the_browser(
    browser, live_server, make_project, people, org
):
    reviewer2 = make_user("reviewer2")
    set_membership(organization=org, user=reviewer2, role=Role.REVIEWER)
    project = make_project(name="간판 사진 분류", second_review_rate=0.5)
    services.add_items(project=project, records=[{"text": f"간판 {i}"} for i in range(40)])
    reasons = [["흐림"], ["잘못된 라벨"], ["흐림", "누락"], ["경계 오류"], ["흐림"]]
    for n in range(40):
        _submit(project, people["worker"] if n % 2 else people["worker2"])
    for n in range(40):
        reviewer = people["reviewer"] if n % 3 else reviewer2
        review = services.lease_next_review(reviewer=reviewer, project=project)
        if review is None:
            reviewer = reviewer2 if reviewer == people["reviewer"] else people["reviewer"]
            review = services.lease_next_review(reviewer=reviewer, project=project)
        if review is None:
            break
        decision = "reject" if n % 3 == 1 else "approve"
        services.decide(
            reviewer=reviewer, review_id=review.pk, decision=decision,
            reasons=reasons[n % 5] if decision == "reject" else [],
        )  # fmt: skip
    # spread the history over the last two weeks (an item's events on one day) so the charts have a shape
    for event in Event.objects.filter(project=project):
        Event.objects.filter(pk=event.pk).update(
            created_at=event.created_at - timedelta(days=event.item_id % 14)
        )
    for review in Review.objects.filter(project=project, decision="reject"):
        Review.objects.filter(pk=review.pk).update(
            decided_at=review.decided_at - timedelta(days=review.slot_id % 14)
        )
    submissions = list(Submission.objects.filter(project=project).order_by("id"))
    gold = GoldItem.objects.create(item=submissions[0].item, project=project, answer={"label": "pos"})
    for index, submission in enumerate(submissions):
        GoldResult.objects.create(
            gold=gold, project=project, worker=submission.worker, submission=submission, score=1.0,
            passed=index % 5 != 0, created_at=timezone.now() - timedelta(days=index % 14),
        )  # fmt: skip

    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.get_by_role("link", name="Quality", exact=True).first.click()
    dashboards = page.locator("#quality-dashboards")
    dashboards.wait_for()
    assert dashboards.locator("svg.accuracy polyline").count() >= 1
    assert dashboards.locator("svg.reasons rect").count() >= 2
    assert page.get_by_role("cell", name="Reviewer2").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dashboards.screenshot(path=str(SCREENSHOTS / "quality-dashboards.png"))
    page.locator("table.reviewers").screenshot(path=str(SCREENSHOTS / "quality-reviewers.png"))
    context.close()
