from django.core.management.base import BaseCommand, CommandError

from cases.api.auth import agency_key_issue
from cases.models import SourceChannel
from cases.services import PUBLIC_CHANNELS


class Command(BaseCommand):
    help = (
        "Issue (or rotate) the API key of another agency's system; the key is printed once. "
        "Revoke keys in the admin."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the agency, e.g. '12345 政务服务热线'")
        parser.add_argument(
            "--source",
            required=True,
            choices=sorted(PUBLIC_CHANNELS),
            help="the channel its reports arrive through",
        )

    def handle(self, *args: object, **options: object) -> None:
        name = str(options["name"]).strip()
        if not name:
            raise CommandError("agency name: must not be empty")
        issued = agency_key_issue(name=name, source=SourceChannel(str(options["source"])))
        self.stdout.write(f"{issued.row.name} ({issued.row.source}): {issued.key}")
        self.stdout.write(
            "Send it with every request as the X-Api-Key header. It is not shown again."
        )
