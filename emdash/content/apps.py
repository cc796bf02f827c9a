from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "emdash.content"
    label = "content"
    verbose_name = "EmDash content"
