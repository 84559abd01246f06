from django.contrib.auth import views as auth_views
from django.urls import path

from dure.accounts import views as account_views
from dure.web import media, project_views, views, workspace_views

app_name = "web"

urlpatterns = [
    path("", project_views.home, name="home"),
    path("login/", account_views.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("projects/new/", project_views.project_create, name="project_create"),
    path("projects/builder/rows/", project_views.builder_rows, name="builder_rows"),
    path("projects/builder/preview/", project_views.builder_preview, name="builder_preview"),
    path("projects/guideline-preview/", project_views.guideline_preview, name="guideline_preview"),
    path("projects/<int:project_id>/", project_views.project_page, name="project"),
    path("projects/<int:project_id>/edit/", project_views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/status/", project_views.project_status, name="project_status"),
    path("projects/<int:project_id>/members/", project_views.members, name="members"),
    path("projects/<int:project_id>/items/", project_views.item_list, name="items"),
    path("projects/<int:project_id>/items/upload/", project_views.item_upload, name="item_upload"),
    path("projects/<int:project_id>/items/<int:item_id>/", project_views.item_detail, name="item"),
    path("projects/<int:project_id>/work/", workspace_views.work, name="work"),
    path("projects/<int:project_id>/review/", workspace_views.review, name="review"),
    path("media/<path:path>", media.media, name="media"),
]
