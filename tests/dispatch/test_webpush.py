"""Web Push: a browser's subscription is kept, and a notification reaches the push service
encrypted to that browser (RFC 8291) and signed by the server (VAPID). The push service here is
a real HTTP server on this machine; the test decrypts what it received with the browser's key."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache

from cases.models import Case, Outbox, Status
from cases.services import case_transition
from citizens import sms
from dispatch.models import NotificationDelivery, PushSubscription
from dispatch.notifications import deliver_outbox
from dispatch.webpush import vapid_keys_generate, vapid_public_key
from grids.models import Role
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import POINT_IN_GRID, put_in_state, rid
from tests.citizens.citizen_helpers import citizen_client, register_citizen
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

world = cases_conftest.world


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushService:
    """A push service on 127.0.0.1: keeps what it receives, answers with `status`."""

    url: str
    received: list[dict] = field(default_factory=list)
    status: int = 201


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            service.received.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """What a browser holds for a push subscription: its key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    @property
    def subscription(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def browser(endpoint: str) -> Browser:
    return Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16), endpoint)


@pytest.fixture
def vapid(settings) -> str:
    private, public = vapid_keys_generate()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@example.org"
    settings.WEBPUSH_ALLOW_HTTP = True
    settings.WEBPUSH_ENDPOINT_HOSTS = []
    settings.NOTIFICATION_BACKENDS = [
        "dispatch.notifications.InboxBackend",
        "dispatch.webpush.WebPushBackend",
    ]
    return public


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    sms.outbox.clear()


def _closed_citizen_report(world, token: str) -> Case:
    response = citizen_client(token).post(
        "/api/v1/citizen/reports/",
        {
            "request_id": rid(),
            "item": world.item.code,
            "description": "路灯不亮",
            "lon": POINT_IN_GRID.x,
            "lat": POINT_IN_GRID.y,
        },
        format="json",
    )
    case = put_in_state(Case.objects.get(pk=response.json()["id"]), Status.CHECK_PASSED)
    return case_transition(
        case_id=case.pk,
        action="close",
        actor=world.users[Role.SHIFT_SUPERVISOR],
        request_id=rid(),
        expected_version=case.version,
    )


def test_a_closed_report_reaches_the_citizens_browser_encrypted(world, vapid, push_service):
    user, token = register_citizen()
    phone = browser(f"{push_service.url}/push/sub-1")
    client = citizen_client(token)
    state = client.get("/api/v1/citizen/push/").json()
    assert state == {"enabled": True, "public_key": vapid, "subscriptions": 0}
    assert (
        client.post("/api/v1/citizen/push/", phone.subscription, format="json").json()[
            "subscriptions"
        ]
        == 1
    )
    case = _closed_citizen_report(world, token)
    Outbox.objects.exclude(topic="case.close").update(state=Outbox.State.SENT)

    deliver_outbox()

    [request] = push_service.received
    assert request["path"] == "/push/sub-1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    # Signed by the server's VAPID key, which the browser subscribed with.
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={vapid_public_key()}" in headers["authorization"]
    assert b"closed" not in request["body"]  # encrypted: nothing readable on the wire
    message = phone.decrypt(request["body"])
    assert message["case_id"] == case.pk
    assert message["case_number"] == case.number
    assert message["topic"] == "case.close"
    assert case.number in message["title"]
    assert NotificationDelivery.objects.filter(
        recipient=f"user:{user.pk}", channel="webpush"
    ).exists()


def test_a_subscription_the_push_service_says_is_gone_is_forgotten(world, vapid, push_service):
    _user, token = register_citizen()
    citizen_client(token).post(
        "/api/v1/citizen/push/", browser(f"{push_service.url}/gone").subscription, format="json"
    )
    push_service.status = 410
    _closed_citizen_report(world, token)
    deliver_outbox()
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()
    assert Outbox.objects.get(topic="case.close").state == Outbox.State.SENT


