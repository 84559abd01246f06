"""Money over HTTP, per role: budgets and statements for the client, earnings and payouts for the crowd,
transfer batches for the platform operator; and the pages that show them."""

from __future__ import annotations

import pytest
from django.test import Client

from dure.accounts.services import create_user
from dure.payments import services
from dure.payments.models import Payout, PayoutState
from dure.work.services import add_items, decide, lease_next_item, lease_next_review, submit
from tests.conftest import PASSWORD, Api
from tests.web.test_pages import signed_in

ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


@pytest.fixture
def funded(make_project, people):
    project = make_project(price_per_item=6_000, review_price=500)
    services.deposit(project=project, amount=1_000_000, actor=people["manager"])
    add_items(project=project, records=[{"text": f"t{i}"} for i in range(3)])
    for _ in range(3):
        assignment = lease_next_item(worker=people["worker"], project=project)
        submit(worker=people["worker"], assignment_id=assignment.pk, answer={"label": "pos"})
        review = lease_next_review(reviewer=people["reviewer"], project=project)
        decide(reviewer=people["reviewer"], review_id=review.pk, decision="approve")
    return project


@pytest.fixture
def operator(db):
    user = create_user(username="operator", password=PASSWORD)
    user.is_staff = True
    user.save()
    return user


EXPECTED_BUDGET = {
    "owner": 200,
    "manager": 200,
    "viewer": 200,
    "reviewer": 403,
    "worker": 403,
    "outsider": 404,
    "anonymous": 401,
}
EXPECTED_DEPOSIT = {**EXPECTED_BUDGET, "viewer": 403, "owner": 201, "manager": 201}


@pytest.mark.parametrize("role", ROLES)
def test_budget_statement_and_deposit_by_role(funded, api, role):
    client = api(role)
    assert client.get(f"/projects/{funded.pk}/budget").status_code == EXPECTED_BUDGET[role]
    assert client.get(f"/projects/{funded.pk}/statement").status_code == EXPECTED_BUDGET[role]
    assert client.get(f"/projects/{funded.pk}/fair-pay").status_code == EXPECTED_BUDGET[role]
    response = client.post(f"/projects/{funded.pk}/budget/deposits", {"amount": 5_000, "reference": "INV-2"})
    assert response.status_code == EXPECTED_DEPOSIT[role], response.content
    advice = client.get(f"/projects/{funded.pk}/price-advice").status_code
    assert advice == {**EXPECTED_DEPOSIT, "owner": 200, "manager": 200}[role]


def test_budget_numbers_and_a_retried_deposit_counting_once(funded, api):
    manager = api("manager")
    for _ in range(2):
        response = manager.post(
            f"/projects/{funded.pk}/budget/deposits", {"amount": 5_000, "idempotency_key": "bank-tx-77"}
        )
        assert response.status_code == 201
    budget = manager.get(f"/projects/{funded.pk}/budget").json()
    assert budget["deposited"] == 1_005_000
    assert budget["spent"] == {"items": 18_000, "reviews": 1_500, "top_ups": 0}
    assert budget["fees"] == 1_950
    assert budget["balance"] == 1_005_000 - 18_000 - 1_500 - 1_950


def test_bad_money_input_is_a_clear_4xx(funded, api):
    manager = api("manager")
    assert (
        manager.post(f"/projects/{funded.pk}/budget/deposits", {"amount": -5}).json()["code"]
        == "invalid_input"
    )
    assert manager.post(f"/projects/{funded.pk}/budget/deposits", {"amount": 1.5}).status_code == 422
    response = manager.get(f"/projects/{funded.pk}/statement?month=2026-13")
    assert response.status_code == 422
    assert response.json()["details"]["field"] == "month"


def test_statement_csv_opens_in_excel(funded, api):
    response = api("manager").get(f"/projects/{funded.pk}/statement?format=csv")
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffitem,value")
    assert "items_approved,3" in body


