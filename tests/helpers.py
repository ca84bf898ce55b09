"""Helpers shared by test modules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from rest_framework.test import APIClient

from cases.api.auth import token_issue


def client_for(user: Any, language: str = "en") -> APIClient:
    """An API client holding a fresh token for the user, reading messages in English (or in
    the language given)."""
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {token_issue(user=user).token}", HTTP_ACCEPT_LANGUAGE=language
    )
    return client


def race(*calls: Callable[[], Any]) -> tuple[list[Any], list[BaseException | None]]:
    """Run the calls at the same instant in threads; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            errors[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors
