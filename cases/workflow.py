"""The closed loop as a table (DOMAIN.md §4–5): the one place that says what an action means.

Each row says which states an action starts from, the state it leads to (None: the state
stays, e.g. a request waiting for approval, a level change, a rating), which roles may take it
and how the actor must stand to the case (`Scope`); the payload it reads (with the words a
form shows), whether it takes photos or needs a note; and who hears of it (`Audience`,
resolved at the case's level after the action) with the notice's words. The deadline sweep's
own notices (yellow and red cards) are in `NOTICES`.

Services enforce the table (with the per-action prechecks in cases.handlers); the API's hints,
the case page's forms, the outbox (cases.outbox) and the inbox titles read it; tests iterate
it; `manage.py render_workflow` writes it to docs/workflow.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATUSES, ClosureKind, LimitUnit, PendingRequest, Status
from grids.models import Role


class Scope(enum.StrEnum):
    """How the actor must stand to the case, besides holding one of the roles."""

    # A command-centre post at the case's handling level whose region covers the case.
    # At street level a street officer, at community level community staff, stand in for
    # the intake operator, shift supervisor and dispatcher (their levels run their own loop).
    # District leaders act at any level.
    COMMAND = "command"
    # An inspector whose grid is the case's grid.
    GRID = "grid"
    # A handler of the case's handling unit (a street officer for their street office).
    UNIT = "unit"
    # A post at the case's current handling level (escalation starts from where the case is).
    LEVEL = "level"
    # The user who reported the case, or intake recording a rating given by phone.
    REPORTER = "reporter"
    # A post at or above the case's handling level whose region covers the case (community
    # staff and street officers only at their own level's cases and below); district
    # leaders anywhere. Pressure comes from above: urging and supervising.
    ABOVE = "above"
    # A handler of a unit co-handling the case (a street officer for their street office).
    CO_UNIT = "co_unit"


class Action(enum.StrEnum):
    REPORT = "report"
    SELF_HANDLE = "self_handle"
    SEND_VERIFY = "send_verify"
    VERIFY = "verify"
    REGISTER = "register"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    FILE = "file"
    VOID = "void"
    DISPATCH = "dispatch"
    SIGN_FOR = "sign_for"
    FEEDBACK = "feedback"
    REQUEST_RETURN = "request_return"
    APPROVE_RETURN = "approve_return"
    DENY_RETURN = "deny_return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    REQUEST_SUSPENSION = "request_suspension"
    APPROVE_SUSPENSION = "approve_suspension"
    DENY_SUSPENSION = "deny_suspension"
    RESUME = "resume"
    SEND_CHECK = "send_check"
    CHECK_PASS = "check_pass"  # noqa: S105 - an action name, not a password
    CHECK_FAIL = "check_fail"
    CLOSE = "close"
    CLOSE_EXCEPTIONALLY = "close_exceptionally"
    ESCALATE = "escalate"
    PUSH_DOWN = "push_down"
    RATE = "rate"
    ADD_CO_HANDLER = "add_co_handler"
    REMOVE_CO_HANDLER = "remove_co_handler"
    CO_SIGN_FOR = "co_sign_for"
    CO_FEEDBACK = "co_feedback"
    URGE = "urge"
    SUPERVISE = "supervise"


class Audience(enum.StrEnum):
    """Who hears of an action, resolved at the case's handling level after it (cases.outbox).

    The command roles of a level: at the district the intake operator, shift supervisor and
    dispatcher posted there; at a street the street officer (and any command-centre staff
    posted at the street); at a community its community staff. Nobody above hears of a
    level's own work: the district sees it, read-only, when it looks.
    """

    INTAKE = "intake"  # the level's intake (new cases, verification done, feedback)
    SUPERVISOR = "supervisor"  # the level's shift supervisor (filing, approvals, checks)
    DISPATCHER = "dispatcher"  # the level's dispatcher (filed cases, returns)
    COMMAND = "command"  # every command role of the level
    # Who approves a request: the level's shift supervisor; a district leader too for a
    # second extension (higher approval).
    APPROVER = "approver"
    UNIT = "unit"  # the handling unit's handlers (a street office: its street's officers)
    CO_UNIT = "co_unit"  # the co-handling unit the action names
    GRID = "grid"  # the inspectors of the case's grid, or the one the action names
    REPORTER = "reporter"  # who reported it: the account, and a caller's phone
    # Whoever must act on the running stage: the unit while it handles, the grid's
    # inspectors on site, otherwise the level's command role for the stage.
    ACTOR = "actor"


class Emphasis(enum.StrEnum):
    """How a form offers the action: the next step of the loop, a side step, or one that ends
    the case without handling it (asked to confirm, with a reason)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    DESTRUCTIVE = "destructive"


