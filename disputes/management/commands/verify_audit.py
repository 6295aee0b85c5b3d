"""python manage.py verify_audit [--case REF]: walk every case's hash chain and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disputes.audit import verify_chain
from disputes.models import Case


class Command(BaseCommand):
    help = "Verify the hash-chained audit log of one case or of every case."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", dest="reference", help="Case reference, e.g. AIP-2026-0001")

    def handle(self, *args: Any, reference: str | None = None, **options: Any) -> None:
        cases = Case.objects.order_by("id")
        if reference:
            cases = cases.filter(reference=reference)
            if not cases.exists():
                raise CommandError(f"No case with reference {reference}.")
        checked = 0
        broken = []
        for case in cases.iterator():
            checked += 1
            problem = verify_chain(case)
            if problem is not None:
                broken.append(problem)
                self.stderr.write(self.style.ERROR(f"BROKEN {problem}"))
        if broken:
            raise CommandError(f"{len(broken)} of {checked} case audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} case audit chain(s) verified."))
