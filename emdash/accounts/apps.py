from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "emdash.accounts"
    label = "accounts"
    verbose_name = "EmDash accounts"
