from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "emdash.core"
    label = "core"
    verbose_name = "EmDash core"
