"""docs/workflow.md, rendered from the transition table (kept in git, checked in CI)."""

from __future__ import annotations

from django.utils import translation

from cases.models import Status
from cases.workflow import TRANSITIONS, Transition
from grids.models import Role


def _roles(row: Transition) -> str:
    return ", ".join(f"{Role(r).label} (`{r}`)" for r in sorted(row.roles))


def _states(states: frozenset[str]) -> str:
    if not states:
        return "— (creates the case)"
    return ", ".join(f"`{s}`" for s in sorted(states, key=list(Status.values).index))


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
            "- `unit`: a handler of the case's handling unit (a street officer for their street",
            "  office), or a user granted co-handling of this case (django-guardian).",
            "- `level`: a post at the case's current handling level (escalation starts there);",
            "  the deadline sweeper escalates without a person.",
            "- `reporter`: the citizen who reported the case through a public channel, or intake",
            "  recording a rating given by phone.",
            "",
            "Cases enter at the district; the district pushes work down to a street or community",
            "loop. The grid level holds the cases inspectors self-handle.",
            "",
            "## Actions",
            "",
            "Target `—` means the state stays (a request waits for approval, the level changes,",
            "a rating is recorded). Scope: how the actor must stand to the case besides the role.",
            "",
            "| action | label | from | to | roles | scope | level rule | pending request "
            "| reason |",
            "|---|---|---|---|---|---|---|---|---|",
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
                    "| {pending} | {note} |"
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
                )
            )
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
