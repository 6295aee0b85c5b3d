"""The hearing bundle PDF: a cover and index, then each selected docket item (a separator page with its metadata,
then its documents), then a hash manifest; every page stamped "page N of M".

- WeasyPrint renders the cover/index, the separator and placeholder pages and the manifest; pypdf merges the PDF
  originals in and stamps the page numbers (an overlay page of the same size merged onto each page).
- Originals are only read: exhibit files are re-hashed first (evidence.runners.verify_stored_file: a mismatch is
  recorded in custody and stops the bundle), docket documents are hashed while read. Non-PDF files, quarantined
  files, and PDFs above TRIBUNAL_BUNDLE_MAX_PDF_BYTES or that pypdf cannot read appear as a placeholder page with
  their name, size and SHA-256. Annotations (links, form fields and their actions) are dropped from merged pages,
  so nothing in a bundle runs when it is opened.
- Memory: originals are streamed (hashing) and read by pypdf from disk, never loaded whole; pypdf holds the page
  objects of the merged PDFs until the bundle is written, which is why each merged PDF is capped in size.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from disputes.models import Case, Filing, FilingDocument
from evidence.models import Exhibit, ExhibitFile, Tier
from evidence.runners import local_path, verify_stored_file
from evidence.storage import evidence_storage

PDF_MAGIC = b"%PDF-"
SIDE_NAMES = {"claimant": "Claimant", "respondent": "Respondent", "tribunal": "Tribunal", "registry": "Registry"}
MAX_LAYOUT_PASSES = 6

Progress = Callable[[float, str], None]


class BundleError(Exception):
    """A failure whose message is safe to show on the bundle (altered original, nothing selected...)."""


@dataclass
class Piece:
    """A run of pages: WeasyPrint HTML (rendered with the other HTML pieces) or pages of an original PDF."""

    html: str = ""
    pdf: Path | None = None
    pages: int = 0
    start: int = 0  # 1-based page number in the bundle, once laid out


@dataclass
class FileRow:
    label: str
    name: str
    size: int
    sha256: str
    treatment: str  # "merged" | "placeholder"
    reason: str = ""
    piece: Piece | None = None

    def as_dict(self) -> dict[str, Any]:
        first = self.piece.start if self.piece else 0
        last = first + (self.piece.pages - 1 if self.piece else 0)
        return {
            "label": self.label,
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "treatment": self.treatment,
            "reason": self.reason,
            "pages": [first, last],
        }


@dataclass
class Item:
    kind: str  # "filing" | "exhibit"
    pk: int
    title: str
    date: datetime
    party: str
    sealed: bool
    pieces: list[Piece] = field(default_factory=list)

    def index_row(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "id": self.pk,
            "title": self.title,
            "date": self.date.isoformat(),
            "party": self.party,
            "sealed": self.sealed,
            "page": self.pieces[0].start,
            "pages": sum(p.pages for p in self.pieces),
        }


@dataclass
class Built:
    path: Path
    page_count: int
    index: list[dict[str, Any]]
    manifest: list[dict[str, Any]]
    exhibit_ids: list[int]


def _is_pdf(head: bytes) -> bool:
    return PDF_MAGIC in head[:1024]


def _readable_pdf(path: Path) -> tuple[int, str]:
    """(page count, "") or (0, why it cannot be merged)."""
    try:
        with open(path, "rb") as handle:  # a file object: pypdf then reads lazily instead of loading it whole
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                return 0, "encrypted PDF"
            pages = len(reader.pages)
            for page in reader.pages:  # fail here, not half-way through the merge
                page.mediabox  # noqa: B018
    except Exception as error:  # noqa: BLE001  # pypdf raises many types on malformed input
        return 0, f"unreadable PDF ({type(error).__name__})"
    return (pages, "") if pages else (0, "PDF without pages")


def _party(side: str, who: Any) -> str:
    name = SIDE_NAMES.get(side, side.title())
    return f"{name} ({who.display_name})" if who is not None else name


class _Collector:
    def __init__(self, workdir: Path, progress: Progress, total_bytes: int) -> None:
        self.workdir, self.progress = workdir, progress
        self.total_bytes, self.done_bytes = max(1, total_bytes), 0
        self.files: list[FileRow] = []
        self.copies = 0

    def advance(self, size: int, message: str) -> None:
        self.done_bytes += size
        self.progress(0.8 * self.done_bytes / self.total_bytes, message)

    def placeholder(self, row: FileRow, item: Item) -> Piece:
        html = render_to_string("evidence/hearing_bundle/_placeholder.html", {"row": row, "item": item})
        return Piece(html=html)

    def add_file(self, item: Item, row: FileRow, opener: Callable[[], Any]) -> None:
        """Merge `row`'s PDF (opened by `opener` as a context manager yielding a local path) or a placeholder."""
        if row.treatment == "merged":
            with opener() as path:
                pages, problem = _readable_pdf(path)
                if problem:
                    row.treatment, row.reason = "placeholder", problem
                else:
                    row.piece = Piece(pdf=path, pages=pages)
        if row.piece is None:
            row.piece = self.placeholder(row, item)
        item.pieces.append(row.piece)
        self.files.append(row)
        self.advance(row.size, f"Read {row.label} {row.name}")

    def copy_path(self) -> Path:
        self.copies += 1
        return self.workdir / f"original-{self.copies}.pdf"


