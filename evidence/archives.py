"""Inspect archives without extracting anything: bombs (ratio, size, entry count), traversal, links."""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings


@dataclass
class ArchiveReport:
    format: str
    entries: int = 0
    packed_bytes: int = 0
    unpacked_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    contains_pickle: bool = False

    @property
    def ratio(self) -> float:
        return self.unpacked_bytes / self.packed_bytes if self.packed_bytes else 0.0


def _unsafe_name(name: str) -> str | None:
    if not name:
        return "an entry has an empty name"
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        return f"absolute path {name!r}"
    if ".." in posix.parts or ".." in windows.parts:
        return f"path traversal {name!r}"
    if any(ord(ch) < 32 for ch in name):
        return f"control characters in {name!r}"
    return None


def _is_pickle_name(name: str) -> bool:
    """PyTorch's zip checkpoints hold `<dir>/data.pkl`; any other pickle inside an archive is refused alike."""
    return name.lower().endswith((".pkl", ".pickle"))


def _limits(report: ArchiveReport) -> None:
    if report.entries > settings.EVIDENCE_ARCHIVE_MAX_ENTRIES:
        report.problems.append(f"{report.entries:,} entries (limit {settings.EVIDENCE_ARCHIVE_MAX_ENTRIES:,})")
    if report.unpacked_bytes > settings.EVIDENCE_ARCHIVE_MAX_UNPACKED_BYTES:
        report.problems.append(f"would unpack to {report.unpacked_bytes:,} bytes (archive bomb)")
    if report.packed_bytes and report.ratio > settings.EVIDENCE_ARCHIVE_MAX_RATIO:
        report.problems.append(f"compression ratio {report.ratio:,.0f}:1 (archive bomb)")


def inspect_zip(path: str) -> ArchiveReport:
    report = ArchiveReport(format="zip")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            report.entries += 1
            report.packed_bytes += info.compress_size
            report.unpacked_bytes += info.file_size
            problem = _unsafe_name(info.filename)
            if problem:
                report.problems.append(problem)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                report.problems.append(f"symbolic link {info.filename!r}")
            if _is_pickle_name(info.filename):
                report.contains_pickle = True
            if report.entries > settings.EVIDENCE_ARCHIVE_MAX_ENTRIES:
                break
    _limits(report)
    return report


def inspect_tar(path: str, packed_size: int) -> ArchiveReport:
    report = ArchiveReport(format="tar", packed_bytes=packed_size)
    with tarfile.open(path, mode="r:*") as archive:
        for member in archive:  # reads headers one by one; nothing is extracted
            report.entries += 1
            report.unpacked_bytes += member.size
            problem = _unsafe_name(member.name)
            if problem:
                report.problems.append(problem)
            if member.issym() or member.islnk():
                report.problems.append(f"link {member.name!r} -> {member.linkname!r}")
            elif member.isdev() or member.isfifo():
                report.problems.append(f"device or pipe entry {member.name!r}")
            if _is_pickle_name(member.name):
                report.contains_pickle = True
            if report.entries > settings.EVIDENCE_ARCHIVE_MAX_ENTRIES or (
                report.unpacked_bytes > settings.EVIDENCE_ARCHIVE_MAX_UNPACKED_BYTES
            ):
                break
    _limits(report)
    return report
