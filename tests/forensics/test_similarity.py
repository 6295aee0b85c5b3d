"""text.similarity: verdicts on seeded fixtures, the n-gram/MinHash estimators, the permutation test and inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from forensics.common import CONSISTENT, INCONCLUSIVE, NO_EVIDENCE, ForensicsInputError
from forensics.text import similarity_fixtures as fx
from forensics.text.similarity import (
    MinHasher,
    charts,
    compare_outputs,
    jaccard_exact,
    ngram_hashes,
    permutation_test,
)

N_PROMPTS = 40  # the size the thresholds were validated at (docs/forensics/similarity.md)
SEED = 3


def write_pair(
    tmp_path: Path, a: list[dict[str, str]], b: list[dict[str, str]], shape: str = "prompt"
) -> tuple[Path, Path]:
    return fx.write_jsonl(tmp_path / "a.jsonl", a, shape), fx.write_jsonl(tmp_path / "b.jsonl", b, shape)  # type: ignore[arg-type]


def run_scenario(tmp_path: Path, name: str, **kwargs: Any) -> dict[str, Any]:
    a, b = fx.scenario(name, N_PROMPTS, SEED)
    pa, pb = write_pair(tmp_path, a, b)
    kwargs.setdefault("permutations", 499)
    return compare_outputs(pa, pb, seed=SEED, **kwargs)


# -- verdicts on the fixtures (with embeddings) -------------------------------------------------------------------


def test_copied_set_is_consistent(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "copied")
    assert result["verdict"] == CONSISTENT
    assert result["metrics"]["containment_a_in_b"]["mean"] == pytest.approx(1.0)
    assert result["metrics"]["embedding_cosine"]["median"] == pytest.approx(1.0, abs=1e-5)
    assert result["permutation_test"]["p_value"] == pytest.approx(1 / 500)
    assert result["permutation_test"]["effect_size"] > 3
    assert result["pairs"] == {**result["pairs"], "matched": N_PROMPTS, "only_in_a": 0, "only_in_b": 0}


def test_paraphrased_set_is_consistent_on_embedding_evidence(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "paraphrased")
    assert result["verdict"] == CONSISTENT
    assert "embedding cosine" in result["verdict_reason"]
    # Paraphrasing destroys most 5-grams: n-gram evidence alone would not reach the derivation level.
    assert result["metrics"]["containment_max"]["mean"] < 0.3
    assert result["metrics"]["embedding_cosine"]["median"] > 0.85


def test_unrelated_set_on_same_prompts_is_no_evidence(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "unrelated")
    assert result["verdict"] == NO_EVIDENCE
    # Same topics: matched pairs are significantly more alike than shuffled ones, yet far from copying.
    assert result["permutation_tests"]["embedding"]["p_value"] < 0.01
    assert result["metrics"]["embedding_cosine"]["median"] < 0.8
    assert result["metrics"]["containment_max"]["mean"] < 0.05


def test_off_prompt_pairing_is_null(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "off_prompt")
    assert result["verdict"] == NO_EVIDENCE
    assert result["permutation_tests"]["embedding"]["p_value"] > 0.05
    assert abs(result["permutation_tests"]["embedding"]["effect_size"]) < 0.5


# -- without embeddings: n-gram evidence only -------------------------------------------------------------------


def test_ngram_only_verdicts(tmp_path: Path) -> None:
    copied = run_scenario(tmp_path, "copied", use_embeddings=False)
    unrelated = run_scenario(tmp_path, "unrelated", use_embeddings=False)
    assert copied["verdict"] == CONSISTENT
    assert copied["metrics"]["embedding_cosine"] is None
    assert copied["permutation_test"]["metric"] == "ngram"
    assert unrelated["verdict"] == NO_EVIDENCE


def test_boilerplate_everywhere_is_not_called_derivation(tmp_path: Path) -> None:
    # Both models answer every prompt with the same canned text: high similarity, but not prompt-specific.
    canned = "I am sorry, but I cannot help with that request. Please ask me something else instead."
    records = [{"prompt_id": f"p{i}", "prompt": fx.prompt_for(i), "output": canned} for i in range(30)]
    pa, pb = write_pair(tmp_path, records, records)
    result = compare_outputs(pa, pb, use_embeddings=False, permutations=199)
    assert result["verdict"] == INCONCLUSIVE
    assert "not specific to the prompt" in result["verdict_reason"]


def test_too_few_pairs_is_inconclusive(tmp_path: Path) -> None:
    a, b = fx.scenario("copied", 5, SEED)
    pa, pb = write_pair(tmp_path, a, b)
    result = compare_outputs(pa, pb, use_embeddings=False, permutations=99)
    assert result["verdict"] == INCONCLUSIVE
    assert "at least 10" in result["verdict_reason"]


# -- estimators -------------------------------------------------------------------------------------------------


def test_ngrams_ignore_case_and_punctuation_but_not_order() -> None:
    base = ngram_hashes("The quick brown fox jumps over the dog", 5)
    assert base.size == 4
    assert np.array_equal(base, ngram_hashes("the QUICK, brown fox -- jumps over the dog!", 5))
    assert np.intersect1d(base, ngram_hashes("dog the over jumps fox brown quick the", 5)).size == 0
    assert ngram_hashes("only four words here", 5).size == 0


def test_minhash_estimate_is_close_to_exact_jaccard() -> None:
    rng = np.random.default_rng(11)
    hasher = MinHasher(128, seed=5)
    errors = []
    for trial in range(60):
        vocab = [f"w{i}" for i in range(400)]
        doc = list(rng.choice(vocab, size=300))
        other = list(doc)
        # Replace a varying share of positions: Jaccard spans ~0 to ~1.
        share = trial / 60
        for pos in rng.choice(len(other), size=int(share * len(other)), replace=False):
            other[pos] = f"x{rng.integers(10**6)}"
        a, b = ngram_hashes(" ".join(doc)), ngram_hashes(" ".join(other))
        _, exact = jaccard_exact(a, b)
        estimate = float(np.mean(hasher.signature(a) == hasher.signature(b)))
        sd = np.sqrt(exact * (1 - exact) / 128)
        assert abs(estimate - exact) <= 4 * sd + 0.02, (trial, exact, estimate)
        errors.append(estimate - exact)
    assert abs(np.mean(errors)) < 0.015  # unbiased
    assert np.sqrt(np.mean(np.square(errors))) < 0.05


def test_minhash_mode_agrees_with_exact_mode(tmp_path: Path) -> None:
    exact = run_scenario(tmp_path, "partial", use_embeddings=False)
    approx = run_scenario(tmp_path, "partial", use_embeddings=False, minhash_threshold=0)
    assert exact["metrics"]["ngram_method"] == "exact"
    assert approx["metrics"]["ngram_method"] == "minhash"
    for key in ("containment_a_in_b", "containment_b_in_a", "jaccard"):
        assert approx["metrics"][key]["mean"] == pytest.approx(exact["metrics"][key]["mean"], abs=0.03)
    assert approx["verdict"] == exact["verdict"]


# -- the permutation test -----------------------------------------------------------------------------------------


def test_permutation_p_values_are_uniform_under_the_null() -> None:
    rng = np.random.default_rng(2024)
    p_values = []
    for _ in range(300):
        a = rng.normal(size=(20, 8))
        b = rng.normal(size=(20, 8))  # independent of a: the pairing carries no information
        p_values.append(
            permutation_test(lambda perm, a=a, b=b: np.einsum("ij,ij->i", a, b[perm]), 20, 99, rng)["p_value"]
        )
    p = np.asarray(p_values)
    assert p.min() >= 1 / 100  # the +1 correction: never 0
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.02 <= np.mean(p <= 0.05) <= 0.09


def test_permutation_test_detects_dependence_and_reports_effect() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=(30, 8))
    b = a + 0.5 * rng.normal(size=(30, 8))
    result = permutation_test(lambda perm: np.einsum("ij,ij->i", a, b[perm]), 30, 999, rng, metric="toy")
    assert result["p_value"] == pytest.approx(1 / 1000)
    assert result["effect_size"] > 1.5
    assert result["auc"] > 0.9
    assert result["null_mean"] == pytest.approx(0.0, abs=0.5)


# -- inputs ---------------------------------------------------------------------------------------------------------


def test_accepts_prompt_id_and_text_shape(tmp_path: Path) -> None:
    a, b = fx.scenario("copied", 12, SEED)
    pa, pb = write_pair(tmp_path, a, b, shape="id")
    result = compare_outputs(pa, pb, use_embeddings=False, permutations=99)
    assert result["pairs"]["matched"] == 12
    assert result["per_prompt"][0]["prompt"].startswith("p000")


def test_chat_message_prompts_and_partial_overlap(tmp_path: Path) -> None:
    def rows(indices: range) -> list[str]:
        return [
            json.dumps(
                {
                    "messages": [{"role": "user", "content": f"question {i}"}],
                    "completion": f"answer number {i} is written out in full words here",
                }
            )
            for i in indices
        ]

    (tmp_path / "a.jsonl").write_text("\n".join(rows(range(15))) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(rows(range(5, 25))) + "\n")
    result = compare_outputs(tmp_path / "a.jsonl", tmp_path / "b.jsonl", use_embeddings=False, permutations=99)
    assert result["pairs"] == {**result["pairs"], "matched": 10, "only_in_a": 5, "only_in_b": 10}


def test_bad_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    a, b = fx.scenario("copied", 12, SEED)
    pa, pb = write_pair(tmp_path, a, b)
    with pb.open("a") as handle:
        handle.write("{not json\n")
        handle.write('{"prompt": "x"}\n')
        handle.write(json.dumps({"prompt": a[0]["prompt"], "output": "a second answer"}) + "\n")
    result = compare_outputs(pa, pb, use_embeddings=False, permutations=99)
    assert result["pairs"]["bad_lines_b"] == 2
    assert result["pairs"]["duplicates_b"] == 1
    joined = " ".join(result["warnings"])
    assert "13 (not valid JSON)" in joined
    assert "14 (no string field output/text/completion/response)" in joined


def test_unusable_file_is_a_clear_input_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('["a list"]\n')
    (tmp_path / "b.jsonl").write_text('{"prompt": "p", "output": "o"}\n')
    with pytest.raises(ForensicsInputError, match=r"no usable record .*line 1: not a JSON object"):
        compare_outputs(tmp_path / "a.jsonl", tmp_path / "b.jsonl", use_embeddings=False)


def test_no_common_prompt_suggests_match_on(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"prompt_id": "1", "text": "some output"}\n')
    (tmp_path / "b.jsonl").write_text('{"prompt": "What is 1?", "output": "some output"}\n')
    with pytest.raises(ForensicsInputError, match=r"A keyed by prompt id, B keyed by prompt text.*match_on"):
        compare_outputs(tmp_path / "a.jsonl", tmp_path / "b.jsonl", use_embeddings=False)


def test_ids_that_do_not_identify_prompts_are_refused(tmp_path: Path) -> None:
    a, _ = fx.scenario("copied", 12, SEED)
    rows_a = [{"id": i, "prompt": r["prompt"], "output": r["output"]} for i, r in enumerate(a)]
    rows_b = [{"id": i, "prompt": r["prompt"], "output": r["output"]} for i, r in enumerate(reversed(a))]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows_a))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in rows_b))
    with pytest.raises(ForensicsInputError, match="match_on='prompt'"):
        compare_outputs(tmp_path / "a.jsonl", tmp_path / "b.jsonl", use_embeddings=False)
    # Matching on the prompt text pairs them correctly.
    result = compare_outputs(
        tmp_path / "a.jsonl", tmp_path / "b.jsonl", use_embeddings=False, match_on="prompt", permutations=99
    )
    assert result["metrics"]["containment_a_in_b"]["mean"] == pytest.approx(1.0)


def test_bad_parameters_are_input_errors(tmp_path: Path) -> None:
    pa, pb = write_pair(tmp_path, *fx.scenario("copied", 3, SEED))
    with pytest.raises(ForensicsInputError, match="ngram"):
        compare_outputs(pa, pb, ngram=0)
    with pytest.raises(ForensicsInputError, match="permutations"):
        compare_outputs(pa, pb, permutations=5)


# -- result shape, progress and charts ----------------------------------------------------------------------------


def test_result_is_json_and_charts_render_from_stored_json(tmp_path: Path) -> None:
    seen: list[float] = []
    a, b = fx.scenario("partial", 16, SEED)
    pa, pb = write_pair(tmp_path, a, b)
    result = compare_outputs(
        pa, pb, use_embeddings=False, permutations=99, top_k=5, progress=lambda f, _msg: seen.append(f)
    )
    stored = json.loads(json.dumps(result, allow_nan=False))
    assert stored["analysis"] == "text.similarity"
    assert {i["role"] for i in stored["inputs"]} == {"outputs_a", "outputs_b"}
    assert stored["verdict"] in (CONSISTENT, INCONCLUSIVE, NO_EVIDENCE)
    assert set(stored["permutation_test"]) >= {
        "statistic",
        "null_mean",
        "null_sd",
        "p_value",
        "effect_size",
        "permutations",
    }
    assert len(stored["per_prompt"]) == 5
    scores = [row["score"] for row in stored["per_prompt"]]
    assert scores == sorted(scores, reverse=True)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
    svgs = charts(stored)
    assert set(svgs) == {"null_distribution", "per_prompt_distribution"}
    assert all(svg.lstrip().startswith("<?xml") and "<svg" in svg for svg in svgs.values())
