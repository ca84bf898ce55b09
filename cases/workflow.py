"""The closed loop as a table (DOMAIN.md §4–5).

Each row says which states an action starts from, the state it leads to (None: the state
stays, e.g. a request waiting for approval, a level change, a rating), which roles may take it
and how the actor must stand to the case (`Scope`). Services enforce the table; tests iterate
it; `manage.py render_workflow` writes it to docs/workflow.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATUSES, PendingRequest, Status
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

    @property
    def creates_case(self) -> bool:
        return not self.sources


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
_AT_COMMAND_LEVEL = "the handling level (district or street command centre, community)"

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
            levels="the point lies in the reporter's jurisdiction (intake: any point in theirs)",
        ),
        Transition(
            Action.SELF_HANDLE,
            _("Self-handle"),
            frozenset(),
            Status.CLOSED,
            INSPECTOR,
            Scope.GRID,
            levels="grid: the inspector's own grid; the case is reported and closed at once",
        ),
        Transition(
            Action.SEND_VERIFY,
            _("Send verify task"),
            frozenset({Status.REPORTED}),
            Status.VERIFYING,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
        ),
        Transition(
            Action.VERIFY,
            _("Verify on site"),
            frozenset({Status.VERIFYING}),
            Status.REPORTED,
            INSPECTOR,
            Scope.GRID,
            levels="the case's grid",
        ),
        Transition(
            Action.REGISTER,
            _("Register"),
            frozenset({Status.REPORTED}),
            Status.REGISTERED,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
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
        ),
        Transition(
            Action.MARK_DUPLICATE,
            _("Mark duplicate"),
            frozenset({Status.REPORTED, Status.VERIFYING, Status.REGISTERED}),
            Status.DUPLICATE,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
        ),
        Transition(
            Action.FILE,
            _("File"),
            frozenset({Status.REGISTERED}),
            Status.FILED,
            SUPERVISOR,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
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
        ),
        # --- dispatch and handling ------------------------------------------------------------
        Transition(
            Action.DISPATCH,
            _("Dispatch"),
            frozenset({Status.FILED}),
            Status.DISPATCHED,
            DISPATCHER,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
        ),
        Transition(
            Action.SIGN_FOR,
            _("Sign for"),
            frozenset({Status.DISPATCHED}),
            Status.HANDLING,
            UNIT_HANDLER,
            Scope.UNIT,
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
            needs_pending=PendingRequest.NONE,
            levels="the case's handling unit",
            note_required=True,
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
        ),
        Transition(
            Action.APPROVE_RETURN,
            _("Approve return"),
            _AT_UNIT,
            Status.FILED,
            DISPATCHER | SUPERVISOR,
            Scope.COMMAND,
            needs_pending=PendingRequest.RETURN,
            levels=_AT_COMMAND_LEVEL,
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
        ),
        Transition(
            Action.APPROVE_EXTENSION,
            _("Approve extension"),
            frozenset({Status.HANDLING}),
            None,
            SUPERVISOR | frozenset({Role.DISTRICT_LEADER}),
            Scope.COMMAND,
            needs_pending=PendingRequest.EXTENSION,
            levels=_AT_COMMAND_LEVEL
            + "; a second or later extension needs a district leader (higher approval)",
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
        ),
        Transition(
            Action.APPROVE_SUSPENSION,
            _("Approve suspension"),
            frozenset({Status.HANDLING}),
            Status.SUSPENDED,
            SUPERVISOR,
            Scope.COMMAND,
            needs_pending=PendingRequest.SUSPENSION,
            levels=_AT_COMMAND_LEVEL,
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
        ),
        Transition(
            Action.RESUME,
            _("Resume"),
            frozenset({Status.SUSPENDED}),
            Status.HANDLING,
            SUPERVISOR,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
        ),
        # --- closing --------------------------------------------------------------------------
        Transition(
            Action.SEND_CHECK,
            _("Send check task"),
            frozenset({Status.HANDLED}),
            Status.CHECKING,
            INTAKE,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL,
        ),
        Transition(
            Action.CHECK_PASS,
            _("Check passed"),
            frozenset({Status.CHECKING}),
            Status.CHECK_PASSED,
            INSPECTOR,
            Scope.GRID,
            levels="the case's grid",
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
        ),
        Transition(
            Action.CLOSE,
            _("Close"),
            frozenset({Status.CHECK_PASSED}),
            Status.CLOSED,
            SUPERVISOR,
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; closure kind normal, or overdue when past the case due",
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
        ),
        # --- levels and rating -------------------------------------------------------------
        Transition(
            Action.ESCALATE,
            _("Escalate one level up"),
            _OPEN,
            None,
            COMMAND_ROLES | frozenset({Role.INSPECTOR, Role.COMMUNITY_STAFF, Role.STREET_OFFICER}),
            Scope.LEVEL,
            levels="a post at the current handling level; grid → community → street → district",
            note_required=True,
        ),
        Transition(
            Action.PUSH_DOWN,
            _("Push down one level"),
            _OPEN - {Status.REPORTED, Status.VERIFYING},
            None,
            COMMAND_ROLES | frozenset({Role.STREET_OFFICER, Role.DISTRICT_LEADER}),
            Scope.COMMAND,
            levels=_AT_COMMAND_LEVEL + "; district → street → community, never below community",
        ),
        Transition(
            Action.RATE,
            _("Rate (citizen satisfaction)"),
            frozenset({Status.CLOSED}),
            None,
            INTAKE,
            Scope.REPORTER,
            levels="the reporting citizen, or intake recording a rating given by phone; once",
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
