"""Shared fixtures: an organization with one person per role, projects, and API clients per person."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from dure.accounts.models import Organization, Role, User
from dure.accounts.services import create_organization, create_user, issue_token, set_membership
from dure.projects.models import Project, ProjectRole, ProjectStatus
from dure.projects.services import create_project, set_project_member

CHOICE_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "label", "type": "single_choice", "options": ["pos", "neg"]}],
}
PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests create many users; the production hasher is slow on purpose, which tests need not pay for."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    """Rolled-back tests reuse ids on SQLite: nothing a previous test cached in this process may leak in."""
    from dure.accounts.services import forget_cached_tokens
    from dure.payments import selectors as payment_selectors
    from dure.payments import services as payment_services
    from dure.projects.selectors import forget_access

    forget_cached_tokens()
    forget_access()
    payment_selectors.forget_ample()
    payment_services.forget_accounts()
    from dure.quality.selectors import forget_profiles

    forget_profiles()
    from dure.assist.services import forget_settings

    forget_settings()


class Api:
    """A JSON client that authenticates with a personal token, like an integration would."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, raw = issue_token(user=user, name="test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def call(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None,
             content_type: str = "application/json", lang: str = "en") -> Any:  # fmt: skip
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        response = getattr(self.client, method)(
            f"/api/v1{path}",
            data=data,
            content_type=content_type,
            headers={**self.headers, "Accept-Language": lang},
        )
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(
            f"/api/v1{path}", headers={**self.headers, "Accept-Language": kwargs.get("lang", "en")}
        )
        return response

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("post", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("patch", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("delete", path, **kwargs)


def make_user(username: str) -> User:
    return create_user(username=username, password=PASSWORD, display_name=username.title())


@pytest.fixture
def org(db: None) -> Organization:
    return create_organization(name="Acme 데이터")


@pytest.fixture
def people(org: Organization) -> dict[str, User]:
    """One user per organization role, plus a second worker and an outsider from another organization."""
    users = {}
    for role in [Role.OWNER, Role.MANAGER, Role.REVIEWER, Role.WORKER, Role.VIEWER]:
        users[str(role)] = make_user(f"{role}")
        set_membership(organization=org, user=users[str(role)], role=role)
    users["worker2"] = make_user("worker2")
    set_membership(organization=org, user=users["worker2"], role=Role.WORKER)
    other = create_organization(name="Other Corp")
    users["outsider"] = make_user("outsider")
    set_membership(organization=other, user=users["outsider"], role=Role.OWNER)
    return users


@pytest.fixture
def make_project(org: Organization, people: dict[str, User]) -> Callable[..., Project]:
    def factory(
        spec: dict[str, Any] | None = None, status: str = ProjectStatus.OPEN, **fields: Any
    ) -> Project:
        project = create_project(
            organization=org,
            actor=people["manager"],
            name=fields.pop("name", "Sentiment"),
            spec=spec or CHOICE_SPEC,
            **fields,
        )
        set_project_member(project=project, user=people["worker"], role=ProjectRole.WORKER)
        set_project_member(project=project, user=people["worker2"], role=ProjectRole.WORKER)
        project.status = status
        project.save()
        return project

    return factory


@pytest.fixture
def project(make_project: Callable[..., Project]) -> Project:
    return make_project()


@pytest.fixture
def api(people: dict[str, User]) -> Callable[[str], Api]:
    cache: dict[str, Api] = {}

    def for_role(name: str) -> Api:
        if name not in cache:
            cache[name] = Api(people.get(name)) if name != "anonymous" else Api(None)
        return cache[name]

    return for_role


@pytest.fixture(autouse=True)
def _fresh_sign_in_counters() -> None:
    """Sign-in rate limits and lockouts live in the cache; one test's wrong passwords must not lock the next."""
    from django.core.cache import cache

    cache.clear()


CHROMIUM = shutil.which("chromium")
#: Browser tests save what they saw here; look at them after a run.
SCREENSHOTS = Path(django_settings.VAR_DIR) / "screenshots"


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), launched as this machine needs."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def sign_in(browser: Any, live_server: Any, username: str, width: int = 1280, height: int = 900) -> Any:
    """A new browser context signed in through the login page as ``username``; returns its page."""
    page = browser.new_context(locale="en-US", viewport={"width": width, "height": height}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def reset_task_backends() -> None:
    """Django caches its task backends; after TASKS changes they must be built again."""
    from asgiref.local import Local
    from django.tasks import task_backends

    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None  # type: ignore[attr-defined]
    task_backends._connections = Local(task_backends.thread_critical)  # type: ignore[attr-defined]


@pytest.fixture
def immediate_tasks() -> Iterator[None]:
    """Background jobs run at once, inside the enqueue call (Django's immediate backend)."""
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ):
        reset_task_backends()
        yield
    reset_task_backends()


@pytest.fixture
def media_root(tmp_path: Path) -> Iterator[Path]:
    """Stored files go to a temporary MEDIA_ROOT (apps whose tests all store files use it automatically)."""
    with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
        yield tmp_path / "media"


@pytest.fixture
def app_serves_media(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's live server answers /media/ itself from MEDIA_ROOT (no permission check, no byte ranges);
    with this fixture the app's own /media/ view answers, as in production, so players can seek."""
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)
