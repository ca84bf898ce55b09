"""The case, its append-only history, its photos, and the notification outbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.calendar import LimitUnit
from cases.models.catalogue import FilingCondition, Item, Urgency

__all__ = [
    "CLOSED_STATUSES",
    "LEVELS_UP",
    "OPEN_STATUSES",
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseNumberSequence",
    "ClosureKind",
    "Contact",
    "HandlingLevel",
    "Outbox",
    "PendingRequest",
    "RequestType",
    "SourceChannel",
    "Stage",
    "StageLimit",
    "Status",
]


class SourceChannel(models.TextChoices):
    INSPECTOR = "inspector", _("Inspector")
    SELF_HANDLED = "self_handled", _("Self-handled by inspector")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    POLICE_110 = "police_110", _("110 police line")
    CITIZEN_APP = "citizen_app", _("Citizen app")
    WECHAT = "wechat", _("WeChat")
    WEB = "web", _("Web")
    AGENCY = "agency", _("Another agency's system")
    VIDEO = "video", _("Video surveillance")


class RequestType(models.TextChoices):
    """What the reporter asks for (citizens choose; staff reports are problems)."""

    PROBLEM = "problem", _("A problem")
    HELP = "help", _("A request for help")
    SUGGESTION = "suggestion", _("A suggestion")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VERIFYING = "verifying", _("Verifying on site")
    REGISTERED = "registered", _("Registered")
    FILED = "filed", _("Filed")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Handling")
    SUSPENDED = "suspended", _("Suspended")
    HANDLED = "handled", _("Handled, awaiting check")
    CHECKING = "checking", _("Checking on site")
    CHECK_PASSED = "check_passed", _("Check passed, awaiting close")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    VOIDED = "voided", _("Voided")


CLOSED_STATUSES: frozenset[str] = frozenset(
    {Status.CLOSED, Status.REJECTED, Status.DUPLICATE, Status.VOIDED}
)
OPEN_STATUSES: frozenset[str] = frozenset(set(Status.values) - CLOSED_STATUSES)


class HandlingLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")


LEVELS_UP: list[str] = [
    HandlingLevel.GRID,
    HandlingLevel.COMMUNITY,
    HandlingLevel.STREET,
    HandlingLevel.DISTRICT,
]


class ClosureKind(models.TextChoices):
    NORMAL = "normal", _("Normal")
    OVERDUE = "overdue", _("Overdue")
    ERRONEOUS = "erroneous", _("Erroneous")
    SPECIAL = "special", _("Special")


class PendingRequest(models.TextChoices):
    NONE = "", _("None")
    RETURN = "return", _("Return")
    EXTENSION = "extension", _("Extension")
    SUSPENSION = "suspension", _("Suspension")


class Stage(models.TextChoices):
    """Stages with a clock of their own. Handling takes its limit from the catalogue."""

    REGISTER = "register", _("Register (intake)")
    VERIFY = "verify", _("Verify on site")
    FILE = "file", _("File")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLE = "handle", _("Handle")
    SEND_CHECK = "send_check", _("Send check task")
    CHECK = "check", _("Check on site")
    CLOSE = "close", _("Close")


class StageLimit(models.Model):
    """Time allowed for a command-centre or inspector stage (local practice: data, not code)."""

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, unique=True)
    limit_value = models.DecimalField(_("limit"), max_digits=8, decimal_places=2)
    limit_unit = models.CharField(_("unit"), max_length=20, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("stage time limit")
        verbose_name_plural = _("stage time limits")
        constraints = [
            models.CheckConstraint(condition=Q(limit_value__gt=0), name="stagelimit_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.limit_value} {self.get_limit_unit_display()}"


class Contact(models.Model):
    """A caller's or citizen's contact: personal data, shown masked and read under a log."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reporter contact")
        verbose_name_plural = _("reporter contacts")

    def __str__(self) -> str:
        return _("contact #%(id)s") % {"id": self.pk}


