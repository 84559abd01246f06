from django.urls import path

from dure.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/two-factor/", views.second_step, name="second_step"),
    path("settings/two-factor/", views.two_factor, name="two_factor"),
    path("invitations/<str:key>/", views.invitation, name="invitation"),
]
