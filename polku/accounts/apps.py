from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "polku.accounts"
    label = "accounts"
