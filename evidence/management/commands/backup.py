"""python manage.py backup DESTINATION [--database-only]: the database and the local storages, with digests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump --format=custom) and the evidence and document "
        "storage folders (tar, with every file's SHA-256 in manifest.json) into DESTINATION/tribunal-backup-<time>/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="Folder to write the backup folder into.")
        parser.add_argument(
            "--database-only",
            action="store_true",
            help="Skip the storage archives (S3 storage: rely on bucket versioning and replication instead).",
        )

    def handle(self, *args: Any, destination: Path, database_only: bool = False, **options: Any) -> None:
        try:
            folder = backup_create(destination, database_only=database_only, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"OK: backup written to {folder}"))
        self.stdout.write(f"Check it anywhere with: (cd {folder} && sha256sum -c SHA256SUMS)")
