"""Filing an exhibit, the exhibit page, downloads, custody exports, withdrawal and tier changes.

Every route fetches the case through disputes.permissions and the exhibit through evidence.permissions, so a sealed
exhibit of the other side is the same 404 as one that does not exist. The services write custody; views only
translate their refusals into pages.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from disputes.exceptions import NotPermitted, TransitionError
from disputes.models import Case
from disputes.permissions import case_for_user_or_404
from disputes.views.types import AuthenticatedRequest
from evidence import permissions, selectors
from evidence.forms import ExhibitForm, TierForm, WithdrawForm
from evidence.models import CustodyEvent, Exhibit, ExhibitFile
from evidence.runners import HashMismatch
from evidence.services.exhibits import (
    exhibit_change_tier,
    exhibit_file_open_for_download,
    exhibit_record_view,
    exhibit_withdraw,
)
from evidence.views.common import UPLOAD_PAGE_POLICY, client_ip, safe_filename
from evidence.views.presenters import job_summary

# Browser chunks: small enough that a dropped connection loses little, and never above the server's limit.
BROWSER_CHUNK_BYTES = 8 * 1024 * 1024
CUSTODY_ROWS_PER_PAGE = 100


def _exhibit(request: AuthenticatedRequest, pk: int, exhibit_id: int) -> tuple[Case, Exhibit]:
    case = case_for_user_or_404(request.user, pk)
    return case, permissions.exhibit_for_user_or_404(request.user, case, exhibit_id)


@login_required
@require_GET
def exhibit_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The form; the browser then sends each file to the tus endpoint itself (static/evidence/upload.js)."""
    case = case_for_user_or_404(request.user, pk)
    side = permissions.may_file_exhibits(request.user, case)
    context = {
        "case": case,
        "side": side,
        "form": ExhibitForm(),
        "chunk_size": min(BROWSER_CHUNK_BYTES, settings.EVIDENCE_MAX_CHUNK_BYTES),
        "max_file_bytes": settings.EVIDENCE_MAX_FILE_BYTES,
        "endpoint": reverse("evidence_api:uploads"),  # the tus 1.0 creation endpoint
    }
    response = render(request, "evidence/exhibit_new.html", context, status=200 if side else 403)
    response["Content-Security-Policy"] = UPLOAD_PAGE_POLICY
    return response


