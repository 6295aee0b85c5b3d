"""Validated inputs of the events that need any. The pages and the API both validate through these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from disputes.models import Case, Deadline, Side


class PayloadForm(forms.Form):
    """Base: forms get the case so that choices can depend on it."""

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        self.case = case
        super().__init__(*args, **kwargs)

    def payload(self) -> dict[str, Any]:
        """JSON-serialisable payload for the audit row."""
        data: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if hasattr(value, "pk"):
                data[name] = value.pk
            elif hasattr(value, "isoformat"):
                data[name] = value.isoformat()
            elif value not in (None, ""):
                data[name] = value
        return data


class ReasonsForm(PayloadForm):
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)


class OptionalNoteForm(PayloadForm):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False)


class DocumentFilingForm(PayloadForm):
    """Events that put a document on the docket (Answer, Statements, orders, the award)."""

    title = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000, required=False)


class AwardForm(DocumentFilingForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000, label="Summary of the award")
    documents_required = True


class ArbitratorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class ArbitratorForm(PayloadForm):
    arbitrator = ArbitratorChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["arbitrator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            get_user_model().objects.filter(on_arbitrator_roster=True, is_active=True).order_by("full_name")
        )


class ConferenceForm(PayloadForm):
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False)


class EvidencePeriodForm(PayloadForm):
    side = forms.ChoiceField(
        choices=[("claimant", "Claimant"), ("respondent", "Respondent"), ("parties", "Both parties")]
    )
    days = forms.IntegerField(min_value=1, max_value=45, help_text="At most 45 days.")
    description = forms.CharField(max_length=300)


class HearingForm(PayloadForm):
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    days = forms.IntegerField(min_value=1, max_value=30, initial=1)
    location = forms.CharField(max_length=200, required=False)
    video_link = forms.URLField(required=False, assume_scheme="https")

    def clean_starts_at(self) -> Any:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= timezone.now():
            raise forms.ValidationError("The hearing must be scheduled in the future.")
        return starts_at


class DeadlineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label} (due {timezone.localtime(obj.due_at):%d %b %Y %H:%M})"


class ExtendDeadlineForm(PayloadForm):
    deadline = DeadlineChoiceField(queryset=Deadline.objects.none())
    days = forms.IntegerField(min_value=1, max_value=90)
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deadline"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Deadline.objects.open().filter(case=self.case, is_window=False)


class MessageForm(PayloadForm):
    addressed_to = forms.ChoiceField(
        choices=[
            ("tribunal", "The tribunal (copied to all parties)"),
            ("all", "Everyone on the case"),
            ("registry", "The registry (copied to all parties)"),
        ]
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=50_000)


class SubmissionForm(DocumentFilingForm):
    pass


class DeclarationForm(PayloadForm):
    independent = forms.BooleanField(
        required=False,
        label="I am impartial and independent of the parties and will remain so.",
    )
    disclosures = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        required=False,
        help_text="Circumstances that might give rise to justifiable doubts, even if you think you are independent.",
    )
    affiliations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        required=False,
        help_text="Organisations you work or worked for, advise or hold interests in; one per line.",
    )


SIDE_CHOICES = [(Side.CLAIMANT, "Claimant"), (Side.RESPONDENT, "Respondent")]
