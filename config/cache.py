"""The shared cache on Redis, failing open.

With CACHE_URL on Redis, every API request reads the cache (DRF's throttles count requests
there), so a Redis that is down or unreachable made every request a 500. This backend turns a
Redis error into a cache miss: reads return the default, writes are dropped, `add` reports
nothing added (so a lock taken through it is simply not taken), `incr` raises ValueError as
for a missing key. Requests are then served without rate limits until Redis is back, and a
warning is logged (at most once a minute per process, with how many errors it stands for).

Nothing that must not be lost is kept in the cache: cases, events and the outbox live in the
database; login lockouts (django-axes) too. Redis comes back by itself: the connection pool
reconnects on the next command.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger("wangge.cache")

# Connecting to and answering from Redis on the same network takes milliseconds; a request
# must not hang for long on a Redis that has gone silent (the default is to wait forever).
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
WARN_EVERY_SECONDS = 60.0
_FAILURES = (RedisError, OSError)


class _Warnings:
    """One warning a minute per process, counting the errors in between."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0
        self._suppressed = 0

    def failed(self, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < WARN_EVERY_SECONDS and self._last:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        log.warning(
            "cache unavailable, failing open (no rate limits until it is back): %s: %s: %s%s",
            operation,
            type(exc).__name__,
            exc,
            f" ({suppressed} more errors since the last warning)" if suppressed else "",
        )


class OneClientPerPool(RedisCacheClient):
    """Django's Redis client, keeping one `redis.Redis` per connection pool.

    Django makes a new `redis.Redis` for every cache call, and each sets up its ~150 reply
    callbacks: an API request makes five or six cache calls (throttle, tables, place names),
    and the set-up was ~1 ms of its Python time (docs/performance.md §16). A `redis.Redis` is
    a thin handle on its pool and holds no per-call state, so one per pool serves every call.
    (Django's cache objects are per thread, and so is this.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, with Redis errors turned into misses and a logged warning."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = OneClientPerPool
        self.warnings = _Warnings()

    def _failed(self, operation: str, exc: BaseException) -> None:
        self.warnings.failed(operation, exc)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _FAILURES as exc:
            self._failed("get", exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        try:
            return super().get_many(keys, version)
        except _FAILURES as exc:
            self._failed("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except _FAILURES as exc:
            self._failed("has_key", exc)
            return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout=timeout, version=version)
        except _FAILURES as exc:
            self._failed("set", exc)

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout=timeout, version=version)
        except _FAILURES as exc:
            self._failed("set_many", exc)
            return list(data)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        try:
            return super().add(key, value, timeout=timeout, version=version)
        except _FAILURES as exc:
            self._failed("add", exc)
            return False

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout=timeout, version=version)
        except _FAILURES as exc:
            self._failed("touch", exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _FAILURES as exc:
            self._failed("incr", exc)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except _FAILURES as exc:
            self._failed("delete", exc)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except _FAILURES as exc:
            self._failed("delete_many", exc)

    def clear(self) -> None:
        try:
            super().clear()
        except _FAILURES as exc:
            self._failed("clear", exc)
