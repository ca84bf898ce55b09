"""docs/workflow.md, rendered from the transition table (kept in git, checked in CI)."""

from __future__ import annotations

from django.utils import translation

from cases.models import EntryLevel, HandlingLevel, Status
from cases.routing import REPORTER_LEVELS
from cases.workflow import NOTICE_REMINDER, NOTICES, TRANSITIONS, Audience, Transition
from grids.models import Role

# Topics older messages carry; nothing writes them any more.
LEGACY = frozenset({NOTICE_REMINDER})


def _roles(row: Transition) -> str:
    return ", ".join(f"{Role(r).label} (`{r}`)" for r in sorted(row.roles))


def _states(states: frozenset[str]) -> str:
    if not states:
        return "— (creates the case)"
    return ", ".join(f"`{s}`" for s in sorted(states, key=list(Status.values).index))


_AUDIENCE_WORDS: dict[Audience, str] = {
    Audience.INTAKE: "the level's intake",
    Audience.SUPERVISOR: "the level's shift supervisor",
    Audience.DISPATCHER: "the level's dispatcher",
    Audience.COMMAND: "the level's command (intake, shift supervisor, dispatcher)",
    Audience.APPROVER: "the level's shift supervisor (a second extension: district leaders too)",
    Audience.UNIT: "the handling unit",
    Audience.CO_UNIT: "the co-handling unit named",
    Audience.GRID: "the grid's inspectors (or the one named)",
    Audience.REPORTER: "the reporter (account, caller's phone)",
    Audience.ACTOR: "whoever must act on the running stage",
}


def _payload(row: Transition) -> str:
    parts = []
    for field in row.fields:
        text = f"`{field.name}` ({field.type}{'' if field.required else ', optional'})"
        if field.choices:
            text += ": " + ", ".join(f"`{c.value}`" for c in field.choices)
        elif field.source:
            text += f": from {field.source.replace('_', ' ')}"
        parts.append(text)
    return "; ".join(parts)


def _audience(audiences: tuple[Audience, ...]) -> str:
    return "; ".join(_AUDIENCE_WORDS[a] for a in audiences)


def _notices_table() -> list[str]:
    lines = [
        "| action | topic | notice | who hears of it |",
        "|---|---|---|---|",
    ]
    for row in TRANSITIONS.values():
        if row.notice is not None:
            lines.append(
                f"| `{row.action.value}` | `{row.topic}` | {row.notice_label} "
                f"| {_audience(row.audience)} |"
            )
        if row.reporter_notice is not None:
            lines.append(
                f"| `{row.action.value}` | `{row.reporter_topic}` | {row.reporter_notice} "
                "| the citizen who reported it through their account (app, web, WeChat) |"
            )
    for notice in NOTICES.values():
        who = (
            "(deadline sweep, before `supervise`)" if notice.topic in LEGACY else "(deadline sweep)"
        )
        lines.append(
            f"| {who} | `{notice.topic}` | {notice.label} | {_audience(notice.audience)} |"
        )
    return lines


def _entry_levels() -> list[str]:
    reporters = ", ".join(
        f"{str(Role(role).label).lower()}: {str(HandlingLevel(level).label).lower()}"
        for role, level in REPORTER_LEVELS.items()
    )
    levels = ", ".join(f"`{value}`" for value in EntryLevel.values)
    return [
        "## Where a case starts (entry level)",
        "",
        "Each level runs its own loop (DOMAIN.md §5): a case starts at the lowest level that can",
        "handle it, and only what needs the district goes up. `case_report` chooses the first",
        "level (`cases.routing`), in this order:",
        "",
        "1. a self-handled case is closed in the grid it was fixed in (`grid`);",
        "2. an urgent or very urgent report starts at the district;",
        '3. a district intake operator may keep a report at the district (`"handling_level":',
        '   "district"` on `POST /api/v1/cases/` or `POST /api/v1/intake/`);',
        f"4. the item's entry level ({levels}): the catalogue item's `entry_level`",
        "   (seeded from DOMAIN.md §5, editable in the admin and the catalogue CSV), overridden",
        "   for a street or community by an entry level rule (the community's rule over the",
        "   street's);",
        "5. community staff and street officers who report a case themselves start it at their",
        "   own level when the item may be handled there, that is when their level is at or",
        f"   above the item's ({reporters}).",
        "",
        "The level's command then runs the whole loop: at a street the street officer, at a",
        "community its staff stand in for the intake operator, shift supervisor and dispatcher.",
        "The district sees every case (lists, map, dashboard), read-only: it acts on a lower",
        "level's case only when it is escalated to the district, or as a district leader.",
        "",
    ]


