from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "voc.accounts"
    label = "accounts"
