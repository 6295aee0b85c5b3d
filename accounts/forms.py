from django import forms
from django.conf import settings

from accounts.models import User


class SignupProfileForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    organisation = forms.CharField(max_length=200, required=False, label="Firm or organisation")

    def signup(self, request: object, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.organisation = self.cleaned_data.get("organisation", "")
        user.save(update_fields=["full_name", "organisation"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "organisation", "time_zone", "email_frequency", "affiliations"]
        widgets = {"affiliations": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "email_frequency": (
                "Immediately: one email for each filing, reminder, appointment or finished analysis. "
                "Daily digest: no email per item; instead one email a day, soon after "
                f"{settings.TRIBUNAL_DIGEST_HOUR:02d}:00 in your time zone, listing everything since the previous "
                "digest, grouped by case (nothing is sent on a day with nothing new). "
                "The notifications page is always up to date."
            )
        }