def _treatment(head: bytes, size: int, quarantined: bool = False) -> tuple[str, str]:
    if quarantined:
        return "placeholder", "quarantined at ingest: never merged"
    if not _is_pdf(head):
        return "placeholder", "not a PDF"
    if size > settings.TRIBUNAL_BUNDLE_MAX_PDF_BYTES:
        return "placeholder", "PDF too large to merge into a bundle"
    return "merged", ""


def _exhibit_item(collector: _Collector, exhibit: Exhibit, actor_id: int) -> Item:
    item = Item(
        kind="exhibit",
        pk=exhibit.pk,
        title=f"Exhibit {exhibit.label}: {exhibit.title}",
        date=exhibit.created_at,
        party=_party(exhibit.side, exhibit.submitted_by),
        sealed=exhibit.tier == Tier.TRIBUNAL,
    )
    files = list(exhibit.files.order_by("id"))
    item.pieces.append(
        Piece(
            html=render_to_string(
                "evidence/hearing_bundle/_exhibit.html", {"item": item, "exhibit": exhibit, "files": files}
            )
        )
    )
    for exhibit_file in files:
        verify_stored_file(exhibit_file, purpose="hearing bundle", actor_id=actor_id)  # raises HashMismatch
        quarantined = exhibit_file.status == ExhibitFile.Status.QUARANTINED
        with evidence_storage().open(exhibit_file.storage_name, "rb") as handle:
            head = handle.read(1024)
        treatment, reason = _treatment(head, exhibit_file.size, quarantined)
        row = FileRow(
            exhibit.label, exhibit_file.original_name, exhibit_file.size, exhibit_file.sha256, treatment, reason
        )

        @contextmanager
        def opener(exhibit_file: ExhibitFile = exhibit_file) -> Iterator[Path]:
            with local_path(exhibit_file) as path:
                # A temp copy when the storage had no local path has gone once this block ends: keep our own.
                target = collector.copy_path()
                shutil.copyfile(path, target)
                yield target

        collector.add_file(item, row, opener)
    return item


def _document_copy(document: FilingDocument, target: Path) -> str:
    digest = hashlib.sha256()
    with document.file.open("rb") as source, open(target, "wb") as sink:
        while chunk := source.read(8 * 1024 * 1024):
            digest.update(chunk)
            sink.write(chunk)
    return digest.hexdigest()


def _document_hash(document: FilingDocument) -> tuple[str, bytes]:
    digest, head = hashlib.sha256(), b""
    with document.file.open("rb") as source:
        while chunk := source.read(8 * 1024 * 1024):
            if not head:
                head = chunk[:1024]
            digest.update(chunk)
    return digest.hexdigest(), head


