from django.urls import path

from dure.matching import views

app_name = "matching"

urlpatterns = [
    path("matching/", views.index, name="index"),
    path("matching/profile/", views.profile, name="profile"),
    path("matching/talent/", views.talent, name="talent"),
    path("matching/projects/<int:project_id>/", views.project, name="project"),
    path("matching/projects/<int:project_id>/join/", views.join, name="join"),
    path("matching/projects/<int:project_id>/invite/", views.invite, name="invite"),
    path("matching/projects/<int:project_id>/visibility/", views.visibility, name="visibility"),
    path("matching/invitations/<int:invitation_id>/accept/", views.accept, name="accept"),
    path("matching/invitations/<int:invitation_id>/decline/", views.decline, name="decline"),
]
