"""`manage.py demo_banner --port 8000`: where the running platform is and how to log in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from grids.demo.seed import DEFAULT_DEMO_PASSWORD, DEMO_ACCOUNTS, demo_password
from grids.models import User


class Command(BaseCommand):
    help = "Print the platform's URLs and the demo logins (run by `make run` before serving)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="The port served on.")
        parser.add_argument("--host", default="127.0.0.1", help="The host served on.")

    def handle(self, *args: Any, **options: Any) -> None:
        base = f"http://{options['host']}:{options['port']}"
        password = demo_password()
        usernames = [account.username for account in DEMO_ACCOUNTS]
        try:
            existing = set(
                User.objects.filter(username__in=usernames).values_list("username", flat=True)
            )
        except DatabaseError:
            # The banner must never stop `make run`; without a database, list them all.
            existing = set(usernames)
        width = max(len(name) for name in usernames)
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Wangge 网格 is starting"))
        out.write(f"  platform   {base}/")
        out.write(f"  admin      {base}/admin/")
        out.write(f"  API        {base}/api/v1/")
        out.write(f"  API docs   {base}/api/docs/")
        out.write(f"  health     {base}/healthz")
        out.write(f"  inspector app (城管通)  {base}/m/")
        out.write(f"  citizens' app           {base}/c/")
        out.write("")
        if not existing:
            out.write("  No demo accounts (seed_demo ran with --no-accounts, or has not run).")
            out.write("")
            return
        source = "from $DEMO_PASSWORD" if password != DEFAULT_DEMO_PASSWORD else "the default"
        out.write(f"  Demo logins, password {password} ({source}):")
        for account in DEMO_ACCOUNTS:
            if account.username in existing:
                out.write(f"    {account.username:<{width}}  {account.role:<17} {account.label}")
        out.write(f"  Demo citizen at {base}/c/: phone 13800138000, the same password.")
        out.write("")
