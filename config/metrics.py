"""/metrics for Prometheus: django-prometheus's request figures plus what a deployment must watch.

django-prometheus counts requests, responses, latencies and exceptions per view (its two
middlewares). This module adds, read at each scrape (a few indexed queries and one broker call):

- `wangge_celery_queue_length{queue}`: messages waiting in each Celery queue (Redis or the
  filesystem broker); it should stay near 0 — growth means too few workers.
- `wangge_sweep_lag_seconds`: how long the oldest case whose deadline instant has come has been
  waiting for the sweep (0 when none waits); `wangge_sweep_due_cases`: how many wait. The sweep
  runs every DEADLINE_SWEEP_SECONDS, so a lag well above that means beat or the workers are down
  or the sweep cannot keep up.
- `wangge_partition_months_ahead{table}`, `wangge_partition_default_rows{table}` (PostgreSQL,
  the month-partitioned tables, cases.partitions): how many months after this one are ready,
  and how many rows wait in DEFAULT for their month (counted up to 10,000). Below 1 month
  ahead or rows in DEFAULT means the daily `partitions-ensure` task is not running.
- `wangge_replica_up`, `wangge_replica_lag_seconds`, `wangge_replica_lag_bytes`: with
  DATABASE_REPLICA_URL, whether the replica answers, how far its replay is behind the primary in
  time (0 when it has replayed everything it received) and in WAL bytes.

Access: a request with `Authorization: Bearer <METRICS_TOKEN>`, or from an address in
METRICS_ALLOWED_NETWORKS (as DRF's NUM_PROXIES sees it). With neither set (and DEBUG off) the
endpoint is a 404. Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR (an empty directory,
the same for all of them) so any worker answers for all; the gauges here are read from the
database and the broker, so they are the same whichever worker answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from config.lockout import client_ip

logger = logging.getLogger(__name__)


# --- the figures ------------------------------------------------------------------------------


def celery_queue_lengths() -> dict[str, int]:
    """Messages waiting in each queue of METRICS_CELERY_QUEUES, from the broker itself."""
    lengths: dict[str, int] = {}
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        connect_timeout=2,
    ) as conn:
        channel = conn.default_channel
        for queue in settings.METRICS_CELERY_QUEUES:
            # kombu's virtual transports (Redis, filesystem) count a queue's messages, over
            # every priority list on Redis; a queue never declared counts 0.
            lengths[queue] = int(channel._size(queue))
    return lengths


def sweep_lag() -> tuple[float, int]:
    """(seconds the oldest due case has waited for the sweep, how many wait)."""
    from cases.models import OPEN_STATUSES, Case

    now = timezone.now()
    # The partial index case_open_sweep_at answers both: its predicate is repeated here.
    due = Case.objects.filter(status__in=sorted(OPEN_STATUSES), sweep_at__lte=now).aggregate(
        oldest=Min("sweep_at"), n=Count("id")
    )
    if due["oldest"] is None:
        return 0.0, 0
    return max(0.0, (now - due["oldest"]).total_seconds()), due["n"]


def replica_lag() -> tuple[float, int]:
    """(seconds, WAL bytes) the replica's replay is behind the primary."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    with connections["replica"].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END,"
            " GREATEST(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), 0)",
            [primary_lsn],
        )
        seconds, lag_bytes = cursor.fetchone()
    return float(seconds), int(lag_bytes)


def partition_state() -> dict[str, tuple[int, int]]:
    """table → (months ready after this one, rows waiting in DEFAULT), for partitioned ones."""
    from cases.partitions import PARTITIONED, default_rows, is_partitioned, months_ahead_ready

    return {
        table: (months_ahead_ready(table), default_rows(table))
        for table in PARTITIONED
        if is_partitioned(table)
    }


class WanggeCollector:
    """The deployment's own gauges, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = GaugeMetricFamily(
            "wangge_celery_queue_length",
            "Messages waiting in the Celery queue.",
            labels=["queue"],
        )
        try:
            for name, length in celery_queue_lengths().items():
                queue.add_metric([name], length)
            yield queue
        except Exception:
            logger.warning("metrics: the broker did not answer", exc_info=True)
        try:
            lag, waiting = sweep_lag()
            yield GaugeMetricFamily(
                "wangge_sweep_lag_seconds",
                "Seconds the oldest case whose deadline instant has come has waited for the sweep.",
                value=lag,
            )
            yield GaugeMetricFamily(
                "wangge_sweep_due_cases",
                "Open cases whose deadline instant has come and that the sweep has not seen.",
                value=waiting,
            )
        except Exception:
            logger.warning("metrics: could not read the sweep's lag", exc_info=True)
        try:
            state = partition_state()
            if state:
                ahead = GaugeMetricFamily(
                    "wangge_partition_months_ahead",
                    "Months after this one whose partition exists.",
                    labels=["table"],
                )
                waiting_rows = GaugeMetricFamily(
                    "wangge_partition_default_rows",
                    "Rows in the DEFAULT partition waiting for their month (up to 10,000).",
                    labels=["table"],
                )
                for table, (months, rows) in state.items():
                    ahead.add_metric([table], months)
                    waiting_rows.add_metric([table], rows)
                yield ahead
                yield waiting_rows
        except Exception:
            logger.warning("metrics: could not read the partitions", exc_info=True)
        if "replica" in settings.DATABASES:
            up = 1
            try:
                seconds, lag_bytes = replica_lag()
                yield GaugeMetricFamily(
                    "wangge_replica_lag_seconds",
                    "Seconds the replica's replay is behind (0: it has replayed all it received).",
                    value=seconds,
                )
                yield GaugeMetricFamily(
                    "wangge_replica_lag_bytes",
                    "Bytes of WAL the primary has written that the replica has not replayed.",
                    value=lag_bytes,
                )
            except Exception:
                up = 0
                logger.warning("metrics: the replica did not answer", exc_info=True)
            yield GaugeMetricFamily(
                "wangge_replica_up", "Whether the read replica answers.", value=up
            )


OPS_REGISTRY = CollectorRegistry(auto_describe=False)
OPS_REGISTRY.register(WanggeCollector())  # type: ignore[arg-type]


# --- the endpoint -----------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").encode(), token.encode()
        ):
            return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404  # switched off
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(OPS_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