def test_a_worker_is_paid_out_through_the_api(funded, api, operator, people):
    worker = api("worker")
    assert worker.get("/me/earnings").json()["available"] == 18_000
    response = worker.post("/me/payouts", {})
    assert response.status_code == 409
    assert response.json()["code"] == "bank_account_missing"
    response = worker.call(
        "put", "/me/bank-account", {"bank": "카카오뱅크", "number": "3333-01-1234567", "holder": "작업자"}
    )
    assert response.status_code == 200, response.content
    response = worker.post("/me/payouts", {"amount": 100_000})
    assert response.json()["code"] == "insufficient_balance"
    payout = worker.post("/me/payouts", {"idempotency_key": "click-1"}).json()
    assert (payout["gross"], payout["income_tax"], payout["local_tax"], payout["net"]) == (
        18_000,
        540,
        50,
        17_410,
    )
    # a double click with the same key is one payout
    assert worker.post("/me/payouts", {"idempotency_key": "click-1"}).json()["id"] == payout["id"]
    assert Payout.objects.count() == 1

    # Only the platform operator makes transfer batches.
    for role in ["owner", "manager", "worker"]:
        assert api(role).post("/payout-batches").status_code == 403
    staff = Api(operator)
    batch = staff.post("/payout-batches").json()
    assert batch["total_net"] == 17_410
    transfers = staff.get(f"/payout-batches/{batch['id']}/transfers.csv").content.decode()
    assert "카카오뱅크,3333-01-1234567,작업자,17410" in transfers
    assert staff.post("/payout-batches").status_code == 204
    paid = staff.post(f"/payouts/{payout['id']}/paid").json()
    assert paid["state"] == PayoutState.PAID
    assert staff.post(f"/payouts/{payout['id']}/failed", {"reason": "x"}).json()["code"] == "payout_settled"
    assert worker.get("/me/earnings").json()["paid_out"] == 17_410
    statement = worker.get("/me/earnings/statement.csv").content.decode()
    assert "approval" in statement and "payout" in statement


def test_people_see_only_their_own_money(funded, api, people):
    Api(people["worker"]).call(
        "put", "/me/bank-account", {"bank": "국민", "number": "123456789", "holder": "w"}
    )
    api("worker").post("/me/payouts", {})
    assert api("worker2").get("/me/payouts").json() == []
    assert api("worker2").get("/me/earnings").json()["available"] == 0
    assert api("reviewer").get("/me/earnings").json()["from_reviews"] == 1_500


def test_settlement_and_platform_report_are_for_the_operator(funded, api, operator):
    assert api("owner").post("/settlements", {}).status_code == 403
    response = Api(operator).post("/settlements", {"start": "2026-01-01", "end": "2027-01-01"})
    assert response.status_code == 201, response.content
    assert Api(operator).get("/fair-pay").status_code == 200


def test_pages_by_role(funded, people, operator):
    assert signed_in(people["worker"]).get("/earnings/").status_code == 200
    assert signed_in(people["manager"]).get(f"/projects/{funded.pk}/budget/").status_code == 200
    assert signed_in(people["worker"]).get(f"/projects/{funded.pk}/budget/").status_code == 403
    assert signed_in(people["outsider"]).get(f"/projects/{funded.pk}/budget/").status_code == 404
    assert signed_in(people["owner"]).get("/operator/payouts/").status_code == 403
    assert signed_in(operator).get("/operator/payouts/").status_code == 200
    home = signed_in(people["manager"]).get("/").content.decode()
    assert f"/projects/{funded.pk}/budget/" in home
    assert f"/projects/{funded.pk}/budget/" not in signed_in(people["worker"]).get("/").content.decode()


def test_manager_adds_budget_on_the_page(funded, people):
    client = signed_in(people["manager"])
    response = client.post(
        f"/projects/{funded.pk}/budget/", {"amount": "250000", "reference": "세금계산서 11월"}, follow=True
    )
    assert "The deposit was added to the budget." in response.content.decode()
    assert Client().get(f"/projects/{funded.pk}/budget/").status_code == 302  # signed out: to the login page
