"""Versioned rule packs: the deadline rules of the standard and expedited procedures.

A case pins `<pack>@<version>` when its Request is filed; later edits to a pack publish a new version and leave
filed cases on the rules they started under. Periods follow WIPO (standard / expedited) practice; see
docs/deadlines.md for each rule and its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class Anchor(str, Enum):
    """What a period runs from."""

    EVENT = "event"  # the event that opens the deadline
    CONSTITUTION = "constitution"  # the date the tribunal was constituted (E)
    LATER_OF_DEFENCE_AND_CONSTITUTION = "later_of_defence_and_constitution"


@dataclass(frozen=True)
class Period:
    days: int = 0
    business_days: int = 0
    months: int = 0

    def describe(self) -> str:
        if self.business_days:
            return f"{self.business_days} business days"
        if self.months:
            return f"{self.months} month" + ("s" if self.months != 1 else "")
        return f"{self.days} days"


@dataclass(frozen=True)
class DeadlineRule:
    key: str
    label: str
    rule_ref: str
    responsible: str
    period: Period
    anchor: Anchor = Anchor.EVENT
    is_window: bool = False
    on_lapse: str = ""
    warn_fraction: float | None = None


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    title: str
    rules: dict[str, DeadlineRule] = field(default_factory=dict)
    answer_extension_days: int = 4
    max_evidence_period_days: int = 45
    max_hearing_days: int | None = None
    claim_filed_with_request: bool = False

    @property
    def pinned(self) -> str:
        return f"{self.name}@{self.version}"

    def rule(self, key: str) -> DeadlineRule:
        return self.rules[key]


def _rules(*rules: DeadlineRule) -> dict[str, DeadlineRule]:
    return {rule.key: rule for rule in rules}


STANDARD_RULES = _rules(
    DeadlineRule(
        "screening",
        "Registry screening of the Request",
        "Registry practice: screening within 3 business days",
        "registrar",
        Period(business_days=3),
    ),
    DeadlineRule(
        "cure",
        "Cure the defects in the Request",
        "Registry practice: cure within 5 days, else deemed withdrawn",
        "claimant",
        Period(days=5),
        on_lapse="deem_withdrawn",
    ),
    DeadlineRule(
        "answer",
        "Answer to the Request",
        "WIPO Arbitration Rules: Answer within 30 days of notice",
        "respondent",
        Period(days=30),
        on_lapse="answer_lapsed",
    ),
    DeadlineRule(
        "nomination",
        "Joint nomination of the sole arbitrator",
        "WIPO Arbitration Rules: sole arbitrator jointly appointed within 30 days, else by the Centre",
        "parties",
        Period(days=30),
    ),
    DeadlineRule(
        "challenge",
        "Window to challenge the arbitrator",
        "WIPO Arbitration Rules: challenge within 15 days",
        "parties",
        Period(days=15),
        is_window=True,
    ),
    DeadlineRule(
        "case_conference",
        "Preparatory case conference",
        "WIPO Arbitration Rules: conference within 15 days of E",
        "tribunal",
        Period(days=15),
        anchor=Anchor.CONSTITUTION,
    ),
    DeadlineRule(
        "po1",
        "Procedural Order No. 1 (timetable, protective order, forensic protocol)",
        "Tribunal practice: PO1 within 30 days of E",
        "tribunal",
        Period(days=30),
        anchor=Anchor.CONSTITUTION,
    ),
    DeadlineRule(
        "statement_of_claim",
        "Statement of Claim",
        "WIPO Arbitration Rules: within 30 days of E",
        "claimant",
        Period(days=30),
        anchor=Anchor.CONSTITUTION,
    ),
    DeadlineRule(
        "statement_of_defence",
        "Statement of Defence",
        "WIPO Arbitration Rules: within 30 days of the Claim",
        "respondent",
        Period(days=30),
        on_lapse="defence_lapsed",
    ),
    DeadlineRule(
        "evidence_period",
        "Written evidence period",
        "Set by the tribunal (at most 45 days)",
        "parties",
        Period(days=45),
    ),
    DeadlineRule(
        "closure",
        "Close the proceedings",
        "WIPO Arbitration Rules: closure within 9 months of the Defence or E, whichever is later",
        "tribunal",
        Period(months=9),
        anchor=Anchor.LATER_OF_DEFENCE_AND_CONSTITUTION,
        warn_fraction=0.75,
    ),
    DeadlineRule(
        "award",
        "Final award",
        "WIPO Arbitration Rules: award within 3 months of closure",
        "tribunal",
        Period(months=3),
    ),
    DeadlineRule(
        "correction",
        "Window to request a correction of the award",
        "WIPO Arbitration Rules: correction requests within 30 days of the award",
        "parties",
        Period(days=30),
        is_window=True,
        on_lapse="close_case",
    ),
    DeadlineRule(
        "correction_response",
        "Decide the request for correction",
        "WIPO Arbitration Rules: correction within 30 days of the request",
        "tribunal",
        Period(days=30),
    ),
)

STANDARD = RulePack(name="standard", version="2026.1", title="Standard procedure", rules=STANDARD_RULES)


def _override(rules: dict[str, DeadlineRule], **changes: dict[str, object]) -> dict[str, DeadlineRule]:
    merged = dict(rules)
    for key, fields in changes.items():
        merged[key] = replace(merged[key], **fields)  # type: ignore[arg-type]
    return merged


EXPEDITED = RulePack(
    name="expedited",
    version="2026.1",
    title="Expedited procedure",
    rules=_override(
        STANDARD_RULES,
        answer={"period": Period(days=20), "rule_ref": "WIPO Expedited Arbitration Rules: Answer within 20 days"},
        nomination={
            "period": Period(days=15),
            "rule_ref": "WIPO Expedited Arbitration Rules: sole arbitrator within 15 days, else by the Centre",
        },
        statement_of_defence={
            "period": Period(days=20),
            "rule_ref": "WIPO Expedited Arbitration Rules: Defence within 20 days (Claim filed with the Request)",
        },
        closure={
            "period": Period(months=3),
            "rule_ref": "WIPO Expedited Arbitration Rules: closure within 3 months of the Defence or E",
        },
        award={"period": Period(months=1), "rule_ref": "WIPO Expedited Arbitration Rules: award within 1 month"},
    ),
    max_hearing_days=3,
    claim_filed_with_request=True,
)

RULE_PACKS: dict[str, RulePack] = {pack.pinned: pack for pack in (STANDARD, EXPEDITED)}
CURRENT: dict[str, RulePack] = {"standard": STANDARD, "expedited": EXPEDITED}


def rule_pack_for(name: str, pinned: str = "") -> RulePack:
    """The pack a case runs under: its pinned version once filed, the current version while a draft."""
    if pinned:
        return RULE_PACKS[pinned]
    return CURRENT[name]
