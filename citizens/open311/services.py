"""Open311 GeoReport v2 over the catalogue and the cases.

- Services are the published catalogue items; the service code is the item code. An item with
  more than one filing condition has one attribute, `condition`, to choose among them.
- Requests are cases; the service_request_id is the case number. Posting one goes through the
  one-window intake as the client app's account, on the client's channel.
- Status is `open` while the case is in the loop and `closed` after (closed, rejected,
  duplicate, voided). Nothing about the people handling a case or the reporter is published:
  what the public reads of a case is decided in citizens.redaction (the reporter's words only
  when they pass the redaction, the place rounded and in words, the public notes).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import F, FloatField, Func, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases.errors import CaseNotFound, InvalidInput, NotPermitted
from cases.intake import CITIZEN_CHANNELS, case_intake
from cases.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    ClosureKind,
    FilingCondition,
    Item,
    Status,
)
from cases.services import MAX_DESCRIPTION, ReportInput
from citizens.models import Open311Client, Open311Request, Open311Service, ServiceType
from citizens.redaction import public_description_of, public_note, public_place, public_point
from citizens.reports import PUBLIC_NOTE_ACTIONS
from config.api import ServiceError
from grids.geo import bbox_polygon
from grids.models import User

SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
CONDITION_ATTRIBUTE = "condition"
LAST_USED_RESOLUTION = timedelta(minutes=5)


class Open311NotFound(CaseNotFound):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedClientKey:
    key: str
    client: Open311Client


def open311_client_issue(
    *, name: str, contact: str = "", source: str = "citizen_app", now: datetime | None = None
) -> IssuedClientKey:
    """A new api_key for a client app (and its service account); an existing client's old key
    stops working."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("Name the client."), field_errors={"name": [_("Required.")]})
    if source not in CITIZEN_CHANNELS:
        raise InvalidInput(
            _("Open311 clients report through citizen_app, web or wechat."),
            field_errors={"source": [_("citizen_app, web or wechat.")]},
        )
    now = now or timezone.now()
    secret = "o311_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        user, _created = User.objects.get_or_create(
            username=f"open311-{_hash(name)[:12]}", defaults={"first_name": name[:150]}
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        client, _updated = Open311Client.objects.update_or_create(
            name=name,
            defaults={
                "contact": contact.strip()[:200],
                "user": user,
                "source": source,
                "key_hash": _hash(secret),
                "prefix": secret[:8],
                "is_active": True,
                "created_at": now,
            },
        )
    return IssuedClientKey(key=secret, client=client)


def open311_client_for_key(api_key: str, *, now: datetime | None = None) -> Open311Client:
    """The active client holding the key, or NotPermitted (403: missing or invalid key)."""
    api_key = (api_key or "").strip()
    if not api_key:
        raise NotPermitted(_("An api_key is required to post a request."))
    client = Open311Client.objects.select_related("user").filter(key_hash=_hash(api_key)).first()
    if client is None or not client.is_active or not client.user.is_active:
        raise NotPermitted(_("Invalid api_key."))
    now = now or timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


# A client's rate, cached by its key's hash: the throttle asks before the view reads the client.
RATE_CACHE_SECONDS = 60


def open311_client_rate(api_key: str) -> str:
    """The rate set on the active client holding the key ("" for none, or no such client);
    cached for a minute."""
    key_hash = _hash(api_key.strip())
    cache_key = f"open311:rate:{key_hash}"
    rate = cache.get(cache_key)
    if rate is None:
        rate = (
            Open311Client.objects.filter(key_hash=key_hash, is_active=True)
            .values_list("rate", flat=True)
            .first()
        ) or ""
        cache.set(cache_key, rate, RATE_CACHE_SECONDS)
    return str(rate)


