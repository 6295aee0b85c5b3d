"""Ordering an analysis (one service for the case page and the API): which files go into which roles, who may ask.

Rules (DESIGN §4, issue 3): the kind must be one of evidence.analyses.INPUT_ROLES; every required role gets a file,
no unknown role is named and no file is used twice; each file must be visible to the requester (an invisible file
is reported exactly like a missing one, so a sealed exhibit's file id cannot be probed), of a kind that fits its
role, and must have passed ingest. Tribunal members may use any visible file; a party only its own side's.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from disputes.exceptions import InvalidPayload, NotPermitted
from disputes.models import Case
from evidence import permissions
from evidence.analyses import INPUT_ROLES
from evidence.jobs import job_create
from evidence.models import AnalysisJob, ExhibitFile

# Parameters each analysis accepts (see the adapters in evidence.analyses) and the JSON types they take.
PARAMETER_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "weights.lineage": {},
    "logs.extraction": {"volume_threshold": (int,)},
    "text.watermark": {"key": (str, int), "gamma": (int, float), "z_threshold": (int, float)},
    "text.similarity": {"use_embeddings": (bool,), "seed": (int,)},
}
MAX_PARAMETERS_BYTES = 4096


def _check_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    allowed = PARAMETER_TYPES[kind]
    problems = []
    for name, value in parameters.items():
        if name not in allowed:
            problems.append(
                f"Unknown parameter '{name}' for {kind} (accepted: {', '.join(sorted(allowed)) or 'none'})."
            )
        # bool is an int in Python: only accept it where a flag is expected.
        elif not isinstance(value, allowed[name]) or (isinstance(value, bool) and bool not in allowed[name]):
            problems.append(f"Parameter '{name}' has the wrong type.")
    if "gamma" in parameters and not problems and not 0 < float(parameters["gamma"]) < 1:
        problems.append("Parameter 'gamma' must be between 0 and 1.")
    if len(json.dumps(parameters)) > MAX_PARAMETERS_BYTES:
        problems.append("The parameters are too large.")
    if problems:
        raise InvalidPayload(" ".join(problems), errors={"parameters": problems})
    return dict(parameters)


def _watermark_key(parameters: dict[str, Any], files: dict[str, ExhibitFile]) -> dict[str, Any]:
    """The key given at filing (exhibit metadata) is the default, so the tribunal need not be told it."""
    if "key" not in parameters:
        filed = files["outputs"].exhibit.analysis_parameters.get("watermark_key")
        if not filed:
            raise InvalidPayload(
                "text.watermark needs the watermark key: give parameters.key.",
                errors={"parameters": ["'key' is required for text.watermark."]},
            )
        parameters = {**parameters, "key": filed}
    from forensics.common import ForensicsInputError
    from forensics.text.watermark import parse_key

    try:
        parse_key(parameters["key"])
    except ForensicsInputError as error:
        raise InvalidPayload(str(error), errors={"parameters": [str(error)]}) from None
    return parameters


def _resolve_inputs(*, user: Any, case: Case, kind: str, inputs: dict[str, int]) -> dict[str, ExhibitFile]:
    roles = INPUT_ROLES[kind]
    known = [role for role, _, _ in roles]
    errors: dict[str, list[str]] = {}
    for role in sorted(set(inputs) - set(known)):
        errors[role] = [f"{kind} takes no '{role}' input (roles: {', '.join(known)})."]
    for role, _, required in roles:
        if required and role not in inputs:
            errors[role] = [f"{kind} needs a file for '{role}'."]
    if len(set(inputs.values())) != len(inputs):
        errors.setdefault("inputs", []).append("Use a different file for each role.")
    visible = permissions.visible_exhibits(user, case)  # withdrawn exhibits are not analysed
    found = {
        f.pk: f
        for f in ExhibitFile.objects.filter(pk__in=inputs.values(), exhibit__in=visible).select_related("exhibit")
    }
    files: dict[str, ExhibitFile] = {}
    for role, kinds, _ in roles:
        if role not in inputs or role in errors:
            continue
        exhibit_file = found.get(inputs[role])
        if exhibit_file is None:
            errors[role] = [f"No file {inputs[role]} in this case."]
        elif exhibit_file.exhibit.kind not in kinds:
            wanted = " or ".join(sorted(str(k) for k in kinds))
            errors[role] = [
                f"'{role}' needs a {wanted} exhibit; {exhibit_file.exhibit.label} is {exhibit_file.exhibit.kind}."
            ]
        elif exhibit_file.status == ExhibitFile.Status.QUARANTINED:
            errors[role] = [f"{exhibit_file.exhibit.label}/{exhibit_file.original_name} is quarantined."]
        elif exhibit_file.status != ExhibitFile.Status.OK:
            errors[role] = [f"{exhibit_file.exhibit.label}/{exhibit_file.original_name} is still being checked."]
        else:
            files[role] = exhibit_file
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidPayload(first, errors=errors)
    return files


def analysis_order(
    *, user: Any, case: Case, kind: str, inputs: dict[str, int], parameters: dict[str, Any]
) -> AnalysisJob:
    if kind not in INPUT_ROLES:
        raise InvalidPayload(f"Unknown analysis '{kind}'.", errors={"kind": [f"Choose one of {sorted(INPUT_ROLES)}."]})
    tribunal = permissions.is_tribunal_member(user, case)
    side = permissions.may_file_exhibits(user, case)
    if not tribunal and side not in {"claimant", "respondent"}:
        raise NotPermitted("Only the tribunal or a party to the case can order an analysis.")
    files = _resolve_inputs(user=user, case=case, kind=kind, inputs=inputs)
    if not tribunal and any(f.exhibit.side != side for f in files.values()):
        raise NotPermitted("A party may order analyses of its own side's exhibits only; ask the tribunal for others.")
    parameters = _check_parameters(kind, parameters)
    if kind == "text.watermark":
        parameters = _watermark_key(parameters, files)
    ordered = [(files[role], role) for role, _, _ in INPUT_ROLES[kind] if role in files]
    with transaction.atomic():
        return job_create(case=case, kind=kind, inputs=ordered, parameters=parameters, created_by_id=user.pk)
