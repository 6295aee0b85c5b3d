"""forensics.text.outputs: the model-output JSONL reader shared by the watermark and similarity analyses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from forensics.common import ForensicsInputError
from forensics.text.outputs import TOKENIZE_BATCH, BadLineLog, iter_outputs
from forensics.text.watermark_fixtures import build_tokenizer, pseudo_words, tokens_to_text


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    with open(path, "wb") as handle:
        for line in lines:
            handle.write((line.encode() if isinstance(line, str) else line) + b"\n")
    return path


def test_reads_token_and_text_records_in_order(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "o.jsonl",
        [
            json.dumps({"id": 7, "tokens": [3, 1, 4]}),
            "",
            json.dumps({"id": "b", "text": "hello there", "prompt": "say hi"}),
            json.dumps({"id": "c", "tokens": [], "text": "both"}),
        ],
    )
    records = list(iter_outputs(path))
    assert [r.id for r in records] == ["7", "b", "c"]
    assert [r.line for r in records] == [1, 3, 4]
    assert records[0].tokens == [3, 1, 4]
    assert records[0].token_array().tolist() == [3, 1, 4]
    assert records[1].tokens is None
    assert records[1].token_array() is None
    assert records[1].text == "hello there"
    assert records[1].prompt == "say hi"
    assert records[2].tokens == []
    assert records[2].text == "both"
    assert records[-1].end_offset == path.stat().st_size


BAD_LINES = [
    ("{oops", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps({"tokens": [1]}), '"id"'),
    (json.dumps({"id": True, "tokens": [1]}), '"id"'),
    (json.dumps({"id": "x"}), '"tokens" or "text"'),
    (json.dumps({"id": "x", "tokens": [1, 2.5]}), "integer"),
    (json.dumps({"id": "x", "tokens": [1, -1]}), "negative"),
    (json.dumps({"id": "x", "tokens": [[1], [2]]}), "flat list"),
    (json.dumps({"id": "x", "tokens": "1 2"}), "list"),
    (json.dumps({"id": "x", "tokens": [2**64]}), "integer"),
    (json.dumps({"id": "x", "text": 5}), '"text"'),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_first_bad_line_raises_with_its_number(tmp_path: Path, line: str, reason: str) -> None:
    path = write_lines(tmp_path / "o.jsonl", [json.dumps({"id": "ok", "tokens": [1]}), line])
    with pytest.raises(ForensicsInputError) as caught:
        list(iter_outputs(path))
    message = str(caught.value)
    assert "line 2" in message
    assert reason in message


def test_bad_lines_are_counted_when_a_log_is_given(tmp_path: Path) -> None:
    lines: list[str | bytes] = [json.dumps({"id": "ok", "tokens": [1, 2]})]
    lines += [line for line, _ in BAD_LINES]
    lines.append(b'{"id": "x", "text": "\xff\xfe"}')
    lines.append(json.dumps({"id": "last", "text": "fine"}))
    log = BadLineLog(max_examples=5)
    records = list(iter_outputs(write_lines(tmp_path / "o.jsonl", lines), bad_lines=log))
    assert [r.id for r in records] == ["ok", "last"]
    assert log.count == len(BAD_LINES) + 1
    assert [example["line"] for example in log.examples] == [2, 3, 4, 5, 6]  # bounded, first ones kept
    assert log.as_dict()["count"] == log.count


def test_text_is_tokenized_in_batches_keeping_order(tmp_path: Path) -> None:
    words = pseudo_words(500)
    tokenizer = build_tokenizer(tmp_path / "tokenizer.json", vocab_size=500)
    rng = np.random.default_rng(0)
    sequences = [rng.integers(0, 500, size=int(rng.integers(1, 30))) for _ in range(TOKENIZE_BATCH * 2 + 17)]
    lines: list[str | bytes] = []
    for number, seq in enumerate(sequences):
        if number % 3 == 0:  # mix token records in: they must stay in place
            lines.append(json.dumps({"id": number, "tokens": seq.tolist()}))
        else:
            lines.append(json.dumps({"id": number, "text": tokens_to_text(seq, words)}))
    records = list(iter_outputs(write_lines(tmp_path / "o.jsonl", lines), tokenizer_path=tokenizer))
    assert [r.id for r in records] == [str(n) for n in range(len(sequences))]
    assert all(r.tokens == seq.tolist() for r, seq in zip(records, sequences, strict=True))
    assert all(r.token_array().tolist() == seq.tolist() for r, seq in zip(records, sequences, strict=True))


def test_unknown_words_map_to_unk(tmp_path: Path) -> None:
    tokenizer = build_tokenizer(tmp_path / "tokenizer.json", vocab_size=100)
    path = write_lines(tmp_path / "o.jsonl", [json.dumps({"id": 1, "text": f"{pseudo_words(100)[5]} zzzz"})])
    (record,) = iter_outputs(path, tokenizer_path=tokenizer)
    assert record.tokens == [5, 100]


def test_missing_or_invalid_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ForensicsInputError, match="not found"):
        list(iter_outputs(tmp_path / "missing.jsonl"))
    path = write_lines(tmp_path / "o.jsonl", [json.dumps({"id": 1, "text": "a"})])
    bogus = tmp_path / "tokenizer.json"
    bogus.write_text('{"not": "a tokenizer"}')
    with pytest.raises(ForensicsInputError, match=r"not a valid tokenizer\.json"):
        list(iter_outputs(path, tokenizer_path=bogus))
    with pytest.raises(ForensicsInputError, match="not found"):
        list(iter_outputs(path, tokenizer_path=tmp_path / "nope.json"))
