"""The matching API for every role: recommendations, the talent profile, talent search, invitations,
joining, private projects refused to the uninvited, and the notifications jobs send after commit."""

from __future__ import annotations

import pytest

from dure.matching import selectors, services
from dure.matching.models import ProjectInvitation
from dure.notices.models import Notification
from dure.projects.models import ProjectMember, ProjectVisibility
from dure.projects.services import create_project, update_project
from dure.work.services import add_items
from tests.conftest import CHOICE_SPEC, make_user
from tests.matching.conftest import OCR_SPEC, history_project, refresh_all, simulate

pytestmark = pytest.mark.django_db
ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider"]


@pytest.fixture
def public(org, people):
    project = create_project(
        organization=org, actor=people["manager"], name="Public OCR", spec=OCR_SPEC, price_per_item=300,
        visibility=ProjectVisibility.PUBLIC,
    )  # fmt: skip
    project.status = "open"
    project.save()
    return project


@pytest.fixture
def private(org, people):
    project = create_project(organization=org, actor=people["manager"], name="Private 기밀", spec=CHOICE_SPEC)
    project.status = "open"
    project.save()
    return project


@pytest.fixture
def seeker(db):
    """A crowd worker of no organization who opted in to talent search."""
    person = make_user("seeker")
    services.set_talent_profile(user=person, opted_in=True, headline="OCR 10년")
    return person


def test_recommendations_for_every_role_hide_private_projects(api, people, public, private) -> None:
    refresh_all()
    for role in ROLES:
        response = api(role).get("/matching/projects")
        assert response.status_code == 200, role
        names = [p["name"] for p in response.json()["projects"]]
        assert "Public OCR" in names, role
        assert "Private 기밀" not in names, role  # nobody is a member or invited
    assert api("anonymous").get("/matching/projects").status_code == 401


def test_a_member_sees_their_private_project_and_outsiders_get_404(api, people, private) -> None:
    from dure.projects.services import set_project_member

    set_project_member(project=private, user=people["worker"], role="worker")
    refresh_all()
    names = [p["name"] for p in api("worker").get("/matching/projects").json()["projects"]]
    assert "Private 기밀" in names
    assert api("worker").get(f"/matching/projects/{private.pk}").status_code == 200
    for role in ["worker2", "outsider", "viewer"]:
        assert api(role).get(f"/matching/projects/{private.pk}").status_code == 404, role
        response = api(role).post(f"/matching/projects/{private.pk}/join")
        assert response.status_code == 404 and response.json()["code"] == "project_not_found", role
    assert not ProjectMember.objects.filter(project=private, user=people["outsider"]).exists()


def test_joining_a_public_project_makes_a_member_who_can_work(api, people, public, seeker) -> None:
    from tests.conftest import Api

    add_items(project=public, records=[{"image": "demo/street.png", "width": 200, "height": 100}])
    public = update_project(project=public, changes={"price_per_item": 0})  # no budget needed to lease
    client = Api(seeker)
    assert client.get(f"/projects/{public.pk}").status_code == 404  # not a member yet
    assert client.post(f"/projects/{public.pk}/assignments/next").status_code == 404  # dispatch refuses
    detail = client.get(f"/matching/projects/{public.pk}").json()
    assert detail["data_type"] == "ocr" and not detail["member"]
    joined = client.post(f"/matching/projects/{public.pk}/join")
    assert joined.status_code == 200 and joined.json()["work_url"] == f"/projects/{public.pk}/work/"
    assert client.post(f"/projects/{public.pk}/assignments/next").status_code == 200
    # Made private later: still theirs (a member), but nobody new may join.
    update_project(project=public, changes={"visibility": "private"})
    assert api("outsider").post(f"/matching/projects/{public.pk}/join").status_code == 404
    assert client.get(f"/projects/{public.pk}").status_code == 200  # (no item left to lease: 204 below)
    assert client.post(f"/projects/{public.pk}/assignments/next").status_code in {200, 204}
    # Paused: gone from recommendations, and joining says not found.
    public.refresh_from_db()
    public.status = "paused"
    public.save()
    refresh_all()
    assert api("worker2").post(f"/matching/projects/{public.pk}/join").status_code == 404


def test_talent_profile_api(api) -> None:
    worker = api("worker")
    assert worker.get("/matching/profile").json()["opted_in"] is False  # off by default
    response = worker.patch(
        "/matching/profile", {"opted_in": True, "devices": ["phone"], "languages": ["en"]}
    )
    assert response.status_code == 200 and response.json()["opted_in"] is True
    assert worker.get("/matching/profile").json()["devices"] == ["phone"]
    bad = worker.patch("/matching/profile", {"languages": ["xx"]})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    assert worker.patch("/matching/profile", {"devices": ["fridge"]}).status_code == 422


