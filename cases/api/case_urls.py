"""Case endpoints (list, detail, report, actions, unit queue, one-window intake, sync)."""

urlpatterns: list = []
