from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Layers and data centre")

    def ready(self) -> None:
        from grids.signals import demo_seeded
        from layers.sources import register_builtin_sources

        register_builtin_sources()
        demo_seeded.connect(_register_builtin_layers, dispatch_uid="layers-builtin")


def _register_builtin_layers(sender: Any, **kwargs: Any) -> None:
    from layers.catalogue import layers_register_builtin

    layers_register_builtin()