def test_talent_search_per_role(api, people, org, seeker, private) -> None:
    history = history_project(org, people["owner"], "ocr", "OCR history")
    simulate(project=history, worker=seeker, reviewer=people["reviewer"], approved=6, seconds=30)
    refresh_all()
    expected = {"owner": 200, "manager": 200, "reviewer": 403, "worker": 403, "viewer": 403, "outsider": 200}
    for role, status in expected.items():
        response = api(role).get("/matching/talent?data_type=ocr")
        assert response.status_code == status, role
        if status == 200:
            assert [w["username"] for w in response.json()] == ["seeker"]
            assert response.json()[0]["headline"] == "OCR 10년"
        else:
            assert response.json()["code"] == "talent_search_denied"
    # Ranking for a project needs managing that project; another organization's project is not found.
    assert api("manager").get(f"/matching/talent?project_id={private.pk}").status_code == 200
    assert api("outsider").get(f"/matching/talent?project_id={private.pk}").status_code == 404
    bad = api("manager").get("/matching/talent?data_type=nonsense")
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_data_type"
    assert api("manager").get("/matching/talent?min_quality=7").status_code == 422


def test_invitations_per_role_notify_and_accepting_makes_a_member(
    api, people, private, seeker, immediate_tasks, django_capture_on_commit_callbacks
) -> None:
    from tests.conftest import Api

    path = f"/projects/{private.pk}/invitations"
    # (the worker is no member of this private project: for them it does not exist)
    for role, status in {"reviewer": 403, "worker": 404, "viewer": 403, "outsider": 404}.items():
        assert api(role).post(path, {"user": "seeker"}).status_code == status, role
        assert api(role).get(path).status_code == status, role
    with django_capture_on_commit_callbacks(execute=True):
        response = api("manager").post(path, {"user": "seeker", "message": "같이 해요"})
    assert response.status_code == 201, response.json()
    invitation = response.json()
    notification = Notification.objects.get(recipient=seeker, kind="project_invitation")
    assert notification.data["project"] == "Private 기밀" and notification.link == "/matching/"
    again = api("owner").post(path, {"user": "seeker"})
    assert again.status_code == 409 and again.json()["code"] == "already_invited"
    # Someone who never opted in and is not in the organization cannot be found (nor probed).
    make_user("stranger")
    missing = api("owner").post(path, {"user": "stranger"})
    assert missing.status_code == 404 and missing.json()["code"] == "talent_not_found"
    assert api("owner").post(path, {"user": "seeker", "kind": "qualification"}).status_code == 422
    assert [i["id"] for i in api("owner").get(path).json()] == [invitation["id"]]

    person = Api(seeker)
    names = [p["name"] for p in person.get("/matching/projects").json()["projects"]]
    assert "Private 기밀" in names  # invited: the private project shows, marked invited
    assert person.get("/matching/invitations").json()[0]["state"] == "pending"
    # Nobody else may answer it.
    for role in ROLES:
        assert api(role).post(f"/matching/invitations/{invitation['id']}/accept").status_code == 404, role
    accepted = person.post(f"/matching/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["next_url"] == f"/projects/{private.pk}/work/"
    assert ProjectMember.objects.filter(project=private, user=seeker, role="worker").exists()
    assert person.get(f"/projects/{private.pk}").status_code == 200
    closed = person.post(f"/matching/invitations/{invitation['id']}/decline")
    assert closed.status_code == 409 and closed.json()["code"] == "invitation_closed"
    member = api("owner").post(path, {"user": "seeker"})
    assert member.status_code == 409 and member.json()["code"] == "already_member"


def test_declining_and_revoking(api, people, private, seeker) -> None:
    from tests.conftest import Api

    path = f"/projects/{private.pk}/invitations"
    first = api("owner").post(path, {"user": seeker.username}).json()
    assert Api(seeker).post(f"/matching/invitations/{first['id']}/decline").json()["state"] == "declined"
    assert not ProjectMember.objects.filter(project=private, user=seeker).exists()
    second = api("owner").post(path, {"user": seeker.pk}).json()
    assert api("viewer").post(f"{path}/{second['id']}/revoke").status_code == 403
    assert api("outsider").post(f"{path}/{second['id']}/revoke").status_code == 404
    assert api("manager").post(f"{path}/{second['id']}/revoke").json()["state"] == "revoked"
    assert Api(seeker).post(f"/matching/projects/{private.pk}/join").status_code == 404


def test_opening_a_public_project_notifies_the_best_fitting_workers_after_commit(
    org, people, immediate_tasks, django_capture_on_commit_callbacks
) -> None:
    history = history_project(org, people["owner"], "ocr", "OCR history")
    good, poor = make_user("good"), make_user("poor")
    simulate(project=history, worker=good, reviewer=people["reviewer"], approved=10, seconds=30)
    simulate(project=history, worker=poor, reviewer=people["reviewer"], approved=1, rejected=9, seconds=30)
    refresh_all()
    project = create_project(
        organization=org, actor=people["manager"], name="New receipts", spec=OCR_SPEC, price_per_item=400,
        visibility=ProjectVisibility.PUBLIC,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from dure.projects.services import set_status

        set_status(project=project, status="open")
    assert callbacks  # the request only enqueued; the job did the rest
    told = set(
        Notification.objects.filter(kind="project_match").values_list("recipient__username", flat=True)
    )
    assert told == {"good"}
    note = Notification.objects.get(kind="project_match")
    assert note.link == f"/matching/projects/{project.pk}/" and note.data["price"] == 400
    # Edited while open: nobody is told twice, and a private project tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        update_project(project=project, changes={"description": "더 많은 영수증"})
    assert Notification.objects.filter(kind="project_match").count() == 1
    hidden = create_project(organization=org, actor=people["manager"], name="Hidden", spec=OCR_SPEC)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(project=hidden, status="open")
    assert Notification.objects.filter(kind="project_match").count() == 1


def test_visibility_and_language_through_the_project_api(api, people) -> None:
    created = api("manager").post(
        "/projects", {"name": "Open one", "spec": CHOICE_SPEC, "visibility": "public", "language": "ko"}
    )
    assert created.status_code == 201 and created.json()["visibility"] == "public"
    assert (
        api("manager")
        .post("/projects", {"name": "x", "spec": CHOICE_SPEC, "visibility": "world"})
        .status_code
        == 422
    )
    project_id = created.json()["id"]
    changed = api("manager").patch(f"/projects/{project_id}", {"visibility": "private"})
    assert changed.json()["visibility"] == "private"
    assert api("worker").patch(f"/projects/{project_id}", {"visibility": "public"}).status_code in {403, 404}


def test_invitation_rows_are_scoped(people, private, seeker) -> None:
    invitation = services.invite(actor=people["owner"], project=private, user="seeker")
    assert list(selectors.invitations_of(user=people["worker"])) == []
    assert ProjectInvitation.objects.get(pk=invitation.pk).invited_by == people["owner"]


def test_the_sweep_refreshes_projects_and_enqueues_the_worker_refresh(
    org, people, public, immediate_tasks
) -> None:
    from dure.matching import jobs
    from dure.matching.models import ProjectFeatures, WorkerFeatures

    history = history_project(org, people["owner"], "ocr", "OCR history")
    simulate(project=history, worker=people["worker2"], reviewer=people["reviewer"], approved=5, seconds=20)
    ProjectFeatures.objects.all().delete()
    done = jobs.sweep_if_due(now=10**9)
    assert done == {"projects": 2, "workers": 1}
    assert ProjectFeatures.objects.filter(project=public, data_type="ocr").exists()
    features = WorkerFeatures.objects.get(user=people["worker2"])
    assert features.skills["ocr"][:3] == [5, 1.0, 20.0] and features.skills["ocr"][3] == 0.0
    assert jobs.sweep_if_due(now=10**9 + 1) is None  # not due again yet
    jobs._last.update(projects=0.0, workers=0.0)


def test_inviting_to_the_qualification_test(
    api, people, private, seeker, immediate_tasks, django_capture_on_commit_callbacks
) -> None:
    from dure.academy.models import ProjectRequirement
    from tests.academy.factories import make_academy
    from tests.conftest import Api

    exam = make_academy()
    ProjectRequirement.objects.create(project=private, qualification_exam=exam)
    with django_capture_on_commit_callbacks(execute=True):
        response = api("manager").post(
            f"/projects/{private.pk}/invitations", {"user": "seeker", "kind": "qualification"}
        )
    assert response.status_code == 201 and response.json()["kind"] == "qualification"
    notification = Notification.objects.get(recipient=seeker, kind="project_invitation")
    assert notification.data["qualification"] is True
    accepted = Api(seeker).post(f"/matching/invitations/{response.json()['id']}/accept")
    assert accepted.json()["next_url"] == f"/academy/exams/{exam.pk}/"
    # A member now, but dispatch still waits for the passed test (the academy's requirement).
    work = Api(seeker).post(f"/projects/{private.pk}/assignments/next")
    assert work.status_code == 403 and work.json()["code"] == "qualification_required", work.json()
