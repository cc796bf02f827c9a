from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "emdash.site"
    label = "emdash_site"
    verbose_name = "EmDash public site"
