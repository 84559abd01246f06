from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from dure.accounts import sso
from dure.api import api, unknown_endpoint
from dure.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_endpoint),
    # The operator signs in where everyone does, so the second factor cannot be skipped through the admin.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="web:login", query_string=True),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
    path("sso/start/", sso.sso_start, name="oidc_authentication_init"),
    path("sso/callback/", sso.sso_callback, name="oidc_authentication_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dure.accounts.urls")),
    path("", include("dure.payments.urls")),
    path("", include("dure.datasets.urls")),
    path("", include("dure.academy.urls")),
    path("", include("dure.quality.urls")),
    path("", include("dure.notices.urls")),
    path("", include("dure.assist.urls")),
    path("", include("dure.matching.urls")),
    path("", include("dure.web.urls")),
]
