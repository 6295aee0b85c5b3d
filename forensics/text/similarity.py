"""Output similarity (`text.similarity`): are respondent outputs unusually close to the claimant's on the same prompts?

Two JSONL sets of model outputs keyed by prompt are matched on the prompt (or prompt id). For each matched pair:

- word n-gram (default 5) containment in both directions, |A∩B|/|A| and |A∩B|/|B|, and Jaccard. Exact (sorted
  64-bit n-gram hashes) while the stored n-grams fit `minhash_threshold`; beyond that, MinHash estimates with
  `minhash_permutations` (128) hash functions. MinHash signatures are always computed: the permutation test uses
  them on both sides so the matched and shuffled pairs are measured by the same estimator;
- embedding cosine with all-MiniLM-L6-v2 (`forensics.text.minilm`, numpy forward pass, offline).

A permutation test asks whether matched pairs are more similar than the same outputs paired with other prompts:
the pairing is shuffled `permutations` times (uniform random permutations, so p = (1 + #{null >= observed}) /
(1 + permutations) is exact); the effect size is Cohen's d between matched-pair scores and shuffled-pair scores.

The verdict needs both a prompt-specific excess (small p, large d) *and* a level of similarity that independent
answers do not reach (see THRESHOLDS and docs/forensics/similarity.md): two independent models answering the same
prompts are also more alike on the same prompt than on different ones, because they talk about the same thing.

Memory: inputs are streamed; per matched output only a MinHash signature (128 x uint32), its n-gram count, an
embedding (384 x float32) and, while under `minhash_threshold`, its n-gram hashes are kept. No text is kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from forensics.common import (
    CONSISTENT,
    INCONCLUSIVE,
    NO_EVIDENCE,
    ForensicsInputError,
    InputFile,
    Progress,
    Run,
    no_progress,
)

ANALYSIS = "text.similarity"
MatchOn = Literal["auto", "id", "prompt"]

ID_FIELDS = ("prompt_id", "id")
PROMPT_FIELDS = ("prompt", "messages")
TEXT_FIELDS = ("output", "text", "completion", "response")

DEFAULT_MINHASH_THRESHOLD = 5_000_000  # stored n-gram hashes (8 bytes each: 40 MB) before switching to MinHash
DEFAULT_PERMUTATIONS = 1000
MINHASH_PERMUTATIONS = 128
MAX_TEST_PAIRS = 5_000  # the permutation test runs on a seeded subsample beyond this (power is not the issue)
MAX_BAD_LINES_LISTED = 10
EMBED_BUFFER = 256  # outputs embedded together (the encoder sorts them by length so batches pad little)
SD_FLOOR = 1e-3  # floor of the pooled SD in Cohen's d, so identical sets give a large finite d, not a division by 0
HIST_BINS = 30

# Decision thresholds (documented in docs/forensics/similarity.md, validated by benchmarks/validate_similarity.py).
THRESHOLDS: dict[str, Any] = {
    "min_pairs": 10,  # fewer matched prompts: inconclusive, whatever the numbers
    "alpha": 0.01,  # family-wise; each line of evidence is tested at alpha / number of lines (Bonferroni)
    "min_effect_size": 0.8,  # Cohen's d: "large" by convention
    # Level of similarity a line needs before it can support "consistent with derivation" ...
    "high": {"ngram": 0.30, "embedding": 0.85},
    # ... and below which it is within what independent answers to the same prompts reach.
    "low": {"ngram": 0.10, "embedding": 0.80},
    "near_verbatim_containment": 0.5,  # a pair whose n-gram containment (either way) reaches this is near-verbatim
    "near_verbatim_share": 0.05,  # more near-verbatim pairs than this blocks "no evidence"
}
LEVEL_NAMES = {"ngram": "mean n-gram containment", "embedding": "median embedding cosine"}


# --------------------------------------------------------------------------------------------------------------
# Reading the inputs
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputRecord:
    line: int
    key: bytes  # 16-byte digest of the matching key (kind + value): keys are compared, never stored as text
    key_kind: str  # "id" or "prompt"
    prompt_digest: bytes | None  # digest of the prompt text when present (to check that ids really match prompts)
    label: str  # prompt id or the start of the prompt, for the per-prompt table
    text: str


@dataclass
class ReadStats:
    lines: int = 0
    records: int = 0
    bad: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    key_kinds: dict[str, int] = field(default_factory=dict)


def _digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _prompt_text(value: Any) -> str | None:
    """Prompt as a string: plain text (whitespace collapsed) or a chat message list in canonical JSON."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return None


