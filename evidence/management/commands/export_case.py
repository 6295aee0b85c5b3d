"""python manage.py export_case REF --for EMAIL -o bundle.zip — a case bundle as that user may see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from disputes import permissions
from disputes.models import Case
from evidence.bundle import case_bundle_write


class Command(BaseCommand):
    help = "Write a case export bundle (audit chain, custody, originals, manifest), verifiable offline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--for", dest="email", required=True, help="Export what this user may see.")
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--max-file-mb", type=int, default=200, help="Larger originals are listed, not copied.")

    def handle(self, *args: Any, reference: str, email: str, output: str, max_file_mb: int, **options: Any) -> None:
        user = User.objects.filter(email=email, is_active=True).first()
        case = Case.objects.filter(reference=reference).first()
        if user is None or case is None or not permissions.can_see_case(user, case):
            raise CommandError(f"No case {reference} visible to {email}.")
        path = case_bundle_write(case=case, user=user, target=Path(output), max_file_bytes=max_file_mb * 1024 * 1024)
        self.stdout.write(f"Wrote {path}. Verify with: python3 tools/verify_bundle.py {path}")
