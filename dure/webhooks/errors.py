from django.utils.translation import gettext_lazy as _

from dure.core.errors import InvalidInput, NotFound


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    default_message = _("Webhook not found.")


class WebhookUrlRefused(InvalidInput):
    code = "webhook_url_refused"
    default_message = _("Webhooks must go to a public http(s) address.")
