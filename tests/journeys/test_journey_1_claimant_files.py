"""Journey 1: a claimant's counsel signs up, verifies the email from the link in the mail, files a Request in the
guided form (a saved draft left and resumed, a validation error corrected), then files model weights and an API
log through the resumable uploader, watching each progress bar reach 100 %, and lands on the case page."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from disputes.models import Case
from evidence.models import Exhibit
from tests.journeys.conftest import LAPTOP, link_in_mail, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "nadia@frontier-law.example"
NEW_PASSWORD = "a-long-and-honest-passphrase-42"


@pytest.fixture
def weights_file(tmp_path):
    from forensics.weights import fixtures

    return fixtures.write_model(fixtures.tiny_llama(seed=11), tmp_path / "frontier-7b.safetensors")


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "api-log.csv"
    rows = ["timestamp,account_id,prompt"]
    rows += [f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z,acct{i % 3},prompt number {i}" for i in range(120)]
    path.write_text("\n".join(rows) + "\n")
    return path


def upload_exhibit(page, case_pk: int, kind: str, title: str, path) -> None:
    page.goto(f"/cases/{case_pk}/?tab=exhibits")
    page.get_by_role("link", name="File an exhibit").click()
    page.select_option("#id_kind", kind)
    page.fill("#id_title", title)
    page.check("input[name=tier][value=parties]")
    page.set_input_files("#id_files", str(path))
    page.click("#upload-button")
    page.wait_for_selector(".upload[data-state=done]", timeout=30_000)
    row = page.locator(".upload")
    assert int(row.locator("progress").evaluate("bar => bar.value")) == 100
    assert "SHA-256 matches" in row.locator(".upload__stats").inner_text()
    assert page.locator("#upload-done").is_visible()  # "All files received. Open the exhibit"


def test_claimant_signs_up_files_a_request_and_uploads_evidence(personas, new_page, screens, weights_file, log_file):
    page = new_page(LAPTOP)

    # 1. Sign up from the sign-in page; the account waits for email verification.
    page.goto("/")
    assert "/accounts/login/" in page.url
    screens.shot(page, "sign-in")
    page.get_by_role("link", name="Create an account").first.click()
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=full_name]", "Nadia Newcounsel")
    page.fill("input[name=organisation]", "Frontier Law LLP")
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    screens.shot(page, "sign-up")
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    page.wait_for_load_state()
    assert "verify" in text_of(page).lower() or "confirm" in text_of(page).lower()
    screens.shot(page, "verify-your-email")

    # 2. The link in the email confirms the address and signs the user in.
    [message] = [m for m in mail.outbox if EMAIL in m.to]
    page.goto(link_in_mail(message, "/accounts/confirm-email/"))
    screens.shot(page, "confirm-email")
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_load_state()
    assert "Nadia Newcounsel" in text_of(page)  # the dashboard greets her
    screens.shot(page, "claimant-dashboard-empty")

    # 3. The guided Request: step 1 with a wrong email, corrected, saved as a draft.
    page.get_by_role("button", name="Start a Request for Arbitration").click()
    page.fill("#id_claimant_name", "Frontier Labs Ltd")
    page.fill("#id_claimant_jurisdiction", "England and Wales")
    page.fill("#id_respondent_name", "Copycat AI Inc.")
    page.fill("#id_respondent_affiliates", "Copycat Holdings")
    page.fill("#id_respondent_counsel_email", "counsel-at-copycat")
    page.get_by_role("button", name="Save draft").click()
    error = page.locator(".field--error")
    assert error.count() == 1 and "email" in error.inner_text().lower()
    screens.shot(page, "request-validation-error")
    page.fill("#id_respondent_counsel_email", personas.rafael.email)
    page.get_by_role("button", name="Save draft").click()
    assert "Draft saved" in text_of(page)
    assert page.locator(".field--error").count() == 0
    case = Case.objects.get(created_by__email=EMAIL)
    assert case.state == "draft"

    # 4. Leave for the dashboard and come back to the draft from it: what was typed is still there.
    page.get_by_role("link", name="Dashboard").click()
    screens.shot(page, "claimant-dashboard-draft")
    page.get_by_role("link", name="Continue the draft").click()
    assert page.url.endswith(f"/cases/{case.pk}/request/2/")  # the draft resumes at the first unsaved step
    page.get_by_role("link", name="Parties").click()  # and what was saved is still there
    assert page.input_value("#id_respondent_counsel_email") == personas.rafael.email
    assert page.input_value("#id_respondent_affiliates") == "Copycat Holdings"
    page.get_by_role("button", name="Save and continue").click()

    # 5. The other steps, then review and file.
    page.fill("#id_title", "Frontier Labs v. Copycat AI")
    page.check("input[name=dispute_types][value=weight_copying]")
    page.get_by_role("button", name="Save and continue").click()
    page.fill("#id_systems-0-name", "Frontier-7B")
    page.fill("#id_systems-0-version", "2.1")
    page.get_by_role("button", name="Save and continue").click()
    page.fill("#id_facts", "Copycat's model reproduces our weights up to a permutation of the hidden units.")
    page.fill("#id_relief_sought", "A declaration of infringement and damages.")
    page.fill("#id_arbitration_agreement", "Clause 17 of the API Terms of Service (2025).")
    page.check("input[name=rule_pack][value=standard]")
    page.get_by_role("button", name="Save and continue").click()
    assert "Frontier-7B" in text_of(page) and "Copycat AI Inc." in text_of(page)
    screens.shot(page, "request-review")
    page.get_by_role("button", name="File the Request").click()
    case.refresh_from_db()
    assert case.state == "submitted" and case.reference
    assert f"Your Request was filed as {case.reference}" in text_of(page)
    assert case.reference in page.locator("h1, .eyebrow").all_inner_texts()[0] or case.reference in text_of(page)

    # 6. Evidence: model weights and an API log, each with its progress bar reaching 100 %.
    upload_exhibit(page, case.pk, "model_weights", "Frontier-7B weights", weights_file)
    screens.shot(page, "upload-weights-done")
    upload_exhibit(page, case.pk, "api_log", "Copycat's API traffic", log_file)
    screens.shot(page, "upload-log-done", a11y=False)  # the same page as a checked screen, other data
    page.goto(f"/cases/{case.pk}/?tab=exhibits")
    exhibits = page.locator("table.exhibits tbody")
    for label, title in (("C-1", "Frontier-7B weights"), ("C-2", "Copycat's API traffic")):
        assert label in exhibits.inner_text() and title in exhibits.inner_text()
    assert sorted(Exhibit.objects.filter(case=case).values_list("kind", flat=True)) == ["api_log", "model_weights"]
    screens.shot(page, "case-exhibits")

    # 7. The case page and the dashboard, as the claimant now sees them.
    page.goto(f"/cases/{case.pk}/")
    assert "Submitted" in page.locator(".case-meta").inner_text()
    assert "Screen" in page.locator(".next-deadline").inner_text() or "screen" in text_of(page)
    screens.shot(page, "case-page")
    page.get_by_role("link", name="Dashboard").click()
    assert case.reference in text_of(page)
    screens.shot(page, "claimant-dashboard")
