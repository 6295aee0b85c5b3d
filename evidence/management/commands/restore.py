"""python manage.py restore BACKUP_FOLDER [--no-verify]: into an empty database and empty storage folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, which must be new and empty, and "
        "into empty storage folders; then verify the audit chains and every exhibit file's SHA-256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="The tribunal-backup-<time> folder.")
        parser.add_argument(
            "--no-verify", action="store_true", help="Skip verify_audit and verify_evidence after the restore."
        )

    def handle(self, *args: Any, backup: Path, no_verify: bool = False, **options: Any) -> None:
        try:
            restored = backup_restore(backup, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"OK: restored {restored.engine} database and {restored.files} files"))
        if not no_verify:
            call_command("verify_audit", stdout=self.stdout, stderr=self.stderr)
            call_command("verify_evidence", stdout=self.stdout, stderr=self.stderr)
