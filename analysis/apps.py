from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = _("Analysis and early warning")

    def ready(self) -> None:
        from analysis.alarms import TOPIC_LABELS
        from dispatch.notifications import register_topic_labels

        # Alarms leave through the outbox like every notice; the inbox reads their labels.
        register_topic_labels(TOPIC_LABELS)
