from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Exchange with other agencies")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.models import CaseEvent
        from exchange import events

        # Wiring only: every case event is recorded for the feed and the webhooks in the
        # transaction that wrote it (exchange.events.exchange_event_record).
        post_save.connect(events.case_event_saved, sender=CaseEvent, dispatch_uid="exchange_event")
        events.connect_signals()
