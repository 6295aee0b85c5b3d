"""text.watermark: the scheme against the DESIGN §5 reference, and the detector's verdicts on seeded fixtures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.common import CONSISTENT, INCONCLUSIVE, NO_EVIDENCE, ForensicsInputError
from forensics.text import watermark
from forensics.text.watermark import (
    binomial_p,
    charts,
    detect_watermark,
    green_mask,
    green_threshold,
    parse_key,
    score_tokens,
    splitmix64,
)
from forensics.text.watermark_fixtures import (
    apply_edits,
    build_tokenizer,
    embed_span,
    generate_sequences,
    pseudo_words,
    write_text_jsonl,
    write_token_jsonl,
)

KEY = 0x5EED_CAFE_F00D_1234
GAMMA = 0.25


# ---- the reference implementation, verbatim from DESIGN §5 ---------------------------------------------


def ref_splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) % 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    return z ^ (z >> 31)


def ref_is_green(key: int, prev_token: int, token: int, gamma: float) -> bool:
    return ref_splitmix64(key ^ ((prev_token * 0x9E3779B97F4A7C15) % 2**64) ^ token) < gamma * 2**64


def ref_score(tokens: list[int], key: int, gamma: float) -> tuple[int, int]:
    """T and S with the first token unscored and each (previous, token) pair counted once."""
    seen: set[tuple[int, int]] = set()
    scored = green = 0
    for prev, token in itertools.pairwise(tokens):
        if (prev, token) in seen:
            continue
        seen.add((prev, token))
        scored += 1
        green += ref_is_green(key, prev, token, gamma)
    return scored, green


# ---- scheme --------------------------------------------------------------------------------------------


def test_splitmix64_known_answer() -> None:
    # First output of the splitmix64 generator seeded with 0 (Vigna's reference), which is splitmix64(0) here.
    assert int(splitmix64(np.array([0], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF
    assert ref_splitmix64(0) == 0xE220A8397B1DCDAF


@settings(max_examples=300, deadline=None)
@given(
    key=st.integers(0, 2**64 - 1),
    pairs=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), min_size=1, max_size=20),
    gamma=st.floats(0.001, 0.999),
)
def test_vectorised_green_matches_reference(key: int, pairs: list[tuple[int, int]], gamma: float) -> None:
    prev = np.array([p for p, _ in pairs], dtype=np.uint64)
    tokens = np.array([t for _, t in pairs], dtype=np.uint64)
    expected = [ref_is_green(key, p, t, gamma) for p, t in pairs]
    assert green_mask(key, prev, tokens, gamma).tolist() == expected


@settings(max_examples=150, deadline=None)
@given(
    key=st.integers(0, 2**64 - 1),
    tokens=st.lists(st.integers(0, 12), min_size=0, max_size=80),  # tiny vocabulary: many repeated pairs
)
def test_scoring_matches_reference_with_repeats(key: int, tokens: list[int]) -> None:
    result = score_tokens(tokens, key=key, gamma=GAMMA)
    assert (result["T"], result["S"]) == ref_score(tokens, key, GAMMA)


@settings(max_examples=60, deadline=None)
@given(
    key=st.integers(0, 2**64 - 1),
    tokens=st.lists(st.sampled_from([0, 1, 7, 2**20 + 3, 2**31 + 5, 2**32 - 1]), min_size=0, max_size=60),
)
def test_scoring_matches_reference_with_huge_token_ids(key: int, tokens: list[int]) -> None:
    # Ids near 2**32 cannot be packed with the document index into one sort key: the two-key path must agree.
    result = score_tokens(tokens, key=key, gamma=GAMMA)
    assert (result["T"], result["S"]) == ref_score(tokens, key, GAMMA)


def test_green_share_is_gamma_on_random_pairs() -> None:
    rng = np.random.default_rng(1)
    prev = rng.integers(0, 50_000, 200_000).astype(np.uint64)
    tokens = rng.integers(0, 50_000, 200_000).astype(np.uint64)
    for gamma in (0.1, 0.25, 0.5):
        share = green_mask(KEY, prev, tokens, gamma).mean()
        assert abs(share - gamma) < 0.004  # ~4 standard errors


def test_green_threshold_is_exact() -> None:
    assert green_threshold(0.25) == 2**62
    assert green_threshold(0.5) == 2**63
    with pytest.raises(ForensicsInputError):
        green_threshold(1.0)
    with pytest.raises(ForensicsInputError):
        green_threshold(0.0)


@pytest.mark.parametrize(
    ("given_key", "expected"),
    [
        ("42", 42),
        ("0x2a", 42),
        ("0X2A", 42),
        (42, 42),
        (" 18446744073709551615 ", 2**64 - 1),
        ("0xffff_ffff", 2**32 - 1),
    ],
)
def test_parse_key_accepts_decimal_and_hex(given_key: int | str, expected: int) -> None:
    assert parse_key(given_key) == expected


@pytest.mark.parametrize("bad", ["", "forty-two", "0xZZ", "-1", str(2**64), -5, 2**64, True, 4.2])
def test_parse_key_rejects_bad_keys(bad: object) -> None:
    with pytest.raises(ForensicsInputError):
        parse_key(bad)  # type: ignore[arg-type]


def test_decimal_and_hex_keys_give_the_same_result(tmp_path: Path) -> None:
    path = write_token_jsonl(tmp_path / "o.jsonl", generate_sequences(3, 5, 100, key=KEY, delta=2.0))
    by_hex = detect_watermark(path, key=hex(KEY))
    by_dec = detect_watermark(path, key=str(KEY))
    assert by_hex["documents"] == by_dec["documents"]
    assert by_hex["pooled"] == by_dec["pooled"]


def ref_best_window(green: list[bool], min_window: int) -> tuple[int, int, int, int] | None:
    """(size, start, green, tests) of the documented window search, one document at a time."""
    total, tests, candidates, size = len(green), 0, [], min_window
    while size < total:
        stride = max(1, size // 4)
        starts = list(range(0, total - size + 1, stride))
        if starts[-1] != total - size:
            starts.append(total - size)
        counts = [sum(green[s : s + size]) for s in starts]
        best = counts.index(max(counts))
        candidates.append((size, starts[best], counts[best]))
        tests += len(starts)
        size *= 2
    if not candidates:
        return None
    p_values = [float(binomial_p(g, n, GAMMA)) for n, _, g in candidates]
    size, start, count = candidates[p_values.index(min(p_values))]
    return size, start, count, tests


@settings(max_examples=40, deadline=None)
@given(
    docs=st.lists(st.lists(st.booleans(), min_size=0, max_size=300), min_size=1, max_size=6),
    min_window=st.sampled_from([2, 5, 32]),
)
def test_batch_window_search_matches_per_document_reference(docs: list[list[bool]], min_window: int) -> None:
    green = np.array([g for doc in docs for g in doc], dtype=bool)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in docs], out=bounds[1:])
    found = watermark._batch_windows(green, bounds, min_window, GAMMA)
    for i, doc in enumerate(docs):
        expected = ref_best_window(doc, min_window)
        if expected is None:
            assert found.size[i] == 0
        else:
            got = (int(found.size[i]), int(found.start[i]), int(found.green[i]), int(found.tests[i]))
            assert got == expected


# ---- detection on fixtures -----------------------------------------------------------------------------


def test_delta_two_flagged_delta_zero_not(tmp_path: Path) -> None:
    marked = write_token_jsonl(tmp_path / "marked.jsonl", generate_sequences(10, 100, 200, key=KEY, delta=2.0))
    plain = write_token_jsonl(tmp_path / "plain.jsonl", generate_sequences(11, 100, 200, key=KEY, delta=0.0))
    hit = detect_watermark(marked, key=KEY)
    miss = detect_watermark(plain, key=KEY)
    assert all(doc["flagged"] for doc in hit["documents"])
    assert hit["decision"] == "detected"
    assert hit["verdict_phrase"] == CONSISTENT
    assert hit["pooled"]["flagged"]
    assert hit["pooled"]["z"] > 20
    assert not any(doc["flagged"] for doc in miss["documents"])
    assert miss["decision"] == "not_detected"
    assert miss["verdict_phrase"] == NO_EVIDENCE
    assert miss["verdict"].startswith("No watermark detected")
    assert not miss["pooled"]["flagged"]


def test_wrong_key_sees_no_watermark(tmp_path: Path) -> None:
    marked = write_token_jsonl(tmp_path / "marked.jsonl", generate_sequences(12, 50, 200, key=KEY, delta=2.0))
    other = detect_watermark(marked, key=KEY + 1)
    assert other["summary"]["flagged_documents"] == 0
    assert other["decision"] == "not_detected"


def test_false_positive_rate_on_unwatermarked_text(tmp_path: Path) -> None:
    # 2000 unwatermarked sequences of 200 tokens from a Zipf-like model (so pairs repeat as in real text).
    # The nominal rate at z > 4 is 3.2e-5 per test, so 0.06 false flags are expected; allow at most 1.
    sequences = generate_sequences(20, 2000, 200, key=KEY, delta=0.0)
    result = detect_watermark(write_token_jsonl(tmp_path / "plain.jsonl", sequences), key=KEY)
    assert result["summary"]["scored_documents"] == 2000
    assert result["summary"]["flagged_documents"] <= 1
    assert result["summary"]["window_flagged_documents"] <= 1
    assert result["decision"] != "detected"
    zs = np.array([doc["z"] for doc in result["documents"]])
    # Per-document z is close to standard normal. Its mean across documents is not exactly 0 for one key:
    # frequent pairs recur in many documents and carry the same green/red status in all of them.
    assert abs(zs.mean()) < 0.3
    assert 0.85 < zs.std() < 1.15
    assert abs(result["pooled"]["z"]) < 3  # the pool counts each of those pairs once


def test_repeated_text_is_not_a_false_alarm(tmp_path: Path) -> None:
    # A phrase repeated many times repeats its green/red pattern; without de-duplication a phrase that
    # happens to be mostly green would look watermarked. Pick the greenest of many short phrases and repeat it.
    rng = np.random.default_rng(5)
    phrases = rng.integers(0, 5000, size=(500, 6))
    greenest = max(phrases, key=lambda p: score_tokens(p, key=KEY)["S"])
    assert score_tokens(greenest, key=KEY)["S"] >= 4  # at least 4 of 5 pairs green
    doc = np.tile(greenest, 200)
    assert score_tokens(doc, key=KEY)["T"] <= 6  # 5 pairs inside the phrase, 1 across the join
    result = detect_watermark(write_token_jsonl(tmp_path / "rep.jsonl", [doc]), key=KEY)
    assert not result["documents"][0]["flagged"]
    assert result["decision"] == "not_detected"


def test_edits_reduce_z_monotonically(tmp_path: Path) -> None:
    rng = np.random.default_rng(30)
    base = generate_sequences(rng, 60, 300, key=KEY, delta=2.0)
    means = []
    for fraction in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
        edited = [apply_edits(rng, seq, fraction) for seq in base]
        result = detect_watermark(write_token_jsonl(tmp_path / f"e{fraction}.jsonl", edited), key=KEY)
        means.append(np.mean([doc["z"] for doc in result["documents"]]))
    assert all(later < earlier for earlier, later in itertools.pairwise(means)), means
    assert means[0] > 12
    assert means[-1] > 2


def test_edits_change_lengths_as_documented() -> None:
    tokens = np.arange(1000)
    assert len(apply_edits(1, tokens, 0.3, kinds=("insert",))) == 1300
    assert len(apply_edits(1, tokens, 0.3, kinds=("delete",))) == 700
    substituted = apply_edits(1, tokens, 0.3, kinds=("substitute",))
    assert len(substituted) == 1000
    assert (substituted != tokens).sum() <= 300


@pytest.mark.parametrize("seed", [40, 41, 42])
def test_window_search_finds_embedded_span(tmp_path: Path, seed: int) -> None:
    tokens, start, end = embed_span(seed, key=KEY, before=1500, span=200, after=1500)
    result = detect_watermark(write_token_jsonl(tmp_path / "span.jsonl", [tokens]), key=KEY)
    doc = result["documents"][0]
    window = doc["window"]
    assert window["flagged"]
    assert window["p_adjusted"] < result["parameters"]["p_threshold"]
    overlap = max(0, min(end, window["end"]) - max(start, window["start"]))
    assert overlap / (end - start) > 0.6
    assert overlap / (window["end"] - window["start"]) > 0.6
    assert result["decision"] == "detected"
    assert result["z_series"]
    assert result["z_series"][0]["id"] == doc["id"]
    assert max(v for v in result["z_series"][0]["window_z"] if v is not None) > 4


def test_pooled_counts_each_pair_once_across_documents(tmp_path: Path) -> None:
    seq = generate_sequences(50, 1, 300, key=KEY, delta=2.0)[0]
    single = detect_watermark(write_token_jsonl(tmp_path / "one.jsonl", [seq]), key=KEY)
    triple = detect_watermark(write_token_jsonl(tmp_path / "three.jsonl", [seq, seq, seq]), key=KEY)
    assert triple["pooled"]["T"] == single["pooled"]["T"] == single["documents"][0]["T"]
    assert triple["pooled"]["S"] == single["pooled"]["S"]
    assert triple["summary"]["flagged_documents"] == 3


def test_pool_spilling_to_disk_gives_the_same_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark, "BATCH_DOCS", 16)  # many small batches, so the pool compacts repeatedly
    sequences = list(generate_sequences(51, 300, 100, key=KEY, delta=1.0))
    path = write_token_jsonl(tmp_path / "o.jsonl", sequences + sequences[:50])
    in_memory = detect_watermark(path, key=KEY)
    spilled = detect_watermark(path, key=KEY, pool_memory_pairs=1024)
    assert spilled["pooled"] == in_memory["pooled"]
    expected = ref_score_pool(sequences, KEY)
    assert (in_memory["pooled"]["T"], in_memory["pooled"]["S"]) == expected


def test_pool_memory_stays_bounded_when_spilling() -> None:
    # 600 000 pairs (4.8 MB) through a pool allowed 5 000 in RAM: the buffer never holds more than the budget plus
    # the chunk being added, and the distinct count stays exact. (A tracemalloc peak was tried first, but it also
    # counts other threads' allocations and failed on a busy CI worker.)
    rng = np.random.default_rng(52)
    pool = watermark._PairPool(memory_pairs=5000)
    chunks = [rng.integers(0, 2**40, size=10_000, dtype=np.uint64) for _ in range(60)]
    expected = len(np.unique(np.concatenate(chunks)))
    largest_buffer = 0
    for chunk in chunks:
        pool.add(chunk)
        largest_buffer = max(largest_buffer, sum(len(part) for part in pool._parts))
    assert pool.spilled
    assert largest_buffer <= pool.memory_pairs
    total, green = pool.count(KEY, green_threshold(GAMMA))
    assert total == expected
    assert 0 < green < total


def ref_score_pool(sequences: list[np.ndarray], key: int) -> tuple[int, int]:
    pairs = {(int(a), int(b)) for seq in sequences for a, b in itertools.pairwise(seq)}
    return len(pairs), sum(ref_is_green(key, a, b, GAMMA) for a, b in pairs)


def test_text_with_tokenizer_equals_token_path(tmp_path: Path) -> None:
    sequences = generate_sequences(60, 30, 150, key=KEY, delta=2.0)
    tokenizer = build_tokenizer(tmp_path / "tokenizer.json")
    by_tokens = detect_watermark(write_token_jsonl(tmp_path / "t.jsonl", sequences), key=KEY)
    by_text = detect_watermark(
        write_text_jsonl(tmp_path / "x.jsonl", sequences, pseudo_words()), key=KEY, tokenizer_path=tokenizer
    )
    assert by_text["documents"] == by_tokens["documents"]
    assert by_text["pooled"] == by_tokens["pooled"]
    assert [item["role"] for item in by_text["inputs"]] == ["outputs", "tokenizer"]


def test_text_without_tokenizer_is_a_clear_error(tmp_path: Path) -> None:
    path = write_text_jsonl(tmp_path / "x.jsonl", [[1, 2, 3]], pseudo_words())
    with pytest.raises(ForensicsInputError, match=r"tokenizer\.json"):
        detect_watermark(path, key=KEY)


def test_bad_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    good = json.dumps({"id": "a", "tokens": list(range(50))})
    lines = [good, "{not json", json.dumps({"id": "b", "tokens": [1, -2]}), "", json.dumps({"tokens": [1, 2]}), good]
    lines.append(json.dumps({"id": "c", "tokens": [1, 2**40]}))
    path = tmp_path / "o.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = detect_watermark(path, key=KEY)
    assert result["summary"]["documents"] == 2
    assert result["bad_lines"]["count"] == 4
    assert [item["line"] for item in result["bad_lines"]["examples"]] == [2, 3, 5, 7]
    assert any("bad line" in warning for warning in result["warnings"])


def test_empty_or_useless_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text("\n\n{broken\n")
    with pytest.raises(ForensicsInputError, match="no usable records"):
        detect_watermark(path, key=KEY)


@pytest.mark.parametrize(
    "kwargs", [{"gamma": 1.5}, {"gamma": 0}, {"z_threshold": -1.0}, {"window": 1}, {"key": "nope"}]
)
def test_bad_parameters_are_clear_errors(tmp_path: Path, kwargs: dict[str, object]) -> None:
    path = write_token_jsonl(tmp_path / "o.jsonl", [[1, 2, 3]])
    arguments: dict[str, object] = {"key": KEY, **kwargs}
    with pytest.raises(ForensicsInputError):
        detect_watermark(path, **arguments)  # type: ignore[arg-type]


def test_result_is_strict_json_and_hides_the_key(tmp_path: Path) -> None:
    sequences = [*generate_sequences(70, 5, 120, key=KEY, delta=2.0), [7], []]
    result = detect_watermark(write_token_jsonl(tmp_path / "o.jsonl", sequences), key=KEY)
    text = json.dumps(result, allow_nan=False)  # raises on NaN/inf
    assert str(KEY) not in text
    assert hex(KEY)[2:] not in text.lower()
    assert result["analysis"] == "text.watermark"
    assert len(result["parameters"]["key_fingerprint"]) == 16
    assert result["summary"]["documents"] == 7
    assert result["summary"]["scored_documents"] == 5
    assert result["inputs"][0]["sha256"]
    assert result["inputs"][0]["role"] == "outputs"
    assert sum(result["z_histogram"]["counts"]) + result["z_histogram"]["above"] + result["z_histogram"]["below"] == 5


def test_document_list_is_bounded_and_keeps_the_strongest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark, "MAX_DOCUMENTS", 10)
    plain = generate_sequences(80, 40, 150, key=KEY, delta=0.0)
    marked = generate_sequences(81, 3, 150, key=KEY, delta=2.0)
    sequences = [*plain[:20], *marked, *plain[20:]]
    result = detect_watermark(write_token_jsonl(tmp_path / "o.jsonl", sequences), key=KEY)
    assert len(result["documents"]) == 10
    assert {"doc-20", "doc-21", "doc-22"} <= {doc["id"] for doc in result["documents"]}
    assert [doc["line"] for doc in result["documents"]] == sorted(doc["line"] for doc in result["documents"])
    assert result["summary"]["documents"] == 43
    assert result["summary"]["flagged_documents"] == 3
    assert any("strongest evidence" in warning for warning in result["warnings"])


def test_weak_signal_is_inconclusive(tmp_path: Path) -> None:
    # One short, weakly watermarked document among many unwatermarked ones: a z > 4 on its own, but not
    # strong enough once 400 documents have been tested, and too small to move the pooled z past 4.
    plain = generate_sequences(90, 399, 100, key=KEY, delta=0.0)
    weak = generate_sequences(91, 30, 80, key=KEY, delta=2.0)
    candidate = min(weak, key=lambda seq: abs(score_tokens(seq, key=KEY)["z"] - 5.0))
    assert 4.5 < score_tokens(candidate, key=KEY)["z"] < 5.5
    result = detect_watermark(write_token_jsonl(tmp_path / "o.jsonl", [*plain, candidate]), key=KEY)
    assert result["summary"]["flagged_documents"] >= 1
    assert result["decision"] == "inconclusive"
    assert result["verdict_phrase"] == INCONCLUSIVE
    assert result["verdict"].startswith("Inconclusive")


def test_progress_is_reported_up_to_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark, "BATCH_DOCS", 10)
    path = write_token_jsonl(tmp_path / "o.jsonl", generate_sequences(95, 50, 50, key=KEY, delta=0.0))
    seen: list[float] = []
    detect_watermark(path, key=KEY, progress=lambda fraction, message: seen.append(fraction))
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
    assert len(seen) >= 5


def test_charts_render_svg_from_the_stored_result(tmp_path: Path) -> None:
    tokens, _, _ = embed_span(96, key=KEY, before=400, span=150, after=400)
    plain = generate_sequences(97, 20, 200, key=KEY, delta=0.0)
    result = detect_watermark(write_token_jsonl(tmp_path / "o.jsonl", [tokens, *plain]), key=KEY)
    stored = json.loads(json.dumps(result))
    svgs = charts(stored)
    assert set(svgs) == {"z_along_text", "z_histogram"}
    assert all(svg.lstrip().startswith("<?xml") and "<svg" in svg for svg in svgs.values())
    no_curves = charts({**stored, "z_series": []})
    assert set(no_curves) == {"z_histogram"}
