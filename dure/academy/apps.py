from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_eligibility(**kwargs: object) -> None:
    from dure.quality.selectors import forget_profiles

    forget_profiles()


class AcademyConfig(AppConfig):
    name = "dure.academy"
    label = "academy"
    verbose_name = _("Academy")

    def ready(self) -> None:
        from dure.academy.models import ProjectRequirement, UserCertification

        # Requirements and certificates decide who may take a project's items; dispatch caches that answer.
        for model in (ProjectRequirement, UserCertification):
            post_save.connect(
                _forget_eligibility, sender=model, dispatch_uid=f"academy-save-{model.__name__}"
            )
            post_delete.connect(
                _forget_eligibility, sender=model, dispatch_uid=f"academy-del-{model.__name__}"
            )
