from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget(**kwargs: object) -> None:
    from dure.quality.selectors import forget_profiles

    forget_profiles()


class QualityConfig(AppConfig):
    name = "dure.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from dure.quality.models import GoldItem, Pause, QualitySettings

        for model in (GoldItem, Pause, QualitySettings):
            post_save.connect(_forget, sender=model, dispatch_uid=f"quality-save-{model.__name__}")
            post_delete.connect(_forget, sender=model, dispatch_uid=f"quality-del-{model.__name__}")
