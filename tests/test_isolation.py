"""Tenant isolation, generated from the route lists: every API operation and every page with an object id,
for every role of one organization, pointed at an object of *another* organization → 401/403/404 (or a
refusal of the input), never that object's data. A new route whose parameter has no case here fails."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from dure.academy.models import ExamAttempt, PracticeItem
from dure.accounts.models import Role
from dure.accounts.services import create_organization, issue_token, set_membership
from dure.api import api as ninja_api
from dure.assist.models import AssistJob
from dure.datasets.models import DatasetJob
from dure.matching.models import ProjectInvitation
from dure.notices.models import Announcement, Notification, Question
from dure.projects.models import ProjectRole
from dure.projects.services import create_project, set_project_member
from dure.quality.models import Appeal, Audit, Delivery, Pause, SampleCheck
from dure.webhooks.models import Webhook
from dure.work.services import add_items, lease_next_item, lease_next_review, submit
from tests.academy.factories import make_academy
from tests.conftest import CHOICE_SPEC, make_user

MARKER = "zz-other-organization-secret"
OUR_ROLES = ["owner", "manager", "reviewer", "worker", "viewer"]
REFUSED = {401, 403, 404, 405, 400, 422}

#: Operations without an object of another organization in their path: what scopes them instead.
NO_OBJECT = {
    "POST /auth/token": "credentials",
    "POST /auth/signup": "creates the caller",
    "GET /auth/tokens": "the caller's own",
    "GET /me": "the caller's own",
    "POST /auth/mfa/enroll": "credentials",
    "POST /auth/mfa/setup": "the caller's own",
    "POST /auth/mfa/confirm": "the caller's own",
    "POST /auth/mfa/disable": "the caller's own",
    "GET /users": "owned organizations",
    "POST /users": "owned organization in the body",
    "POST /organizations": "operator only",
    "GET /projects": "visible projects",
    "POST /projects": "managed organization in the body",
    "GET /me/earnings": "the caller's own",
    "GET /me/earnings/statement.csv": "the caller's own",
    "GET /me/bank-account": "the caller's own",
    "PUT /me/bank-account": "the caller's own",
    "GET /me/payouts": "the caller's own",
    "POST /me/payouts": "the caller's own",
    "POST /payout-batches": "operator only",
    "POST /settlements": "operator only",
    "GET /fair-pay": "the caller's own",
    "GET /academy/courses": "the shared catalogue: courses are the platform's, the same for every organization",
    "GET /me/certifications": "the caller's own",
    "GET /me/scores": "the caller's own",
    "GET /me/pauses": "the caller's own",
    "GET /notifications": "the caller's own",
    "POST /notifications/read-all": "the caller's own",
    "GET /matching/projects": "open public projects and the caller's own private ones (matching.may_discover)",
    "GET /matching/profile": "the caller's own",
    "PATCH /matching/profile": "the caller's own",
    "GET /matching/talent": "people who opted in to be found by any organization; project_id via project_access",
    "GET /matching/invitations": "the caller's own",
    "GET /me/notification-preferences": "the caller's own",
    "PATCH /me/notification-preferences": "the caller's own",
}
PAGES_WITHOUT_OBJECTS = {"login", "logout", "signup", "home", "tokens", "earnings", "statement_csv", "payouts",
                         "payout_action", "project_create", "builder_rows", "builder_preview", "guideline_preview",
                         "set_language", "sso_start", "sso_callback", "oidc_authentication_init",
                         "oidc_authentication_callback", "second_step", "two_factor"}  # fmt: skip


#: The Academy's courses, practice items and exams are the platform's catalogue, shared by every organization
#: by design; a route whose only objects are these has nothing of another organization to leak. A route
#: that also names a person's attempt, pause or appeal is still checked with the other organization's.
SHARED_CATALOGUE = {"slug", "exam_id", "practice_id"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Password hashing is not under test here; the default hasher would dominate this module's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other(db: None) -> dict[str, Any]:
    """A second organization with one of everything, each named with the marker."""
    organization = create_organization(name=f"Other {MARKER}")
    owner, worker, reviewer = make_user("o-owner"), make_user("o-worker"), make_user("o-reviewer")
    for user, role in [(owner, Role.OWNER), (worker, Role.WORKER), (reviewer, Role.REVIEWER)]:
        set_membership(organization=organization, user=user, role=role)
    project = create_project(organization=organization, actor=owner, name=MARKER, spec=CHOICE_SPEC)
    project.status = "open"
    project.save()
    set_project_member(project=project, user=worker, role=ProjectRole.WORKER)
    set_project_member(project=project, user=reviewer, role=ProjectRole.REVIEWER)
    add_items(project=project, records=[{"text": MARKER}, {"text": MARKER + "2"}])
    first = lease_next_item(worker=worker, project=project)
    submit(worker=worker, assignment_id=first.pk, answer={"label": "pos"})
    review = lease_next_review(reviewer=reviewer, project=project)
    assignment = lease_next_item(worker=worker, project=project)
    token, _raw = issue_token(user=owner, name=MARKER)
    hook = Webhook.objects.create(
        organization=organization, url=f"https://example.com/{MARKER}", secret=MARKER, events=["ping"]
    )
    exam = make_academy()
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        exam=exam,
        user=worker,
        number=1,
        started_at=now,
        deadline=now + timedelta(hours=1),
        answers={"m": MARKER},
    )
    pause = Pause.objects.create(project=project, worker=worker, created_at=now)
    appeal = Appeal.objects.create(pause=pause, message=MARKER, created_at=now)
    audit = Audit.objects.create(
        review=review, project=project, reviewer=reviewer, created_at=now, note=MARKER
    )
    delivery = Delivery.objects.create(
        project=project, number=1, delivered_at=now, lot_size=1, method="iso2859", plan={"note": MARKER},
        sample_size=1, accept_number=0, reject_number=1, seed=1, draw={"note": MARKER},
    )  # fmt: skip
    SampleCheck.objects.create(
        delivery=delivery, item=project.items.order_by("id").first(), position=0, reason=MARKER
    )
    job = DatasetJob.objects.create(project=project, kind="export", format="jsonl", params={"note": MARKER})
    notification = Notification.objects.create(
        recipient=worker, kind="job_failed", key=MARKER, data={"project": MARKER}
    )
    announcement = Announcement.objects.create(project=project, author=owner, title=MARKER, body=MARKER)
    question = Question.objects.create(project=project, asker=worker, text=MARKER)
    assist_job = AssistJob.objects.create(project=project, backend="http", params={"note": MARKER})
    invitation = ProjectInvitation.objects.create(
        project=project, user=worker, invited_by=owner, message=MARKER
    )
    return {
        "organization_id": organization.pk,
        "slug": exam.course.slug if getattr(exam, "course", None) else "boxes",
        "exam_id": exam.pk,
        "practice_id": PracticeItem.objects.order_by("id").values_list("id", flat=True).first(),
        "attempt_id": attempt.pk,
        "pause_id": pause.pk,
        "appeal_id": appeal.pk,
        "audit_id": audit.pk,
        "project_id": project.pk,
        "item_id": project.items.order_by("id").first().pk,
        "assignment_id": assignment.pk,
        "review_id": review.pk,
        "user_id": worker.pk,
        "token_id": token.pk,
        "webhook_id": hook.pk,
        "job_id": job.pk,
        "notification_id": notification.pk,
        "announcement_id": announcement.pk,
        "question_id": question.pk,
        "assist_job_id": assist_job.pk,
        "invitation_id": invitation.pk,
        "delivery_id": delivery.pk,
        # operator-only routes: any id; nobody in our organization is the operator
        "batch_id": 999_999,
        "payout_id": 999_999,
        "key": "not-an-invitation-of-ours",
        "token": "not-a-signed-media-token",
        "path": f"projects/{project.pk}/secret.png",
        "action": "paid",
    }


def _api_operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method in methods:
            operations.append((method.upper(), path.removeprefix("/api/v1")))
    return operations


def _pages(patterns: list[Any] | None = None, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("api/", "admin/", "^api/")):
                continue
            found += _pages(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and not route.startswith("^api/"):
            found.append((entry.name or route, prefix + route))
    return found


API_PARAMETER = r"\{([^}]+)\}"
PAGE_PARAMETER = r"<([^>]+)>"
#: every parameter name the ``other`` fixture fills
CASES = SHARED_CATALOGUE | {"attempt_id", "pause_id", "appeal_id", "audit_id", "organization_id", "project_id", "item_id", "assignment_id", "review_id", "user_id", "token_id",
         "webhook_id", "job_id", "notification_id", "announcement_id", "question_id", "batch_id", "payout_id",
         "assist_job_id", "invitation_id",
         "key", "token", "path", "action", "delivery_id"}  # fmt: skip


def _names(template: str, pattern: str) -> set[str]:
    return {name.split(":")[-1] for name in re.findall(pattern, template)}


def _fill(template: str, values: dict[str, Any], pattern: str) -> str:
    return re.sub(pattern, lambda match: str(values[match.group(1).split(":")[-1]]), template)


def test_every_route_has_an_isolation_case():
    """A new route must say how it is scoped: a parameter filled by ``other``, or a NO_OBJECT reason."""
    missing = []
    for method, path in _api_operations():
        if "{" not in path and f"{method} {path}" not in NO_OBJECT:
            missing.append(f"{method} {path}: add it to NO_OBJECT with what scopes it")
        elif _names(path, API_PARAMETER) - CASES:
            missing.append(f"{method} {path}: add {sorted(_names(path, API_PARAMETER) - CASES)} to `other`")
    for name, route in _pages():
        if name not in PAGES_WITHOUT_OBJECTS and _names(route, PAGE_PARAMETER) - CASES:
            missing.append(f"page {route}: add {sorted(_names(route, PAGE_PARAMETER) - CASES)} to `other`")
    assert not missing, "\n".join(missing)


def test_every_api_operation_refuses_another_organizations_objects(people, other):
    failures = []
    for role in OUR_ROLES:
        client = Client()
        _token, raw = issue_token(user=people[role], name="iso")
        headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
        for method, path in _api_operations():
            if _names(path, API_PARAMETER) - CASES or (
                "{" not in path and f"{method} {path}" not in NO_OBJECT
            ):
                continue  # reported by test_every_route_has_an_isolation_case
            if "{" not in path:
                if method != "GET":
                    continue
                response = client.get(f"/api/v1{path}", headers=headers)
                if MARKER.encode() in response.content:
                    failures.append((role, method, path, response.status_code, "marker in list"))
                continue
            if _names(path, API_PARAMETER) <= SHARED_CATALOGUE:
                continue  # the shared catalogue (see SHARED_CATALOGUE)
            url = "/api/v1" + _fill(path, other, API_PARAMETER)
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                call = getattr(client, method.lower())
                response = call(url, data="{}", content_type="application/json", headers=headers)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if response.status_code not in REFUSED or MARKER.encode() in body:
                failures.append((role, method, path, response.status_code, body[:200]))
    assert not failures, failures


def test_every_page_refuses_another_organizations_objects(people, other):
    failures = []
    for role in OUR_ROLES:
        client = Client()
        client.force_login(people[role])
        for name, route in _pages():
            if "<" not in route:
                continue
            if name in PAGES_WITHOUT_OBJECTS or _names(route, PAGE_PARAMETER) - CASES:
                continue
            if _names(route, PAGE_PARAMETER) <= SHARED_CATALOGUE:
                continue  # the shared catalogue (see SHARED_CATALOGUE)
            url = "/" + _fill(route, other, PAGE_PARAMETER)
            response = client.get(url, headers={"Accept-Language": "en"})
            body = (
                b"".join(response.streaming_content)
                if getattr(response, "streaming", False)
                else response.content
            )
            if response.status_code not in REFUSED | {302} or MARKER.encode() in body:
                failures.append((role, name, url, response.status_code))
    assert not failures, failures
