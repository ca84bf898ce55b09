from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and organisation")

    def ready(self) -> None:
        from grids.spatialite import repair_after_migrate

        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="grids-spatialite")
