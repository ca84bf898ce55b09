from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.models import Outbox
        from cases.partitions import register_partitioned
        from dispatch import notifications

        # Evaluation facts are partitioned by month of their day on PostgreSQL (migration 0009).
        register_partitioned("dispatch_evaluationfact", "day", timestamp=False)

        # Wiring only: a committed outbox row kicks a delivery task (the beat sweep is the
        # backstop when the broker is down).
        post_save.connect(
            notifications.outbox_saved, sender=Outbox, dispatch_uid="dispatch_outbox_kick"
        )