# --- jurisdiction -----------------------------------------------------------------------------


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """One jurisdiction per install: jurisdiction_id is optional; when configured and given,
    it must match."""
    configured = settings.OPEN311_JURISDICTION_ID
    given = (jurisdiction_id or "").strip()
    if configured and given and given != configured:
        raise Open311NotFound(_("jurisdiction_id %(id)s was not found.") % {"id": given[:100]})


# --- services ---------------------------------------------------------------------------------


def _conditions() -> Prefetch:
    return Prefetch("conditions", queryset=FilingCondition.objects.order_by("order", "code"))


def published_items() -> QuerySet[Item]:
    return (
        Item.objects.filter(is_active=True)
        .exclude(open311_service__published=False)
        .select_related("domain", "open311_service")
        .prefetch_related(_conditions())
        .order_by("code")
    )


def _settings_of(item: Item) -> Open311Service | None:
    try:
        return item.open311_service
    except Open311Service.DoesNotExist:
        return None


def _has_attributes(item: Item) -> bool:
    return len(item.conditions.all()) > 1


def service_type(item: Item) -> str:
    row = _settings_of(item)
    return row.service_type if row is not None else ServiceType.REALTIME


def service_entry(item: Item) -> dict[str, Any]:
    row = _settings_of(item)
    conditions = list(item.conditions.all())
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": "; ".join(c.description for c in conditions),
        "metadata": _has_attributes(item),
        "type": service_type(item),
        "keywords": row.keywords if row is not None else "",
        "group": (row.group if row is not None and row.group else item.domain.name),
    }


def services_list() -> list[dict[str, Any]]:
    return [service_entry(item) for item in published_items()]


def service_get(service_code: str) -> Item:
    item = published_items().filter(code=(service_code or "").strip()).first()
    if item is None:
        raise Open311NotFound(
            _("service_code %(code)s was not found.") % {"code": (service_code or "")[:20]}
        )
    return item


def service_definition(item: Item) -> dict[str, Any]:
    attributes = []
    if _has_attributes(item):
        attributes.append(
            {
                "variable": True,
                "code": CONDITION_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("Choose the description that fits best."),
                "order": 1,
                "description": _("What exactly is the problem?"),
                "values": [{"key": c.code, "name": c.description} for c in item.conditions.all()],
            }
        )
    return {"service_code": item.code, "attributes": attributes}


# --- posting a request ------------------------------------------------------------------------


@dataclass
class PostedRequest:
    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    media_url: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    account_id: str = ""
    device_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def parse_attributes(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """attribute[code]=value and attribute[code][]=value (multivaluelist) from a form."""
    attributes: dict[str, list[str]] = {}
    for key, values in form.items():
        if not key.startswith("attribute[") or not key.endswith("]"):
            continue
        code = key[len("attribute[") :].removesuffix("[]").removesuffix("]")
        if code:
            attributes.setdefault(code, []).extend(v for v in values if v != "")
    return attributes


def _point(posted: PostedRequest) -> Point:
    if not posted.lat.strip() and not posted.long.strip():
        if posted.address_string.strip() or posted.address_id.strip():
            message = _(
                "Locating by address is not supported (no geocoder): send lat and long (WGS84)."
            )
        else:
            message = _("A location is required: send lat and long (WGS84).")
        raise InvalidInput(message, field_errors={"lat": [message], "long": [message]})
    try:
        lat, lon = float(posted.lat), float(posted.long)
    except ValueError:
        message = _("lat and long must both be numbers (WGS84).")
        raise InvalidInput(message, field_errors={"lat": [message], "long": [message]}) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        message = _("lat must be within ±90 and long within ±180.")
        raise InvalidInput(message, field_errors={"lat": [message], "long": [message]})
    return Point(lon, lat, srid=4326)


def _condition_id(item: Item, attributes: dict[str, list[str]]) -> int | None:
    unknown = sorted(set(attributes) - ({CONDITION_ATTRIBUTE} if _has_attributes(item) else set()))
    if unknown:
        message = _("Unknown attribute %(code)s for this service.") % {"code": unknown[0][:40]}
        raise InvalidInput(message, field_errors={f"attribute[{unknown[0][:40]}]": [message]})
    chosen = attributes.get(CONDITION_ATTRIBUTE, [])
    if not chosen:
        return None
    by_code = {c.code: c.pk for c in item.conditions.all()}
    if len(chosen) > 1 or chosen[0] not in by_code:
        message = _("attribute[condition] must be one of: %(keys)s.") % {
            "keys": ", ".join(sorted(by_code))
        }
        raise InvalidInput(message, field_errors={"attribute[condition]": [message]})
    return by_code[chosen[0]]


def _check_contact(posted: PostedRequest) -> None:
    errors: dict[str, list[str]] = {}
    if posted.media_url:
        try:
            URLValidator(schemes=["http", "https"])(posted.media_url)
        except ValidationError:
            errors["media_url"] = [_("An http or https URL.")]
        if len(posted.media_url) > 500:
            errors["media_url"] = [_("At most 500 characters.")]
    if posted.email:
        try:
            EmailValidator()(posted.email)
        except ValidationError:
            errors["email"] = [_("An email address.")]
    phone = posted.phone.strip()
    if phone and (len(phone) > 30 or not all(ch.isdigit() or ch in "+- ()" for ch in phone)):
        errors["phone"] = [_("Digits, spaces and dashes, optionally starting with +.")]
    if len(posted.description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}]
    for name in ("account_id", "device_id", "first_name", "last_name"):
        if len(getattr(posted, name)) > 100:
            errors[name] = [_("At most %(n)d characters.") % {"n": 100}]
    if errors:
        raise InvalidInput(_("The request has errors."), field_errors=errors)


