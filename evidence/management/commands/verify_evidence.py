"""python manage.py verify_evidence [--case REF]: re-hash every stored original and walk every custody chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.integrity import vault_verify


class Command(BaseCommand):
    help = (
        "Re-compute the SHA-256 of every exhibit file in evidence storage, compare it with the one recorded at "
        "receipt, and verify every exhibit's custody hash chains. Exits non-zero on any difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", dest="reference", help="Case reference, e.g. AIP-2026-0001")

    def handle(self, *args: Any, reference: str | None = None, **options: Any) -> None:
        report = vault_verify(case_reference=reference)
        for problem in report.problems:
            self.stderr.write(self.style.ERROR(f"BROKEN {problem}"))
        if report.unreferenced:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.unreferenced)} stored file(s) belong to no exhibit file (an upload stopped before "
                    f"it was recorded; not evidence): {', '.join(report.unreferenced[:10])}"
                )
            )
        if not report.ok:
            raise CommandError(
                f"{len(report.problems)} problem(s) in {report.files} exhibit file(s) and {report.chains} custody "
                "chain set(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {report.files} exhibit file(s) re-hashed ({report.bytes:,} bytes), {report.chains} exhibits' "
                "custody chains verified."
            )
        )
