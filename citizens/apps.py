from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Citizens and places")

    def ready(self) -> None:
        from citizens.idnumbers import check_keys

        # Fail at start-up, not at the first person saved, when production has no keys.
        check_keys()
