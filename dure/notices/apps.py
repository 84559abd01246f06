from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "dure.notices"
    label = "notices"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from dure.notices import signals

        signals.connect()
