"""Forms of the evidence pages. The services validate again; these give the page its fields, help and choices."""

from __future__ import annotations

from typing import Any

from django import forms

from evidence.models import TIER_STRICTNESS, ExhibitKind, Tier

TIER_HELP = (
    "Who may see this exhibit. Parties: both sides and the tribunal. Attorneys' eyes only: on the other side, "
    "only its outside counsel — not the party's own staff. Sealed: the tribunal, its experts and the registry only; "
    "the other side is not told the exhibit exists. The tribunal may change the tier later; you may only make it "
    "stricter."
)

SIDE_CHOICES = [
    ("", "Both sides and the tribunal"),
    ("claimant", "Claimant"),
    ("respondent", "Respondent"),
    ("tribunal", "Tribunal"),
]


class ExhibitForm(forms.Form):
    """The exhibit's fields. The files themselves go straight from the browser to the tus endpoint (never posted
    with this form), so the file input is rendered by the template, not declared here."""

    kind = forms.ChoiceField(choices=ExhibitKind.choices, initial=ExhibitKind.DOCUMENT)
    title = forms.CharField(max_length=300, help_text="A short title the tribunal will cite, e.g. “Licence agreement”.")
    description = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the exhibit is, where it comes from and what it shows. Searchable by those who may see it.",
    )
    tier = forms.ChoiceField(
        label="Confidentiality",
        choices=Tier.choices,
        initial=Tier.PARTIES,
        widget=forms.RadioSelect,
        help_text=TIER_HELP,
    )
    watermark_key = forms.CharField(
        required=False,
        max_length=40,
        label="Watermark key (model outputs only)",
        help_text="Your watermarking key, in decimal or 0x-hex. With it the watermark test starts once the outputs "
        "have been checked. Never shown to the other side.",
    )


class ExhibitFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ExhibitKind.choices])
    side = forms.ChoiceField(required=False, choices=SIDE_CHOICES, label="Filed by")
    q = forms.CharField(required=False, max_length=200, label="Search titles, descriptions and text")


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the chain of custody. The exhibit is hidden from the case; the original is kept.",
    )


class TierForm(forms.Form):
    tier = forms.ChoiceField(label="New confidentiality tier", choices=Tier.choices, widget=forms.RadioSelect)
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current: str, tribunal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The filing side may only make its exhibit stricter: offer only those tiers (the service enforces it).
        field = self.fields["tier"]
        assert isinstance(field, forms.ChoiceField)
        if not tribunal:
            floor = TIER_STRICTNESS[Tier(current)]
            field.choices = [(v, label) for v, label in Tier.choices if TIER_STRICTNESS[Tier(v)] >= floor]
        self.fields["tier"].initial = current
