from django.urls import path

from dure.assist import views

app_name = "assist"

urlpatterns = [
    path("projects/<int:project_id>/assist/", views.assist_page, name="page"),
    path("projects/<int:project_id>/assist/jobs/<int:assist_job_id>/", views.job_row, name="job_row"),
    path("projects/<int:project_id>/assist/jobs/<int:assist_job_id>/cancel/", views.cancel, name="cancel"),
]
