"""Page forms: the Request wizard's steps, list filters and the profile page.

Event payloads are validated by the lifecycle's own PayloadForms (disputes.lifecycle.payloads); these forms only
shape what the pages collect before handing it to the services.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms

from accounts.forms import ProfileForm
from disputes.lifecycle.states import State
from disputes.models import DisputeType, Responsible, RulePackChoice

# --- Request wizard ---------------------------------------------------------------------------------------------


class PartiesForm(forms.Form):
    """Step 1. Field names map onto the two Party rows: `claimant_<field>` and `respondent_<field>`."""

    claimant_name = forms.CharField(max_length=300, label="Claimant organisation")
    claimant_jurisdiction = forms.CharField(max_length=120, label="Claimant's jurisdiction of incorporation")
    respondent_name = forms.CharField(max_length=300, label="Respondent organisation")
    respondent_jurisdiction = forms.CharField(
        max_length=120, required=False, label="Respondent's jurisdiction of incorporation"
    )
    respondent_affiliates = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Respondent's affiliates",
        help_text="Parent companies, subsidiaries and affiliates, one per line. Arbitrators are checked against them.",
    )
    respondent_counsel_name = forms.CharField(max_length=200, required=False, label="Respondent's counsel (name)")
    respondent_counsel_email = forms.EmailField(
        label="Respondent's counsel (email)",
        help_text="The registry serves notice here with a single-use invitation link once it accepts the Request.",
    )

    @classmethod
    def initial_from(cls, case: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for party in case.parties.all():
            for name in ("name", "jurisdiction", "affiliates", "counsel_name", "counsel_email"):
                initial[f"{party.side}_{name}"] = getattr(party, name)
        return initial

    def party_values(self, side: str) -> dict[str, Any]:
        prefix = f"{side}_"
        return {
            name.removeprefix(prefix): value for name, value in self.cleaned_data.items() if name.startswith(prefix)
        }


class DisputeForm(forms.Form):
    """Step 2."""

    title = forms.CharField(
        max_length=300,
        label="Short title",
        help_text="How the case will be known, e.g. “Frontier Labs v. Copycat AI”.",
    )
    dispute_types = forms.MultipleChoiceField(
        choices=DisputeType.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What is the dispute about?",
        help_text="Tick every type that applies.",
    )

    @classmethod
    def initial_from(cls, case: Any) -> dict[str, Any]:
        title = "" if case.title == "Untitled request" else case.title
        return {"title": title, "dispute_types": case.dispute_types}


class AISystemForm(forms.Form):
    """Step 3, one row per AI system involved (either side's)."""

    name = forms.CharField(max_length=200, label="Model or system name")
    version = forms.CharField(max_length=100, required=False, label="Version")
    endpoint = forms.URLField(max_length=500, required=False, label="API endpoint", assume_scheme="https")


class BaseAISystemFormSet(forms.BaseFormSet):
    def systems(self) -> list[dict[str, str]]:
        """The rows to keep: filled in and not ticked for removal."""
        rows = []
        for form in self.forms:
            if not form.has_changed() or (self.can_delete and form.cleaned_data.get("DELETE")):
                continue
            rows.append({key: form.cleaned_data.get(key) or "" for key in ("name", "version", "endpoint")})
        return rows

    def clean(self) -> None:
        super().clean()
        if not any(self.errors) and not self.systems():
            raise forms.ValidationError("Name at least one AI system involved in the dispute.")


AISystemFormSet = forms.formset_factory(
    AISystemForm, formset=BaseAISystemFormSet, extra=0, can_delete=True, max_num=20, validate_max=True
)

RULE_PACK_HELP = {
    RulePackChoice.STANDARD: (
        "Answer within 30 days of notice, a Statement of Claim after the tribunal is constituted, proceedings closed "
        "within 9 months and the award within 3 months of closing."
    ),
    RulePackChoice.EXPEDITED: (
        "For urgent or smaller disputes: Answer within 20 days, the Statement of Claim is this Request, the Defence "
        "within 20 days, at most 3 hearing days, closure within 3 months and the award within 1 month."
    ),
}


class ClaimsForm(forms.Form):
    """Step 4."""

    facts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=100_000,
        label="Facts",
        help_text="What happened, when, and how you know: the evidence itself is filed later as exhibits.",
    )
    relief_sought = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000, label="Relief sought")
    arbitration_agreement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        label="Arbitration agreement relied on",
        help_text="The clause and the contract it is in, e.g. “Clause 17 of the API Terms of Service (2025)”.",
    )
    rule_pack = forms.ChoiceField(
        choices=RulePackChoice.choices,
        widget=forms.RadioSelect,
        label="Procedure",
        help_text="The rules in force when you file are pinned to the case.",
    )

    @classmethod
    def initial_from(cls, case: Any) -> dict[str, Any]:
        return {name: getattr(case, name) for name in ("facts", "relief_sought", "arbitration_agreement", "rule_pack")}


# --- Filters ----------------------------------------------------------------------------------------------------

STATE_FILTER_CHOICES = [("", "All stages"), *State.choices]


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search", help_text="Reference, title or party.")
    state = forms.ChoiceField(required=False, choices=STATE_FILTER_CHOICES, label="Stage")


class BoardFilterForm(forms.Form):
    window = forms.ChoiceField(
        required=False,
        choices=[("", "Any time"), ("overdue", "Overdue"), ("7", "Due within 7 days"), ("30", "Due within 30 days")],
        label="Window",
    )
    case = forms.CharField(required=False, max_length=20, label="Case reference")
    responsible = forms.ChoiceField(
        required=False, choices=[("", "Anyone"), *Responsible.choices], label="Responsible side"
    )
    stage = forms.ChoiceField(
        required=False, choices=[("", "All stages"), *[c for c in State.choices if c[0] != State.DRAFT]], label="Stage"
    )


# --- Profile ----------------------------------------------------------------------------------------------------


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(zoneinfo.available_timezones())
        if "/" in name or name == "UTC"
    ]


class ProfilePageForm(ProfileForm):
    """The account's profile form, with the time zone picked from the IANA list instead of typed."""

    time_zone = forms.ChoiceField(
        choices=time_zone_choices, label="Time zone", help_text="Deadlines are shown to you in this time zone."
    )

    class Meta(ProfileForm.Meta):
        labels = {"organisation": "Firm or organisation", "email_frequency": "Email me"}