def _parse(raw: bytes, match_on: MatchOn) -> tuple[str, str, str | None, str] | str:
    """(key kind, key value, prompt text, output text), or the reason the line is unusable."""
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "not valid JSON"
    if not isinstance(obj, dict):
        return "not a JSON object"
    text = next((obj[f] for f in TEXT_FIELDS if f in obj), None)
    if not isinstance(text, str):
        return "no string field " + "/".join(TEXT_FIELDS)
    prompt = next((_prompt_text(obj[f]) for f in PROMPT_FIELDS if obj.get(f) is not None), None)
    ident = next((obj[f] for f in ID_FIELDS if obj.get(f) is not None), None)
    if ident is not None and not isinstance(ident, str | int):
        return "prompt_id/id must be a string or an integer"
    if match_on == "prompt" or (match_on == "auto" and ident is None):
        if prompt is None:
            return "no prompt" if match_on == "prompt" else "no prompt_id, id or prompt"
        return "prompt", prompt, prompt, text
    if ident is None:
        return "no prompt_id or id"
    return "id", str(ident), prompt, text


def read_outputs(
    path: Path, match_on: MatchOn, stats: ReadStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[OutputRecord]:
    """Stream the usable records of one JSONL file; unusable lines are counted with their line numbers."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            stats.lines = number
            if on_bytes is not None and number % 512 == 0:
                on_bytes(handle.tell())
            if not raw.strip():
                continue
            parsed = _parse(raw, match_on)
            if isinstance(parsed, str):
                stats.bad += 1
                if len(stats.bad_lines) < MAX_BAD_LINES_LISTED:
                    stats.bad_lines.append((number, parsed))
                continue
            kind, value, prompt, text = parsed
            stats.records += 1
            stats.key_kinds[kind] = stats.key_kinds.get(kind, 0) + 1
            label = value if kind == "id" else value[:200]
            yield OutputRecord(
                line=number,
                key=_digest(f"{kind}\x00{value}"),
                key_kind=kind,
                prompt_digest=_digest(prompt) if prompt is not None else None,
                label=label,
                text=text,
            )
    if on_bytes is not None:
        on_bytes(path.stat().st_size)


# --------------------------------------------------------------------------------------------------------------
# Word n-grams and MinHash
# --------------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic): a cheap, well-mixed 64-bit hash."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@lru_cache(maxsize=1 << 18)
def _word_hash(word: str) -> int:
    # blake2b, not hash(): Python's str hash is salted per process and results must be reproducible.
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode \\w runs): punctuation and spacing differences do not break n-grams."""
    return _WORD.findall(text.lower())


_POLY = np.uint64(0x9FB21C651E98DF25)  # odd 64-bit multiplier of the rolling polynomial hash


def ngram_hashes(text: str, n: int = 5) -> np.ndarray:
    """Sorted unique 64-bit hashes of the word n-grams of `text` (empty when it has fewer than n words).

    Each n-gram hashes as splitmix64(sum_k w[i+k] * P^(n-1-k)) over random 64-bit word hashes w (wrapping
    arithmetic): order-sensitive ("a b c d e" differs from "e d c b a") and one mixing round per n-gram.
    """
    tokens = words(text)
    count = len(tokens) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    w = np.fromiter((_word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    with np.errstate(over="ignore"):
        h = w[:count].copy()
        for k in range(1, n):
            h *= _POLY
            h += w[k : k + count]
        return np.unique(_splitmix(h))


class MinHasher:
    """MinHash: permutation k maps an n-gram hash x to splitmix64(x XOR s_k) and keeps the minimum.

    Why not the textbook (a x + b) mod (2^61 - 1): with 64-bit arithmetic, a and x must be kept below 2^32 to avoid
    overflow, and then a x wraps the modulus only a few times, so the "permutation" is nearly monotone in x and the
    estimate is badly biased (a 0.6 Jaccard read as 0.34 in our tests). A full 64-bit mixer per permutation has no
    such structure. P(sig_A[k] == sig_B[k]) = Jaccard(A, B); signatures keep 32 bits of each minimum (a spurious
    match between different minima has probability 2^-32).
    """

    EMPTY = np.uint32(0xFFFFFFFF)

    def __init__(self, permutations: int = MINHASH_PERMUTATIONS, seed: int = 0) -> None:
        rng = np.random.default_rng([seed, 0x6D696E68])
        self.salts = rng.integers(0, np.iinfo(np.uint64).max, size=permutations, dtype=np.uint64, endpoint=True)[
            :, None
        ]
        self.permutations = permutations

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """Signature of one set of n-gram hashes (uint32, `permutations` long)."""
        return self.signatures([hashes])[0]

    def signatures(self, sets: list[np.ndarray]) -> np.ndarray:
        """Signatures of many sets at once, shape (len(sets), permutations).

        All sets are hashed together in blocks and the minima taken per set with `minimum.reduceat`: one numpy
        pass per block instead of one per output, which is what makes MinHash cheap on many short outputs.
        """
        out = np.full((len(sets), self.permutations), self.EMPTY, dtype=np.uint32)
        sizes = np.fromiter((s.size for s in sets), dtype=np.int64, count=len(sets))
        filled = np.flatnonzero(sizes > 0)
        if not filled.size:
            return out
        flat = np.concatenate([sets[i] for i in filled])
        starts = np.concatenate([[0], np.cumsum(sizes[filled])[:-1]])
        with np.errstate(over="ignore"):
            # Blocks of whole sets (about 8192 hashes each) bound the (permutations x block) temporary.
            group_start = 0
            while group_start < filled.size:
                group_end = int(np.searchsorted(starts, starts[group_start] + 8192, side="left"))
                group_end = max(group_end, group_start + 1)
                lo = int(starts[group_start])
                hi = int(starts[group_end]) if group_end < filled.size else flat.size
                mixed = _splitmix(self.salts ^ flat[None, lo:hi])
                minima = np.minimum.reduceat(mixed, starts[group_start:group_end] - lo, axis=1)
                out[filled[group_start:group_end]] = (minima.T >> np.uint64(32)).astype(np.uint32)
                group_start = group_end
        return out


def jaccard_exact(a: np.ndarray, b: np.ndarray) -> tuple[int, float]:
    """(|A∩B|, Jaccard) of two sorted unique hash arrays."""
    inter = int(np.intersect1d(a, b, assume_unique=True).size)
    union = a.size + b.size - inter
    return inter, (inter / union if union else math.nan)


def containment_from_jaccard(j: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Containments implied by a Jaccard estimate and exact set sizes: |A∩B| = J(|A|+|B|)/(1+J)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        inter = j * (size_a + size_b) / (1.0 + j)
        return np.clip(inter / size_a, 0.0, 1.0), np.clip(inter / size_b, 0.0, 1.0)


# --------------------------------------------------------------------------------------------------------------
# Per-side storage (signatures and embeddings only)
# --------------------------------------------------------------------------------------------------------------


class _Side:
    """What is kept of one side's matched outputs: n-gram counts, MinHash signatures, embeddings, exact sets.

    Signatures and embeddings are computed in buffered batches (`flush`), which is much faster than per output.
    """

    def __init__(self, hasher: MinHasher, ngram: int, embed: Callable[[list[str]], np.ndarray] | None) -> None:
        self.hasher, self.ngram, self.embed = hasher, ngram, embed
        self.sizes: list[int] = []
        self.sets: list[np.ndarray] | None = []
        self.has_text: list[bool] = []
        self.prompt_digests: list[bytes | None] = []
        self._sig_chunks: list[np.ndarray] = []
        self._emb_chunks: list[np.ndarray] = []
        self._pending_texts: list[str] = []
        self._pending_hashes: list[np.ndarray] = []
        self.stored_ngrams = 0

    def add(self, record: OutputRecord) -> int:
        hashes = ngram_hashes(record.text, self.ngram)
        self.sizes.append(int(hashes.size))
        self._pending_hashes.append(hashes)
        if self.sets is not None:
            self.sets.append(hashes)
        self.stored_ngrams += int(hashes.size)
        self.has_text.append(bool(record.text.strip()))
        self.prompt_digests.append(record.prompt_digest)
        if self.embed is not None:
            self._pending_texts.append(record.text)
        if len(self._pending_hashes) >= EMBED_BUFFER:
            self.flush()
        return len(self.sizes) - 1

    def drop_exact(self) -> None:
        self.sets = None

    def flush(self) -> None:
        if self._pending_hashes:
            self._sig_chunks.append(self.hasher.signatures(self._pending_hashes))
            self._pending_hashes = []
        if self.embed is not None and self._pending_texts:
            self._emb_chunks.append(self.embed(self._pending_texts))
            self._pending_texts = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        self.flush()
        sizes = np.asarray(self.sizes, dtype=np.float64)
        sigs = (
            np.concatenate(self._sig_chunks) if self._sig_chunks else np.zeros((0, self.hasher.permutations), np.uint32)
        )
        emb = np.concatenate(self._emb_chunks) if self._emb_chunks else None
        return sizes, sigs, emb, np.asarray(self.has_text, dtype=bool)


# --------------------------------------------------------------------------------------------------------------
# Permutation test
# --------------------------------------------------------------------------------------------------------------

PairScores = Callable[[np.ndarray], np.ndarray]  # permutation of B rows -> per-pair scores (NaN = not scorable)


def _f(x: float | np.floating[Any] | None, digits: int = 6) -> float | None:
    """JSON-safe float: NaN/inf become None (the report says 'not available')."""
    if x is None:
        return None
    value = float(x)
    return round(value, digits) if math.isfinite(value) else None


def _hist(values: np.ndarray, lo: float, hi: float, bins: int = HIST_BINS) -> dict[str, Any]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        lo, hi = (lo - 0.5, lo + 0.5) if math.isfinite(lo) else (0.0, 1.0)
    counts, edges = np.histogram(values[np.isfinite(values)], bins=bins, range=(lo, hi))
    return {"bin_edges": [round(float(e), 6) for e in edges], "counts": [int(c) for c in counts]}


def permutation_test(
    score: PairScores,
    n: int,
    permutations: int,
    rng: np.random.Generator,
    metric: str = "score",
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Mean matched-pair score against the same statistic under uniformly shuffled pairings.

    p = (1 + #{null >= observed}) / (1 + permutations) (Phipson & Smyth 2010: exact, never 0). Effect size:
    Cohen's d of matched-pair scores against all shuffled-pair scores (pooled SD, floored at SD_FLOOR), the
    standardized mean difference `z` of the statistic against its null distribution, and the AUC
    P(matched score > shuffled score).
    """
    matched = score(np.arange(n))
    valid = matched[np.isfinite(matched)]
    statistic = float(valid.mean()) if valid.size else math.nan
    null = np.empty(permutations, dtype=np.float64)
    total = total_sq = 0.0
    count = 0
    sample: list[np.ndarray] = []
    sample_size = 0
    for i in range(permutations):
        scores = score(rng.permutation(n))
        finite = scores[np.isfinite(scores)]
        null[i] = finite.mean() if finite.size else math.nan
        total += float(finite.sum())
        total_sq += float(np.square(finite, dtype=np.float64).sum())
        count += finite.size
        if sample_size < 200_000:
            sample.append(finite)
            sample_size += finite.size
        if progress is not None and i % 50 == 0:
            progress(i / permutations)
    null = null[np.isfinite(null)]
    if not valid.size or not null.size or count == 0:
        return {
            "metric": metric,
            "statistic": _f(statistic),
            "null_mean": None,
            "null_sd": None,
            "p_value": None,
            "effect_size": None,
            "effect_size_kind": "cohen_d",
            "z": None,
            "auc": None,
            "permutations": permutations,
            "pairs_tested": int(valid.size),
            "null_histogram": None,
            "pair_histogram": None,
        }
    pair_mean = total / count
    pair_var = max(total_sq / count - pair_mean**2, 0.0)
    pooled_sd = max(math.sqrt((float(valid.var()) + pair_var) / 2.0), SD_FLOOR)
    d = (float(valid.mean()) - pair_mean) / pooled_sd
    null_mean, null_sd = float(null.mean()), float(null.std(ddof=1)) if null.size > 1 else 0.0
    z = (statistic - null_mean) / null_sd if null_sd > 0 else (math.inf if statistic > null_mean else 0.0)
    exceed = int(np.count_nonzero(null >= statistic - 1e-12))
    shuffled = np.sort(np.concatenate(sample))
    below = np.searchsorted(shuffled, valid, side="left")
    equal = np.searchsorted(shuffled, valid, side="right") - below
    auc = float(np.mean((below + 0.5 * equal) / shuffled.size))
    lo = float(min(null.min(), statistic))
    hi = float(max(null.max(), statistic))
    span = hi - lo or 1.0
    pair_lo = min(0.0, math.floor(min(float(valid.min()), float(shuffled[0])) * 10) / 10)
    return {
        "metric": metric,
        "statistic": _f(statistic),
        "null_mean": _f(null_mean),
        "null_sd": _f(null_sd),
        "p_value": _f((1 + exceed) / (1 + null.size), 8),
        "effect_size": _f(d, 4),
        "effect_size_kind": "cohen_d",
        "z": _f(z, 4),
        "auc": _f(auc, 4),
        "permutations": int(null.size),
        "pairs_tested": int(valid.size),
        "null_histogram": _hist(null, lo - 0.05 * span, hi + 0.05 * span),
        "pair_histogram": {
            "matched": _hist(valid, pair_lo, 1.0),
            "shuffled": _hist(shuffled, pair_lo, 1.0),
            "shuffled_total": int(shuffled.size),
        },
    }


# --------------------------------------------------------------------------------------------------------------
# Verdict
# --------------------------------------------------------------------------------------------------------------


def _fmt_p(p: float | None) -> str:
    return "n/a" if p is None else (f"{p:.2g}" if p >= 0.001 else f"{p:.1e}")


def decide(
    matched: int,
    tests: dict[str, dict[str, Any]],
    levels: dict[str, float | None],
    near_verbatim_share: float,
) -> tuple[str, str]:
    """Verdict word and a one-paragraph reason, from the tests and similarity levels of each line of evidence."""
    t = THRESHOLDS
    if matched < t["min_pairs"]:
        return INCONCLUSIVE, (
            f"Only {matched} prompt(s) appear in both sets; at least {t['min_pairs']} are needed before "
            "similarity can be told apart from chance."
        )
    lines = [m for m in tests if levels.get(m) is not None and tests[m].get("p_value") is not None]
    if not lines:
        return INCONCLUSIVE, "No pair could be scored (outputs too short for n-grams and no embeddings)."
    alpha = t["alpha"] / len(lines)
    significant = {m: tests[m]["p_value"] <= alpha for m in lines}
    effect = {m: (tests[m]["effect_size"] or 0.0) >= t["min_effect_size"] for m in lines}
    high = {m: (levels[m] or 0.0) >= t["high"][m] for m in lines}
    low = {m: (levels[m] or 0.0) < t["low"][m] for m in lines}

    def describe(m: str) -> str:
        test = tests[m]
        return (
            f"{LEVEL_NAMES[m]} {levels[m]:.2f} (p = {_fmt_p(test['p_value'])}, "
            f"Cohen's d = {test['effect_size']:.2f} against shuffled prompts)"
        )

    strong = [m for m in lines if significant[m] and effect[m] and high[m]]
    if strong:
        return CONSISTENT, (
            "Outputs on the same prompt are far more alike than outputs on different prompts, and at a level "
            "typical of copied or paraphrased text: " + "; ".join(describe(m) for m in strong) + ". This is "
            "consistent with one set being derived from the other (copying or distillation); it does not exclude "
            "both models giving the same standard answers to factual prompts."
        )
    if all(low.values()) and near_verbatim_share < t["near_verbatim_share"]:
        extra = (
            " Matched outputs are more alike than shuffled ones, as expected when both sets answer the "
            "same questions, but only at the level independent answers reach."
            if any(significant.values())
            else ""
        )
        return NO_EVIDENCE, (
            "Similarity between outputs on the same prompts is low: "
            + "; ".join(describe(m) for m in lines)
            + "."
            + extra
        )
    if not any(significant.values()) and not any(high.values()) and near_verbatim_share < t["near_verbatim_share"]:
        return NO_EVIDENCE, (
            "Outputs on the same prompt are no more alike than outputs on different prompts: "
            + "; ".join(describe(m) for m in lines)
            + "."
        )
    reasons = []
    for m in lines:
        if high[m] and not significant[m]:
            reasons.append(f"{describe(m)}: high everywhere, not specific to the prompt (shared boilerplate?)")
        else:
            reasons.append(describe(m))
    if near_verbatim_share >= t["near_verbatim_share"]:
        reasons.append(f"{near_verbatim_share:.0%} of matched pairs are near-verbatim")
    return INCONCLUSIVE, (
        "The similarity is above what independent answers usually show but below the documented level for "
        "derivation, or not specific to the prompt: " + "; ".join(reasons) + "."
    )


# --------------------------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------------------------


def _summary(values: np.ndarray) -> dict[str, float | None]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"mean": None, "median": None}
    return {"mean": _f(finite.mean()), "median": _f(np.median(finite))}


def _bad_line_warning(role: str, name: str, stats: ReadStats) -> str:
    listed = ", ".join(f"{line} ({why})" for line, why in stats.bad_lines)
    more = "" if stats.bad <= len(stats.bad_lines) else f" and {stats.bad - len(stats.bad_lines)} more"
    return f"{role} ({name}): {stats.bad} line(s) skipped: {listed}{more}."


def _check_params(
    ngram: int, minhash_threshold: int, permutations: int, minhash_permutations: int, top_k: int, match_on: str
) -> None:
    if not 1 <= ngram <= 20:
        raise ForensicsInputError(f"ngram must be between 1 and 20 words (got {ngram}).")
    if minhash_threshold < 0:
        raise ForensicsInputError("minhash_threshold must be zero or more n-grams.")
    if not 19 <= permutations <= 100_000:
        raise ForensicsInputError(f"permutations must be between 19 and 100000 (got {permutations}).")
    if not 16 <= minhash_permutations <= 1024:
        raise ForensicsInputError(f"minhash_permutations must be between 16 and 1024 (got {minhash_permutations}).")
    if not 0 <= top_k <= 1000:
        raise ForensicsInputError(f"top_k must be between 0 and 1000 (got {top_k}).")
    if match_on not in ("auto", "id", "prompt"):
        raise ForensicsInputError(f"match_on must be 'auto', 'id' or 'prompt' (got {match_on!r}).")


def compare_outputs(
    path_a: str | Path,
    path_b: str | Path,
    *,
    ngram: int = 5,
    minhash_threshold: int = DEFAULT_MINHASH_THRESHOLD,
    permutations: int = DEFAULT_PERMUTATIONS,
    minhash_permutations: int = MINHASH_PERMUTATIONS,
    seed: int = 0,
    use_embeddings: bool = True,
    match_on: MatchOn = "auto",
    top_k: int = 20,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Compare two output sets keyed by prompt; returns the JSON result (envelope + verdict + statistics).

    A is conventionally the claimant's set and B the respondent's; every statistic is reported both ways where
    it is asymmetric. See the module docstring and docs/forensics/similarity.md.
    """
    _check_params(ngram, minhash_threshold, permutations, minhash_permutations, top_k, match_on)
    path_a, path_b = Path(path_a), Path(path_b)
    for role, p in (("A", path_a), ("B", path_b)):
        if not p.is_file():
            raise ForensicsInputError(f"Output set {role} not found: {p.name}.")
    run = Run(
        analysis=ANALYSIS,
        parameters={
            "ngram": ngram,
            "minhash_threshold": minhash_threshold,
            "permutations": permutations,
            "minhash_permutations": minhash_permutations,
            "seed": seed,
            "use_embeddings": use_embeddings,
            "match_on": match_on,
            "top_k": top_k,
        },
        inputs=[InputFile.of("outputs_a", path_a), InputFile.of("outputs_b", path_b)],
    )
    size_a, size_b = max(path_a.stat().st_size, 1), max(path_b.stat().st_size, 1)
    progress = _monotonic(progress)
    # Progress budget: keys of B 0-5 %, A 5-45 %, B 45-85 %, test 85-97 %, labels 97-100 %.
    progress(0.0, "reading prompt keys of B")

    # Pass 1: keys of B only, so that A's unmatched outputs are never embedded.
    keys_b: set[bytes] = set()
    for rec in read_outputs(
        path_b, match_on, ReadStats(), lambda b: progress(0.05 * b / size_b, "reading prompt keys of B")
    ):
        keys_b.add(rec.key)

    embed: Callable[[list[str]], np.ndarray] | None = None
    if use_embeddings:
        from forensics.text.minilm import load_model

        model = load_model()
        embed = model.encode
    hasher = MinHasher(minhash_permutations, seed)
    side_a, side_b = _Side(hasher, ngram, embed), _Side(hasher, ngram, embed)

    def exact_budget_check() -> None:
        if side_a.sets is not None and side_a.stored_ngrams + side_b.stored_ngrams > minhash_threshold:
            side_a.drop_exact()
            side_b.drop_exact()

    # Pass 2: A's outputs whose prompt also appears in B.
    stats_a = ReadStats()
    rows_a: dict[bytes, int] = {}
    seen_a: set[bytes] = set()
    duplicates_a = 0
    for rec in read_outputs(
        path_a, match_on, stats_a, lambda b: progress(0.05 + 0.40 * b / size_a, "hashing and embedding A")
    ):
        if rec.key in seen_a:
            duplicates_a += 1
            continue
        seen_a.add(rec.key)
        if rec.key in keys_b:
            rows_a[rec.key] = side_a.add(rec)
            exact_budget_check()
    only_in_a = len(seen_a) - len(rows_a)
    del seen_a
    side_a.flush()
    if stats_a.records == 0:
        raise _no_records("A", path_a, stats_a)

    # Pass 3: B's outputs for those prompts, aligned with A's rows.
    stats_b = ReadStats()
    seen_b: set[bytes] = set()
    a_index: list[int] = []
    duplicates_b = only_in_b = prompt_conflicts = 0
    for rec in read_outputs(
        path_b, match_on, stats_b, lambda b: progress(0.45 + 0.40 * b / size_b, "hashing and embedding B")
    ):
        if rec.key in seen_b:
            duplicates_b += 1
            continue
        seen_b.add(rec.key)
        row = rows_a.get(rec.key)
        if row is None:
            only_in_b += 1
            continue
        digest_a = side_a.prompt_digests[row]
        if (
            rec.key_kind == "id"
            and digest_a is not None
            and rec.prompt_digest is not None
            and digest_a != rec.prompt_digest
        ):
            prompt_conflicts += 1
        side_b.add(rec)
        a_index.append(row)
        exact_budget_check()
    del seen_b
    if stats_b.records == 0:
        raise _no_records("B", path_b, stats_b)
    matched = len(a_index)
    if matched == 0:
        kinds = f"A keyed by {_kinds(stats_a)}, B keyed by {_kinds(stats_b)}"
        raise ForensicsInputError(
            f"The two output sets have no prompt in common ({stats_a.records} usable records in A, "
            f"{stats_b.records} in B; {kinds}). Check that both files use the same prompts or prompt ids, or set "
            "match_on to 'prompt' or 'id'."
        )
    if prompt_conflicts * 2 > matched:
        raise ForensicsInputError(
            f"{prompt_conflicts} of {matched} pairs matched on id carry different prompt texts in A and B: the ids "
            "do not identify prompts across the two files. Match on the prompt text instead (match_on='prompt')."
        )
    if prompt_conflicts:
        run.warn(f"{prompt_conflicts} of {matched} pairs matched on id have different prompt texts in A and B.")
    for role, path, stats in (("A", path_a, stats_a), ("B", path_b, stats_b)):
        if stats.bad:
            run.warn(_bad_line_warning(role, path.name, stats))
    if duplicates_a or duplicates_b:
        run.warn(f"Repeated prompts kept at their first occurrence only: {duplicates_a} in A, {duplicates_b} in B.")

    # Per-pair metrics.
    progress(0.85, "comparing matched outputs")
    sizes_a_all, sigs_a_all, emb_a_all, text_a_all = side_a.arrays()
    idx = np.asarray(a_index, dtype=np.int64)
    sizes_a, sigs_a, text_a = sizes_a_all[idx], sigs_a_all[idx], text_a_all[idx]
    emb_a = emb_a_all[idx] if emb_a_all is not None else None
    sizes_b, sigs_b, emb_b, text_b = side_b.arrays()
    scorable = (sizes_a > 0) & (sizes_b > 0)
    too_short = int(np.count_nonzero(~scorable))
    exact = side_a.sets is not None and side_b.sets is not None
    if exact and side_a.sets is not None and side_b.sets is not None:
        sets_a, sets_b = side_a.sets, side_b.sets
        jac = np.full(matched, math.nan)
        c_ab = np.full(matched, math.nan)
        c_ba = np.full(matched, math.nan)
        for i in np.flatnonzero(scorable):
            inter, jac[i] = jaccard_exact(sets_a[int(idx[i])], sets_b[i])
            c_ab[i], c_ba[i] = inter / sizes_a[i], inter / sizes_b[i]
    else:
        jac = np.where(scorable, (sigs_a == sigs_b).mean(axis=1), math.nan)
        c_ab, c_ba = containment_from_jaccard(jac, sizes_a, sizes_b)
    side_a.sets = side_b.sets = None
    if too_short:
        run.warn(f"{too_short} matched pair(s) have an output shorter than {ngram} words; n-gram metrics skip them.")
    cos = None
    if emb_a is not None and emb_b is not None:
        both_text = text_a & text_b
        cos = np.where(both_text, np.einsum("ij,ij->i", emb_a, emb_b), math.nan)
        if not both_text.all():
            run.warn(
                f"{int(np.count_nonzero(~both_text))} matched pair(s) have an empty output; "
                "embedding cosine skips them."
            )
    containment_max = np.fmax(c_ab, c_ba)
    near_verbatim = int(np.count_nonzero(containment_max >= THRESHOLDS["near_verbatim_containment"]))
    near_share = near_verbatim / max(int(np.count_nonzero(scorable)), 1)

    # Permutation tests (one per line of evidence), on a seeded subsample when there are very many pairs.
    rng = np.random.default_rng([seed, 0x7065726D])
    tested = np.arange(matched)
    if matched > MAX_TEST_PAIRS:
        tested = np.sort(rng.choice(matched, size=MAX_TEST_PAIRS, replace=False))
        run.warn(f"The permutation test used a seeded random subsample of {MAX_TEST_PAIRS} of {matched} pairs.")
    tests: dict[str, dict[str, Any]] = {}
    levels: dict[str, float | None] = {}
    if matched >= 2:
        t_sig_a, t_sig_b = sigs_a[tested], sigs_b[tested]
        t_size_a, t_size_b = sizes_a[tested], sizes_b[tested]

        def ngram_scores(perm: np.ndarray) -> np.ndarray:
            j = (t_sig_a == t_sig_b[perm]).mean(axis=1)
            sb = t_size_b[perm]
            ca, cb = containment_from_jaccard(j, t_size_a, sb)
            return np.where((t_size_a > 0) & (sb > 0), np.fmax(ca, cb), math.nan)

        lines: list[tuple[str, PairScores]] = [("ngram", ngram_scores)]
        if cos is not None and emb_a is not None and emb_b is not None:
            t_emb_a, t_emb_b = emb_a[tested], emb_b[tested]
            t_text_a, t_text_b = text_a[tested], text_b[tested]

            def embedding_scores(perm: np.ndarray) -> np.ndarray:
                values = np.einsum("ij,ij->i", t_emb_a, t_emb_b[perm])
                return np.where(t_text_a & t_text_b[perm], values, math.nan)

            lines.append(("embedding", embedding_scores))
        for k, (name, fn) in enumerate(lines):

            def test_progress(fraction: float, base: float = 0.85 + 0.12 * k / len(lines)) -> None:
                progress(base + 0.12 * fraction / len(lines), "permutation test")

            tests[name] = permutation_test(fn, tested.size, permutations, rng, metric=name, progress=test_progress)
        levels["ngram"] = _summary(containment_max)["mean"]
        if cos is not None:
            levels["embedding"] = _summary(cos)["median"]
    verdict, reason = decide(matched, tests, levels, near_share)

    # Top matches, labelled in a last pass over B (no prompt text is held in memory meanwhile).
    progress(0.97, "labelling top matches")
    primary_scores = cos if cos is not None else containment_max
    order = [
        i
        for i in np.argsort(-np.nan_to_num(primary_scores, nan=-np.inf), kind="stable")[:top_k]
        if np.isfinite(primary_scores[i])
    ]
    per_prompt = _label_top(path_b, match_on, order, a_index, rows_a, c_ab, c_ba, jac, cos, primary_scores)
    primary = "embedding" if "embedding" in tests else "ngram"
    progress(1.0, "done")
    return run.finish(
        verdict=verdict,
        verdict_reason=reason,
        pairs={
            "matched": matched,
            "only_in_a": only_in_a,
            "only_in_b": only_in_b,
            "duplicates_a": duplicates_a,
            "duplicates_b": duplicates_b,
            "bad_lines_a": stats_a.bad,
            "bad_lines_b": stats_b.bad,
            "too_short_for_ngrams": too_short,
        },
        metrics={
            "ngram": ngram,
            "ngram_method": "exact" if exact else "minhash",
            "minhash_permutations": minhash_permutations,
            "containment_a_in_b": _summary(c_ab),
            "containment_b_in_a": _summary(c_ba),
            "containment_max": _summary(containment_max),
            "jaccard": _summary(jac),
            "embedding_cosine": _summary(cos) if cos is not None else None,
            "near_verbatim_pairs": near_verbatim,
            "near_verbatim_share": _f(near_share, 4),
        },
        permutation_test=tests.get(primary),
        permutation_tests=tests,
        thresholds=THRESHOLDS,
        per_prompt=per_prompt,
    )


def _monotonic(progress: Progress) -> Progress:
    """Progress that never goes backwards and is rounded (the job's progress bar should only move forward)."""
    last = [0.0]

    def report(fraction: float, message: str) -> None:
        last[0] = max(last[0], min(round(fraction, 4), 1.0))
        progress(last[0], message)

    return report


def _kinds(stats: ReadStats) -> str:
    names = {"id": "prompt id", "prompt": "prompt text"}
    return " and ".join(names[k] for k in sorted(stats.key_kinds)) or "nothing usable"


def _no_records(role: str, path: Path, stats: ReadStats) -> ForensicsInputError:
    first = f"; first rejected line {stats.bad_lines[0][0]}: {stats.bad_lines[0][1]}" if stats.bad_lines else ""
    return ForensicsInputError(
        f"Output set {role} ({path.name}) has no usable record ({stats.lines} lines read{first}). Expected one JSON "
        'object per line such as {"prompt": "...", "output": "..."} or {"prompt_id": "...", "text": "..."}.'
    )


def _label_top(
    path_b: Path,
    match_on: MatchOn,
    order: list[int],
    a_index: list[int],
    rows_a: dict[bytes, int],
    c_ab: np.ndarray,
    c_ba: np.ndarray,
    jac: np.ndarray,
    cos: np.ndarray | None,
    scores: np.ndarray,
) -> list[dict[str, Any]]:
    if not order:
        return []
    # Pair i is the i-th matched B record; find its key by mapping the A row back to the B key.
    row_to_pair = {a_index[i]: i for i in order}
    wanted = {key: row_to_pair[row] for key, row in rows_a.items() if row in row_to_pair}
    labels: dict[int, str] = {}
    for rec in read_outputs(path_b, match_on, ReadStats()):
        pair = wanted.pop(rec.key, None)
        if pair is not None:
            labels[pair] = rec.label
            if not wanted:
                break
    rows = [
        {
            "prompt": labels.get(i, ""),
            "score": _f(scores[i], 4),
            "containment_a_in_b": _f(c_ab[i], 4),
            "containment_b_in_a": _f(c_ba[i], 4),
            "jaccard": _f(jac[i], 4),
            "embedding_cosine": _f(cos[i], 4) if cos is not None else None,
        }
        for i in order
    ]
    return rows


# --------------------------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------------------------


def charts(result: dict[str, Any]) -> dict[str, str]:
    """SVG charts built only from a stored result: null distribution of the test statistic, per-pair scores."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    test = result.get("permutation_test") or {}
    metric_label = {
        "embedding": "embedding cosine",
        "ngram": f"{result.get('metrics', {}).get('ngram', 5)}-gram containment",
    }.get(test.get("metric", ""), "similarity")

    def render(fig: Any) -> str:
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        plt.close(fig)
        return buffer.getvalue()

    null_hist = test.get("null_histogram")
    if null_hist and test.get("statistic") is not None:
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        edges = np.asarray(null_hist["bin_edges"])
        ax.stairs(null_hist["counts"], edges, fill=True, alpha=0.6, label="shuffled pairings (null)")
        ax.axvline(test["statistic"], color="crimson", linewidth=2, label="matched prompts")
        ax.set_xlabel(f"mean {metric_label} over pairs")
        ax.set_ylabel("permutations")
        ax.set_title(f"Matched similarity vs null (p = {_fmt_p(test.get('p_value'))})")
        ax.legend(loc="upper center", fontsize=8)
        out["null_distribution"] = render(fig)

    pair_hist = test.get("pair_histogram")
    if pair_hist:
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        for name, colour, label in (("shuffled", "grey", "different prompts"), ("matched", "crimson", "same prompt")):
            h = pair_hist[name]
            counts = np.asarray(h["counts"], dtype=float)
            share = counts / counts.sum() if counts.sum() else counts
            ax.stairs(
                share,
                np.asarray(h["bin_edges"]),
                fill=name == "shuffled",
                alpha=0.5 if name == "shuffled" else 1.0,
                color=colour,
                linewidth=2,
                label=label,
            )
        ax.set_xlabel(f"per-pair {metric_label}")
        ax.set_ylabel("share of pairs")
        ax.set_title("Per-prompt similarity distribution")
        ax.legend(loc="upper center", fontsize=8)
        out["per_prompt_distribution"] = render(fig)
    return out
