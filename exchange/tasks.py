"""Celery tasks of the exchange, here so that the worker's autodiscovery registers them."""

from __future__ import annotations

from exchange.delivery import deliver_webhooks_task

__all__ = ["deliver_webhooks_task"]
