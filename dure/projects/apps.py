from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_access(**kwargs: object) -> None:
    from dure.projects.selectors import forget_access

    forget_access()


class ProjectsConfig(AppConfig):
    name = "dure.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from dure.accounts.models import Membership, User
        from dure.projects.models import Project, ProjectMember

        # Any saved role or project setting clears this process's access cache (see selectors.project_access).
        for model in (Project, ProjectMember, Membership, User):
            post_save.connect(
                _forget_access, sender=model, dispatch_uid=f"forget-access-save-{model.__name__}"
            )
            post_delete.connect(
                _forget_access, sender=model, dispatch_uid=f"forget-access-delete-{model.__name__}"
            )