@dataclass(frozen=True)
class PostOutcome:
    case: Case
    request: Open311Request
    service_type: str


def open311_request_post(*, client: Open311Client, posted: PostedRequest) -> PostOutcome:
    """Create a case from a GeoReport POST, through the one-window intake."""
    if not posted.service_code.strip():
        message = _("service_code is required.")
        raise InvalidInput(message, field_errors={"service_code": [message]})
    item = service_get(posted.service_code)
    point = _point(posted)
    _check_contact(posted)
    condition_id = _condition_id(item, posted.attributes)
    name = " ".join(p for p in (posted.first_name.strip(), posted.last_name.strip()) if p)
    data = ReportInput(
        source=client.source,
        item_id=item.pk,
        condition_id=condition_id,
        # The spec makes the description optional; a case needs one.
        description=posted.description.strip() or item.name,
        point=point,
        address=posted.address_string.strip()[:255],
        contact_name=name,
        contact_phone=posted.phone.strip(),
    )
    now = timezone.now()
    with transaction.atomic():
        outcome = case_intake(
            actor=client.user, data=data, request_id=f"open311:{client.pk}:{uuid.uuid4().hex}"
        )
        row = Open311Request.objects.create(
            case=outcome.case,
            client=client,
            token=secrets.token_hex(16),
            media_url=posted.media_url.strip(),
            attributes=posted.attributes,
            email=posted.email.strip(),
            account_id=posted.account_id.strip(),
            device_id=posted.device_id.strip(),
            created_at=now,
        )
    return PostOutcome(case=outcome.case, request=row, service_type=service_type(item))


def post_response(outcome: PostOutcome) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if outcome.service_type == ServiceType.BATCH:
        entry["token"] = outcome.request.token
    else:
        entry["service_request_id"] = outcome.case.number
    entry["service_notice"] = outcome.case.item.handling_standard
    entry["account_id"] = outcome.request.account_id or None
    return entry


# --- reading requests -------------------------------------------------------------------------


def _public_cases() -> QuerySet[Case]:
    return Case.objects.filter(item__is_active=True).exclude(item__open311_service__published=False)


