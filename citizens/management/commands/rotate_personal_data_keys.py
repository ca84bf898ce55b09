"""Re-encrypt every stored ID number under the first key of PERSONAL_DATA_KEYS.

Rotation: put the new key first in PERSONAL_DATA_KEYS (keep the old ones after it), restart,
run this, then drop the old keys. Batches of rows, each batch its own transaction, so a run
can stop and be run again. The keyed hashes are not touched (PERSONAL_DATA_HASH_KEY does not
rotate: changing it means recomputing them from the decrypted numbers, which this does with
--rehash).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from citizens import idnumbers
from citizens.models import Person


class Command(BaseCommand):
    help = "Re-encrypt stored ID numbers under the newest personal-data key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument(
            "--rehash", action="store_true", help="Also recompute the lookup hashes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        last_pk, done, unreadable = 0, 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Person.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .exclude(id_number_encrypted="")
                    .order_by("pk")
                    .only("pk", "id_number_encrypted", "id_number_hash")[: options["batch"]]
                )
                if not batch:
                    break
                for person in batch:
                    number = idnumbers.decrypt(person.id_number_encrypted)
                    if number == "?":
                        unreadable += 1
                        continue
                    person.id_number_encrypted = idnumbers.reencrypt(person.id_number_encrypted)
                    if options["rehash"]:
                        person.id_number_hash = idnumbers.keyed_hash(number)
                Person.objects.bulk_update(batch, ["id_number_encrypted", "id_number_hash"])
            last_pk = batch[-1].pk
            done += len(batch)
        if unreadable:
            raise CommandError(
                f"{unreadable} ID numbers open with none of PERSONAL_DATA_KEYS; "
                f"the other {done - unreadable} were re-encrypted."
            )
        self.stdout.write(f"{done} ID numbers re-encrypted under the newest key.")
