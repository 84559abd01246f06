from django.urls import path

from dure.notices import views

app_name = "notices"

urlpatterns = [
    path("notifications/", views.notifications, name="list"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="open"),
    path("notifications/email/", views.email_settings, name="email_settings"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("projects/<int:project_id>/questions/", views.questions, name="questions"),
    path("projects/<int:project_id>/announcements/", views.announcements, name="announcements"),
    path(
        "projects/<int:project_id>/announcements/<int:announcement_id>/read/",
        views.announcement_read,
        name="announcement_read",
    ),
]
