"""The embedded default's broker: kombu's filesystem transport, made safe to read while written.

kombu writes a message by creating its file under the final name and then writing into it; a
worker polling the folder at that moment moves the file away and reads it empty or cut short,
and "Unrecoverable error: JSONDecodeError" stopped the worker (issue 14). Here a message is
written under a temporary name that no queue matches and renamed into place when complete
(a rename within one folder is atomic), and a message file that still cannot be decoded (written
by something else) is dropped with a logged error instead of killing the worker.

config/__init__.py points the `filesystem://` URL at this transport in every process (web,
worker, beat, manage.py), so the settings and the health check need no other name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".part"  # never "<queue>.msg": pollers skip it


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        fd, temp = tempfile.mkstemp(dir=self.data_folder_out, prefix="~", suffix=TEMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(temp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str, timeout: Any = None) -> Any:
        # A message that cannot be decoded is dropped and the next one read: one bad file
        # must not stop the worker (kombu's own _get raises, and Celery calls that fatal).
        while True:
            try:
                return super()._get(queue)
            except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
                logger.error("Dropped an unreadable broker message on %s: %s", queue, exc)

    def get_table(self, exchange: str) -> Any:
        # The exchange table is rewritten in place (truncate, then write); a reader between
        # the two sees it empty. Read again rather than fail.
        for _ in range(20):
            try:
                return super().get_table(exchange)
            except json.JSONDecodeError:
                time.sleep(0.05)
        return super().get_table(exchange)


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    TRANSPORT_ALIASES["filesystem"] = "config.broker:Transport"
