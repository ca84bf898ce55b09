from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Citizens and places")

    def ready(self) -> None:
        from cases.dbguards import register_append_only
        from citizens.idnumbers import check_keys
        from citizens.layers import register_registry_layers
        from grids.signals import demo_seeded

        # Its SQLite guard is renewed after every migrate, like the cases' logs.
        register_append_only("citizens_personaccesslog", "the person access log is")

        # Buildings and parcels are layers of the catalogue (layers cannot import citizens).
        register_registry_layers()

        # seed_demo's demo accounts include a citizen (README); grids cannot import citizens.
        demo_seeded.connect(_seed_demo_citizen, dispatch_uid="citizens-demo-citizen")

        # Fail at start-up, not at the first person saved, when production has no keys.
        check_keys()


def _seed_demo_citizen(sender: Any, *, accounts: bool, password: str, **kwargs: Any) -> None:
    from citizens.demo import seed_demo_citizen

    if accounts:
        seed_demo_citizen(password=password)