def test_a_push_service_in_trouble_gets_the_message_again_later(world, vapid, push_service):
    _user, token = register_citizen()
    citizen_client(token).post(
        "/api/v1/citizen/push/", browser(f"{push_service.url}/busy").subscription, format="json"
    )
    push_service.status = 503
    _closed_citizen_report(world, token)
    deliver_outbox()
    row = Outbox.objects.get(topic="case.close")
    assert row.state == Outbox.State.PENDING
    assert row.attempts == 1
    assert "webpush" in row.last_error
    # The inbox copy went out once and is not sent again with the retry.
    assert NotificationDelivery.objects.filter(outbox=row, channel="inbox").count() == 1
    assert PushSubscription.objects.count() == 1


def test_subscribing_needs_a_configured_server(world, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    _user, token = register_citizen()
    client = citizen_client(token)
    assert client.get("/api/v1/citizen/push/").json()["enabled"] is False
    response = client.post(
        "/api/v1/citizen/push/",
        browser("https://fcm.googleapis.com/fcm/send/x").subscription,
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "push_unavailable"


@pytest.mark.parametrize(
    ("endpoint", "allow_http", "hosts"),
    [
        ("http://127.0.0.1:6379/", False, []),  # not https
        ("https://intranet.example/steal", False, ["fcm.googleapis.com"]),  # unknown service
        ("https://evilfcm.googleapis.com.example/x", False, ["fcm.googleapis.com"]),
        ("ftp://fcm.googleapis.com/x", True, []),
    ],
)
def test_the_server_posts_only_to_push_services(
    world, vapid, settings, endpoint, allow_http, hosts
):
    settings.WEBPUSH_ALLOW_HTTP = allow_http
    settings.WEBPUSH_ENDPOINT_HOSTS = hosts
    _user, token = register_citizen()
    response = citizen_client(token).post(
        "/api/v1/citizen/push/", browser(endpoint).subscription, format="json"
    )
    assert response.status_code == 400
    assert "endpoint" in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_a_known_push_service_subdomain_is_accepted(world, vapid, settings):
    settings.WEBPUSH_ENDPOINT_HOSTS = ["push.services.mozilla.com"]
    _user, token = register_citizen()
    response = citizen_client(token).post(
        "/api/v1/citizen/push/",
        browser("https://updates.push.services.mozilla.com/wpush/v2/abc").subscription,
        format="json",
    )
    assert response.status_code == 200


def test_keys_that_are_not_a_browsers_are_refused(world, vapid, push_service):
    _user, token = register_citizen()
    body = browser(f"{push_service.url}/x").subscription
    body["keys"]["auth"] = b64url(b"short")
    response = citizen_client(token).post("/api/v1/citizen/push/", body, format="json")
    assert response.status_code == 400
    assert "keys.auth" in response.json()["errors"]


def test_a_browser_that_logs_in_as_someone_else_moves_and_unsubscribes_only_its_own(
    world, vapid, push_service
):
    _first, first_token = register_citizen()
    second, second_token = register_citizen(phone="13812340000")
    subscription = browser(f"{push_service.url}/shared").subscription
    citizen_client(first_token).post("/api/v1/citizen/push/", subscription, format="json")
    citizen_client(second_token).post("/api/v1/citizen/push/", subscription, format="json")
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [second.pk]
    # The first user cannot remove the second's subscription.
    citizen_client(first_token).post(
        "/api/v1/citizen/push/unsubscribe/", {"endpoint": subscription["endpoint"]}, format="json"
    )
    assert PushSubscription.objects.count() == 1
    response = citizen_client(second_token).post(
        "/api/v1/citizen/push/unsubscribe/", {"endpoint": subscription["endpoint"]}, format="json"
    )
    assert response.json()["subscriptions"] == 0


def test_staff_subscribe_through_me_push(world, vapid, push_service):
    client = client_for(world.users[Role.INSPECTOR])
    response = client.post(
        "/api/v1/me/push/", browser(f"{push_service.url}/staff").subscription, format="json"
    )
    assert response.status_code == 200
    assert response.json()["subscriptions"] == 1