def _filing_item(collector: _Collector, filing: Filing) -> Item:
    item = Item(
        kind="filing",
        pk=filing.pk,
        title=f"Docket No. {filing.number}: {filing.title}",
        date=filing.filed_at,
        party=_party(filing.side, filing.filed_by),
        sealed=False,
    )
    documents = list(filing.documents.order_by("id"))
    item.pieces.append(
        Piece(
            html=render_to_string(
                "evidence/hearing_bundle/_filing.html", {"item": item, "filing": filing, "documents": documents}
            )
        )
    )
    label = f"Docket {filing.number}"
    for document in documents:
        computed, head = _document_hash(document)
        if computed != document.sha256:
            raise BundleError(
                f"{label}/{document.original_name} no longer matches its SHA-256 recorded when it was filed; "
                "the bundle was not made. Tell the registry."
            )
        treatment, reason = _treatment(head, document.size)
        row = FileRow(label, document.original_name, document.size, document.sha256, treatment, reason)

        @contextmanager
        def opener(document: FilingDocument = document) -> Iterator[Path]:
            target = collector.copy_path()
            if _document_copy(document, target) != document.sha256:
                raise BundleError(f"{label}/{document.original_name} changed while the bundle was being made.")
            yield target

        collector.add_file(item, row, opener)
    return item


def _render(html: str) -> Any:
    from weasyprint import HTML

    return HTML(string=html, base_url=None).render()


def _render_body(pieces: list[Piece], workdir: Path, context: dict[str, Any]) -> tuple[Path | None, list[int]]:
    """Render every HTML piece in one WeasyPrint pass; returns the PDF and each piece's first page index."""
    html_pieces = [p for p in pieces if p.pdf is None]
    if not html_pieces:
        return None, []
    sections = [{"id": f"piece-{i}", "html": p.html} for i, p in enumerate(html_pieces)]
    document = _render(render_to_string("evidence/hearing_bundle/body.html", {**context, "sections": sections}))
    starts: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("piece-") and anchor not in starts:
                starts[anchor] = number
    firsts = [starts[s["id"]] for s in sections]
    bounds = [*firsts, len(document.pages)]
    for i, piece in enumerate(html_pieces):
        piece.pages = max(1, bounds[i + 1] - bounds[i])
    path = workdir / "body.pdf"
    document.write_pdf(path)
    return path, firsts


def _layout(items: list[Item], front_pages: int) -> int:
    """Number every piece from after the front matter; returns the first page after the body."""
    page = front_pages + 1
    for item in items:
        for piece in item.pieces:
            piece.start = page
            page += piece.pages
    return page


def _stamp(writer: PdfWriter, label: str) -> None:
    """Merge a 'page N of M' overlay, rendered at each page's own size, onto every page."""
    sizes: dict[tuple[float, float], str] = {}
    pages = []
    for page in writer.pages:
        if page.rotation:
            page.transfer_rotation_to_content()
        box = page.mediabox
        size = (round(float(box.width), 1), round(float(box.height), 1))
        sizes.setdefault(size, f"s{len(sizes)}")
        pages.append(sizes[size])
    overlay = _render(
        render_to_string(
            "evidence/hearing_bundle/overlay.html",
            {
                "label_css": _css_string(label),
                "sizes": [(name, w, h) for (w, h), name in sizes.items()],
                "pages": pages,
            },
        )
    )
    if len(overlay.pages) != len(writer.pages):
        raise BundleError("Internal error numbering the pages; nothing was written.")
    with tempfile.TemporaryFile() as buffer:
        overlay.write_pdf(buffer)
        buffer.seek(0)
        stamps = PdfReader(buffer)
        for page, stamp in zip(writer.pages, stamps.pages, strict=True):
            box = page.mediabox
            page.merge_translated_page(stamp, float(box.left), float(box.bottom), over=True)


