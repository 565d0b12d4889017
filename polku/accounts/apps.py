from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "polku.accounts"
    label = "accounts"

    def ready(self) -> None:
        from polku.accounts.emails import password_reset_email
        from polku.core.email import email_kinds

        email_kinds.register("accounts.password_reset", password_reset_email)
