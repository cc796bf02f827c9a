from django.apps import AppConfig


class AdminConfig(AppConfig):
    name = "emdash.admin"
    label = "emdash_admin"
    verbose_name = "EmDash admin"
