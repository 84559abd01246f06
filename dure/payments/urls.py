from django.urls import path

from dure.payments import views

app_name = "payments"

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/statement.csv", views.statement_csv, name="statement_csv"),
    path("projects/<int:project_id>/budget/", views.budget, name="budget"),
    path("operator/payouts/", views.payouts, name="payouts"),
    path("operator/payouts/<str:action>/", views.payout_action, name="payout_action"),
    path("operator/payouts/<int:payout_id>/<str:action>/", views.payout_action, name="payout_item_action"),
    path("operator/batches/<int:batch_id>/transfers.csv", views.batch_csv, name="batch_csv"),
]
