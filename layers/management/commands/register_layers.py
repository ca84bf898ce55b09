"""`manage.py register_layers`: the catalogue entries of our own tables, and fresh counts.

seed_demo does this for the demo; an install that loads its own regions runs it once (and may
run it again: it creates what is missing, leaves what an administrator edited, recounts).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from layers.catalogue import layers_refresh_stats, layers_register_builtin


class Command(BaseCommand):
    help = (
        "Register the built-in layers (regions, components, resources, cameras, buildings, "
        "parcels) in the catalogue and recount every layer's rows. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        layers = layers_register_builtin()
        counted = layers_refresh_stats()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"{len(layers)} built-in layers registered; {counted} layers recounted."
            )
