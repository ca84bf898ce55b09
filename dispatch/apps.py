from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.models import Outbox
        from dispatch import notifications

        # Wiring only: a committed outbox row kicks a delivery task (the beat sweep is the
        # backstop when the broker is down).
        post_save.connect(
            notifications.outbox_saved, sender=Outbox, dispatch_uid="dispatch_outbox_kick"
        )
