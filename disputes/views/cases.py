"""Case list, case page (header, progress, tabs, actions panel) and docket downloads.

Every case is fetched through the permission layer (selectors.case_detail / permissions.case_for_user_or_404): an
outsider gets the same 404 as for a case that does not exist. Tabs are sections of the case page that htmx swaps
in place; without JavaScript the same links reload the page with ?tab=.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.filenames import safe_filename
from disputes import permissions, selectors
from disputes.forms import CaseFilterForm
from disputes.lifecycle.payloads import MessageForm
from disputes.lifecycle.states import State
from disputes.lifecycle.transitions import BY_EVENT
from disputes.models import Case, Deadline, DeadlineStatus
from disputes.services import reading
from disputes.views import reads
from disputes.views.types import AuthenticatedRequest
from evidence.views import tabs as evidence_tabs

CASES_PER_PAGE = 25
ROWS_PER_TAB_PAGE = 30

# Tab name -> (label, permission needed beyond seeing the case). A candidate arbitrator sees only the overview.
TABS: dict[str, tuple[str, str | None]] = {
    "overview": ("Request", None),
    "timeline": ("Timeline", "disputes.view_docket"),
    "deadlines": ("Deadlines", "disputes.view_deadlines"),
    "participants": ("Participants", "disputes.view_participants"),
    "docket": ("Docket", "disputes.view_docket"),
    "messages": ("Messages", "disputes.view_docket"),
    "exhibits": ("Exhibits", "disputes.view_docket"),  # rows scoped by tier in evidence.views.tabs
    "analyses": ("Analyses", "disputes.view_docket"),
}


@login_required
@require_GET
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    filters = CaseFilterForm(request.GET or None)
    state = search = ""
    if filters.is_valid():
        state, search = filters.cleaned_data["state"], filters.cleaned_data["q"].strip()
    cases = selectors.case_list(user=request.user, state=state, search=search)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(case, selectors.next_deadline(case)) for case in page.object_list]
    return render(
        request,
        "disputes/case_list.html",
        {"filters": filters, "page": page, "rows": rows, "filtered": bool(state or search)},
    )


def _allowed_tabs(user: Any, case: Case) -> list[str]:
    return [name for name, (_, perm) in TABS.items() if perm is None or user.has_perm(perm, case)]


def _default_tab(tabs: list[str]) -> str:
    return "timeline" if "timeline" in tabs else tabs[0]


def _header_context(request: AuthenticatedRequest, case: Case) -> dict[str, Any]:
    all_deadlines: list[Deadline] = case.all_deadlines  # type: ignore[attr-defined]  # prefetched by case_detail
    open_deadlines = [d for d in all_deadlines if d.status == DeadlineStatus.OPEN and not d.is_window]
    return {
        "case": case,
        "next_deadline": min(open_deadlines, key=lambda d: d.due_at, default=None),
        "actions": selectors.available_actions(user=request.user, case=case),
        "rule_pack": selectors.rule_pack_of(case),
        "is_registrar": permissions.is_registrar(request.user),
        "can_export": request.user.has_perm("disputes.export_case", case),
        "can_make_bundles": request.user.has_perm("evidence.make_hearing_bundle", case),
    }


def _tab_context(request: AuthenticatedRequest, case: Case, tab: str) -> dict[str, Any]:
    page_number = request.GET.get("page")
    if tab == "exhibits":
        return evidence_tabs.exhibits_tab_context(request, case)
    if tab == "analyses":
        return evidence_tabs.analyses_tab_context(request, case)
    if tab == "timeline":
        page = Paginator(selectors.case_timeline(user=request.user, case=case), ROWS_PER_TAB_PAGE).get_page(page_number)
        return {"page": page, "labels": {name: t.label for name, t in BY_EVENT.items()}}
    if tab == "docket":
        # Opening the docket is reading it: the dashboard's "unread filings" counts from this mark.
        reading.docket_mark_read(user_id=request.user.pk, case=case, now=timezone.now())
        return {
            "page": Paginator(selectors.case_docket(case=case), ROWS_PER_TAB_PAGE).get_page(page_number),
            "can_make_bundles": request.user.has_perm("evidence.make_hearing_bundle", case),
        }
    if tab == "messages":
        can_post = any(
            a.transition.event == "post_message" for a in selectors.available_actions(user=request.user, case=case)
        )
        return {
            "page": Paginator(selectors.case_messages(case=case), ROWS_PER_TAB_PAGE).get_page(page_number),
            "message_form": MessageForm(case=case) if can_post else None,
        }
    if tab == "deadlines":
        # Open deadlines first, soonest first; then the closed ones, for the record.
        all_deadlines: list[Deadline] = case.all_deadlines  # type: ignore[attr-defined]
        deadlines = sorted(all_deadlines, key=lambda d: (d.status != DeadlineStatus.OPEN, d.due_at))
        return {"deadlines": deadlines}
    if tab == "participants":
        return {"participants": case.active_participants, "appointments": case.all_appointments}  # type: ignore[attr-defined]
    return {"hearings": list(case.hearings.all())}


@login_required
@require_GET
def case_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.case_detail(user=request.user, pk=pk)
    if case.state == State.DRAFT and request.user.has_perm("disputes.edit_draft", case):
        return redirect("request_step", pk=case.pk, step=case.draft_step)
    tabs = _allowed_tabs(request.user, case)
    tab = request.GET.get("tab", "")
    if tab not in tabs:
        tab = _default_tab(tabs)
    context = _header_context(request, case) | _tab_context(request, case, tab)
    context |= {"tab": tab, "tabs": [(name, TABS[name][0]) for name in tabs]}
    return render(request, "disputes/case_detail.html", context)


@login_required
@require_GET
def case_tab(request: AuthenticatedRequest, pk: int, tab: str) -> HttpResponse:
    """One tab's panel, for htmx to swap into the case page."""
    case = selectors.case_detail(user=request.user, pk=pk)
    if tab not in _allowed_tabs(request.user, case):
        raise Http404("No such tab.")
    context = {
        "case": case,
        "tab": tab,
        "tabs": [(name, TABS[name][0]) for name in _allowed_tabs(request.user, case)],
        "is_registrar": permissions.is_registrar(request.user),
    }
    context |= _tab_context(request, case, tab)
    return render(request, "disputes/tabs/frame.html", context)


@login_required
@require_GET
def document_download(request: AuthenticatedRequest, pk: int, document_id: int) -> FileResponse:
    case = permissions.case_for_user_or_404(request.user, pk)
    if not request.user.has_perm("disputes.view_docket", case):
        raise Http404("No such document.")
    document = reads.case_document(case=case, document_id=document_id)
    if document is None:
        raise Http404("No such document.")
    try:
        handle = document.file.open("rb")
    except OSError as exc:
        raise Http404("The document is not available.") from exc
    # Uploaded bytes are never rendered by the browser: a download, of a type it must not guess, in a sandbox.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=safe_filename(document.original_name),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