@dataclass(frozen=True)
class Choice:
    value: str | int
    label: Promise


@dataclass(frozen=True)
class PayloadField:
    """One field of an action's payload, as its handler reads it and a form offers it.

    `choices` are fixed; `source` names choices that depend on the case, which the API's
    hints fill in (units, the grid's inspectors, likely duplicates, co-handling units,
    catalogue items), or "case.<field>": no choices, the case's value as the suggestion (a
    correction starts from what is there). A required field with a source and no choice
    makes the action impossible for now: it is not offered.
    """

    name: str
    # boolean, integer, number, string, text (several lines), date (YYYY-MM-DD) or point
    # ({"lon": …, "lat": …}, WGS84)
    type: str
    label: Promise
    help: Promise
    required: bool = True
    choices: tuple[Choice, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Notice:
    """A notification: its topic, what it means to the reader, and who hears of it."""

    topic: str
    label: Promise
    audience: tuple[Audience, ...]


@dataclass(frozen=True)
class Transition:
    action: Action
    label: Promise
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    scope: Scope
    # The pending request the action needs (approve/deny), or PendingRequest.NONE for
    # "no request may be pending" on a new request; None: pending requests don't matter.
    needs_pending: str | None = None
    # The request this action opens, kept on the case until approved or denied.
    opens_request: str | None = None
    levels: str = ""  # the level rule in words, for the docs
    note_required: bool = False
    fields: tuple[PayloadField, ...] = ()
    photos: bool = False  # the record of the action is a photo of the site
    # Who hears of it and what the notice says; no audience: nobody is notified.
    audience: tuple[Audience, ...] = ()
    notice_label: Promise | None = None
    # What a citizen who reported through their account is told (topic "report.<action>"),
    # besides the close or rejection every reporter hears of through the audience.
    reporter_notice: Promise | None = None
    # The deadline sweep may take it without a person (escalating, supervising overdue cases).
    system: bool = False
    # How a form offers it (the case page's primary button, the others, behind a confirmation).
    emphasis: Emphasis = Emphasis.SECONDARY
    # What a form asks before an action that is not destructive but cannot be taken back by
    # whoever takes it (handing the case to another level); None: no question (destructive
    # actions always ask, in their own words).
    confirm: Promise | None = None

    @property
    def asks_confirmation(self) -> bool:
        """Whether a form asks "are you sure?" before sending it: the one rule for every
        client (the case page's dialog follows it through the API's action hints)."""
        return self.emphasis is Emphasis.DESTRUCTIVE or self.confirm is not None

    @property
    def creates_case(self) -> bool:
        return not self.sources

    @property
    def topic(self) -> str:
        return f"case.{self.action}"

    @property
    def reporter_topic(self) -> str:
        return f"report.{self.action}"

    @property
    def notice(self) -> Notice | None:
        if not self.audience or self.notice_label is None:
            return None
        return Notice(self.topic, self.notice_label, self.audience)


INTAKE = frozenset({Role.INTAKE_OPERATOR})
SUPERVISOR = frozenset({Role.SHIFT_SUPERVISOR})
DISPATCHER = frozenset({Role.DISPATCHER})
UNIT_HANDLER = frozenset({Role.UNIT_HANDLER})
INSPECTOR = frozenset({Role.INSPECTOR})
COMMAND_ROLES = INTAKE | SUPERVISOR | DISPATCHER
# Stand-ins: the roles that act for the whole command centre at their level.
LEVEL_STAND_INS: dict[str, frozenset[str]] = {
    "street": frozenset({Role.STREET_OFFICER}),
    "community": frozenset({Role.COMMUNITY_STAFF}),
}

_OPEN = frozenset(OPEN_STATUSES)
_AT_UNIT = frozenset({Status.DISPATCHED, Status.HANDLING})
_RUNNING = _OPEN - {Status.SUSPENDED}
_AT_COMMAND_LEVEL = "the handling level (district or street command centre, community)"
_UNIT_ID = "unit_id"

_EXTENSION_UNITS = tuple(Choice(value, label) for value, label in LimitUnit.choices)
_CLOSURE_KINDS = (
    Choice(ClosureKind.ERRONEOUS, ClosureKind.ERRONEOUS.label),
    Choice(ClosureKind.SPECIAL, ClosureKind.SPECIAL.label),
)
_RATINGS = (
    Choice(5, _("5 · very satisfied")),
    Choice(4, _("4 · satisfied")),
    Choice(3, _("3 · neither")),
    Choice(2, _("2 · dissatisfied")),
    Choice(1, _("1 · very dissatisfied")),
)

TRANSITIONS: dict[Action, Transition] = {
    row.action: row
    for row in [
        # --- intake ---------------------------------------------------------------------
        Transition(
            Action.REPORT,
            _("Report"),
            frozenset(),
            Status.REPORTED,
            frozenset(
                {Role.INSPECTOR, Role.INTAKE_OPERATOR, Role.COMMUNITY_STAFF, Role.STREET_OFFICER}
            ),
            Scope.LEVEL,
            levels="the point lies in the reporter's jurisdiction (intake: any point in theirs); "
            "the case starts at its entry level (above)",
            photos=True,
            audience=(Audience.INTAKE,),
            notice_label=_("New case reported"),
        ),
        Transition(
            Action.SELF_HANDLE,
            _("Self-handle"),
            frozenset(),
            Status.CLOSED,
            INSPECTOR,
            Scope.GRID,
            levels="grid: the inspector's own grid; the case is reported and closed at once",
            photos=True,
        ),
        Transition(
            Action.SEND_VERIFY,
            _("Send verify task"),
            frozenset({Status.REPORTED}),
            Status.VERIFYING,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
            fields=(
                PayloadField(
                    "inspector_id",
                    "integer",
                    _("Inspector"),
                    _("The inspector of the grid to send (default: all of the grid's inspectors)."),
                    required=False,
                    source="grid_inspectors",
                ),
            ),
            audience=(Audience.GRID,),
            notice_label=_("Please verify on site"),
        ),
        Transition(
            Action.VERIFY,
            _("Verify on site"),
            frozenset({Status.VERIFYING}),
            Status.REPORTED,
            INSPECTOR,
            Scope.GRID,
            emphasis=Emphasis.PRIMARY,
            levels="the case's grid",
            fields=(
                PayloadField(
                    "confirmed",
                    "boolean",
                    _("Problem found on site"),
                    _("Was the problem found on site?"),
                ),
            ),
            photos=True,
            audience=(Audience.INTAKE,),
            notice_label=_("Verified on site"),
        ),
        Transition(
            Action.REGISTER,
            _("Register"),
            frozenset({Status.REPORTED}),
            Status.REGISTERED,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; may correct the item, place, address and description "
            "(the event records what changed; a new place stays in the actor's region)",
            fields=(
                PayloadField(
                    "item_id",
                    "integer",
                    _("Item"),
                    _("Correct the item if the report named the wrong one."),
                    required=False,
                    source="items",
                ),
                PayloadField(
                    "point",
                    "point",
                    _("Place"),
                    _("Click the map to move the place."),
                    required=False,
                ),
                PayloadField(
                    "address",
                    "string",
                    _("Address"),
                    _("Correct or complete the address."),
                    required=False,
                    source="case.address",
                ),
                PayloadField(
                    "description",
                    "text",
                    _("Description"),
                    _("Correct or complete the description."),
                    required=False,
                    source="case.description",
                ),
            ),
            emphasis=Emphasis.PRIMARY,
            audience=(Audience.SUPERVISOR,),
            notice_label=_("Case registered, awaiting filing"),
        ),
        Transition(
            Action.REJECT,
            _("Reject"),
            frozenset({Status.REPORTED, Status.VERIFYING}),
            Status.REJECTED,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
            note_required=True,
            emphasis=Emphasis.DESTRUCTIVE,
            audience=(Audience.REPORTER,),
            notice_label=_("Your report was not accepted"),
        ),
        Transition(
            Action.MARK_DUPLICATE,
            _("Mark duplicate"),
            frozenset({Status.REPORTED, Status.VERIFYING, Status.REGISTERED}),
            Status.DUPLICATE,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
            fields=(
                PayloadField(
                    "original_case_id",
                    "integer",
                    _("Original case"),
                    _("An open case of the same item nearby."),
                    required=False,
                    source="duplicates",
                ),
                PayloadField(
                    "original_case_number",
                    "string",
                    _("Or its case number"),
                    _("The number of the open case this one duplicates."),
                    required=False,
                ),
            ),
            emphasis=Emphasis.DESTRUCTIVE,
            reporter_notice=_("Your report is about a problem already reported"),
        ),
        Transition(
            Action.FILE,
            _("File"),
            frozenset({Status.REGISTERED}),
            Status.FILED,
            SUPERVISOR,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            levels=_AT_COMMAND_LEVEL,
            audience=(Audience.DISPATCHER,),
            notice_label=_("Case filed, awaiting dispatch"),
            reporter_notice=_("Your report has been accepted as a case"),
        ),
        Transition(
            Action.VOID,
            _("Void"),
            frozenset({Status.REGISTERED, Status.FILED}),
            Status.VOIDED,
            SUPERVISOR,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
            note_required=True,
            emphasis=Emphasis.DESTRUCTIVE,
            reporter_notice=_("Your report has been closed without action"),
        ),
        # --- dispatch and handling ------------------------------------------------------------
        Transition(
            Action.DISPATCH,
            _("Dispatch"),
            frozenset({Status.FILED}),
            Status.DISPATCHED,
            DISPATCHER,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            levels=_AT_COMMAND_LEVEL,
            fields=(
                PayloadField(
                    _UNIT_ID,
                    "integer",
                    _("Handling unit"),
                    _("The unit that will handle the case."),
                    source="units",
                ),
            ),
            audience=(Audience.UNIT,),
            notice_label=_("Case dispatched to your unit"),
            reporter_notice=_("Your report has been sent to the unit that handles it"),
        ),
        Transition(
            Action.SIGN_FOR,
            _("Sign for"),
            frozenset({Status.DISPATCHED}),
            Status.HANDLING,
            UNIT_HANDLER,
            Scope.UNIT,
            emphasis=Emphasis.PRIMARY,
            needs_pending=PendingRequest.NONE,
            levels="the case's handling unit",
        ),
        Transition(
            Action.FEEDBACK,
            _("Feed back (handled)"),
            frozenset({Status.HANDLING}),
            Status.HANDLED,
            UNIT_HANDLER,
            Scope.UNIT,
            emphasis=Emphasis.PRIMARY,
            needs_pending=PendingRequest.NONE,
            levels="the case's handling unit (the lead unit: co-handling units feed back "
            "their part with `co_feedback`)",
            note_required=True,
            photos=True,
            audience=(Audience.INTAKE,),
            notice_label=_("Handling reported"),
            reporter_notice=_("The unit says the problem is handled; it will be checked"),
        ),
        # --- requests -------------------------------------------------------------------------
        Transition(
            Action.REQUEST_RETURN,
            _("Request return"),
            _AT_UNIT,
            None,
            UNIT_HANDLER,
            Scope.UNIT,
            needs_pending=PendingRequest.NONE,
            opens_request=PendingRequest.RETURN,
            levels="the case's handling unit",
            note_required=True,
            audience=(Audience.DISPATCHER, Audience.SUPERVISOR),
            notice_label=_("Return requested"),
        ),
        Transition(
            Action.APPROVE_RETURN,
            _("Approve return"),
            _AT_UNIT,
            Status.FILED,
            DISPATCHER | SUPERVISOR,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            needs_pending=PendingRequest.RETURN,
            levels=_AT_COMMAND_LEVEL + "; co-handling ends with the dispatch it belonged to",
            audience=(Audience.DISPATCHER,),
            notice_label=_("Return approved"),
        ),
        Transition(
            Action.DENY_RETURN,
            _("Deny return"),
            _AT_UNIT,
            None,
            DISPATCHER | SUPERVISOR,
            Scope.COMMAND,
            needs_pending=PendingRequest.RETURN,
            levels=_AT_COMMAND_LEVEL,
            note_required=True,
            audience=(Audience.UNIT,),
            notice_label=_("Return denied"),
        ),
        Transition(
            Action.REQUEST_EXTENSION,
            _("Request extension"),
            frozenset({Status.HANDLING}),
            None,
            UNIT_HANDLER,
            Scope.UNIT,
            needs_pending=PendingRequest.NONE,
            opens_request=PendingRequest.EXTENSION,
            levels="the case's handling unit",
            note_required=True,
            fields=(
                PayloadField(
                    "value",
                    "number",
                    _("Extension length"),
                    _("How much more time (at most 1000)."),
                ),
                PayloadField(
                    "unit",
                    "string",
                    _("Time unit"),
                    _("The unit of the extra time."),
                    choices=_EXTENSION_UNITS,
                ),
            ),
            audience=(Audience.APPROVER,),
            notice_label=_("Extension requested"),
        ),
        Transition(
            Action.APPROVE_EXTENSION,
            _("Approve extension"),
            frozenset({Status.HANDLING}),
            None,
            SUPERVISOR | frozenset({Role.DISTRICT_LEADER}),
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            needs_pending=PendingRequest.EXTENSION,
            levels=_AT_COMMAND_LEVEL
            + "; a second or later extension needs a district leader (higher approval)",
            audience=(Audience.UNIT,),
            notice_label=_("Extension approved"),
        ),
        Transition(
            Action.DENY_EXTENSION,
            _("Deny extension"),
            frozenset({Status.HANDLING}),
            None,
            SUPERVISOR | frozenset({Role.DISTRICT_LEADER}),
            Scope.COMMAND,
            needs_pending=PendingRequest.EXTENSION,
            levels=_AT_COMMAND_LEVEL,
            note_required=True,
            audience=(Audience.UNIT,),
            notice_label=_("Extension denied"),
        ),
        Transition(
            Action.REQUEST_SUSPENSION,
            _("Request suspension"),
            frozenset({Status.HANDLING}),
            None,
            UNIT_HANDLER,
            Scope.UNIT,
            needs_pending=PendingRequest.NONE,
            opens_request=PendingRequest.SUSPENSION,
            levels="the case's handling unit",
            note_required=True,
            audience=(Audience.SUPERVISOR,),
            notice_label=_("Suspension requested"),
        ),
        Transition(
            Action.APPROVE_SUSPENSION,
            _("Approve suspension"),
            frozenset({Status.HANDLING}),
            Status.SUSPENDED,
            SUPERVISOR,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            needs_pending=PendingRequest.SUSPENSION,
            levels=_AT_COMMAND_LEVEL,
            audience=(Audience.UNIT,),
            notice_label=_("Suspension approved"),
        ),
        Transition(
            Action.DENY_SUSPENSION,
            _("Deny suspension"),
            frozenset({Status.HANDLING}),
            None,
            SUPERVISOR,
            Scope.COMMAND,
            needs_pending=PendingRequest.SUSPENSION,
            levels=_AT_COMMAND_LEVEL,
            note_required=True,
            audience=(Audience.UNIT,),
            notice_label=_("Suspension denied"),
        ),
        Transition(
            Action.RESUME,
            _("Resume"),
            frozenset({Status.SUSPENDED}),
            Status.HANDLING,
            SUPERVISOR,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            levels=_AT_COMMAND_LEVEL,
            audience=(Audience.UNIT,),
            notice_label=_("Case resumed"),
        ),
        # --- joint handling (联办) -------------------------------------------------------------
        Transition(
            Action.ADD_CO_HANDLER,
            _("Add co-handling unit"),
            _AT_UNIT,
            None,
            DISPATCHER,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; any active unit but the lead unit and those already "
            "co-handling; its handlers are granted the case (django-guardian)",
            fields=(
                PayloadField(
                    _UNIT_ID,
                    "integer",
                    _("Co-handling unit"),
                    _("The unit that handles a part of the case beside the lead unit."),
                    source="co_units_to_add",
                ),
            ),
            audience=(Audience.CO_UNIT, Audience.UNIT),
            notice_label=_("Your unit co-handles a case"),
        ),
        Transition(
            Action.REMOVE_CO_HANDLER,
            _("Remove co-handling unit"),
            _AT_UNIT,
            None,
            DISPATCHER,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; the unit's grant on the case is withdrawn",
            fields=(
                PayloadField(
                    _UNIT_ID,
                    "integer",
                    _("Co-handling unit"),
                    _("The co-handling unit to release."),
                    source="co_units",
                ),
            ),
            audience=(Audience.CO_UNIT,),
            notice_label=_("Your unit no longer co-handles a case"),
        ),
        Transition(
            Action.CO_SIGN_FOR,
            _("Sign for our part"),
            _AT_UNIT,
            None,
            UNIT_HANDLER,
            Scope.CO_UNIT,
            emphasis=Emphasis.PRIMARY,
            levels="a co-handling unit that has not signed for its part",
        ),
        Transition(
            Action.CO_FEEDBACK,
            _("Feed back our part"),
            _AT_UNIT,
            None,
            UNIT_HANDLER,
            Scope.CO_UNIT,
            emphasis=Emphasis.PRIMARY,
            levels="a co-handling unit that signed for its part and has not fed it back; the "
            "case is handled when the lead unit feeds back",
            note_required=True,
            photos=True,
            audience=(Audience.UNIT,),
            notice_label=_("A co-handling unit fed back its part"),
        ),
        # --- closing --------------------------------------------------------------------------
        Transition(
            Action.SEND_CHECK,
            _("Send check task"),
            frozenset({Status.HANDLED}),
            Status.CHECKING,
            INTAKE,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            levels=_AT_COMMAND_LEVEL,
            audience=(Audience.GRID,),
            notice_label=_("Please check on site"),
        ),
        Transition(
            Action.CHECK_PASS,
            _("Check passed"),
            frozenset({Status.CHECKING}),
            Status.CHECK_PASSED,
            INSPECTOR,
            Scope.GRID,
            emphasis=Emphasis.PRIMARY,
            levels="the case's grid",
            photos=True,
            audience=(Audience.SUPERVISOR,),
            notice_label=_("Check passed, awaiting close"),
        ),
        Transition(
            Action.CHECK_FAIL,
            _("Check failed (rework)"),
            frozenset({Status.CHECKING}),
            Status.HANDLING,
            INSPECTOR,
            Scope.GRID,
            levels="the case's grid; the case goes back to the same unit",
            note_required=True,
            photos=True,
            audience=(Audience.UNIT, Audience.SUPERVISOR),
            notice_label=_("Check failed, please handle again"),
        ),
        Transition(
            Action.CLOSE,
            _("Close"),
            frozenset({Status.CHECK_PASSED}),
            Status.CLOSED,
            SUPERVISOR,
            Scope.COMMAND,
            emphasis=Emphasis.PRIMARY,
            levels=_AT_COMMAND_LEVEL + "; closure kind normal, or overdue when past the case due",
            audience=(Audience.REPORTER,),
            notice_label=_("Your report has been handled and closed"),
        ),
        Transition(
            Action.CLOSE_EXCEPTIONALLY,
            _("Close as erroneous or special"),
            frozenset(
                {
                    Status.REGISTERED,
                    Status.FILED,
                    Status.DISPATCHED,
                    Status.HANDLING,
                    Status.SUSPENDED,
                    Status.HANDLED,
                    Status.CHECKING,
                    Status.CHECK_PASSED,
                }
            ),
            Status.CLOSED,
            SUPERVISOR,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; closure kind erroneous or special, with a reason",
            note_required=True,
            fields=(
                PayloadField(
                    "closure_kind",
                    "string",
                    _("Closure kind"),
                    _("Why the case closes without a check."),
                    choices=_CLOSURE_KINDS,
                ),
            ),
            emphasis=Emphasis.DESTRUCTIVE,
            audience=(Audience.REPORTER,),
            notice_label=_("Your report has been closed"),
        ),
        # --- levels ---------------------------------------------------------------------------
        Transition(
            Action.ESCALATE,
            _("Escalate one level up"),
            _OPEN,
            None,
            COMMAND_ROLES | frozenset({Role.INSPECTOR, Role.COMMUNITY_STAFF, Role.STREET_OFFICER}),
            Scope.LEVEL,
            levels="a post at the current handling level; grid → community → street → district, "
            "never above the district; the deadline sweep escalates too",
            note_required=True,
            audience=(Audience.COMMAND,),
            notice_label=_("A case was escalated to your level"),
            system=True,
            confirm=_(
                "Case %(number)s goes to the level above, which handles it from now on. Only "
                "that level can hand it back."
            ),
        ),
        Transition(
            Action.PUSH_DOWN,
            _("Push down one level"),
            _OPEN - {Status.REPORTED, Status.VERIFYING},
            None,
            COMMAND_ROLES | frozenset({Role.STREET_OFFICER, Role.DISTRICT_LEADER}),
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; district → street → community, never below community",
            audience=(Audience.COMMAND,),
            notice_label=_("A case was handed down to your level"),
            confirm=_(
                "Case %(number)s goes to the level below, which handles it from now on. Your "
                "level cannot take it back."
            ),
        ),
        # --- pressure (催办, 督办) --------------------------------------------------------------
        Transition(
            Action.URGE,
            _("Urge"),
            _AT_UNIT,
            None,
            COMMAND_ROLES
            | frozenset({Role.STREET_OFFICER, Role.COMMUNITY_STAFF, Role.DISTRICT_LEADER}),
            Scope.ABOVE,
            levels="a command role at or above the case's level whose region covers it, or a "
            "district leader; the handling unit is told, with the reason",
            note_required=True,
            audience=(Audience.UNIT,),
            notice_label=_("You are urged to handle a case"),
        ),
        Transition(
            Action.SUPERVISE,
            _("Supervise"),
            _RUNNING,
            None,
            SUPERVISOR | frozenset({Role.DISTRICT_LEADER}),
            Scope.ABOVE,
            levels="a shift supervisor at or above the case's level, or a district leader, with "
            "a due date; the deadline sweep supervises overdue cases past their grace; settled "
            "when the stage ends",
            note_required=True,
            fields=(
                PayloadField(
                    "due_date",
                    "date",
                    _("Supervision due date"),
                    _("The day by which the case must have moved on (today at the earliest)."),
                ),
            ),
            audience=(Audience.ACTOR, Audience.COMMAND),
            notice_label=_("A case is under supervision"),
            system=True,
        ),
        # --- rating ---------------------------------------------------------------------------
        Transition(
            Action.RATE,
            _("Rate (citizen satisfaction)"),
            frozenset({Status.CLOSED}),
            None,
            INTAKE,
            Scope.REPORTER,
            emphasis=Emphasis.PRIMARY,
            levels="the reporting citizen, or intake recording a rating given by phone; once",
            fields=(
                PayloadField(
                    "rating",
                    "integer",
                    _("Satisfaction"),
                    _("Satisfaction from 1 to 5."),
                    choices=_RATINGS,
                ),
                PayloadField(
                    "comment",
                    "string",
                    _("Comment"),
                    _("The citizen's words."),
                    required=False,
                ),
            ),
        ),
    ]
}

# District leaders stand at the top of the command chain: every command-centre action is
# theirs too, at any level. Written into the rows so the table says it.
TRANSITIONS = {
    action: (
        Transition(**{**row.__dict__, "roles": row.roles | {Role.DISTRICT_LEADER}})
        if row.scope is Scope.COMMAND
        else row
    )
    for action, row in TRANSITIONS.items()
}

# The actions a person takes through case_transition (the first two create a case).
CREATING_ACTIONS = frozenset(a for a, row in TRANSITIONS.items() if row.creates_case)
TRANSITION_ACTIONS = frozenset(TRANSITIONS) - CREATING_ACTIONS


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[Action(action)]
    except ValueError:
        raise KeyError(action) from None


# --- the deadline sweep's own notices -------------------------------------------------------

NOTICE_WARNING = "case.warning"
NOTICE_OVERDUE = "case.overdue"
NOTICE_REMINDER = "case.reminder"

NOTICES: dict[str, Notice] = {
    notice.topic: notice
    for notice in (
        # Yellow card: whoever must act on the running stage is warned.
        Notice(NOTICE_WARNING, _("Yellow card: the stage is nearly due"), (Audience.ACTOR,)),
        # Red card: whoever must act, and the level's command.
        Notice(
            NOTICE_OVERDUE,
            _("Red card: the stage is overdue"),
            (Audience.ACTOR, Audience.COMMAND),
        ),
        # Written by the sweep before it supervised through the `supervise` action; kept so
        # that older messages still read well.
        Notice(
            NOTICE_REMINDER,
            _("Reminder: overdue past the grace period"),
            (Audience.ACTOR, Audience.COMMAND),
        ),
    )
}


def topic_label(topic: str) -> Promise | None:
    """What a notification topic means to its reader (None: not a topic of ours)."""
    if topic in NOTICES:
        return NOTICES[topic].label
    prefix, _dot, action = topic.partition(".")
    try:
        row = TRANSITIONS[Action(action)]
    except ValueError:
        return None
    if prefix == "case":
        return row.notice_label
    if prefix == "report":
        return row.reporter_notice
    return None


def all_topics() -> dict[str, Promise]:
    """Every topic the outbox may carry, with its label."""
    topics: dict[str, Promise] = {
        row.topic: row.notice_label
        for row in TRANSITIONS.values()
        if row.audience and row.notice_label is not None
    }
    topics.update(
        {
            row.reporter_topic: row.reporter_notice
            for row in TRANSITIONS.values()
            if row.reporter_notice is not None
        }
    )
    topics.update({topic: notice.label for topic, notice in NOTICES.items()})
    return topics
