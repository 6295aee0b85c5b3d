"""Hearing bundle pages: choose docket items and exhibits, watch the bundle being built, download the PDF.

Only the tribunal (the case's arbitrators) and the registry prepare and see bundles (evidence.permissions): a party
on the case gets a 403 on the list page (the case is no secret to them) and a 404 for any bundle, which may hold
sealed items; an outsider gets a 404 everywhere.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from disputes.exceptions import TransitionError
from disputes.models import Case
from disputes.permissions import case_for_user_or_404
from disputes.views.types import AuthenticatedRequest
from evidence import permissions
from evidence.models import HearingBundle
from evidence.services.hearing_bundles import hearing_bundle_create, hearing_bundle_open

BUNDLES_PER_PAGE = 20


class HearingBundleForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        initial="Hearing bundle",
        help_text="Printed on the cover and at the foot of every page.",
    )
    filings = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Docket items"
    )
    exhibits = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Exhibits"
    )

    def __init__(self, *args: Any, filings: list[Any], exhibits: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["filings"].choices = [(f.pk, f"No. {f.number}: {f.title}") for f in filings]  # type: ignore[attr-defined]
        self.fields["exhibits"].choices = [(e.pk, f"{e.label}: {e.title}") for e in exhibits]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("filings") and not data.get("exhibits"):
            raise forms.ValidationError("Choose at least one docket item or exhibit.")
        return data


def _tribunal_case(request: AuthenticatedRequest, pk: int) -> Case:
    case = case_for_user_or_404(request.user, pk)
    if not request.user.has_perm("evidence.make_hearing_bundle", case):
        raise PermissionDenied("Only the tribunal and the registry prepare hearing bundles.")
    return case


def _bundle(request: AuthenticatedRequest, pk: int, bundle_id: int) -> tuple[Case, HearingBundle]:
    case = case_for_user_or_404(request.user, pk)
    return case, permissions.hearing_bundle_for_user_or_404(request.user, case, bundle_id)


@login_required
@require_http_methods(["GET", "POST"])
def hearing_bundle_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _tribunal_case(request, pk)
    filings = list(case.filings.order_by("number").select_related("filed_by").prefetch_related("documents"))
    exhibits = list(
        permissions.visible_exhibits(request.user, case).order_by("side", "number").prefetch_related("files")
    )
    form = HearingBundleForm(request.POST or None, filings=filings, exhibits=exhibits)
    if request.method == "POST" and form.is_valid():
        try:
            bundle = hearing_bundle_create(
                user=request.user,
                case=case,
                title=form.cleaned_data["title"],
                filing_ids=form.cleaned_data["filings"],
                exhibit_ids=form.cleaned_data["exhibits"],
            )
        except TransitionError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "The bundle is being prepared; this page shows its progress.")
            return redirect("hearing_bundle_detail", pk=case.pk, bundle_id=bundle.pk)
    page = Paginator(permissions.visible_hearing_bundles(request.user, case), BUNDLES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    preselected = set(request.GET.getlist("filing"))
    context = {
        "case": case,
        "form": form,
        "page": page,
        "filings": filings,
        "exhibits": exhibits,
        "checked_filings": {str(v) for v in (form["filings"].value() or [])} | preselected,
        "checked_exhibits": {str(v) for v in (form["exhibits"].value() or [])},
    }
    return render(request, "evidence/hearing_bundles.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def hearing_bundle_detail(request: AuthenticatedRequest, pk: int, bundle_id: int) -> HttpResponse:
    case, bundle = _bundle(request, pk, bundle_id)
    return render(request, "evidence/hearing_bundle_detail.html", {"case": case, "bundle": bundle})


@login_required
@require_GET
def hearing_bundle_status(request: AuthenticatedRequest, pk: int, bundle_id: int) -> HttpResponse:
    """The status panel htmx polls while the bundle is built."""
    case, bundle = _bundle(request, pk, bundle_id)
    return render(request, "evidence/_hearing_bundle_status.html", {"case": case, "bundle": bundle})


@login_required
@require_GET
def hearing_bundle_download(request: AuthenticatedRequest, pk: int, bundle_id: int) -> HttpResponseBase:
    case, bundle = _bundle(request, pk, bundle_id)
    try:
        handle = hearing_bundle_open(bundle=bundle)
    except TransitionError as refusal:
        messages.warning(request, str(refusal))
        return redirect("hearing_bundle_detail", pk=case.pk, bundle_id=bundle.pk)
    filename = slugify(f"{case.display_reference}-{bundle.title}-{bundle.pk}") + ".pdf"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = bundle.sha256
    return response
