from django.core.management.base import BaseCommand, CommandError

from exchange.services import SubscriptionInvalid, subscription_create


def _list(values: list[str] | None) -> list[str]:
    """--events a b, --events a,b and repeated --events all read the same."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


class Command(BaseCommand):
    help = (
        "Subscribe another agency's system to case events by webhook; prints the signing "
        "secret once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the subscription's name, e.g. '区应急局'")
        parser.add_argument("url", help="where events are POSTed (http or https)")
        parser.add_argument(
            "--events", nargs="+", action="extend", help="case actions (default: all)"
        )
        parser.add_argument("--items", nargs="+", action="extend", help="item codes (default: all)")
        parser.add_argument("--region", default="", help="a region code (default: all)")
        parser.add_argument(
            "--answers-back",
            default="",
            metavar="AGENCY",
            help="instead: the callback of this agency key's own cases (state changes, close)",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            created = subscription_create(
                name=str(options["name"]),
                url=str(options["url"]),
                events=_list(options["events"]),  # type: ignore[arg-type]
                items=_list(options["items"]),  # type: ignore[arg-type]
                region=str(options["region"] or "").strip(),
                answers_back_for=str(options["answers_back"] or "").strip(),
            )
        except SubscriptionInvalid as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(created.secret)
        self.stderr.write(
            f"Subscription {created.subscription.name} → {created.subscription.url}. "
            "The secret above signs every delivery (Wangge-Signature); it is not shown again."
        )