def _joint_and_supervision() -> list[str]:
    return [
        "## Joint handling (联办)",
        "",
        "A dispatcher (or the command of the case's level) adds a co-handling unit to a",
        "dispatched case (`add_co_handler`, payload `unit_id`) and may release it",
        "(`remove_co_handler`). Each is an event on the case. The unit's handlers (for a street",
        "office, its street's officers) are granted the case through a django-guardian object",
        "permission (`cases.co_handle_case`), withdrawn when the unit is released; the grant",
        "lets them see the case. The co-handling unit signs for its part (`co_sign_for`) and",
        "feeds it back with a note and photos (`co_feedback`); the lead unit hears of it. The",
        "case is handled when the lead unit feeds back (`feedback`). An approved return ends",
        "the joint handling with the dispatch it belonged to.",
        "",
        "## Urging and supervision (催办, 督办)",
        "",
        "- `urge`: any command role at or above the case's level whose region covers the case,",
        "  or a district leader, urges the handling unit, with a reason. The event is the record.",
        "- `supervise`: a shift supervisor at or above the case's level, or a district leader,",
        "  puts the case under supervision with a due date (`due_date`, YYYY-MM-DD: due by the",
        "  end of that day) and a note. The supervision (`cases.Supervision`) is settled when the",
        "  stage it pressed on ends (the case moves on or closes); open past its due date, it is",
        "  overdue. Whoever must act and the level's command hear of it. One open supervision",
        "  by a person at a time.",
        "- The deadline sweep supervises too: a red card past its grace is escalated one level",
        "  up (at the district: not moved) and then supervised by the system (no due date).",
        "- Supervisions are listed at `/supervisions/` and `GET /api/v1/supervisions/`",
        "  (`state=open|overdue|settled`, `region`, `kind`), scoped by jurisdiction. Evaluation",
        "  counts urged and supervised cases against the unit that had them (docs/evaluation.md).",
        "",
    ]


def render_workflow_markdown() -> str:
    """The table and a Mermaid state diagram, in English (the code names are the contract)."""
    with translation.override("en"):
        lines = [
            "# Case workflow",
            "",
            "Generated from `cases/workflow.py` by `python manage.py render_workflow`; do not",
            "edit by hand (CI checks that it is current).",
            "",
            "## States",
            "",
            "| state | meaning |",
            "|---|---|",
        ]
        lines += [f"| `{value}` | {label} |" for value, label in Status.choices]
        lines += [
            "",
            "## Scopes",
            "",
            "- `command`: a post in that role at the case's handling level whose region covers",
            "  the case. At street level a street officer, at community level community staff,",
            "  stand in for the intake operator, shift supervisor and dispatcher (those levels run",
            "  their own loop). District leaders take every command action at any level.",
            "- `grid`: an inspector posted to the case's grid.",
            "- `unit`: a handler of the case's handling unit, the lead unit (a street officer for",
            "  their street office).",
            "- `level`: a post at the case's current handling level (escalation starts there);",
            "  the deadline sweeper escalates without a person.",
            "- `reporter`: the citizen who reported the case through a public channel, or intake",
            "  recording a rating given by phone.",
            "- `above`: a post in that role at or above the case's handling level whose region",
            "  covers the case (community staff and street officers only for their own level's",
            "  cases and below); district leaders anywhere.",
            "- `co_unit`: a handler of a unit co-handling the case (a street officer for their",
            "  street office).",
            "",
            "Guards beyond the table (`cases.handlers.PRECHECKS`): no escalation above the",
            "district, no push-down below the community, a second extension needs a district",
            "leader, a case is rated once, a co-handling unit signs for its part before it feeds",
            "it back. `GET /api/v1/cases/{id}/actions/` offers an action only when taking it now",
            "would pass every guard (and, for an action that needs a choice — a unit, a duplicate",
            "— when there is one to choose).",
            "",
            *_entry_levels(),
            "## Actions",
            "",
            "Target `—` means the state stays (a request waits for approval, the level changes,",
            "a rating is recorded). Scope: how the actor must stand to the case besides the role.",
            "",
            "| action | label | from | to | roles | scope | level rule | pending request "
            "| reason | payload | photos |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in TRANSITIONS.values():
            pending = ""
            if row.opens_request:
                pending = f"opens `{row.opens_request}`"
            elif row.needs_pending == "":
                pending = "none may be pending"
            elif row.needs_pending:
                pending = f"decides `{row.needs_pending}`"
            lines.append(
                (
                    "| `{a}` | {label} | {src} | {dst} | {roles} | `{scope}` | {levels} "
                    "| {pending} | {note} | {payload} | {photos} |"
                ).format(
                    a=row.action.value,
                    label=row.label,
                    src=_states(row.sources),
                    dst=f"`{row.target}`" if row.target else "—",
                    roles=_roles(row),
                    scope=row.scope.value,
                    levels=row.levels,
                    pending=pending,
                    note="required" if row.note_required else "",
                    payload=_payload(row),
                    photos="yes" if row.photos else "",
                )
            )
        lines += [
            "",
            "## Who hears of what",
            "",
            "Each notice goes to its audience at the case's handling level after the action:",
            "at the district its intake operators, shift supervisors and dispatchers; at a street",
            "the street officer; at a community its staff (`cases.outbox`). Its title is the",
            "notice's words, in the reader's language.",
            "",
            *_notices_table(),
            "",
            *_joint_and_supervision(),
        ]
        lines += ["", "## State diagram", "", "```mermaid", "stateDiagram-v2"]
        edges: dict[tuple[str, str], list[str]] = {}
        for row in TRANSITIONS.values():
            if row.target is None:
                continue
            for source in sorted(row.sources) or ["[*]"]:
                edges.setdefault((source, row.target), []).append(row.action.value)
        for (source, target), actions in sorted(edges.items()):
            lines.append(f"    {source} --> {target}: {', '.join(sorted(actions))}")
        for final in ("closed", "rejected", "duplicate", "voided"):
            lines.append(f"    {final} --> [*]")
        lines += ["```", ""]
    return "\n".join(lines)
