from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.api.auth import (
            tokens_check_credentials_change,
            tokens_revoke_after_credentials_change,
        )
        from cases.dbguards import ensure_after_migrate
        from cases.tables import connect_signals

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="cases-append-only")
        # The settings tables are cached; a save or delete forgets them (cases.tables).
        connect_signals()
        # API tokens die with a password change and with deactivation (cases.api.auth).
        user_model = settings.AUTH_USER_MODEL
        pre_save.connect(
            tokens_check_credentials_change, sender=user_model, dispatch_uid="tokens-check"
        )
        post_save.connect(
            tokens_revoke_after_credentials_change, sender=user_model, dispatch_uid="tokens-revoke"
        )
