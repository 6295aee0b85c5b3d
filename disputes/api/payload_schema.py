"""Describe an event's payload form to API clients: the same fields the page form renders, as data.

The lifecycle's PayloadForms stay the single definition of what an event accepts; this only reads them, so a field
added to a form appears in `GET /cases/{id}/transitions/` without touching the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from disputes.lifecycle.payloads import PayloadForm
from disputes.models import Case

# Most specific classes first: URLField and DateTimeField are CharField / DateField subclasses of sorts.
_FIELD_TYPES: tuple[tuple[type[forms.Field], str], ...] = (
    (forms.ModelChoiceField, "choice"),
    (forms.ChoiceField, "choice"),
    (forms.BooleanField, "boolean"),
    (forms.IntegerField, "integer"),
    (forms.DateTimeField, "datetime"),
    (forms.DateField, "date"),
    (forms.URLField, "url"),
    (forms.EmailField, "email"),
)
FIELD_TYPE_NAMES = ("string", "text", "choice", "boolean", "integer", "datetime", "date", "url", "email")


def field_type(field: forms.Field) -> str:
    for klass, name in _FIELD_TYPES:
        if isinstance(field, klass):
            return name
    return "text" if isinstance(field.widget, forms.Textarea) else "string"


def payload_fields(*, form_class: type[PayloadForm] | None, case: Case) -> list[dict[str, Any]]:
    """One entry per form field. Choices are resolved for this case (open deadlines, roster arbitrators)."""
    if form_class is None:
        return []
    form = form_class(case=case)
    described = []
    for name, field in form.fields.items():
        choices = None
        if isinstance(field, forms.ChoiceField):
            choices = [
                {"value": str(value), "label": str(label)}
                for value, label in cast(Iterable[tuple[Any, Any]], field.choices)
                if value not in ("", None)  # the empty "---------" option of model choice fields
            ]
        described.append(
            {
                "name": name,
                "label": str(field.label or name.replace("_", " ").capitalize()),
                "type": field_type(field),
                "required": field.required,
                "help_text": str(field.help_text or ""),
                "choices": choices,
                "max_length": getattr(field, "max_length", None),
                "min_value": getattr(field, "min_value", None),
                "max_value": getattr(field, "max_value", None),
            }
        )
    return described
