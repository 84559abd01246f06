from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_tokens(**kwargs: object) -> None:
    from dure.accounts.services import forget_cached_tokens

    forget_cached_tokens()


class AccountsConfig(AppConfig):
    name = "dure.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from dure.accounts.models import ApiToken, User

        # A saved or deleted token or user (revoked, deactivated) clears this process's token cache.
        for model in (ApiToken, User):
            post_save.connect(
                _forget_tokens, sender=model, dispatch_uid=f"forget-tokens-save-{model.__name__}"
            )
            post_delete.connect(
                _forget_tokens, sender=model, dispatch_uid=f"forget-tokens-delete-{model.__name__}"
            )
