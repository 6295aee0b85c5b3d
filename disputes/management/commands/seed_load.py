"""manage.py seed_load: a large, realistic dataset for the load benchmark (benchmarks/bench_load.py), built fast.

    manage.py seed_load --cases 10000 --exhibits-per-case 10 --custody-per-exhibit 10

What it builds (all rows as the services would have left them, written in bulk instead of one event at a time):
- users: the four logins the benchmark signs in as (LOGINS, password LOAD_PASSWORD, verified addresses) and pools
  of other counsel and arbitrators. The login claimant counsel, respondent counsel and arbitrator each take part
  in every 10th case, so their lists are big but scoped; the registrar sees every filed case;
- cases spread over the lifecycle (STATE_MIX): drafts, every main-path stage, closed, settled and withdrawn. Each
  filed case carries the audit events of the main path up to its state (the same names, roles and states as a
  walk through `case_apply_event`), hash-chained exactly as disputes/services/audit.py chains them, with the
  case's `audit_head` / `audit_length`; the deadlines each step opens (met when a later step closed them, open
  otherwise, a share of them overdue), its docket filings, appointments, a hearing, parties and participants;
- exhibits: --exhibits-per-case on average over all cases, filed in the cases from the Statement of Claim on (so
  those hold more), across sides and tiers, each with one file and exactly --custody-per-exhibit custody rows (received,
  ingested, then views, downloads and analyses), hash-chained as evidence/custody.py chains them; every 10th
  exhibit has one row on the sealed (tribunal-only) chain.
Files are not written to storage: no load-tested page reads them.

Speed: ids are allocated up front so every row (hashes included) is computed in one pass, then written with COPY
on PostgreSQL (bulk_create on SQLite, for the tests), in one transaction, sequences reset afterwards. It refuses to
run twice (or in production: the logins have a known password).
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from disputes.audit import GENESIS, event_hash
from disputes.lifecycle.rulepacks import STANDARD
from disputes.lifecycle.states import State
from disputes.models import (
    Appointment,
    AppointmentStatus,
    Case,
    CaseEvent,
    Deadline,
    DeadlineStatus,
    Filing,
    Hearing,
    Participant,
    Party,
    ReferenceCounter,
    Role,
)
from evidence.custody import custody_canonical
from evidence.models import CustodyAction, CustodyEvent, Exhibit, ExhibitFile, ExhibitKind, Tier

LOAD_DOMAIN = "load.example"
LOAD_PASSWORD = "tribunal-load-password"
# key -> (email, full name). The benchmark signs in as these.
LOGINS = {
    "registrar": (f"registrar@{LOAD_DOMAIN}", "Lena Load-Registrar"),
    "claimant": (f"claimant@{LOAD_DOMAIN}", "Carl Load-Claimant-Counsel"),
    "respondent": (f"respondent@{LOAD_DOMAIN}", "Rita Load-Respondent-Counsel"),
    "arbitrator": (f"arbitrator@{LOAD_DOMAIN}", "Arne Load-Arbitrator"),
}
LOGIN_SHARE = 10  # the login counsel and arbitrator take part in every 10th case

# (state, weight, steps of MAIN_STEPS walked, terminal event). Weights sum to 100.
STATE_MIX: list[tuple[str, int, int, str]] = [
    (State.DRAFT, 4, 0, ""),
    (State.SUBMITTED, 6, 1, ""),
    (State.NOTIFIED, 7, 3, ""),
    (State.TRIBUNAL_FORMATION, 7, 5, ""),
    (State.PROCEDURAL_SETUP, 7, 7, ""),
    (State.WRITTEN_SUBMISSIONS, 10, 9, ""),
    (State.EVIDENCE, 16, 10, ""),
    (State.HEARING, 8, 11, ""),
    (State.DELIBERATION, 6, 12, ""),
    (State.AWARD_ISSUED, 5, 13, ""),
    (State.CLOSED, 14, 14, ""),
    (State.SETTLED, 6, 10, "settle"),
    (State.WITHDRAWN, 4, 4, "withdraw"),
]
# Cases from this many steps on (the Statement of Claim filed) hold the exhibits.
EXHIBIT_FROM_STEP = 9


@dataclass(frozen=True)
class Opens:
    key: str
    label: str
    rule_ref: str
    responsible: str
    days: int
    is_window: bool = False
    on_lapse: str = ""
    warn_fraction: float | None = None


@dataclass(frozen=True)
class Step:
    event: str
    from_state: str
    to_state: str
    actor: str  # claimant / respondent / registrar / arbitrator / system
    actor_role: str
    filing: tuple[str, str, str] | None = None  # (kind, title, side)
    opens: tuple[Opens, ...] = ()
    closes: tuple[str, ...] = ()


WIPO = "WIPO Arbitration Rules"
# The main path as case_apply_event walks it (tests/factories.case_at_state), with the deadlines each step opens.
MAIN_STEPS: list[Step] = [
    Step(
        "submit", State.DRAFT, State.SUBMITTED, "claimant", Role.CLAIMANT,
        filing=("request", "File the Request", "claimant"),
        opens=(Opens("screening", "Registry screening of the Request",
                     "Registry practice: screening within 3 business days", "registrar", 5),),
    ),
    Step(
        "serve_notice", State.SUBMITTED, State.NOTIFIED, "registrar", "registrar", closes=("screening",),
        opens=(Opens("answer", "Answer to the Request", f"{WIPO}: Answer within 30 days of notice", "respondent", 32,
                     on_lapse="answer_lapsed"),),
    ),
    Step("join_case", State.NOTIFIED, State.NOTIFIED, "respondent", Role.RESPONDENT),
    Step(
        "file_answer", State.NOTIFIED, State.TRIBUNAL_FORMATION, "respondent", Role.RESPONDENT,
        filing=("answer", "Answer", "respondent"), closes=("answer",),
        opens=(Opens("nomination", "Joint nomination of the sole arbitrator",
                     f"{WIPO}: sole arbitrator jointly appointed within 30 days, else by the Centre", "parties", 32),),
    ),
    Step("appoint_arbitrator", State.TRIBUNAL_FORMATION, State.TRIBUNAL_FORMATION, "registrar", "registrar",
         closes=("nomination",)),
    Step("file_declaration", State.TRIBUNAL_FORMATION, State.TRIBUNAL_FORMATION, "arbitrator", "candidate"),
    Step(
        "constitute_tribunal", State.TRIBUNAL_FORMATION, State.PROCEDURAL_SETUP, "system", "system",
        opens=(
            Opens("challenge", "Window to challenge the arbitrator", f"{WIPO}: challenge within 15 days", "parties",
                  17, is_window=True),
            Opens("case_conference", "Preparatory case conference", f"{WIPO}: conference within 15 days of E",
                  "tribunal", 17),
            Opens("po1", "Procedural Order No. 1 (timetable, protective order, forensic protocol)",
                  "Tribunal practice: PO1 within 30 days of E", "tribunal", 32),
        ),
    ),
    Step(
        "issue_po1", State.PROCEDURAL_SETUP, State.WRITTEN_SUBMISSIONS, "arbitrator", Role.ARBITRATOR,
        filing=("procedural_order", "Procedural Order No. 1", "tribunal"), closes=("case_conference", "po1"),
        opens=(Opens("statement_of_claim", "Statement of Claim", f"{WIPO}: within 30 days of E", "claimant", 32),),
    ),
    Step(
        "file_statement_of_claim", State.WRITTEN_SUBMISSIONS, State.WRITTEN_SUBMISSIONS, "claimant", Role.CLAIMANT,
        filing=("statement_of_claim", "Statement of Claim", "claimant"), closes=("statement_of_claim",),
        opens=(Opens("statement_of_defence", "Statement of Defence", f"{WIPO}: within 30 days of the Claim",
                     "respondent", 32, on_lapse="defence_lapsed"),),
    ),
    Step(
        "file_statement_of_defence", State.WRITTEN_SUBMISSIONS, State.EVIDENCE, "respondent", Role.RESPONDENT,
        filing=("statement_of_defence", "Statement of Defence", "respondent"), closes=("statement_of_defence",),
        opens=(Opens("closure", "Close the proceedings",
                     f"{WIPO}: closure within 9 months of the Defence or E, whichever is later", "tribunal", 276,
                     warn_fraction=0.75),),
    ),
    Step("schedule_hearing", State.EVIDENCE, State.HEARING, "arbitrator", Role.ARBITRATOR),
    Step("close_proceedings", State.HEARING, State.DELIBERATION, "arbitrator", Role.ARBITRATOR, closes=("closure",),
         opens=(Opens("award", "Final award", f"{WIPO}: award within 3 months of closure", "tribunal", 93),)),
    Step(
        "issue_award", State.DELIBERATION, State.AWARD_ISSUED, "arbitrator", Role.ARBITRATOR,
        filing=("award", "Final Award", "tribunal"), closes=("award",),
        opens=(Opens("correction", "Window to request a correction of the award",
                     f"{WIPO}: correction requests within 30 days of the award", "parties", 32, is_window=True,
                     on_lapse="close_case"),),
    ),
    Step("close_case", State.AWARD_ISSUED, State.CLOSED, "system", "system"),
]  # fmt: skip
TERMINAL_STEPS = {
    "settle": (State.SETTLED, "registrar", "registrar", DeadlineStatus.CANCELLED),
    "withdraw": (State.WITHDRAWN, "claimant", Role.CLAIMANT, DeadlineStatus.CANCELLED),
}

LABS = ["Frontier", "Northwind", "Aurora", "Helios", "Cobalt", "Meridian", "Quanta", "Vector", "Lumen", "Atlas"]
COPIERS = ["Copycat", "Distill", "Mirror", "Echo", "Replica", "Shadow", "Parrot", "Clone", "Twin", "Mimic"]
EXHIBIT_KINDS = [
    (ExhibitKind.DOCUMENT, 40, "document.pdf", "application/pdf"),
    (ExhibitKind.FORENSIC_REPORT, 12, "report.pdf", "application/pdf"),
    (ExhibitKind.MODEL_WEIGHTS, 15, "model.safetensors", "safetensors"),
    (ExhibitKind.API_LOG, 15, "api-log.jsonl", "jsonl"),
    (ExhibitKind.MODEL_OUTPUTS, 10, "outputs.jsonl", "jsonl"),
    (ExhibitKind.TOKENIZER, 3, "tokenizer.json", "json"),
    (ExhibitKind.OTHER, 5, "notes.txt", "text/plain"),
]
TIERS = [(Tier.PARTIES, 70), (Tier.AEO, 20), (Tier.TRIBUNAL, 10)]


@dataclass
class Ids:
    """Next free primary key per model: rows reference each other before anything is written."""

    next: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Writer:
    """Rows as dicts of column attnames -> values: COPY on PostgreSQL, bulk_create elsewhere (the tests' SQLite)."""

    BATCH = 5000

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def write(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
        started = time.perf_counter()
        written = self._copy(model, rows) if connection.vendor == "postgresql" else self._bulk(model, rows)
        name = model._meta.label
        self.counts[name] = self.counts.get(name, 0) + written
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _bulk(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        batch: list[models.Model] = []
        written = 0
        for row in rows:
            batch.append(model(**row))
            if len(batch) >= self.BATCH:
                written += len(model.objects.bulk_create(batch))  # type: ignore[attr-defined]
                batch = []
        if batch:
            written += len(model.objects.bulk_create(batch))  # type: ignore[attr-defined]
        return written

    def _copy(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        # Every column, so rows may leave out fields that keep their model default (as bulk_create would fill in).
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
        now = timezone.now()
        defaults = [
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in fields
        ]
        as_json = [isinstance(f, models.JSONField) for f in fields]
        names = [f.attname for f in fields]
        quoted = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        sql = f"COPY {connection.ops.quote_name(str(model._meta.db_table))} ({quoted}) FROM STDIN"
        written = 0
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in _chain(first, iterator):
                values = [row.get(name, default) for name, default in zip(names, defaults, strict=True)]
                copy.write_row(
                    [json.dumps(v) if j and v is not None else v for v, j in zip(values, as_json, strict=True)]
                )
                written += 1
        return written

    def write_raw(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """COPY plain tuples into a (temporary) table: PostgreSQL only."""
        sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class People:
    registrar: int
    claimant: int
    respondent: int
    arbitrator: int
    claimant_pool: list[int]
    respondent_pool: list[int]
    arbitrator_pool: list[int]
    names: dict[int, str]


class Seeder:
    def __init__(self, *, cases: int, exhibits_per_case: int, custody_per_exhibit: int, seed: int) -> None:
        self.n_cases = cases
        self.exhibits_per_case = exhibits_per_case
        self.custody_per_exhibit = custody_per_exhibit
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.writer = Writer()
        self.now = timezone.now().astimezone(UTC)

    # --- users ----------------------------------------------------------------------------------------------------
    def users(self) -> People:
        password = make_password(LOAD_PASSWORD)  # hashed once: PBKDF2 costs ~0.5 s a call
        rows: list[dict[str, Any]] = []
        names: dict[int, str] = {}

        def add(email: str, full_name: str, *, usable: bool, **extra: Any) -> int:
            pk = self.ids.take(User)
            rows.append(
                {
                    "id": pk,
                    "email": email,
                    "full_name": full_name,
                    "password": password if usable else make_password(None),
                    "organisation": extra.pop("organisation", "Load test"),
                    "calendar_token": secrets.token_urlsafe(32),
                    "date_joined": self.now - timedelta(days=900),
                    "is_active": True,
                    **extra,
                }
            )
            names[pk] = full_name
            return pk

        logins = {
            key: add(
                email, name, usable=True, is_registrar=key == "registrar", on_arbitrator_roster=key == "arbitrator"
            )
            for key, (email, name) in LOGINS.items()
        }
        pool = max(4, self.n_cases // 20)
        claimants = [add(f"counsel{i}@claimant-{i % 40}.{LOAD_DOMAIN}", f"Claimant Counsel {i}", usable=False)
                     for i in range(pool)]  # fmt: skip
        respondents = [add(f"counsel{i}@respondent-{i % 40}.{LOAD_DOMAIN}", f"Respondent Counsel {i}", usable=False)
                       for i in range(pool)]  # fmt: skip
        arbitrators = [
            add(f"arbitrator{i}@{LOAD_DOMAIN}", f"Arbitrator {i}", usable=False, on_arbitrator_roster=True)
            for i in range(max(2, self.n_cases // 50))
        ]
        self.writer.write(User, rows)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user_id=pk, email=LOGINS[key][0], verified=True, primary=True) for key, pk in logins.items()]
        )
        return People(
            registrar=logins["registrar"],
            claimant=logins["claimant"],
            respondent=logins["respondent"],
            arbitrator=logins["arbitrator"],
            claimant_pool=claimants,
            respondent_pool=respondents,
            arbitrator_pool=arbitrators,
            names=names,
        )

    # --- cases ----------------------------------------------------------------------------------------------------
    def cases(self, people: People) -> list[tuple[int, int, dict[str, int]]]:
        """Write every case and what hangs off it; return (case id, steps walked, actors) of the filed ones."""
        rng = self.rng
        rows: dict[str, list[dict[str, Any]]] = {
            name: []
            for name in ("case", "party", "participant", "event", "deadline", "filing", "appointment", "hearing")
        }
        counters = dict(ReferenceCounter.objects.values_list("year", "last"))
        filed: list[tuple[int, int, dict[str, int]]] = []
        for index in range(self.n_cases):
            state, _, steps, terminal = _weighted(rng, [((s, 0, n, t), w) for s, w, n, t in STATE_MIX])
            case_id = self.ids.take(Case)
            mine = index % LOGIN_SHARE == 0
            actors = {
                "claimant": people.claimant if mine else rng.choice(people.claimant_pool),
                "respondent": people.respondent if mine else rng.choice(people.respondent_pool),
                "arbitrator": people.arbitrator if mine else rng.choice(people.arbitrator_pool),
                "registrar": people.registrar,
            }
            lab, copier = rng.choice(LABS), rng.choice(COPIERS)
            # The last step happened 0-40 days ago; earlier ones 3-30 days apart before it.
            gaps = [timedelta(days=rng.uniform(3, 30), seconds=rng.randint(0, 86399)) for _ in range(steps + 1)]
            last = self.now - timedelta(days=rng.uniform(0, 40), seconds=rng.randint(0, 86399))
            times = [last - sum(gaps[i + 1 :], timedelta()) for i in range(steps + 1)]
            created = times[0] - gaps[0]
            case = {
                "id": case_id,
                "title": f"{lab} Labs v. {copier} AI ({index})",
                "state": state,
                "rule_pack": "standard",
                "rule_pack_version": STANDARD.pinned if steps else "",
                "dispute_types": rng.sample(["weight_copying", "api_extraction", "training_data", "trade_secret"], 2),
                "ai_systems": [{"name": f"{lab}-{rng.choice([7, 13, 70])}B", "version": "2.1", "endpoint": ""}],
                "facts": f"{copier} AI's model reproduces {lab} Labs' weights and outputs.",
                "relief_sought": "A declaration of infringement, an order to cease distribution, and damages.",
                "arbitration_agreement": "Clause 17 of the API Terms of Service (2025 edition).",
                "draft_step": 5 if steps else rng.randint(1, 4),
                "created_by_id": actors["claimant"],
                "created_at": created,
                "updated_at": times[-1] if steps else created,
                "legal_hold": True,
                "respondent_in_default": False,
                "suspended_state": "",
                "audit_head": "",
                "audit_length": 0,
            }
            rows["party"] += [
                {"case_id": case_id, "side": "claimant", "name": f"{lab} Labs Ltd", "jurisdiction": "England and Wales",
                 "counsel_name": people.names[actors["claimant"]], "counsel_email": ""},
                {"case_id": case_id, "side": "respondent", "name": f"{copier} AI Inc.", "jurisdiction": "Delaware",
                 "counsel_name": people.names[actors["respondent"]], "counsel_email": ""},
            ]  # fmt: skip
            rows["participant"].append(self._participant(case_id, actors["claimant"], Role.CLAIMANT, created))
            if steps:
                year = times[1].year
                counters[year] = counters.get(year, 0) + 1
                case["reference"] = f"AIP-{year}-{counters[year]:04d}"
                case["submitted_at"] = times[1]
                self._walk(case, steps, terminal, times, actors, rows)
                filed.append((case_id, steps, actors))
            else:
                case["state_entered_at"] = created
            rows["case"].append(case)
        self.writer.write(Case, rows["case"])
        for model, name in (
            (Party, "party"),
            (Participant, "participant"),
            (CaseEvent, "event"),
            (Appointment, "appointment"),
            (Deadline, "deadline"),
            (Filing, "filing"),
            (Hearing, "hearing"),
        ):
            self.writer.write(model, rows[name])
        for year, top in counters.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last": top})
        return filed

    def _participant(self, case_id: int, user_id: int, role: str, at: datetime, **extra: Any) -> dict[str, Any]:
        return {
            "case_id": case_id,
            "user_id": user_id,
            "role": role,
            "is_outside_counsel": role in {Role.CLAIMANT, Role.RESPONDENT},
            "is_presiding": role == Role.ARBITRATOR,
            "created_at": at,
            **extra,
        }

    def _walk(
        self,
        case: dict[str, Any],
        steps: int,
        terminal: str,
        times: list[datetime],
        actors: dict[str, int],
        rows: dict[str, list[dict[str, Any]]],
    ) -> None:
        """Append the audit events (hash-chained), deadlines, filings and appointments of `steps` main-path steps."""
        case_id = case["id"]
        prev, seq, number = GENESIS, 0, 0
        open_deadlines: dict[str, dict[str, Any]] = {}
        appointment_id: int | None = None
        walk: list[tuple[Step, datetime]] = [(MAIN_STEPS[i], times[i + 1]) for i in range(steps)]
        if terminal:
            to_state, actor, role, _ = TERMINAL_STEPS[terminal]
            from_state = walk[-1][0].to_state
            walk[-1] = (walk[-1][0], walk[-1][1] - timedelta(days=1))
            walk.append((Step(terminal, from_state, to_state, actor, role), times[-1]))
        for step, at in walk:
            seq += 1
            event_id = self.ids.take(CaseEvent)
            actor_id = actors.get(step.actor)
            payload: dict[str, Any] = {}
            if step.event == "join_case":
                payload = {"role": "respondent"}
                rows["participant"].append(self._participant(case_id, actors["respondent"], Role.RESPONDENT, at))
            elif step.event == "appoint_arbitrator":
                appointment_id = self.ids.take(Appointment)
                payload = {"arbitrator": actors["arbitrator"]}
                rows["appointment"].append(
                    {"id": appointment_id, "case_id": case_id, "arbitrator_id": actors["arbitrator"],
                     "method": "registrar", "status": AppointmentStatus.AWAITING_DECLARATION, "appointed_at": at,
                     "disclosures": "", "conflict_hits": []}
                )  # fmt: skip
            elif step.event == "file_declaration":
                payload = {"independent": True}
                rows["appointment"][-1] |= {
                    "status": AppointmentStatus.AWAITING_REGISTRAR,
                    "declared_at": at,
                    "declared_independent": True,
                }
            elif step.event == "constitute_tribunal":
                payload = {"appointment": appointment_id}
                rows["appointment"][-1] |= {"status": AppointmentStatus.EFFECTIVE, "effective_at": at}
                rows["participant"].append(self._participant(case_id, actors["arbitrator"], Role.ARBITRATOR, at))
                case["tribunal_constituted_at"] = at
            elif step.event == "schedule_hearing":
                starts = at + timedelta(days=20)
                payload = {"starts_at": starts.isoformat(), "days": 2, "location": "London", "video_link": ""}
                rows["hearing"].append(
                    {"case_id": case_id, "starts_at": starts, "days": 2, "location": "London", "video_link": "",
                     "created_at": at}
                )  # fmt: skip
            elif step.filing:
                payload = {"title": step.filing[1], "body": f"{step.filing[1]} of case {case_id}."}
            if step.event == "serve_notice":
                case["commencement_at"] = at
            if step.event == "file_statement_of_defence":
                case["defence_at"] = at
            if step.event in {"close_case", *TERMINAL_STEPS}:
                case["closed_at"] = at
                if step.event == "close_case":
                    case["retention_until"] = (at + timedelta(days=365 * settings.TRIBUNAL_RETENTION_YEARS)).date()
            digest = event_hash(
                case_id=case_id,
                seq=seq,
                name=step.event,
                from_state=step.from_state,
                to_state=step.to_state,
                actor_id=actor_id,
                actor_role=step.actor_role,
                occurred_at=at,
                payload=payload,
                visibility="all",
                prev_hash=prev,
            )
            rows["event"].append(
                {"id": event_id, "case_id": case_id, "seq": seq, "name": step.event, "from_state": step.from_state,
                 "to_state": step.to_state, "actor_id": actor_id, "actor_role": step.actor_role, "occurred_at": at,
                 "payload": payload, "visibility": "all", "prev_hash": prev, "hash": digest}
            )  # fmt: skip
            prev = digest
            if step.filing:
                number += 1
                kind, title, side = step.filing
                rows["filing"].append(
                    {"case_id": case_id, "number": number, "kind": kind, "title": title, "body": payload["body"],
                     "filed_by_id": actor_id, "side": side, "filed_at": at, "event_id": event_id}
                )  # fmt: skip
            closing = list(open_deadlines) if step.event in {"close_case", *TERMINAL_STEPS} else step.closes
            close_as = TERMINAL_STEPS[step.event][3] if step.event in TERMINAL_STEPS else DeadlineStatus.MET
            for key in closing:
                deadline = open_deadlines.pop(key, None)
                if deadline is not None:
                    deadline |= {"status": close_as, "closed_at": at, "closed_by_event_id": event_id}
            for rule in step.opens:
                deadline = {
                    "case_id": case_id, "key": rule.key, "label": rule.label, "rule_ref": rule.rule_ref,
                    "responsible": rule.responsible, "trigger_event_id": event_id, "deemed_receipt": at.date(),
                    "due_at": at + timedelta(days=rule.days), "status": DeadlineStatus.OPEN,
                    "is_window": rule.is_window, "on_lapse": rule.on_lapse, "warn_fraction": rule.warn_fraction,
                    "extension_count": 0, "history": [], "opened_at": at, "closed_at": None,
                    "closed_by_event_id": None,
                }  # fmt: skip
                open_deadlines[rule.key] = deadline
                rows["deadline"].append(deadline)
        case["state_entered_at"] = walk[-1][1]
        case["audit_head"], case["audit_length"] = prev, seq

    # --- exhibits -------------------------------------------------------------------------------------------------
    def exhibits(self, filed: list[tuple[int, int, dict[str, int]]]) -> None:
        rng = self.rng
        holders = [(case_id, actors) for case_id, steps, actors in filed if steps >= EXHIBIT_FROM_STEP]
        if not holders:
            holders = [(case_id, actors) for case_id, _, actors in filed]
        total = self.n_cases * self.exhibits_per_case
        if total and not holders:
            raise CommandError("no filed case to hold exhibits: seed more cases")
        per_case = [total // len(holders) + (1 if i < total % len(holders) else 0) for i in range(len(holders))]
        exhibits: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        chains: list[tuple[dict[str, Any], dict[str, Any], dict[str, int]]] = []
        for (case_id, actors), count in zip(holders, per_case, strict=True):
            numbers = {"claimant": 0, "respondent": 0, "tribunal": 0}
            for _ in range(count):
                side = _weighted(rng, [("claimant", 45), ("respondent", 45), ("tribunal", 10)])
                tier = Tier.TRIBUNAL if side == "tribunal" else _weighted(rng, TIERS)
                kind, _, filename, detected = _weighted(rng, [(k, k[1]) for k in EXHIBIT_KINDS])
                numbers[side] += 1
                exhibit_id, file_id = self.ids.take(Exhibit), self.ids.take(ExhibitFile)
                at = self.now - timedelta(days=rng.uniform(20, 200))
                status = _weighted(rng, [(Exhibit.Status.READY, 96), (Exhibit.Status.QUARANTINED, 3), ("", 1)])
                withdrawn = status == ""
                status = status or Exhibit.Status.READY
                submitter = actors["arbitrator" if side == "tribunal" else side]
                sha = hashlib.sha256(f"exhibit-{exhibit_id}".encode()).hexdigest()
                exhibit = {
                    "id": exhibit_id, "case_id": case_id, "side": side, "number": numbers[side], "kind": kind,
                    "title": f"{kind.label} {numbers[side]} of case {case_id}",
                    "description": "Filed for the load test.", "tier": tier, "status": status,
                    "submitted_by_id": submitter, "created_at": at,
                    "withdrawn_at": at + timedelta(days=3) if withdrawn else None,
                    "withdrawal_reason": "Superseded." if withdrawn else "",
                    "search_text": f"{kind.label} {filename} weights logits tokens {case_id}",
                    "analysis_parameters": {}, "custody_head": "", "custody_length": 0, "sealed_custody_head": "",
                    "sealed_custody_length": 0,
                }  # fmt: skip
                size = rng.randint(10_000, 5_000_000_000)
                file = {
                    "id": file_id, "exhibit_id": exhibit_id, "storage_name": f"load/{case_id}/{sha}",
                    "original_name": filename, "size": size, "sha256": sha, "declared_sha256": sha,
                    "received_at": at, "detected_type": detected,
                    "status": ExhibitFile.Status.QUARANTINED if status == Exhibit.Status.QUARANTINED else "ok",
                    "quarantine_reason": "Pickle with code execution." if status == "quarantined" else "",
                    "ingest_report": {"checks": ["sha256", "type"], "warnings": []},
                }  # fmt: skip
                exhibits.append(exhibit)
                files.append(file)
                chains.append((exhibit, file, actors))
        self.writer.write(Exhibit, exhibits)
        self.writer.write(ExhibitFile, files)
        # Rows are generated (and hashed) lazily as COPY consumes them; the chain heads are known only afterwards.
        self.writer.write(CustodyEvent, self._custody(chains))
        self._set_heads(exhibits)

    def _custody(self, chains: list[tuple[dict[str, Any], dict[str, Any], dict[str, int]]]) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for exhibit, file, actors in chains:
            sealed_rows = 1 if exhibit["id"] % 10 == 0 and self.custody_per_exhibit > 2 else 0
            plan = [(CustodyAction.RECEIVED, False), (CustodyAction.INGESTED, False)]
            if exhibit["status"] == Exhibit.Status.QUARANTINED:
                plan[1] = (CustodyAction.QUARANTINED, False)
            while len(plan) < self.custody_per_exhibit - sealed_rows:
                plan.append((_weighted(rng, [(CustodyAction.VIEWED, 70), (CustodyAction.DOWNLOADED, 30)]), False))
            if exhibit["withdrawn_at"] is not None and len(plan) > 2:
                plan[-1] = (CustodyAction.WITHDRAWN, False)
            plan += [(CustodyAction.ANALYSED, True)] * sealed_rows
            plan = plan[: self.custody_per_exhibit]
            heads = {False: (GENESIS, 0), True: (GENESIS, 0)}
            at = exhibit["created_at"]
            for action, sealed in plan:
                at = at + timedelta(hours=rng.uniform(1, 72))
                prev, seq = heads[sealed]
                seq += 1
                who = rng.choice(["claimant", "respondent", "arbitrator", "registrar"])
                actor_id: int | None = actors[who]
                role = who
                ip: str | None = f"10.{exhibit['id'] % 250}.{seq % 250}.{len(who)}"
                details: dict[str, Any] = {}
                if action == CustodyAction.RECEIVED:
                    actor_id, role = exhibit["submitted_by_id"], exhibit["side"]
                    details = {"declared_sha256": file["sha256"], "computed_sha256": file["sha256"],
                               "size": file["size"], "original_name": file["original_name"],
                               "gatekeeper": file["detected_type"]}  # fmt: skip
                elif action in {CustodyAction.INGESTED, CustodyAction.QUARANTINED}:
                    actor_id, role, ip = None, "system", None
                    details = {"detected_type": file["detected_type"], "checks": ["sha256", "type"], "warnings": [],
                               "quarantine": action == CustodyAction.QUARANTINED}  # fmt: skip
                elif action == CustodyAction.ANALYSED:
                    actor_id, role, ip = None, "system", None
                    details = {"kind": "weights.lineage", "role": "a", "code_version": "load"}
                elif action == CustodyAction.WITHDRAWN:
                    actor_id, role = exhibit["submitted_by_id"], exhibit["side"]
                    details = {"reason": exhibit["withdrawal_reason"], "original_kept": True}
                file_id = file["id"] if action not in {CustodyAction.WITHDRAWN} else None
                digest = hashlib.sha256(
                    custody_canonical(
                        exhibit_id=exhibit["id"], seq=seq, sealed=sealed, action=action, file_id=file_id,
                        actor_id=actor_id, actor_role=role, at=at, ip=ip, details=details, prev_hash=prev,
                    )
                ).hexdigest()  # fmt: skip
                heads[sealed] = (digest, seq)
                yield {
                    "exhibit_id": exhibit["id"], "file_id": file_id, "seq": seq, "sealed": sealed,
                    "action": action, "actor_id": actor_id, "actor_role": role, "at": at, "ip": ip,
                    "details": details, "prev_hash": prev, "hash": digest,
                }  # fmt: skip
            exhibit["custody_head"], exhibit["custody_length"] = heads[False] if heads[False][1] else ("", 0)
            exhibit["sealed_custody_head"], exhibit["sealed_custody_length"] = (
                heads[True] if heads[True][1] else ("", 0)
            )

    def _set_heads(self, exhibits: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        fields = ["custody_head", "custody_length", "sealed_custody_head", "sealed_custody_length"]
        if connection.vendor != "postgresql":
            Exhibit.objects.bulk_update(
                [Exhibit(id=e["id"], **{name: e[name] for name in fields}) for e in exhibits], fields, batch_size=500
            )
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE seed_load_heads (id bigint PRIMARY KEY, head varchar(64), length integer, "
                "sealed_head varchar(64), sealed_length integer) ON COMMIT DROP"
            )
        self.writer.write_raw(
            "seed_load_heads",
            ["id", "head", "length", "sealed_head", "sealed_length"],
            (
                (e["id"], e["custody_head"], e["custody_length"], e["sealed_custody_head"], e["sealed_custody_length"])
                for e in exhibits
            ),
        )
        table = Exhibit._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                # The only interpolated name is the model's own table name.
                f'UPDATE "{table}" AS e SET custody_head = h.head, custody_length = h.length, '  # noqa: S608
                "sealed_custody_head = h.sealed_head, sealed_custody_length = h.sealed_length "
                "FROM seed_load_heads AS h WHERE e.id = h.id"
            )
        self.writer.seconds["custody heads"] = time.perf_counter() - started

    def finish(self) -> None:
        """Point the id sequences past the ids given out here, so later inserts do not collide."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.ids.next))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class Command(BaseCommand):
    help = "Seed a large, realistic dataset for the load benchmark (refuses to run twice, or in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=10_000)
        parser.add_argument("--exhibits-per-case", type=int, default=10, help="on average over all cases")
        parser.add_argument("--custody-per-exhibit", type=int, default=10)
        parser.add_argument("--seed", type=int, default=20261128, help="random seed (the dataset is reproducible)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_load creates logins with a known password; it refuses to run in production mode.")
        cases, per_case, custody = options["cases"], options["exhibits_per_case"], options["custody_per_exhibit"]
        if cases < 1 or per_case < 0 or custody < 0:
            raise CommandError("--cases must be at least 1; --exhibits-per-case and --custody-per-exhibit at least 0")
        if per_case and custody < 2:
            raise CommandError("--custody-per-exhibit must be at least 2 (every exhibit is received and ingested)")
        if User.objects.filter(email__in=[email for email, _ in LOGINS.values()]).exists():
            raise CommandError(
                f"The load dataset is already in this database (users @{LOAD_DOMAIN}); not seeding twice."
            )
        started = time.perf_counter()
        seeder = Seeder(cases=cases, exhibits_per_case=per_case, custody_per_exhibit=custody, seed=options["seed"])
        # One transaction: an interrupted seed leaves nothing half-built, and the refusal above stays truthful.
        with transaction.atomic():
            people = seeder.users()
            filed = seeder.cases(people)
            seeder.exhibits(filed)
            seeder.finish()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have them on a live system
        for name, count in seeder.writer.counts.items():
            self.stdout.write(f"  {name:<24} {count:>9}  {seeder.writer.seconds[name]:6.1f} s")
        self.stdout.write(self.style.SUCCESS(f"Load dataset seeded in {time.perf_counter() - started:.1f} s."))
        self.stdout.write(f"Logins (password {LOAD_PASSWORD}): " + ", ".join(e for e, _ in LOGINS.values()))
