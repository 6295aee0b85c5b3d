"""Argument parsing, the per-file loop and the exit codes of `python -m evidence.upload`.

Exit codes:
  0  every file was received and verified; each exhibit is printed on stdout ("<label> <id> <url> <file>")
  1  the server refused a file (permission, a limit, a declared-hash mismatch, a refused format...): see stderr
  2  bad command line, or a file cannot be read
  3  authentication failed (bad or expired token)
  4  the server could not be reached, or kept failing, after all retries: run the same command again to resume
  130 interrupted (Ctrl-C): run the same command again to resume
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

from evidence.upload.client import (
    Finished,
    ServerUnreachable,
    TusClient,
    UploadFailed,
    UploadGone,
    sha256_of,
)
from evidence.upload.progress import Progress
from evidence.upload.state import UploadState, default_state_path, state_key

KINDS = ["document", "forensic_report", "model_weights", "api_log", "model_outputs", "tokenizer", "other"]
TIERS = ["parties", "aeo", "tribunal"]
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evidence.upload",
        description="Upload evidence files to a Tribunal case (resumable; run again after an interruption).",
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--server", required=True, help="e.g. https://tribunal.example (no /api/v1)")
    parser.add_argument("--token", required=True, help="API token (POST /api/v1/auth/token/)")
    parser.add_argument("--case", required=True, type=int, help="case id")
    parser.add_argument("--kind", choices=KINDS, default="document", help="exhibit kind (new exhibit)")
    parser.add_argument("--title", help="exhibit title (required unless --exhibit)")
    parser.add_argument("--description", default="", help="exhibit description")
    parser.add_argument("--tier", choices=TIERS, default="parties", help="confidentiality tier (default parties)")
    parser.add_argument("--watermark-key", help="for model outputs: the key of the watermark to look for")
    parser.add_argument("--exhibit", type=int, help="add the files to this existing exhibit of your side")
    parser.add_argument("--chunk-size", type=int, default=64 * 1024 * 1024, help="bytes per PATCH (default 64 MiB)")
    parser.add_argument("--retries", type=int, default=8, help="retries per request on network errors (default 8)")
    parser.add_argument("--retry-wait", type=float, default=1.0, help="first backoff in seconds, doubled each time")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the server's answer")
    parser.add_argument("--state-file", type=Path, default=None, help="default ~/.cache/tribunal-uploads.json")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def _upload_one(
    *, args: argparse.Namespace, tus: TusClient, state: UploadState, path: Path, exhibit: int | None
) -> Finished:
    info = path.stat()
    hashing = Progress(label=f"{path.name} (hashing)", total=info.st_size)
    sha256 = sha256_of(path, on_progress=hashing.update)
    hashing.finish(info.st_size)
    key = state_key(
        path=path, size=info.st_size, mtime_ns=info.st_mtime_ns, sha256=sha256, server=args.server, case=args.case
    )
    progress = Progress(label=path.name, total=info.st_size)
    url, offset = state.get(key), 0
    if url:
        try:
            offset, finished = tus.status(url)
        except UploadGone:
            progress.note("the interrupted upload is gone on the server (expired?); starting again")
            state.forget(key)
            url = None
        else:
            if finished is not None:
                state.forget(key)
                return finished
            progress.note(f"resuming at byte {offset:,}")
    if not url:
        metadata = {"case": args.case, "filename": path.name, "sha256": sha256}
        if exhibit is not None:
            metadata["exhibit"] = exhibit
        else:
            metadata.update(kind=args.kind, title=args.title, description=args.description, tier=args.tier)
            if args.watermark_key:
                metadata["watermark_key"] = args.watermark_key
        url = tus.create(length=info.st_size, metadata=metadata)
        state.put(key, url)
    progress.first = offset
    try:
        finished = tus.send(
            url=url,
            path=path,
            offset=offset,
            length=info.st_size,
            chunk_size=args.chunk_size,
            on_progress=progress.update,
        )
    except UploadFailed as refusal:
        if refusal.status in (404, 410, 422):
            state.forget(key)  # rejected or gone: a later run must start a fresh upload
        raise
    progress.finish(info.st_size)
    state.forget(key)
    return finished


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.exhibit is None and not args.title:
        print("error: give --title for a new exhibit, or --exhibit ID to add files to one", file=sys.stderr)
        return EXIT_USAGE
    if args.chunk_size < 1:
        print("error: --chunk-size must be positive", file=sys.stderr)
        return EXIT_USAGE
    for path in args.files:
        if not path.is_file() or path.stat().st_size == 0:
            print(f"error: {path} is not a readable, non-empty file", file=sys.stderr)
            return EXIT_USAGE
    state = UploadState(args.state_file or default_state_path())
    headers = {"Authorization": f"Token {args.token}", "User-Agent": "tribunal-upload/1"}
    timeout = httpx.Timeout(args.timeout, connect=15.0)
    exhibit = args.exhibit
    with httpx.Client(headers=headers, timeout=timeout) as http:
        tus = TusClient(http=http, server=args.server, retries=args.retries, retry_wait=args.retry_wait)
        for path in args.files:
            try:
                finished = _upload_one(args=args, tus=tus, state=state, path=path, exhibit=exhibit)
            except KeyboardInterrupt:
                print(f"\ninterrupted: run the same command again to resume {path}", file=sys.stderr)
                return EXIT_INTERRUPTED
            except ServerUnreachable as error:
                print(f"\nerror: {error}\nrun the same command again to resume {path}", file=sys.stderr)
                return EXIT_UNREACHABLE
            except UploadFailed as refusal:
                print(f"\nerror: {path}: {refusal} (HTTP {refusal.status})", file=sys.stderr)
                return EXIT_AUTH if refusal.status == 401 else EXIT_REFUSED
            except OSError as error:
                print(f"\nerror: {path}: {error}", file=sys.stderr)
                return EXIT_USAGE
            # The other files join the exhibit the first one created.
            exhibit = exhibit if exhibit is not None else int(finished.exhibit_id)
            print(f"{finished.label} {finished.exhibit_id} {finished.url} {path}", flush=True)
    return EXIT_OK