class CaseNumberSequence(models.Model):
    """Per district and day counter behind readable case numbers (370203-20261127-000123)."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "day"], name="case_number_seq_unique")
        ]


class Case(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    source = models.CharField(_("source channel"), max_length=20, choices=SourceChannel.choices)
    # The line or platform of the channel it came through (one of the one window's merged
    # hotlines and web platforms); free text, the deployment names its own.
    sub_channel = models.CharField(_("sub-channel"), max_length=50, blank=True, default="")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    reporter_contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("reporter contact"),
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="cases", verbose_name=_("item")
    )
    condition = models.ForeignKey(
        FilingCondition,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("filing condition"),
    )
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL
    )
    request_type = models.CharField(
        _("request type"),
        max_length=12,
        choices=RequestType.choices,
        default=RequestType.PROBLEM,
    )
    description = models.TextField(_("description"))
    point = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # The city component (部件) the case is about, when the reporter named one: routing
    # prefers its maintenance unit, and its page lists its cases.
    asset = models.ForeignKey(
        "grids.Asset",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("asset"),
    )

    # Denormalised from locate(): every list is filtered on these code columns by prefix.
    district = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="district_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
    )
    street = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="street_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("street"),
    )
    community = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="community_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
    )
    grid = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="grid_code",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("grid"),
    )

    handling_level = models.CharField(
        _("handling level"),
        max_length=10,
        choices=HandlingLevel.choices,
        default=HandlingLevel.DISTRICT,
    )
    handling_unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("handling unit"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    closure_kind = models.CharField(
        _("closure kind"), max_length=10, choices=ClosureKind.choices, blank=True, default=""
    )
    pending_request = models.CharField(
        _("pending request"),
        max_length=12,
        choices=PendingRequest.choices,
        blank=True,
        default=PendingRequest.NONE,
    )
    pending_request_data = models.JSONField(_("pending request details"), default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    verified = models.BooleanField(_("verified on site"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    # Clocks. The stage clock is the current stage's; the case clock runs from filing to close.
    reported_at = models.DateTimeField(_("reported at"))
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("stage started at"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(_("stage warning at"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("stage due at"), null=True, blank=True)
    # The next instant the deadline sweep (dispatch) must look at this case: the stage's
    # warning, then its due instant, then none. Every transition sets it afresh; the sweep
    # moves it on. Its partial index makes a sweep with nothing due one index probe.
    sweep_at = models.DateTimeField(_("next sweep at"), null=True, blank=True)
    case_warn_at = models.DateTimeField(_("case warning at"), null=True, blank=True)
    case_due_at = models.DateTimeField(_("case due at"), null=True, blank=True)
    # When the case was suspended (挂账): on resume both clocks move on by the time it slept.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)

    reworks_count = models.PositiveIntegerField(_("reworks"), default=0)
    extensions_count = models.PositiveIntegerField(_("extensions"), default=0)
    returns_count = models.PositiveIntegerField(_("returns"), default=0)

    rating = models.PositiveSmallIntegerField(_("citizen rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("co_handle_case", _("Can co-handle the case"))]
        indexes = [
            # The sweeper's columns, only for open cases (healthchecks' Check.Meta.indexes).
            models.Index(
                fields=["stage_due_at"],
                name="case_open_stage_due",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["stage_warn_at"],
                name="case_open_stage_warn",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["case_due_at"],
                name="case_open_case_due",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["sweep_at"],
                name="case_open_sweep_at",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(fields=["grid", "status"], name="case_grid_status"),
            models.Index(fields=["handling_unit", "status"], name="case_unit_status"),
            models.Index(fields=["status", "reported_at"], name="case_status_reported"),
            # Lists are newest first: all of them, and a unit's queue.
            models.Index(fields=["-reported_at"], name="case_reported_desc"),
            # The dashboard's "today" counters: a day's rows by the moment of each stage.
            models.Index(fields=["filed_at"], name="case_filed_at"),
            models.Index(fields=["dispatched_at"], name="case_dispatched_at"),
            models.Index(fields=["closed_at"], name="case_closed_at"),
            models.Index(fields=["handling_unit", "-reported_at"], name="case_unit_reported"),
            models.Index(fields=["item", "status"], name="case_item_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.CLOSED) & ~Q(closure_kind=""))
                | (~Q(status=Status.CLOSED) & Q(closure_kind="")),
                name="case_closure_kind_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.DUPLICATE) | Q(duplicate_of__isnull=False),
                name="case_duplicate_has_original",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One action on a case. Append-only: the database refuses UPDATE and DELETE."""

    # Indexes: the composites below lead with case and actor, so the FKs need none of their
    # own.
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("case"),
        db_index=False,
    )
    # Unique in every month. On PostgreSQL the table is partitioned by month (cases.partitions)
    # and a unique index there would have to include created_at, so the database holds the
    # uniqueness in the key table cases_caseeventkey, filled by a trigger in the event's own
    # INSERT: a duplicate still fails that INSERT with an IntegrityError (what _replay relies
    # on). The table has a plain index `caseevent_request_id` instead of Django's unique one.
    # A future AlterField on this field would, on PostgreSQL, try to add the unique constraint
    # back and fail on the partitioned table: write such a change as SeparateDatabaseAndState
    # with hand-written SQL for PostgreSQL.
    request_id = models.CharField(_("request id"), max_length=64, unique=True)
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        verbose_name=_("actor"),
        db_index=False,
    )
    actor_role = models.CharField(_("acting as"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("at"))
    point = models.PointField(_("where"), srid=4326, null=True, blank=True)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    from_level = models.CharField(_("from level"), max_length=10, blank=True)
    to_level = models.CharField(_("to level"), max_length=10, blank=True)
    handling_unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handling unit"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("case version after"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_time"),
            models.Index(fields=["action", "created_at"], name="caseevent_action_time"),
            models.Index(fields=["actor", "created_at"], name="caseevent_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A photo. Stored copy and thumbnail have no EXIF; the metadata we keep lives here."""

    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("case"),
    )
    # db_constraint=False: case events are partitioned by month on PostgreSQL, and a foreign
    # key cannot reference a partitioned table's id alone (cases.partitions). Events are
    # append-only and never deleted, so the reference cannot dangle; on_delete still
    # applies in Python.
    event = models.ForeignKey(
        CaseEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("event"),
        db_constraint=False,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"))
    file = models.FileField(_("photo"), max_length=255)
    thumbnail = models.FileField(_("thumbnail"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    original_format = models.CharField(_("original format"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    sha256 = models.CharField(_("SHA-256 of the upload"), max_length=64)
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True)
    taken_point = models.PointField(_("taken at (EXIF GPS)"), srid=4326, null=True, blank=True)
    exif = models.JSONField(_("kept EXIF"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["uploaded_by", "sha256"], name="attachment_uploader_sha")]

    def __str__(self) -> str:
        return f"{self.original_format} {self.width}×{self.height}"


class Outbox(models.Model):
    """A notification to deliver, written in the transaction that caused it.

    Most are about one case. Some are not (an analysis alarm is about a place and many
    cases): those name no case and carry a subject and a summary in the payload.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead letter")

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox",
        verbose_name=_("case"),
    )
    # db_constraint=False: case events are partitioned by month on PostgreSQL, and a foreign
    # key cannot reference a partitioned table's id alone (cases.partitions). Events are
    # append-only and never deleted, so the reference cannot dangle; on_delete still
    # applies in Python.
    event = models.ForeignKey(
        CaseEvent,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("event"),
        db_constraint=False,
    )
    topic = models.CharField(_("topic"), max_length=40)
    # Recipients as data (user ids, a unit, a role over a region), resolved at delivery.
    recipients = models.JSONField(_("recipients"), default=dict)
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_due",
                condition=Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.recipients}"
