"""Seeded synthetic model outputs for validating watermark detection (tests, validation script, demo data).

The "model" is a toy with realistic entropy: at each step it proposes ``top_k`` candidate tokens drawn from a
Zipf-like unigram distribution over the vocabulary (so common pairs recur, as in real text), gives them
random logits, and samples from the softmax. The Kirchenbauer soft watermark adds ``delta`` to the logits of
candidates that are green for (previous token, candidate) under the key, exactly as in DESIGN §5; ``delta = 0``
gives unwatermarked text from the same model. Sequences are generated in parallel (one numpy step for all of
them), so thousands of sequences take well under a second.

Also here: random token edits (substitutions, insertions, deletions), a watermarked span embedded in
unwatermarked text, JSONL writers, and a tiny word-level ``tokenizer.json`` built offline with the
``tokenizers`` package for the text + tokenizer input path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from forensics.text.watermark import _green, green_threshold, parse_key

DEFAULT_VOCAB = 5000
DEFAULT_TOP_K = 64
DEFAULT_LOGIT_SCALE = 2.0
DEFAULT_ZIPF = 1.0
EDIT_KINDS = ("substitute", "insert", "delete")


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def unigram_probabilities(vocab_size: int = DEFAULT_VOCAB, zipf: float = DEFAULT_ZIPF) -> np.ndarray:
    """Zipf-like token frequencies (rank r has weight 1 / r**zipf), as in natural text."""
    weights = 1.0 / np.arange(1, vocab_size + 1, dtype=np.float64) ** zipf
    return weights / weights.sum()


def generate_sequences(
    seed: int | np.random.Generator,
    n_sequences: int,
    length: int,
    *,
    key: int | str,
    gamma: float = 0.25,
    delta: float = 2.0,
    vocab_size: int = DEFAULT_VOCAB,
    top_k: int = DEFAULT_TOP_K,
    logit_scale: float = DEFAULT_LOGIT_SCALE,
    zipf: float = DEFAULT_ZIPF,
    previous: np.ndarray | None = None,
) -> np.ndarray:
    """``n_sequences`` × ``length`` token ids (int64) from the toy model, green tokens boosted by ``delta``.

    ``previous``: the token before each sequence (to continue existing text, e.g. a span inside a document);
    when omitted the first token is drawn from the unigram distribution.
    """
    rng = _rng(seed)
    key_value, threshold = parse_key(key), green_threshold(gamma)
    probabilities = unigram_probabilities(vocab_size, zipf)
    cdf = np.cumsum(probabilities)
    out = np.empty((n_sequences, length), dtype=np.int64)
    if length == 0:
        return out
    start = 0
    if previous is None:
        out[:, 0] = np.searchsorted(cdf, rng.random(n_sequences), side="right").clip(max=vocab_size - 1)
        prev = out[:, 0]
        start = 1
    else:
        prev = np.asarray(previous, dtype=np.int64)
    rows = np.arange(n_sequences)
    for step in range(start, length):
        candidates = np.searchsorted(cdf, rng.random((n_sequences, top_k)), side="right").clip(max=vocab_size - 1)
        logits = rng.normal(0.0, logit_scale, size=(n_sequences, top_k))
        if delta:
            green = _green(
                key_value,
                np.broadcast_to(prev[:, None], candidates.shape).astype(np.uint64),
                candidates.astype(np.uint64),
                threshold,
            )
            logits += delta * green
        choice = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)  # Gumbel-max = softmax sampling
        prev = candidates[rows, choice]
        out[:, step] = prev
    return out


def apply_edits(
    seed: int | np.random.Generator,
    tokens: Sequence[int] | np.ndarray,
    fraction: float,
    *,
    vocab_size: int = DEFAULT_VOCAB,
    kinds: Sequence[str] = EDIT_KINDS,
) -> np.ndarray:
    """Edit ``fraction`` of the positions at random: each edit substitutes, inserts or deletes one token
    (chosen uniformly among ``kinds``); new tokens come from the unigram distribution, i.e. unwatermarked."""
    rng = _rng(seed)
    array = np.asarray(tokens, dtype=np.int64)
    n_edits = round(fraction * len(array))
    if n_edits == 0:
        return array.copy()
    cdf = np.cumsum(unigram_probabilities(vocab_size))
    positions = rng.choice(len(array), size=min(n_edits, len(array)), replace=False)
    kind_of = rng.choice(len(kinds), size=len(positions))
    fresh = np.searchsorted(cdf, rng.random(len(positions)), side="right").clip(max=vocab_size - 1)
    action = {int(p): (kinds[int(k)], int(t)) for p, k, t in zip(positions, kind_of, fresh, strict=True)}
    edited: list[int] = []
    for index, token in enumerate(array.tolist()):
        kind, new = action.get(index, ("keep", 0))
        if kind == "substitute":
            edited.append(new)
        elif kind == "insert":
            edited.extend((new, token))
        elif kind == "keep":
            edited.append(token)
    return np.asarray(edited, dtype=np.int64)


def embed_span(
    seed: int | np.random.Generator,
    *,
    key: int | str,
    before: int,
    span: int,
    after: int,
    gamma: float = 0.25,
    delta: float = 2.0,
    vocab_size: int = DEFAULT_VOCAB,
) -> tuple[np.ndarray, int, int]:
    """One document: ``before`` unwatermarked tokens, a watermarked span of ``span`` tokens, ``after`` more
    unwatermarked ones, each part continuing from the previous token. Returns (tokens, span_start, span_end)."""
    rng = _rng(seed)
    head = generate_sequences(rng, 1, before, key=key, gamma=gamma, delta=0.0, vocab_size=vocab_size)[0]
    marked = generate_sequences(
        rng, 1, span, key=key, gamma=gamma, delta=delta, vocab_size=vocab_size, previous=head[-1:] if before else None
    )[0]
    tail = generate_sequences(
        rng, 1, after, key=key, gamma=gamma, delta=0.0, vocab_size=vocab_size, previous=marked[-1:]
    )[0]
    return np.concatenate([head, marked, tail]), before, before + span


# --------------------------------------------------------------------------------------------------------
# Files


def write_token_jsonl(
    path: str | os.PathLike[str], sequences: Iterable[Sequence[int] | np.ndarray], ids: Iterable[str] | None = None
) -> Path:
    """Write ``{"id", "tokens"}`` lines; ids default to ``doc-0``, ``doc-1``, …"""
    target = Path(path)
    names = iter(ids) if ids is not None else None
    with open(target, "w", encoding="utf-8") as handle:
        for number, sequence in enumerate(sequences):
            ident = next(names) if names is not None else f"doc-{number}"
            tokens = sequence.tolist() if isinstance(sequence, np.ndarray) else list(sequence)
            handle.write(json.dumps({"id": ident, "tokens": tokens}) + "\n")
    return target


def pseudo_words(vocab_size: int = DEFAULT_VOCAB) -> list[str]:
    """Distinct pronounceable fake words, one per token id (word i is token i in :func:`build_tokenizer`)."""
    consonants, vowels = "bdfghklmnprstvz", "aeiou"
    syllables = [c + v for c in consonants for v in vowels]
    words = []
    for index in range(vocab_size):
        parts = []
        value = index
        for _ in range(2):
            value, digit = divmod(value, len(syllables))
            parts.append(syllables[digit])
        while value:
            value, digit = divmod(value - 1, len(syllables))
            parts.append(syllables[digit])
        words.append("".join(parts))
    return words


def build_tokenizer(path: str | os.PathLike[str], vocab_size: int = DEFAULT_VOCAB) -> Path:
    """Write a word-level ``tokenizer.json`` (whitespace split) mapping pseudo-word i to id i, [UNK] last."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {word: index for index, word in enumerate(pseudo_words(vocab_size))}
    vocab["[UNK]"] = vocab_size
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    target = Path(path)
    tokenizer.save(str(target))
    return target