def _exhibit_page(
    request: AuthenticatedRequest,
    case: Case,
    exhibit: Exhibit,
    *,
    withdraw_form: WithdrawForm | None = None,
    tier_form: TierForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    tribunal = permissions.is_tribunal_member(user, case)
    can_withdraw = user.has_perm("evidence.withdraw_exhibit", exhibit)
    can_change_tier = user.has_perm("evidence.change_tier", exhibit)
    jobs = selectors.job_list(user=user, case=case).filter(inputs__file__exhibit=exhibit).distinct()
    custody = Paginator(selectors.custody_for(exhibit=exhibit, user=request.user), CUSTODY_ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "case": case,
        "exhibit": exhibit,
        "files": list(exhibit.files.order_by("id")),
        "custody": custody,
        "custody_rows": [(event, _details_for_display(event.details)) for event in custody.object_list],
        "job_rows": [(job, job_summary(job)) for job in jobs],
        "can_manage": tribunal,
        "can_withdraw": can_withdraw,
        "can_change_tier": can_change_tier,
        "withdraw_form": withdraw_form or (WithdrawForm(prefix="withdraw") if can_withdraw else None),
        "tier_form": tier_form
        or (TierForm(prefix="tier", current=exhibit.tier, tribunal=tribunal) if can_change_tier else None),
        "sees_parameters": exhibit.side == permissions.may_file_exhibits(user, case) or tribunal,
        "error": error,
    }
    return render(request, "evidence/exhibit_detail.html", context, status=status)


def _details_for_display(details: dict[str, Any]) -> list[tuple[str, str]]:
    """Custody details as label/value text (lists joined, empty values dropped) for the custody table."""
    rows = []
    for key, value in details.items():
        if value in ("", None, [], {}):
            continue
        if isinstance(value, list):
            value = "; ".join(str(item) for item in value)
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
        rows.append((key.replace("_", " "), str(value)))
    return rows


@login_required
@require_GET
def exhibit_detail(request: AuthenticatedRequest, pk: int, exhibit_id: int) -> HttpResponse:
    case, exhibit = _exhibit(request, pk, exhibit_id)
    exhibit_record_view(user=request.user, exhibit=exhibit, ip=client_ip(request))
    return _exhibit_page(request, case, exhibit)


@login_required
@require_GET
def exhibit_file_download(request: AuthenticatedRequest, pk: int, exhibit_id: int, file_id: int) -> HttpResponseBase:
    case, exhibit = _exhibit(request, pk, exhibit_id)
    exhibit_file = get_object_or_404(ExhibitFile.objects.select_related("exhibit__case"), pk=file_id, exhibit=exhibit)
    try:
        handle = exhibit_file_open_for_download(user=request.user, exhibit_file=exhibit_file, ip=client_ip(request))
    except NotPermitted as refusal:
        raise PermissionDenied(str(refusal)) from None
    except HashMismatch as mismatch:
        context = {"case": case, "exhibit": exhibit, "exhibit_file": exhibit_file, "message": str(mismatch)}
        return render(request, "evidence/hash_mismatch.html", context, status=409)
    # Evidence is never rendered by the browser: an attachment, of a type it must not guess, in a sandbox.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=safe_filename(exhibit_file.original_name),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _custody_row(event: CustodyEvent) -> dict[str, Any]:
    """Every field the chain hash covers, so an export can be re-verified offline."""
    return {
        "chain": "sealed" if event.sealed else "open",
        "seq": event.seq,
        "at": event.at.isoformat(),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor": event.actor.display_name if event.actor else "",
        "actor_role": event.actor_role,
        "ip": event.ip,
        "file_id": event.file_id,
        "file": event.file.original_name if event.file else "",
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


CSV_COLUMNS = [
    "chain",
    "seq",
    "at",
    "action",
    "actor_id",
    "actor",
    "actor_role",
    "ip",
    "file_id",
    "file",
    "details",
    "prev_hash",
    "hash",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ is text here, not a formula.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


@login_required
@require_GET
def exhibit_custody_export(request: AuthenticatedRequest, pk: int, exhibit_id: int, fmt: str) -> HttpResponseBase:
    case, exhibit = _exhibit(request, pk, exhibit_id)
    rows = (
        _custody_row(event)
        for event in selectors.custody_for(exhibit=exhibit, user=request.user).iterator(chunk_size=500)
    )
    filename = f"{case.display_reference}-{exhibit.label}-custody.{fmt}".replace("/", "-")
    if fmt == "json":
        payload = {
            "case": case.display_reference,
            "exhibit": {"id": exhibit.pk, "label": exhibit.label, "title": exhibit.title},
            "custody_head": exhibit.custody_head,
            "custody_length": exhibit.custody_length,
            "events": list(rows),
        }
        response: HttpResponseBase = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    elif fmt == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Any:
            yield writer.writerow(CSV_COLUMNS)
            for row in rows:
                row["details"] = json.dumps(row["details"], sort_keys=True, ensure_ascii=False)
                yield writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("No such format.")
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def exhibit_withdraw_view(request: AuthenticatedRequest, pk: int, exhibit_id: int) -> HttpResponse:
    case, exhibit = _exhibit(request, pk, exhibit_id)
    form = WithdrawForm(request.POST, prefix="withdraw")
    if not form.is_valid():
        return _exhibit_page(request, case, exhibit, withdraw_form=form, status=400)
    try:
        exhibit_withdraw(user=request.user, exhibit=exhibit, reason=form.cleaned_data["reason"], ip=client_ip(request))
    except TransitionError as refusal:
        return _exhibit_page(request, case, exhibit, withdraw_form=form, error=str(refusal), status=refusal.status_code)
    messages.success(request, f"Exhibit {exhibit.label} withdrawn. It stays on record, hidden from the case.")
    return redirect(f"{reverse('case_detail', args=[case.pk])}?tab=exhibits")


@login_required
@require_POST
def exhibit_tier_view(request: AuthenticatedRequest, pk: int, exhibit_id: int) -> HttpResponse:
    case, exhibit = _exhibit(request, pk, exhibit_id)
    tribunal = permissions.is_tribunal_member(request.user, case)
    form = TierForm(request.POST, prefix="tier", current=exhibit.tier, tribunal=tribunal)
    if not form.is_valid():
        return _exhibit_page(request, case, exhibit, tier_form=form, status=400)
    try:
        updated = exhibit_change_tier(
            user=request.user,
            exhibit=exhibit,
            tier=form.cleaned_data["tier"],
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        )
    except TransitionError as refusal:
        return _exhibit_page(request, case, exhibit, tier_form=form, error=str(refusal), status=refusal.status_code)
    messages.success(request, f"Exhibit {updated.label} is now: {updated.get_tier_display()}.")
    return redirect("exhibit_detail", pk=case.pk, exhibit_id=exhibit.pk)
