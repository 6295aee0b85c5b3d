"""python manage.py lifecycle_doc [--check]: write docs/lifecycle.md and docs/deadlines.md from the table itself.

Generating the documents from the transitions table and the rule packs keeps them true; `--check` fails when the
committed documents differ from what the code says (the test suite runs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from disputes.lifecycle.rulepacks import CURRENT, Anchor
from disputes.lifecycle.states import ACTIVE_STATES, State
from disputes.lifecycle.transitions import PREVIOUS, SAME, TRANSITIONS

ANCHORS = {
    Anchor.EVENT: "the event that opens it",
    Anchor.CONSTITUTION: "the constitution of the tribunal (E)",
    Anchor.LATER_OF_DEFENCE_AND_CONSTITUTION: "the Defence or E, whichever is later",
}


def _states(states: frozenset[str]) -> str:
    if states >= ACTIVE_STATES:
        extra = sorted(states - ACTIVE_STATES)
        return "any active state" + (" or " + ", ".join(f"`{s}`" for s in extra) if extra else "")
    return ", ".join(f"`{s}`" for s in sorted(states))


def lifecycle_markdown() -> str:
    lines = [
        "# Case lifecycle",
        "",
        "_Generated from `disputes/lifecycle/transitions.py` by `python manage.py lifecycle_doc`; do not edit by hand._",
        "",
        "A case changes only through the events below. One service (`disputes.services.events.case_apply_event`)",
        "locks the case row, checks the actor's role on the case, the state, the payload and the guards, then writes",
        "the new state and a hash-chained `CaseEvent` in the same transaction, closes and opens deadlines, and queues",
        "notifications to run after commit. A refused event writes nothing and says why.",
        "",
        "## States",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> draft",
    ]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        if t.target in (SAME,):
            continue
        for source in sorted(t.sources):
            target = "active" if t.target == PREVIOUS else t.target
            if t.target == PREVIOUS:
                target = "previous"
            if len(t.sources) > 6:
                key = ("active", target, t.event)
                if key in seen:
                    continue
                seen.add(key)
                lines.append(f"    active --> {target}: {t.event}")
                break
            lines.append(f"    {source} --> {target}: {t.event}")
    lines += [
        "    closed --> [*]",
        "    settled --> [*]",
        "    withdrawn --> [*]",
        "    dismissed --> [*]",
        "```",
        "",
        "`active` stands for any of: " + ", ".join(f"`{s}`" for s in sorted(ACTIVE_STATES)) + ".",
        "`previous` is the state the case was suspended from.",
        "",
        "| state | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{s.value}` | {s.label} |" for s in State]
    lines += [
        "",
        "## Transitions",
        "",
        "Roles: `claimant`/`respondent` (counsel on the case), `arbitrator`, `expert`, `registrar` (institution staff),",
        "`candidate` (appointed arbitrator before the independence declaration), `system` (the deadline sweep).",
        "",
        "| event | from | to | who | guards | deadlines closed | deadlines opened | docket |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS:
        guards = ", ".join(g.__name__ for g in t.guards) or "—"
        closed = "all" if t.close_all else (", ".join(t.closes) or "—")
        if t.close_all or t.closes:
            closed += f" ({t.close_as})"
        opened = (
            ", ".join(
                o.key
                + (
                    ""
                    if o.only_if_claim_with_request is None
                    else (" (expedited)" if o.only_if_claim_with_request else " (standard)")
                )
                for o in t.opens
            )
            or "—"
        )
        target = {SAME: "same", PREVIOUS: "previous"}.get(t.target, f"`{t.target}`")
        lines.append(
            f"| `{t.event}` — {t.label} | {_states(t.sources)} | {target} | {', '.join(sorted(t.roles))} | {guards} "
            f"| {closed} | {opened} | {t.files or '—'} |"
        )
    return "\n".join(lines) + "\n"


def deadlines_markdown() -> str:
    cutoff = settings.TRIBUNAL_DEADLINE_CUTOFF
    lines = [
        "# Deadline rules",
        "",
        "_Generated from `disputes/lifecycle/rulepacks.py` by `python manage.py lifecycle_doc`; do not edit by hand._",
        "",
        "## How a due date is computed (`disputes/clock.py`)",
        "",
        f"1. **Deemed receipt.** The trigger counts as received on its date in Europe/London, unless it happened after "
        f"{cutoff} London time or on a day that is not a business day: then on the next business day (cf. CPR 6.26).",
        "2. **Period.** Calendar days (or months, or business days where the rule says so) are added to the deemed receipt.",
        "3. **Roll-over.** A deadline ending on a Saturday, Sunday or England-and-Wales bank holiday — substitute days",
        "   included (e.g. 27 and 28 December 2027) — moves to the next business day (`holidays` package, subdivision ENG).",
        f"4. **Cut-off.** It falls due at {cutoff} Europe/London on that day, in BST or GMT as the date requires; a filing",
        "   after the cut-off is late.",
        "5. **Suspension** pauses every open deadline; on resumption the days that remained are counted again from the",
        "   resumption's deemed receipt, then rolled over. **Extensions** add days to the due date, then roll over; both",
        "   are recorded in the deadline's history.",
        "6. **Reminders** go to whoever owes the deadline 7, 3 and 1 days before; duties past due are escalated to the",
        "   registry once; deadlines with a lapse event fire it (e.g. a late Answer records default and the case goes on);",
        "   the closure deadline warns at 75 % of its time.",
        "",
    ]
    for name, pack in CURRENT.items():
        lines += [
            f"## {pack.title} (`{pack.pinned}`)",
            "",
            f"Automatic Answer extension: {pack.answer_extension_days} days, once. Evidence periods: at most "
            f"{pack.max_evidence_period_days} days."
            + (f" Hearings: at most {pack.max_hearing_days} days." if pack.max_hearing_days else "")
            + (" The Statement of Claim is filed with the Request." if pack.claim_filed_with_request else ""),
            "",
            "| deadline | period | runs from | owed by | kind | on lapse | rule |",
            "|---|---|---|---|---|---|---|",
        ]
        for rule in pack.rules.values():
            if name == "expedited" and rule.key == "statement_of_claim":
                continue
            kind = "window" if rule.is_window else "duty"
            if rule.warn_fraction:
                kind += f", warn at {int(rule.warn_fraction * 100)} %"
            lines.append(
                f"| {rule.label} (`{rule.key}`) | {rule.period.describe()} | {ANCHORS[rule.anchor]} | {rule.responsible} "
                f"| {kind} | {rule.on_lapse or '—'} | {rule.rule_ref} |"
            )
        lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Write docs/lifecycle.md and docs/deadlines.md from the transitions table and rule packs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the committed documents are out of date.")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        docs = Path(settings.BASE_DIR) / "docs"
        outputs = {docs / "lifecycle.md": lifecycle_markdown(), docs / "deadlines.md": deadlines_markdown()}
        stale = [path.name for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        if check:
            if stale:
                raise CommandError(f"Out of date: {', '.join(stale)}. Run: python manage.py lifecycle_doc")
            self.stdout.write("Lifecycle documents are up to date.")
            return
        docs.mkdir(exist_ok=True)
        for path, text in outputs.items():
            path.write_text(text)
            self.stdout.write(f"Wrote {path.relative_to(settings.BASE_DIR)}")