def tokens_to_text(tokens: Sequence[int] | np.ndarray, words: Sequence[str]) -> str:
    return " ".join(words[int(t)] for t in tokens)


def write_text_jsonl(
    path: str | os.PathLike[str], sequences: Iterable[Sequence[int] | np.ndarray], words: Sequence[str]
) -> Path:
    """Write ``{"id", "text"}`` lines: the same outputs as text, for the text + tokenizer path."""
    target = Path(path)
    with open(target, "w", encoding="utf-8") as handle:
        for number, sequence in enumerate(sequences):
            handle.write(json.dumps({"id": f"doc-{number}", "text": tokens_to_text(sequence, words)}) + "\n")
    return target


def write_demo_set(
    directory: str | os.PathLike[str], *, key: int | str, seed: int = 0, n: int = 20, length: int = 300
) -> dict[str, Path]:
    """A small demo exhibit set: watermarked, unwatermarked, span-in-text outputs, a text version and its
    tokenizer. Returns the file paths by name."""
    rng = np.random.default_rng(seed)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    marked = generate_sequences(rng, n, length, key=key, delta=2.0)
    plain = generate_sequences(rng, n, length, key=key, delta=0.0)
    spans = [embed_span(rng, key=key, before=length, span=length // 2, after=length)[0] for _ in range(3)]
    words = pseudo_words()
    return {
        "watermarked": write_token_jsonl(folder / "watermarked.jsonl", marked),
        "unwatermarked": write_token_jsonl(folder / "unwatermarked.jsonl", plain),
        "span": write_token_jsonl(folder / "span.jsonl", spans),
        "watermarked_text": write_text_jsonl(folder / "watermarked_text.jsonl", marked, words),
        "tokenizer": build_tokenizer(folder / "tokenizer.json"),
    }
