from django.urls import path

from dure.datasets import views

app_name = "datasets"

urlpatterns = [
    path("projects/<int:project_id>/datasets/", views.jobs_page, name="jobs"),
    path("projects/<int:project_id>/datasets/jobs/<int:job_id>/", views.job_row, name="job_row"),
    path("projects/<int:project_id>/datasets/jobs/<int:job_id>/cancel/", views.cancel, name="cancel"),
    path("media/signed/<str:token>", views.signed_media, name="media"),
]
