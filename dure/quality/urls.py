from django.urls import path

from dure.quality import acceptance_views, views

app_name = "quality"

urlpatterns = [
    path("projects/<int:project_id>/quality/", views.quality, name="project"),
    path("projects/<int:project_id>/quality/adjudication/", views.adjudication, name="adjudication"),
    path("projects/<int:project_id>/deliveries/", acceptance_views.deliveries, name="deliveries"),
    path(
        "projects/<int:project_id>/deliveries/<int:delivery_id>/", acceptance_views.delivery, name="delivery"
    ),
    path(
        "projects/<int:project_id>/deliveries/<int:delivery_id>/inspect/",
        acceptance_views.inspect_next,
        name="inspect",
    ),
    path(
        "projects/<int:project_id>/deliveries/<int:delivery_id>/samples/<int:item_id>/",
        acceptance_views.sample,
        name="sample",
    ),
    path(
        "projects/<int:project_id>/deliveries/<int:delivery_id>/certificate/",
        acceptance_views.certificate_page,
        name="delivery_certificate",
    ),
    path(
        "projects/<int:project_id>/deliveries/<int:delivery_id>/certificate.pdf",
        acceptance_views.certificate_pdf,
        name="delivery_certificate_pdf",
    ),
]
