from django.urls import path

from dure.academy import views

app_name = "academy"

urlpatterns = [
    path("academy/", views.academy, name="index"),
    path("academy/courses/<slug:slug>/", views.course, name="course"),
    path("academy/exams/<int:exam_id>/", views.exam, name="exam"),
    path("academy/exams/<int:exam_id>/start/", views.exam_start, name="exam_start"),
    path(
        "academy/exams/<int:exam_id>/attempts/<int:attempt_id>/submit/", views.exam_submit, name="exam_submit"
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/pauses/<int:pause_id>/appeal/", views.appeal, name="appeal"),
]