def _css_string(text: str) -> str:
    """A CSS string literal of any text: everything but letters, digits and spaces as a CSS escape (so a title can
    neither end the string nor the style element)."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text[:200]) + '"'


def _strip_actions(page: Any) -> None:
    for key in ("/Annots", "/AA"):
        if NameObject(key) in page:
            del page[NameObject(key)]


def hearing_bundle_pdf(
    *,
    case: Case,
    title: str,
    made_for: str,
    filings: list[Filing],
    exhibits: list[Exhibit],
    actor_id: int,
    workdir: Path,
    progress: Progress,
) -> Built:
    """Write the bundle to `workdir`/bundle.pdf. Filings first (docket order), then exhibits (by side and number)."""
    total = sum(d.size for f in filings for d in f.documents.all()) + sum(
        x.size for e in exhibits for x in e.files.all()
    )
    collector = _Collector(workdir, progress, total)
    items = [_filing_item(collector, f) for f in filings] + [_exhibit_item(collector, e, actor_id) for e in exhibits]
    if not items:
        raise BundleError("Choose at least one docket item or exhibit.")
    progress(0.82, "Laying out the pages")
    made_at = timezone.now()
    context = {"case": case, "title": title, "made_for": made_for, "made_at": made_at}
    pieces = [p for item in items for p in item.pieces]
    body_path, firsts = _render_body(pieces, workdir, context)
    html_starts = iter(firsts)

    # The index's own length moves every page number after it: lay out until the front matter stops growing.
    front_pages, front = 1, None
    manifest_rows: list[dict[str, Any]] = []
    manifest_doc = None
    for _ in range(MAX_LAYOUT_PASSES):
        manifest_page = _layout(items, front_pages)
        manifest_rows = [row.as_dict() for row in collector.files]
        manifest_doc = _render(
            render_to_string(
                "evidence/hearing_bundle/manifest.html", {**context, "rows": manifest_rows, "items": items}
            )
        )
        total_pages = manifest_page + len(manifest_doc.pages) - 1
        front = _render(
            render_to_string(
                "evidence/hearing_bundle/front.html",
                {
                    **context,
                    "index": [item.index_row() for item in items],
                    "manifest_page": manifest_page,
                    "total_pages": total_pages,
                },
            )
        )
        if len(front.pages) == front_pages:
            break
        front_pages = len(front.pages)
    else:
        raise BundleError("The index did not settle; choose fewer items.")
    assert front is not None and manifest_doc is not None

    progress(0.9, "Merging the documents")
    front_path, manifest_path = workdir / "front.pdf", workdir / "manifest.pdf"
    front.write_pdf(front_path)
    manifest_doc.write_pdf(manifest_path)
    writer = PdfWriter()
    with ExitStack() as files:
        # Readers on open files read lazily; they stay open until the bundle is written.
        writer.append(PdfReader(files.enter_context(open(front_path, "rb"))))
        body = PdfReader(files.enter_context(open(body_path, "rb"))) if body_path else None
        for piece in pieces:
            if piece.pdf is None:
                assert body is not None
                first = next(html_starts)
                for number in range(first, first + piece.pages):
                    writer.add_page(body.pages[number])
            else:
                original = PdfReader(files.enter_context(open(piece.pdf, "rb")), strict=False)
                for page in original.pages:
                    _strip_actions(writer.add_page(page))
        writer.append(PdfReader(files.enter_context(open(manifest_path, "rb"))))
        _stamp(writer, f"{case.display_reference} · {title}")
        writer.add_metadata({"/Title": f"{case.display_reference} — {title}", "/Creator": "Tribunal hearing bundle"})
        path = workdir / "bundle.pdf"
        with open(path, "wb") as sink:
            writer.write(sink)
        page_count = len(writer.pages)
    progress(0.97, "Written")
    return Built(
        path=path,
        page_count=page_count,
        index=[item.index_row() for item in items],
        manifest=manifest_rows,
        exhibit_ids=[e.pk for e in exhibits],
    )
