"""Docket documents are served through the permission layer, as attachments the browser must not sniff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disputes.models import FilingDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def award(case_at):
    case = case_at("award_issued")
    return case, FilingDocument.objects.get(filing__case=case)


def test_download_is_an_attachment_with_nosniff(personas, award, as_user):
    case, document = award
    response = as_user(personas.rafael).get(reverse("document_download", args=[case.pk, document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="award.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed award"


def test_outsiders_and_other_cases_get_404(personas, award, case_at, as_user):
    case, document = award
    assert as_user(personas.uma).get(reverse("document_download", args=[case.pk, document.pk])).status_code == 404
    other = case_at("notified")
    # A document id paired with a case the user can see, but not the document's case: still not found.
    response = as_user(personas.clara).get(reverse("document_download", args=[other.pk, document.pk]))
    assert response.status_code == 404


def test_a_missing_file_is_404_not_500(personas, award, as_user):
    case, document = award
    document.file.storage.delete(document.file.name)
    assert as_user(personas.clara).get(reverse("document_download", args=[case.pk, document.pk])).status_code == 404
