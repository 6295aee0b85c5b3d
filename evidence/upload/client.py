"""A tus 1.0 client for one file: create (or resume) the upload, then PATCH checksummed chunks until done.

Each chunk is read twice from disk — once to compute its Upload-Checksum, once while it is sent — so the client
holds one read block in memory, not the chunk. Connection errors, timeouts and 5xx answers are retried with
exponential backoff; before each retry the server is asked (HEAD) where the upload stands, so bytes that did
arrive are never sent again.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

TUS_VERSION = "1.0.0"
READ_BLOCK = 1024 * 1024


class UploadFailed(Exception):
    """The server refused the upload (a 4xx): retrying cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ServerUnreachable(Exception):
    """Retries exhausted on connection errors or server errors; running again resumes."""


class UploadGone(Exception):
    """The remembered upload no longer exists on the server (expired, terminated or rejected)."""


@dataclass
class Finished:
    exhibit_id: str
    label: str
    url: str


def sha256_of(path: Path, *, on_progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
            done += len(block)
            if on_progress:
                on_progress(done)
    return digest.hexdigest()


def encode_metadata(fields: dict[str, Any]) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in fields.items() if v is not None)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text)
    except ValueError:
        return response.text or response.reason_phrase


def _finished(response: httpx.Response, server: str) -> Finished | None:
    exhibit = response.headers.get("Tribunal-Exhibit")
    if not exhibit:
        return None
    return Finished(
        exhibit_id=exhibit,
        label=response.headers.get("Tribunal-Exhibit-Label", ""),
        url=urljoin(server, response.headers.get("Tribunal-Exhibit-Url", "")),
    )


class TusClient:
    def __init__(
        self,
        *,
        http: httpx.Client,
        server: str,
        retries: int = 8,
        retry_wait: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http, self.server = http, server.rstrip("/") + "/"
        self.retries, self.retry_wait, self.sleep = retries, retry_wait, sleep

    # --- requests, each retried on transient failures ---------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Tus-Resumable": TUS_VERSION, **kwargs.pop("headers", {})}
        attempt = 0
        while True:
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code < 500 and response.status_code != 423:
                    return response
                problem = f"HTTP {response.status_code}: {_detail(response)}"
            attempt += 1
            if attempt > self.retries:
                raise ServerUnreachable(f"{method} {url} failed {attempt} times; last: {problem}")
            self.sleep(min(self.retry_wait * 2 ** (attempt - 1), 60.0))

    def create(self, *, length: int, metadata: dict[str, Any]) -> str:
        response = self._request(
            "POST",
            urljoin(self.server, "api/v1/uploads/"),
            headers={"Upload-Length": str(length), "Upload-Metadata": encode_metadata(metadata)},
        )
        if response.status_code != 201:
            raise UploadFailed(response.status_code, _detail(response))
        return urljoin(self.server, response.headers["Location"])

    def status(self, url: str) -> tuple[int, Finished | None]:
        """(server's offset, where the file went if the upload is complete)."""
        response = self._request("HEAD", url)
        if response.status_code in (404, 410):
            raise UploadGone(url)
        if response.status_code != 200:
            raise UploadFailed(response.status_code, f"HEAD {url}: HTTP {response.status_code}")
        return int(response.headers["Upload-Offset"]), _finished(response, self.server)

    # --- sending ------------------------------------------------------------------------------------------------

    def send(
        self, *, url: str, path: Path, offset: int, length: int, chunk_size: int, on_progress: Callable[[int], None]
    ) -> Finished:
        """PATCH from `offset` to the end; returns where the file went."""
        failures = 0
        while True:
            size = min(chunk_size, length - offset)
            checksum = self._chunk_checksum(path, offset, size)
            try:
                response = self.http.patch(
                    url,
                    content=self._chunk(path, offset, size, on_progress),
                    headers={
                        "Tus-Resumable": TUS_VERSION,
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(size),
                        "Upload-Offset": str(offset),
                        "Upload-Checksum": f"sha256 {checksum}",
                    },
                )
            except httpx.TransportError as error:
                response, problem = None, f"{type(error).__name__}: {error}"
            if response is not None and response.status_code == 204:
                offset = int(response.headers["Upload-Offset"])
                failures = 0
                on_progress(offset)
                if offset >= length:
                    finished = _finished(response, self.server)
                    if finished is None:
                        raise UploadFailed(204, "The server took the last byte but named no exhibit.")
                    return finished
                continue
            if response is not None and response.status_code < 500 and response.status_code not in (409, 423, 460):
                raise UploadFailed(response.status_code, _detail(response))
            if response is not None:
                problem = f"HTTP {response.status_code}: {_detail(response)}"
            # Transient: a dropped connection, a server error, a busy lock, a corrupted chunk or a stale offset.
            failures += 1
            if failures > self.retries:
                raise ServerUnreachable(f"sending {path.name} failed {failures} times; last: {problem}")
            self.sleep(min(self.retry_wait * 2 ** (failures - 1), 60.0))
            offset, finished = self.status(url)  # resume from what the server really has
            on_progress(offset)
            if finished is not None:
                return finished

    @staticmethod
    def _chunk_checksum(path: Path, offset: int, size: int) -> str:
        digest = hashlib.sha256()
        for block in TusClient._blocks(path, offset, size):
            digest.update(block)
        return base64.b64encode(digest.digest()).decode()

    @staticmethod
    def _blocks(path: Path, offset: int, size: int) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            handle.seek(offset)
            left = size
            while left > 0:
                block = handle.read(min(READ_BLOCK, left))
                if not block:
                    raise UploadFailed(0, f"{path} shrank while it was being uploaded.")
                left -= len(block)
                yield block

    @staticmethod
    def _chunk(path: Path, offset: int, size: int, on_progress: Callable[[int], None]) -> Iterator[bytes]:
        sent = offset
        for block in TusClient._blocks(path, offset, size):
            yield block
            sent += len(block)
            on_progress(sent)
