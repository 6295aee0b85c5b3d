"""The page where the tribunal (or a party, on its own exhibits) orders an analysis on exhibits of the case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from disputes.exceptions import TransitionError
from disputes.permissions import case_for_user_or_404
from evidence import permissions
from evidence.analyses import INPUT_ROLES
from evidence.models import ExhibitFile, JobKind
from evidence.services.analyses import analysis_order

ROLE_LABELS = {
    "a": "Model / output set A (claimant's, usually)",
    "b": "Model / output set B (respondent's, usually)",
    "log": "API query log",
    "benign_reference": "Benign reference log (optional, calibrates PRADA)",
    "outputs": "Model outputs",
    "tokenizer": "Claimant's tokenizer.json (only for text outputs)",
}


class FileChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.exhibit.label} {obj.exhibit.title} — {obj.original_name} ({obj.size:,} bytes)"


def order_form_class(kind: str, files: Any) -> type[forms.Form]:
    fields: dict[str, forms.Field] = {}
    for role, kinds, required in INPUT_ROLES[kind]:
        fields[role] = FileChoice(
            queryset=files.filter(exhibit__kind__in=kinds), required=required, label=ROLE_LABELS.get(role, role)
        )
    if kind == "text.watermark":
        fields["key"] = forms.CharField(
            max_length=40,
            required=False,
            help_text="The claimant's key (decimal or 0x-hex); leave empty to use the key filed with the outputs.",
        )
        fields["gamma"] = forms.FloatField(initial=0.25, min_value=0.01, max_value=0.99)
    if kind == "logs.extraction":
        fields["volume_threshold"] = forms.IntegerField(
            min_value=1, required=False, help_text="The Charter's volume threshold (requests)."
        )
    if kind == "text.similarity":
        fields["use_embeddings"] = forms.BooleanField(
            initial=True, required=False, label="Also compare meaning with MiniLM embeddings"
        )
    return type("AnalysisOrderForm", (forms.Form,), fields)


@login_required
def order_analysis(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    case = case_for_user_or_404(request.user, pk)
    if kind not in INPUT_ROLES:
        raise Http404("No such analysis.")
    tribunal = permissions.is_tribunal_member(request.user, case)
    side = permissions.may_file_exhibits(request.user, case)
    if not tribunal and side is None:
        raise Http404("No such page.")
    files = ExhibitFile.objects.select_related("exhibit").filter(
        exhibit__in=permissions.visible_exhibits(request.user, case), status=ExhibitFile.Status.OK
    )
    if not tribunal:
        files = files.filter(exhibit__side=side)
    form_class = order_form_class(kind, files.order_by("exhibit__side", "exhibit__number", "id"))
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        roles = [role for role, _, _ in INPUT_ROLES[kind]]
        inputs = {role: data.pop(role).pk for role in roles if data.get(role) is not None}
        for role in roles:
            data.pop(role, None)
        parameters = {k: v for k, v in data.items() if v not in (None, "")}
        if kind == "text.similarity":
            parameters["use_embeddings"] = bool(data.get("use_embeddings"))
        try:
            job = analysis_order(user=request.user, case=case, kind=kind, inputs=inputs, parameters=parameters)
        except TransitionError as error:
            for field, problems in getattr(error, "errors", {}).items():
                if field in form.fields:
                    form.add_error(field, problems)
            messages.error(request, str(error))
        else:
            messages.success(request, f"{job.get_kind_display()} queued as job #{job.pk}.")
            return redirect(f"{case_url(case)}?tab=analyses")
    return render(
        request,
        "evidence/order_analysis.html",
        {
            "case": case,
            "form": form,
            "kind": kind,
            "kind_label": JobKind(kind).label,
            "kinds": [(k, JobKind(k).label) for k in INPUT_ROLES],
        },
    )


def case_url(case: Any) -> str:
    from django.urls import reverse

    return reverse("case_detail", args=[case.pk])
