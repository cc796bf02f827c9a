from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "emdash.plugins"
    label = "plugins"
    verbose_name = "EmDash plugins"
