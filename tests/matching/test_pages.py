"""Matching pages for every role: recommendations, a project's page and joining, the opt-in on the profile,
talent search and invitations, visibility."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.matching import selectors
from dure.matching.models import ProjectInvitation, TalentProfile
from dure.projects.models import ProjectMember, ProjectVisibility
from dure.projects.services import create_project
from tests.conftest import CHOICE_SPEC, make_user

pytestmark = pytest.mark.django_db
ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def projects(org, people):
    public = create_project(
        organization=org, actor=people["manager"], name="Public sentiment", spec=CHOICE_SPEC, price_per_item=120,
        visibility=ProjectVisibility.PUBLIC,
    )  # fmt: skip
    private = create_project(organization=org, actor=people["manager"], name="Private 기밀", spec=CHOICE_SPEC)
    for project in (public, private):
        project.status = "open"
        project.save()
    return public, private


def test_pages_per_role(people, projects) -> None:
    public, private = projects
    talent = {"owner": 200, "manager": 200, "reviewer": 403, "worker": 403, "viewer": 403, "outsider": 200}
    for role in ROLES:
        client = _client(people[role])
        page = client.get("/matching/", headers={"Accept-Language": "en"})
        assert page.status_code == 200, role
        assert "Public sentiment" in page.content.decode() and "Private 기밀" not in page.content.decode()
        assert client.get(f"/matching/projects/{public.pk}/").status_code == 200, role
        assert client.get(f"/matching/projects/{private.pk}/").status_code == 404, role
        assert client.get("/matching/talent/?data_type=ocr").status_code == talent[role], role
        assert client.get("/profile/").status_code == 200, role
    assert Client().get("/matching/").status_code == 302  # sign in first


def test_home_shows_recommendations_to_a_worker(people, projects) -> None:
    page = _client(people["worker2"]).get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "Recommended projects" in page and "Public sentiment" in page


def test_join_from_the_page_and_private_refused(people, projects) -> None:
    public, private = projects
    newcomer = make_user("newcomer")
    client = _client(newcomer)
    response = client.post(f"/matching/projects/{public.pk}/join/")
    assert response.status_code == 302 and response["Location"] == f"/projects/{public.pk}/work/"
    assert ProjectMember.objects.filter(project=public, user=newcomer).exists()
    assert client.post(f"/matching/projects/{private.pk}/join/").status_code == 404
    assert client.get(f"/matching/projects/{public.pk}/").status_code == 200


def test_opt_in_from_the_profile_page(people) -> None:
    client = _client(people["worker"])
    assert 'data-testid="opt-in"' in client.get("/profile/").content.decode()
    response = client.post(
        "/matching/profile/",
        {
            "opted_in": "on",
            "headline": "빠르고 정확",
            "devices_sent": "1",
            "devices": ["phone"],
            "next": "/profile/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/profile/"
    profile = TalentProfile.objects.get(user=people["worker"])
    assert profile.opted_in and profile.devices == ["phone"] and profile.headline == "빠르고 정확"
    client.post("/matching/profile/", {"next": "https://evil.example/"})
    assert not TalentProfile.objects.get(user=people["worker"]).opted_in  # unchecked box = off


def test_invite_and_visibility_from_the_talent_page(people, projects) -> None:
    _public, private = projects
    seeker = make_user("seeker")
    TalentProfile.objects.create(user=seeker, opted_in=True)
    manager = _client(people["manager"])
    page = manager.get(f"/matching/talent/?project={private.pk}", headers={"Accept-Language": "en"})
    assert "Private (invite-only)" in page.content.decode()
    assert manager.post(f"/matching/projects/{private.pk}/invite/", {"user": seeker.pk}).status_code == 302
    assert ProjectInvitation.objects.filter(project=private, user=seeker, state="pending").exists()
    for role, status in {"worker": 404, "viewer": 403, "outsider": 404}.items():
        client = _client(people[role])
        assert (
            client.post(f"/matching/projects/{private.pk}/invite/", {"user": seeker.pk}).status_code == status
        )
        assert (
            client.post(f"/matching/projects/{private.pk}/visibility/", {"visibility": "public"}).status_code
            == status
        )
        assert client.get(f"/matching/talent/?project={private.pk}").status_code in {403, 404}
    manager.post(f"/matching/projects/{private.pk}/visibility/", {"visibility": "public"})
    private.refresh_from_db()
    assert private.visibility == "public"
    # The invited person answers from their page.
    invitation = ProjectInvitation.objects.get(project=private, user=seeker)
    assert _client(people["worker"]).post(f"/matching/invitations/{invitation.pk}/accept/").status_code == 404
    response = _client(seeker).post(f"/matching/invitations/{invitation.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == f"/projects/{private.pk}/work/"


def test_the_project_form_sets_visibility_and_language(make_project, people) -> None:
    from tests.web.test_project_pages import builder_post, signed_in

    project = make_project(name="Sentiment")
    client = signed_in(people["manager"])
    assert 'name="visibility"' in client.get(f"/projects/{project.pk}/edit/").content.decode()
    response = client.post(
        f"/projects/{project.pk}/edit/",
        builder_post(name="Sentiment", visibility="public", language="ko"),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.visibility, project.language) == ("public", "ko")
    found = selectors.recommendations(user=make_user("crowd-member"))["projects"]
    names = [r.project.name for r in found]
    assert names == ["Sentiment"]
