from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.dbguards import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="cases-append-only")
