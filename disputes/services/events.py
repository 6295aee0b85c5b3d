"""The one service that changes a case: apply an event from the transitions table.

Under a row lock on the case it checks state, role, payload and guards; writes the new state and the hash-chained
audit row in the same transaction; closes and opens deadlines; runs the event's effects; and queues side effects
(emails, jobs) to run only after the transaction commits. A refused event raises TransitionError and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from disputes import permissions
from disputes.exceptions import GuardFailed, InvalidPayload, NotPermitted, TransitionError, WrongState
from disputes.lifecycle.context import EventContext
from disputes.lifecycle.rulepacks import rule_pack_for
from disputes.lifecycle.states import State
from disputes.lifecycle.transitions import SYSTEM, Transition, transition_for
from disputes.models import Case, CaseEvent, DeadlineStatus, FilingKind
from disputes.services import deadlines as deadline_service
from disputes.services.audit import case_event_append
from disputes.services.docket import filing_create, filing_documents_validate

# Role used when the same user holds several: the most specific first.
ROLE_PRIORITY = ("arbitrator", "candidate", "expert", "claimant", "respondent", "registrar", "system")


def _choose_role(transition: Transition, roles: frozenset[str]) -> str | None:
    allowed = roles & transition.roles
    for role in ROLE_PRIORITY:
        if role in allowed:
            return role
    return None


def _validate_payload(
    transition: Transition, case: Case, payload: Mapping[str, Any], *, trusted: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    if transition.form is None:
        # Events without a form take no user input; internal (system) callers may pass ids to record.
        return (dict(payload), dict(payload)) if trusted else ({}, {})
    form = transition.form(data=payload, case=case)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        raise InvalidPayload(f"Please correct the form: {summary}", errors=errors)
    return form.payload(), dict(form.cleaned_data)


def case_apply_event(
    *,
    case_id: int,
    event: str,
    actor: User | None,
    payload: Mapping[str, Any] | None = None,
    documents: list[UploadedFile] | None = None,
    as_role: str | None = None,
) -> CaseEvent:
    """Apply `event` to the case. `as_role` is for trusted internal callers (the deadline sweep, invitations)."""
    transition = transition_for(event)
    if transition is None:
        raise TransitionError(f"Unknown event '{event}'.", code="unknown_event")
    documents = list(documents or [])

    after_commit: list[Callable[[], None]] = []
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        applied = _apply_locked(
            case=case,
            transition=transition,
            actor=actor,
            payload=payload or {},
            documents=documents,
            as_role=as_role,
            after_commit=after_commit,
        )
        for callback in after_commit:
            transaction.on_commit(callback)
    if actor is not None:
        permissions.forget_roles(actor)
    return applied


def _apply_locked(
    *,
    case: Case,
    transition: Transition,
    actor: User | None,
    payload: Mapping[str, Any],
    documents: list[UploadedFile],
    as_role: str | None,
    after_commit: list[Callable[[], None]],
) -> CaseEvent:
    if as_role is not None:
        role: str | None = as_role if as_role in transition.roles else None
        if role is None:
            raise NotPermitted(f"'{transition.label}' cannot be done by {as_role}.")
    else:
        if actor is None:
            raise NotPermitted("Sign in first.")
        roles = permissions.case_roles(actor, case)
        if not permissions.can_see_case(actor, case):
            raise NotPermitted("No such case.", code="not_found")
        role = _choose_role(transition, roles)
        if role is None:
            raise NotPermitted(f"Your role on this case does not allow you to {transition.label.lower()}.")
    if case.state not in transition.sources:
        raise WrongState(f"'{transition.label}' is not possible while the case is {State(case.state).label.lower()}.")

    if documents and transition.documents == "none":
        raise InvalidPayload(f"'{transition.label}' does not take documents.")
    if transition.documents == "required" and not documents:
        raise InvalidPayload(f"'{transition.label}' needs at least one document.")
    filing_documents_validate(documents)
    clean_payload, cleaned = _validate_payload(transition, case, payload, trusted=as_role is not None)
    now = timezone.now()
    pack = rule_pack_for(case.rule_pack, case.rule_pack_version)
    ctx = EventContext(
        case=case,
        transition=transition,
        actor=actor,
        actor_role=role,
        payload=clean_payload,
        cleaned=cleaned,
        documents=documents,
        now=now,
        pack=pack,
        from_state=case.state,
    )
    for guard in transition.guards:
        problem = guard(ctx)
        if problem:
            raise GuardFailed(problem)

    target = transition.target_for(case.state, case.suspended_state)
    event = case_event_append(
        case=case,
        name=transition.event,
        from_state=case.state,
        to_state=target,
        actor_id=actor.pk if actor is not None else None,
        actor_role=role,
        occurred_at=now,
        payload=clean_payload,
    )
    ctx.event = event
    if transition.files:
        filing_create(
            case=case,
            kind=transition.files,
            # A docket entry is named for the document ("Request for Arbitration"), not the button ("File the Request").
            title=cleaned.get("title") or FilingKind(transition.files).label,
            body=cleaned.get("body") or cleaned.get("reasons") or _request_summary(case, transition),
            filed_by_id=actor.pk if actor is not None else case.created_by_id,
            side=ctx.actor_side,
            event=event,
            now=now,
            documents=documents,
        )
    for effect in transition.effects:
        effect(ctx)

    if transition.close_all:
        deadline_service.deadlines_close(case=case, keys=None, status=transition.close_as, event=event, now=now)
    elif transition.closes:
        deadline_service.deadlines_close(
            case=case, keys=transition.closes, status=transition.close_as, event=event, now=now
        )
    if target != case.state:
        case.state = target
        case.state_entered_at = now
    for opening in transition.opens:
        if opening.only_if_claim_with_request is not None and (
            opening.only_if_claim_with_request != pack.claim_filed_with_request
        ):
            continue
        deadline_service.deadline_open(
            case=case, pack=rule_pack_for(case.rule_pack, case.rule_pack_version), key=opening.key, event=event, now=now
        )
    case.save()

    if transition.notify:
        event_id = event.pk

        def notify() -> None:
            from disputes.tasks import notify_event

            notify_event.delay(event_id)

        after_commit.append(notify)
    after_commit.extend(ctx.after_commit)

    for follow_event, follow_payload in ctx.follow_ups:
        follow = transition_for(follow_event)
        assert follow is not None
        _apply_locked(
            case=case,
            transition=follow,
            actor=actor,
            payload=follow_payload,
            documents=[],
            as_role=SYSTEM,
            after_commit=after_commit,
        )
    return event


def _request_summary(case: Case, transition: Transition) -> str:
    if transition.event != "submit":
        return ""
    systems = "; ".join(
        " ".join(str(s.get(k, "")) for k in ("name", "version", "endpoint") if s.get(k)) for s in case.ai_systems
    )
    return (
        f"Facts:\n{case.facts}\n\nRelief sought:\n{case.relief_sought}\n\n"
        f"Arbitration agreement:\n{case.arbitration_agreement}\n\nAI systems: {systems}"
    )


def lapse_event_apply(*, case_id: int, event: str) -> CaseEvent | None:
    """Fire a deadline's on-lapse event as the system. Returns None when it no longer applies (already handled)."""
    try:
        return case_apply_event(case_id=case_id, event=event, actor=None, as_role=SYSTEM)
    except (WrongState, GuardFailed):
        return None


__all__ = ["DeadlineStatus", "case_apply_event", "lapse_event_apply"]
