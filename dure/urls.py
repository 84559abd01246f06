from django.contrib import admin
from django.urls import include, path, re_path

from dure.api import api, unknown_endpoint

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_endpoint),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dure.payments.urls")),
    path("", include("dure.datasets.urls")),
    path("", include("dure.web.urls")),
]
