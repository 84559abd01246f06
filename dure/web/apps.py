from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dure.web"
    label = "web"
