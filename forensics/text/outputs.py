"""Reading model-output JSONL exhibits, one record per line, streamed.

Accepted line shapes (DESIGN §5)::

    {"id": "q-17", "tokens": [101, 7592, ...]}
    {"id": "q-17", "text": "The answer is ...", "prompt": "optional, kept for pairing"}

``id`` is a string or an integer (kept as a string). When a line carries both ``tokens`` and ``text`` the
token ids win for token-level analyses and the text is kept for text-level ones. When a line has only
``text`` and a ``tokenizer.json`` is given, the text is encoded with that tokenizer (the ``tokenizers``
package, offline, no special tokens added), because the watermark lives in the token ids the model emitted.

Bad lines: by default the first bad line raises :class:`ForensicsInputError` naming its line number. Pass a
:class:`BadLineLog` to count bad lines instead (each is skipped and recorded with its line number and
reason, so nothing is dropped silently); blank lines are not records and are ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forensics.common import ForensicsInputError

# Text records are tokenized in batches: the Rust tokenizer is far faster on a batch than line by line,
# and a batch this size keeps memory bounded.
TOKENIZE_BATCH = 256
MAX_EXAMPLES = 50


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One model output. ``line`` is the 1-based line number in the file (for messages and reports)."""

    id: str
    tokens: list[int] | None
    text: str | None
    line: int
    prompt: str | None = None
    # Byte offset just past this line: lets callers report progress without a second pass over the file.
    end_offset: int = 0
    # The validated token ids as an int64 array, built once while checking them (saves a second conversion).
    _array: np.ndarray | None = field(default=None, repr=False, compare=False)

    def token_array(self) -> np.ndarray | None:
        """Token ids as a non-negative int64 numpy array (None when the record has no tokens)."""
        if self._array is None and self.tokens is not None:
            return np.asarray(self.tokens, dtype=np.int64)
        return self._array


@dataclass
class BadLineLog:
    """Counts bad lines and keeps the first few (line number and reason) for the report."""

    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    max_examples: int = MAX_EXAMPLES

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(self.examples) < self.max_examples:
            self.examples.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "examples": list(self.examples)}


class _BadLine(Exception):
    """Internal: one line failed validation (message is user-facing)."""


def load_tokenizer(tokenizer_path: str | os.PathLike[str]) -> Any:
    """Load a ``tokenizer.json`` offline; a clear error if the file is not one."""
    from tokenizers import Tokenizer

    path = Path(tokenizer_path)
    if not path.is_file():
        raise ForensicsInputError(f"tokenizer file not found: {path.name}")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - the Rust side raises a bare Exception carrying the parse error
        raise ForensicsInputError(f"{path.name} is not a valid tokenizer.json ({exc})") from None


def _validated_tokens(value: Any) -> np.ndarray:
    if not isinstance(value, list):
        raise _BadLine('"tokens" must be a list of integer token ids')
    if not value:
        return np.zeros(0, dtype=np.int64)
    # One numpy conversion both checks the types (only integers give an integer dtype) and gives the
    # array the analyses need; it is several times faster than a Python loop over the ids.
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise _BadLine('"tokens" must be a flat list of integer token ids') from None
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise _BadLine('"tokens" must be a flat list of integer token ids')
    if array.dtype.kind == "i" and int(array.min()) < 0:
        raise _BadLine('"tokens" contains a negative token id')
    if array.dtype.kind == "u":  # ids above 2**63 - 1: no real vocabulary is that large
        raise _BadLine('"tokens" contains a token id above 2**63 - 1')
    return array.astype(np.int64, copy=False)


def _parse_line(raw: bytes, number: int, end_offset: int) -> OutputRecord:
    try:
        obj = json.loads(raw)
    except UnicodeDecodeError:
        raise _BadLine("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise _BadLine("each line must be a JSON object")
    ident = obj.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int):
        raise _BadLine('missing or invalid "id" (a string or an integer)')
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise _BadLine('"text" must be a string')
    prompt = obj.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise _BadLine('"prompt" must be a string')
    raw_tokens = obj.get("tokens")
    if raw_tokens is None and text is None:
        raise _BadLine('a line needs "tokens" or "text"')
    array = _validated_tokens(raw_tokens) if raw_tokens is not None else None
    return OutputRecord(
        id=str(ident),
        tokens=raw_tokens if raw_tokens is not None else None,
        text=text,
        line=number,
        prompt=prompt,
        end_offset=end_offset,
        _array=array,
    )


def _with_tokens(record: OutputRecord, ids: list[int]) -> OutputRecord:
    return OutputRecord(
        id=record.id,
        tokens=ids,
        text=record.text,
        line=record.line,
        prompt=record.prompt,
        end_offset=record.end_offset,
        _array=np.asarray(ids, dtype=np.int64),
    )


def _tokenize_pending(pending: list[OutputRecord], tokenizer: Any) -> list[OutputRecord]:
    todo = [index for index, record in enumerate(pending) if record.tokens is None and record.text is not None]
    if not todo:
        return pending
    encodings = tokenizer.encode_batch([pending[index].text for index in todo], add_special_tokens=False)
    for index, encoding in zip(todo, encodings, strict=True):
        pending[index] = _with_tokens(pending[index], list(encoding.ids))
    return pending


def iter_outputs(
    path: str | os.PathLike[str],
    *,
    tokenizer_path: str | os.PathLike[str] | None = None,
    bad_lines: BadLineLog | None = None,
) -> Iterator[OutputRecord]:
    """Stream the records of a model-output JSONL file in file order, with bounded memory.

    ``tokenizer_path``: a ``tokenizer.json`` used to encode records that have ``text`` but no ``tokens``;
    without it such records keep ``tokens=None``. ``bad_lines``: when given, bad lines are skipped and
    recorded there; when omitted, the first bad line raises :class:`ForensicsInputError` with its number.
    """
    source = Path(path)
    if not source.is_file():
        raise ForensicsInputError(f"outputs file not found: {source.name}")
    tokenizer = load_tokenizer(tokenizer_path) if tokenizer_path is not None else None
    pending: list[OutputRecord] = []
    offset = 0
    with open(source, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            offset += len(raw)
            if not raw.strip():
                continue
            try:
                record = _parse_line(raw, number, offset)
            except _BadLine as problem:
                if bad_lines is None:
                    raise ForensicsInputError(f"{source.name}, line {number}: {problem}") from None
                bad_lines.add(number, str(problem))
                continue
            if tokenizer is None:
                yield record
                continue
            pending.append(record)
            if len(pending) >= TOKENIZE_BATCH:
                yield from _tokenize_pending(pending, tokenizer)
                pending = []
    if pending and tokenizer is not None:
        yield from _tokenize_pending(pending, tokenizer)