# What a request shows, read as plain rows: lists hold up to 1,000 cases, and building that
# many model instances (with their items, units and requests) costs more than the query.
_ROW_FIELDS = (
    "number",
    "status",
    "closure_kind",
    "description",
    "condition__description",
    "street__name",
    "community__name",
    "public_note",
    "lon",
    "lat",
    "reported_at",
    "updated_at",
    "closed_at",
    "case_due_at",
    "item__code",
    "item__name",
    "item__handling_standard",
    "handling_unit__name",
    "open311_request__media_url",
)


def w3(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """The spec's w3 date-time: whole seconds, with the local offset."""
    if value is None:
        return None
    return (
        value.astimezone(tz or timezone.get_current_timezone()).replace(microsecond=0).isoformat()
    )


def _entries(qs: QuerySet[Case]) -> list[dict[str, Any]]:
    # Labels in the request's language, looked up once per list.
    status_labels = {value: str(label) for value, label in Status.choices}
    closure_labels = {value: str(label) for value, label in ClosureKind.choices}
    tz = timezone.get_current_timezone()
    # The coordinates come from the database as numbers: no geometry to decode per row.
    qs = qs.annotate(
        lon=Func(F("point"), function="ST_X", output_field=FloatField()),
        lat=Func(F("point"), function="ST_Y", output_field=FloatField()),
        # The latest reason the reporter is owed (rejected, closed), for status_notes.
        public_note=Subquery(
            CaseEvent.objects.filter(case=OuterRef("pk"), action__in=sorted(PUBLIC_NOTE_ACTIONS))
            .order_by("-created_at", "-pk")
            .values("note")[:1]
        ),
    )
    entries = []
    for row in qs.values(*_ROW_FIELDS):
        closed = row["status"] in CLOSED_STATUSES
        if row["status"] == Status.CLOSED:
            notes = closure_labels.get(row["closure_kind"], "")
        else:
            notes = status_labels.get(row["status"], row["status"])
        reason = public_note(row["public_note"] or "") if closed else ""
        if reason:
            notes = f"{notes}: {reason}"
        updated = row["closed_at"] if closed and row["closed_at"] else row["updated_at"]
        lon, lat = public_point(row["lon"], row["lat"])
        entries.append(
            {
                "service_request_id": row["number"],
                "status": "closed" if closed else "open",
                "status_notes": notes,
                "service_name": row["item__name"],
                "service_code": row["item__code"],
                # Published to anyone (citizens.redaction): the reporter's words only when
                # they pass the redaction, else the category's plain description.
                "description": public_description_of(
                    description=row["description"],
                    item_name=row["item__name"],
                    condition_description=row["condition__description"] or "",
                ),
                "agency_responsible": row["handling_unit__name"] or "",
                "service_notice": row["item__handling_standard"],
                "requested_datetime": w3(row["reported_at"], tz),
                "updated_datetime": w3(updated, tz),
                "expected_datetime": w3(row["case_due_at"], tz),
                # The place in words (street, community) and a rounded point; the free-text
                # address is often the reporter's own door.
                "address": public_place(
                    street_name=row["street__name"] or "",
                    community_name=row["community__name"] or "",
                ),
                "address_id": "",
                "zipcode": "",
                "lat": lat,
                "long": lon,
                "media_url": row["open311_request__media_url"] or "",
            }
        )
    return entries


def _w3_datetime(name: str, raw: str) -> datetime:
    try:
        value = parse_datetime(raw.strip().replace(" ", "+"))
    except ValueError:  # well-formed but impossible, e.g. month 13
        value = None
    # Years far off would overflow the 90-day window arithmetic; nobody asks for them.
    if value is not None and not 1900 <= value.year <= 9000:
        value = None
    if value is None or timezone.is_naive(value):
        message = _("%(name)s must be a w3 date and time with its offset, e.g. %(example)s.") % {
            "name": name,
            "example": "2026-01-01T00:00:00Z",
        }
        raise InvalidInput(message, field_errors={name: [message]})
    return value


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def requests_query(
    params: Mapping[str, str], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """GET requests: by ids (which override everything else), or by service codes, a window
    of at most 90 days (default the last 90) and status; newest first, at most 1000."""
    qs = _public_cases()
    ids = _csv(params.get("service_request_id"))
    if ids:
        return _entries(qs.filter(number__in=ids[:MAX_REQUESTS]).order_by("-reported_at", "-pk"))
    now = now or timezone.now()
    start_raw, end_raw = params.get("start_date", ""), params.get("end_date", "")
    given_end = _w3_datetime("end_date", end_raw) if end_raw.strip() else None
    given_start = _w3_datetime("start_date", start_raw) if start_raw.strip() else None
    # Either bound alone spans the default window from it; neither: the last 90 days.
    if given_start is not None:
        start = given_start
        end = given_end if given_end is not None else start + DEFAULT_WINDOW
    else:
        end = given_end if given_end is not None else now
        start = end - DEFAULT_WINDOW
    if end < start:
        message = _("end_date is before start_date.")
        raise InvalidInput(message, field_errors={"end_date": [message]})
    if end - start > MAX_WINDOW:
        message = _("The date range may span at most 90 days.")
        raise InvalidInput(message, field_errors={"start_date": [message]})
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    codes = _csv(params.get("service_code"))
    if codes:
        qs = qs.filter(item__code__in=codes)
    statuses = {s.lower() for s in _csv(params.get("status"))}
    if statuses - {"open", "closed"}:
        message = _("status is open, closed or both (comma separated).")
        raise InvalidInput(message, field_errors={"status": [message]})
    if statuses == {"open"}:
        qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=sorted(CLOSED_STATUSES))
    return _entries(qs.order_by("-reported_at", "-pk")[:MAX_REQUESTS])


# The citizens' map: what was reported in the view lately, newest first.
NEARBY_WINDOW = timedelta(days=90)
NEARBY_MAX = 300


@dataclass(frozen=True)
class NearbyRequests:
    entries: list[dict[str, Any]]
    truncated: bool


def requests_in_bbox(
    box: tuple[float, float, float, float],
    *,
    status: str = "",
    now: datetime | None = None,
    limit: int = NEARBY_MAX,
) -> NearbyRequests:
    """Requests inside the box reported in the last NEARBY_WINDOW, newest first, published
    exactly as GET requests publishes them (nothing about the reporter or the staff)."""
    now = now or timezone.now()
    qs = _public_cases().filter(
        point__intersects=bbox_polygon(box), reported_at__gte=now - NEARBY_WINDOW
    )
    if status == "open":
        qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    elif status == "closed":
        qs = qs.filter(status__in=sorted(CLOSED_STATUSES))
    entries = _entries(qs.order_by("-reported_at", "-pk")[: limit + 1])
    return NearbyRequests(entries=entries[:limit], truncated=len(entries) > limit)


def request_get(service_request_id: str) -> dict[str, Any]:
    entries = _entries(_public_cases().filter(number=service_request_id))
    if not entries:
        raise Open311NotFound(
            _("service_request_id %(id)s was not found.") % {"id": service_request_id[:40]}
        )
    return entries[0]


def token_get(token: str) -> dict[str, Any]:
    row = (
        Open311Request.objects.select_related("case")
        .filter(token=token)
        .exclude(case__item__open311_service__published=False)
        .first()
    )
    if row is None:
        raise Open311NotFound(_("token %(token)s was not found.") % {"token": token[:40]})
    return {"service_request_id": row.case.number, "token": row.token}


def discovery(base_url: str) -> dict[str, Any]:
    changeset = settings.OPEN311_CHANGESET
    return {
        "changeset": changeset,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION_URL,
                "url": base_url,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def error_status(exc: ServiceError) -> int:
    """The spec's HTTP statuses: 404 for what does not exist, 403 for the api_key, 400 else."""
    if isinstance(exc, CaseNotFound):
        return 404
    if isinstance(exc, NotPermitted):
        return 403
    if exc.http_status == 429:
        return 429
    return 400
