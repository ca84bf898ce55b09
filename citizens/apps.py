from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Citizens and places")

    def ready(self) -> None:
        from cases.dbguards import register_append_only
        from citizens.idnumbers import check_keys

        # Its SQLite guard is renewed after every migrate, like the cases' logs.
        register_append_only("citizens_personaccesslog", "the person access log is")

        # Fail at start-up, not at the first person saved, when production has no keys.
        check_keys()
