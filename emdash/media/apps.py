from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "emdash.media"
    label = "media"
    verbose_name = "EmDash media"
