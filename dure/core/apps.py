from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dure.core"
    label = "core"

    def ready(self) -> None:
        from dure.core import checks  # noqa: F401  (registers system checks)
