from django.urls import path

from dure.quality import views

app_name = "quality"

urlpatterns = [
    path("projects/<int:project_id>/quality/", views.quality, name="project"),
    path("projects/<int:project_id>/quality/adjudication/", views.adjudication, name="adjudication"),
]
