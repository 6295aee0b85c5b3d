"""Write-once storage for evidence originals: never overwrites, never deletes (legal hold).

Both classes refuse `delete()` outright, and `get_available_name` never returns an existing name, so no code path
can replace or remove an original. Staged uploads are moved in by name (content-addressed by SHA-256).
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage


class OriginalsAreWriteOnce(PermissionError):
    pass


class WriteOnceMixin:
    def delete(self, name: str) -> None:
        raise OriginalsAreWriteOnce(f"Evidence originals are never deleted ({name}).")


class WriteOnceFileSystemStorage(WriteOnceMixin, FileSystemStorage):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o440)
        kwargs.setdefault("directory_permissions_mode", 0o750)
        super().__init__(**kwargs)

    def _save(self, name: str, content: Any) -> str:
        if self.exists(name):
            raise OriginalsAreWriteOnce(f"Refusing to overwrite evidence original {name}.")
        return super()._save(name, content)  # type: ignore[misc]  # django-stubs omit the private _save


class WriteOnceS3Storage(WriteOnceMixin, S3Storage):
    file_overwrite = False


def evidence_storage() -> Any:
    return storages["evidence"]
