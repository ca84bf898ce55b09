"""Read-only heavy pages on a streaming replica, with read-your-writes (issue 17 §4).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and this router. Only the
requests the middleware marks go to the replica: safe methods (GET, HEAD, OPTIONS) of the views
named in `REPLICA_READ_VIEWS` (the overview, the map and its box, evaluation, analysis, Open311
reads). Everything else — every write, every other page, Celery, management commands — reads
and writes the primary, exactly as without a replica.

Read-your-writes: a client that has just written reads the primary for
`REPLICA_STICKY_SECONDS`, so its own change is on the next page even if the replica lags.
Every unsafe request (POST, PUT, PATCH, DELETE) leaves two marks: a cookie (browsers, whatever
their session) and a cache entry under a hash of its credential — the `Authorization` header
(handheld tokens, agency keys) or the session key — for clients that keep no cookies. The
cache is Redis in production, shared by every web process.

Also on the primary: any read inside a transaction (a row lock, a read-then-write), and every
request while the replica is unreachable (checked at most every `REPLICA_RETRY_SECONDS`).
"""

from __future__ import annotations

import contextvars
import fnmatch
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE = "wangge_rw"
CACHE_PREFIX = "replica-rw:"

# Monotonic instant until which this process does not try the replica again (it was down).
_replica_down_until = 0.0


class RequestRouting:
    """One request's choice of database for reads, decided once at its first read."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.eligible = False
        self._decision: bool | None = None

    def use_replica(self) -> bool:
        if not self.eligible:
            return False
        if self._decision is None:
            self._decision = not written_recently(self.request) and replica_reachable()
        return self._decision


_current: contextvars.ContextVar[RequestRouting | None] = contextvars.ContextVar(
    "wangge_replica_routing", default=None
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reachable() -> bool:
    """False while the replica is known to be down; a failed connection marks it down."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("replica unreachable: reading the primary for a while", exc_info=True)
        return False
    return True


def _credential_key(credential: str | None) -> str | None:
    if not credential:
        return None
    return CACHE_PREFIX + hashlib.sha256(credential.encode()).hexdigest()[:32]


def _credentials_in(request: HttpRequest) -> list[str]:
    """What identifies the client across requests, without reading the database."""
    found = []
    if request.META.get("HTTP_AUTHORIZATION"):
        found.append("auth:" + request.META["HTTP_AUTHORIZATION"])
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        found.append("session:" + session_key)
    return found


def written_recently(request: HttpRequest) -> bool:
    """Did this client write within REPLICA_STICKY_SECONDS?"""
    try:
        if float(request.COOKIES.get(COOKIE, "0")) > time.time():
            return True
    except ValueError:
        pass
    keys = [_credential_key(c) for c in _credentials_in(request)]
    keys = [key for key in keys if key]
    return bool(keys) and bool(cache.get_many(keys))


def mark_written(request: HttpRequest, response: HttpResponse) -> None:
    seconds = settings.REPLICA_STICKY_SECONDS
    response.set_cookie(
        COOKIE,
        f"{time.time() + seconds:.3f}",
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    credentials = _credentials_in(request)
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        # A log-in rotates the session key: mark the one the client holds from now on.
        credentials.append("session:" + session.session_key)
    keys = {_credential_key(c) for c in credentials} - {None}
    if keys:
        cache.set_many({key: 1 for key in keys if key}, timeout=seconds)


def _matches(view_name: str) -> bool:
    return any(fnmatch.fnmatchcase(view_name, pattern) for pattern in settings.REPLICA_READ_VIEWS)


class ReplicaMiddleware:
    """Marks the requests whose reads may go to the replica; marks clients that wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        routing = RequestRouting(request)
        token = _current.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if request.method not in SAFE_METHODS:
            mark_written(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        routing = _current.get()
        match = request.resolver_match
        if routing is not None and match is not None and request.method in SAFE_METHODS:
            routing.eligible = _matches(match.view_name)


class ReplicaRouter:
    """Reads of a marked request go to the replica; everything else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        routing = _current.get()
        if routing is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA if routing.use_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def reading_replica() -> bool:
    """Whether this request's reads go to the replica (for tests and diagnostics)."""
    routing = _current.get()
    return routing is not None and routing.use_replica()
