"""Make a VAPID key pair for Web Push and print the settings lines (for .env)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dispatch.webpush import vapid_keys_generate


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for Web Push as lines for .env (keep the private key secret)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = vapid_keys_generate()
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"# public key (browsers get it from /api/v1/me/push/): {public}")
