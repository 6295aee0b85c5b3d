"""Ordering an analysis on exhibits: one service for the case page and the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from disputes.exceptions import InvalidPayload, NotPermitted
from evidence import permissions
from evidence.analyses import INPUT_ROLES
from evidence.jobs import job_create
from evidence.models import AnalysisJob, ExhibitFile
from forensics.text.watermark import parse_key

PARAMETER_RULES: dict[str, dict[str, tuple[type, Any, Any]]] = {
    # name: (type, minimum, maximum)
    "logs.extraction": {"volume_threshold": (int, 1, 10**12)},
    "text.watermark": {"gamma": (float, 0.01, 0.99), "z_threshold": (float, 1.0, 20.0)},
    "text.similarity": {"seed": (int, 0, 2**31), "use_embeddings": (bool, None, None)},
    "weights.lineage": {},
}


def _clean_parameters(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    rules = PARAMETER_RULES[kind]
    clean: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "key" and kind == "text.watermark":
            try:
                parse_key(value)
            except (ValueError, TypeError) as error:
                raise InvalidPayload(f"The watermark key is not valid: {error}", errors={"key": [str(error)]}) from None
            clean["key"] = str(value).strip()
            continue
        if name not in rules:
            raise InvalidPayload(f"Unknown parameter '{name}' for {kind}.", errors={name: ["Unknown parameter."]})
        kind_, low, high = rules[name]
        try:
            value = (str(value).lower() in {"1", "true", "yes", "on"}) if kind_ is bool else kind_(value)
        except (TypeError, ValueError):
            raise InvalidPayload(f"'{name}' must be a {kind_.__name__}.", errors={name: ["Wrong type."]}) from None
        if low is not None and not (low <= value <= high):
            raise InvalidPayload(f"'{name}' must be between {low} and {high}.", errors={name: ["Out of range."]})
        clean[name] = value
    if kind == "text.watermark" and "key" not in clean:
        raise InvalidPayload("A watermark analysis needs the claimant's key.", errors={"key": ["Required."]})
    return clean


def analysis_order(
    *, user: Any, case: Any, kind: str, inputs: dict[str, int], parameters: dict[str, Any]
) -> AnalysisJob:
    """Validate and queue an analysis. Tribunal members may use any exhibit they see; a party only its own side's."""
    if kind not in INPUT_ROLES:
        raise InvalidPayload(f"Unknown analysis '{kind}'.", errors={"kind": ["Unknown analysis."]})
    tribunal = permissions.is_tribunal_member(user, case)
    side = permissions.may_file_exhibits(user, case)
    if not tribunal and side is None:
        raise NotPermitted("Only the tribunal, or a party on its own exhibits, can order an analysis.")
    roles = INPUT_ROLES[kind]
    unknown = set(inputs) - {role for role, _, _ in roles}
    if unknown:
        raise InvalidPayload(f"Unknown input role(s): {', '.join(sorted(unknown))}.")
    visible = permissions.visible_exhibits(user, case)
    chosen: list[tuple[ExhibitFile, str]] = []
    errors: dict[str, list[str]] = {}
    for role, kinds, required in roles:
        file_id = inputs.get(role)
        if file_id is None or str(file_id) == "":
            if required:
                errors[role] = ["Choose a file."]
            continue
        exhibit_file = ExhibitFile.objects.select_related("exhibit").filter(pk=file_id, exhibit__in=visible).first()
        if exhibit_file is None:
            errors[role] = ["No such file in this case."]
            continue
        if exhibit_file.exhibit.kind not in kinds:
            errors[role] = [f"Needs a file of kind {', '.join(sorted(kinds))}."]
        elif exhibit_file.status != ExhibitFile.Status.OK:
            errors[role] = ["This file has not passed its checks (still being checked, or quarantined)."]
        elif not tribunal and exhibit_file.exhibit.side != side:
            errors[role] = ["A party may analyse only its own side's exhibits."]
        chosen.append((exhibit_file, role))
    if errors:
        raise InvalidPayload(
            "The analysis cannot be ordered: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors=errors
        )
    clean = _clean_parameters(kind, parameters)
    with transaction.atomic():
        return job_create(case=case, kind=kind, inputs=chosen, parameters=clean, created_by_id=user.pk)
