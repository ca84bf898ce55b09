from django.core.management.base import BaseCommand, CommandError

from cases.errors import InvalidInput
from cases.intake import CITIZEN_CHANNELS
from citizens.open311.services import open311_client_issue


class Command(BaseCommand):
    help = (
        "Issue (or rotate) the api_key of an Open311 client app; the key is printed once. "
        "Deactivate clients in the admin."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the client app, e.g. '市北随手拍'")
        parser.add_argument("--contact", default="", help="who runs it (email or phone)")
        parser.add_argument(
            "--source",
            default="citizen_app",
            choices=sorted(CITIZEN_CHANNELS),
            help="the channel its reports arrive through (default citizen_app)",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            issued = open311_client_issue(
                name=str(options["name"]),
                contact=str(options["contact"]),
                source=str(options["source"]),
            )
        except InvalidInput as exc:
            raise CommandError(f"open311_client: {exc.message}") from exc
        self.stdout.write(f"{issued.client.name} ({issued.client.source}): {issued.key}")
        self.stdout.write("Send it as api_key when posting requests. It is not shown again.")
