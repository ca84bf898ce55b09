from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.docs import render_workflow_markdown

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "workflow.md"


class Command(BaseCommand):
    help = "Render the case workflow table to docs/workflow.md (--check: fail if it is stale)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
        parser.add_argument("--output", default=str(DEFAULT_PATH))

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["output"]))
        text = render_workflow_markdown()
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(
                    f"{path}: out of date with cases/workflow.py; run manage.py render_workflow"
                )
            self.stdout.write(f"{path} is current")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
